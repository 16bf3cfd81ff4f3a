/*
 * Helpers shared by the widgets of the model pages (loss-stability, architecture,
 * augmentation, training-results). Not a widget itself: widget modules import it.
 */

/** An element: h("button", {class: "x", testid: "run", onclick: fn}, "Run"). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "testid") element.dataset.testid = value;
    else if (key === "class") element.className = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

/** A number as NumPy prints it: "inf", "-inf" and "nan" for the special values. */
export function formatNumber(value, digits = 4) {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return (value + 0).toFixed(digits); // + 0 prints -0 as 0
}

/**
 * Wait for a request to Python and render its result. `status` (an <output>) gets
 * data-state running/done/error and, on a ValueError, Python's message. A request replaced
 * by a newer one, or ended by Stop, is ignored: the newer one (or onReady) renders.
 */
export async function show(status, request, render) {
  status.dataset.state = "running";
  try {
    const result = await request;
    render(result);
    status.textContent = "";
    status.dataset.state = "done";
  } catch (error) {
    if (error.name === "SupersededError" || error.name === "StoppedError") return;
    status.textContent = error.name === "ValueError" ? error.message : `${error.name}: ${error.message}`;
    status.dataset.state = "error";
  }
}

/** Draw uint8 pixels (an NDArray of shape (H, W) or (H, W, 3)) on a canvas, pixel for pixel. */
export function drawPixels(canvas, pixels) {
  const [height, width, channels = 1] = pixels.shape;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i += 1) {
    for (let c = 0; c < 3; c += 1) image.data[4 * i + c] = pixels.data[channels * i + (channels === 3 ? c : 0)];
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}
