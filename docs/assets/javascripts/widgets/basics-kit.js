/*
 * Shared drawing helpers for the widgets of the first chapter pages (feature maps, 1-D
 * convolution, padding, output size). Not a widget itself: the widget modules import it.
 *
 *   el("p", {className, text, testid, attrs: {...}}, ...children)   a DOM element
 *   messageArea()              the <p data-testid="message" role="alert"> next to a widget
 *   showProblem(area, error)   Python's ValueError message in it (false for superseded/stopped)
 *   updateOnInput(form, update, runtime)  run `update` on every edit of the form and whenever
 *                              the page's Python is ready (again, after Stop or Retry)
 *   paint(canvas, array, {signed})  a 2-D NDArray as pixels: grey ink (unsigned) or a
 *                              blue-neutral-red scale around 0 (signed), neutral following
 *                              the light/dark palette; repainted when the palette changes
 *   formatNumber(v)            short text for a number (integers without ".0")
 */

export function el(tag, { className, text, testid, attrs = {} } = {}, ...children) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  if (testid) element.dataset.testid = testid;
  Object.entries(attrs).forEach(([name, value]) => element.setAttribute(name, value));
  element.append(...children);
  return element;
}

export function messageArea() {
  const area = el("p", { className: "cnnlab-basics__message", testid: "message", attrs: { role: "alert" } });
  area.hidden = true;
  return area;
}

/** Show a failed request's message; false when there is nothing to show (a newer request). */
export function showProblem(area, error) {
  if (error.name === "SupersededError" || error.name === "StoppedError") return false;
  area.textContent = error.name === "ValueError" ? error.message : `${error.name}: ${error.message}`;
  area.hidden = false;
  return true;
}

export function clearProblem(area) {
  area.textContent = "";
  area.hidden = true;
}

export function updateOnInput(form, update, runtime) {
  form.addEventListener("input", update);
  form.addEventListener("submit", (event) => event.preventDefault()); // Enter must not reload
  runtime.onReady(update);
}

export function formatNumber(value, digits = 3) {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(digits)));
}

// --- arrays as pixels ------------------------------------------------------------------------
const NEGATIVE = [33, 102, 172];
const POSITIVE = [214, 66, 48];
const painted = new Set(); // canvases to repaint when the palette changes

function darkScheme() {
  return document.body.getAttribute("data-md-color-scheme") === "slate";
}

function render(canvas) {
  const { array, signed } = canvas.cnnlabArray;
  const [height, width] = array.shape;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const values = array.data;
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  const scale = signed ? Math.max(Math.abs(low), Math.abs(high)) || 1 : high - low || 1;
  const neutral = darkScheme() ? [24, 26, 33] : [250, 250, 250];
  for (let i = 0; i < values.length; i += 1) {
    let rgb;
    if (signed) {
      const t = Math.min(1, Math.abs(values[i]) / scale);
      const end = values[i] < 0 ? NEGATIVE : POSITIVE;
      rgb = neutral.map((c, k) => c + (end[k] - c) * t);
    } else {
      const grey = (255 * (values[i] - low)) / scale;
      rgb = [grey, grey, grey];
    }
    image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
  canvas.dataset.min = low.toFixed(4);
  canvas.dataset.max = high.toFixed(4);
}

/** Paint a 2-D NDArray onto `canvas`, one pixel per element (CSS scales it up, pixelated). */
export function paint(canvas, array, { signed = false } = {}) {
  canvas.cnnlabArray = { array, signed };
  canvas.classList.add("cnnlab-array");
  render(canvas);
  painted.add(canvas);
}

new MutationObserver(() => {
  painted.forEach((canvas) => {
    if (canvas.isConnected) render(canvas);
    else painted.delete(canvas);
  });
}).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

/** The 2-D slice `index` of a 3-D NDArray (a view on the same data). */
export function slice2d(array, index) {
  const [, height, width] = array.shape;
  const size = height * width;
  return new CNNLab.NDArray(array.dtype, [height, width], array.data.subarray(index * size, (index + 1) * size));
}
