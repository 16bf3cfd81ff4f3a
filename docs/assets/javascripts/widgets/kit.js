/*
 * The widgets' kit: what the widget modules share. Not a widget itself.
 *
 *   el(tag, {class, text, testid, on<event>, ...attributes}, ...children)   a DOM element
 *   formatNumber(v, digits)    short text for a number ("3", "0.125", "1.2e-7", "inf", "nan")
 *   messageArea()              the <p data-testid="message" role="alert"> next to a widget
 *   pythonUpdate(compute, render, {root, message})   an update function that calls Python
 *                              (compute() returns a runtime request) and renders the result;
 *                              a problem goes to `message` in words, the last good drawing
 *                              stays (dimmed); root (and message) get data-state
 *                              running | done | error
 *   updateOnInput(form, update, runtime)  run `update` on every edit of the form and whenever
 *                              the page's Python is ready (again, after Stop or Retry)
 *   numberField(form, {name, label, value, step})   a labelled field for a whole number
 *   fieldText(input)           what the visitor typed, for Python to read (cnnlab.bounds)
 *   matrixGrid, panel, svg     grids of numbers, captioned panels, SVG elements
 *   paint(canvas, array, {signed}), drawPixels(canvas, pixels), slice2d(array, index)
 */

const SVG = "http://www.w3.org/2000/svg";

/** An element: el("button", {class: "x", testid: "run", onclick: fn, type: "button"}, "Run"). */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "testid") element.dataset.testid = value;
    else if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

/** An SVG element with these attributes (and text). */
export function svg(tag, attrs = {}, text = undefined) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([name, value]) => node.setAttribute(name, value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A number as short text: integers as they are, others rounded to `digits` decimals (trailing
 * zeros dropped), tiny ones in exponent form; "inf", "-inf" and "nan" as NumPy prints them.
 */
export function formatNumber(value, digits = 3) {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Number.isInteger(value)) return String(value + 0); // + 0 prints -0 as 0
  if (Math.abs(value) < 0.5 * 10 ** -digits) return value.toExponential(2);
  return String(Number(value.toFixed(digits)) + 0);
}

// --- calling Python ------------------------------------------------------------------------------
export function messageArea() {
  const area = el("p", { class: "cnnlab-widget__message", testid: "message", role: "alert" });
  area.hidden = true;
  return area;
}

/**
 * A failed request in words for the visitor, or null when there is nothing to say: a newer
 * request replaced it, or Python was stopped (the widget updates again once Python is ready).
 * Python's ValueError messages are written for the visitor (cnnlab.bounds); anything else is a
 * fault of the page, said without exception names.
 */
export function problemText(error) {
  if (error.name === "SupersededError" || error.name === "StoppedError") return null;
  if (error.name === "ValueError") return error.message;
  return `This widget hit a problem it cannot explain (${error.message}). Reloading the page may help.`;
}

/**
 * An update function: calls Python (compute() returns a runtime request), renders its result,
 * and shows a problem in `message`. `root` gets data-state and, on a problem, "is-stale": the
 * last good drawing stays but is dimmed, so nothing the visitor saw is lost.
 */
export function pythonUpdate(compute, render, { root, message }) {
  const setState = (state) => {
    root.dataset.state = state;
    if (message !== root) message.dataset.state = state;
  };
  return async () => {
    setState("running");
    try {
      const result = await compute();
      message.textContent = "";
      if (message.getAttribute("role") === "alert") message.hidden = true;
      root.classList.remove("is-stale");
      render(result);
      setState("done");
    } catch (error) {
      const text = problemText(error);
      if (text === null) return;
      message.textContent = text;
      message.hidden = false;
      root.classList.add("is-stale");
      setState("error");
    }
  };
}

export function updateOnInput(form, update, runtime) {
  form.addEventListener("input", update);
  form.addEventListener("submit", (event) => event.preventDefault()); // Enter must not reload
  runtime.onReady(update);
}

// --- fields -------------------------------------------------------------------------------------
/** A labelled <input> for a whole number, data-testid="input-<name>", appended to `form`. */
export function numberField(form, { name, label, value, step = 1 }) {
  const input = el("input", { testid: `input-${name}`, type: "number", name, step, inputmode: "numeric" });
  input.value = value;
  form.append(el("label", {}, `${label} `, input));
  return input;
}

/**
 * What the visitor typed, for Python to check (cnnlab.bounds says what is allowed): the text
 * of the field, "" when it is empty. A number field whose text is no number reads as "" too
 * (the browser keeps such text to itself), and Python asks for a whole number.
 */
export function fieldText(input) {
  return input.value.trim();
}

// --- grids and panels ---------------------------------------------------------------------------
/**
 * An NDArray (2-D) as a grid of cells, each with data-row, data-col and data-value; buttons:
 * true makes every cell a focusable button (arrow keys move).
 */
export function matrixGrid(array, { testid, cellTestid = "cell", buttons = false, label = "" }) {
  const [rows, cols] = array.shape;
  const grid = el("div", { class: "cnnlab-layers__grid", testid, "aria-label": label || null });
  grid.style.setProperty("--columns", cols);
  const cells = [];
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      const value = array.get(r, c);
      const cell = el(buttons ? "button" : "span", {
        class: "cnnlab-layers__cell",
        text: formatNumber(value),
        testid: cellTestid,
        "data-row": r,
        "data-col": c,
        "data-value": value,
      });
      if (buttons) {
        cell.type = "button";
        cell.setAttribute("aria-label", `${label} row ${r}, column ${c}: ${formatNumber(value)}`);
      }
      cells.push(cell);
      grid.append(cell);
    }
  }
  if (buttons) {
    grid.addEventListener("keydown", (event) => {
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      const move = moves[event.key];
      const from = cells.indexOf(document.activeElement);
      if (!move || from < 0) return;
      event.preventDefault();
      const r = Math.min(rows - 1, Math.max(0, Math.floor(from / cols) + move[0]));
      const c = Math.min(cols - 1, Math.max(0, (from % cols) + move[1]));
      cells[r * cols + c].focus();
    });
  }
  grid.cellAt = (r, c) => cells[r * cols + c];
  grid.cells = cells;
  return grid;
}

/** A captioned <figure> for a widget's side-by-side panels. */
export function panel(caption, content) {
  return el("figure", { class: "cnnlab-layers__panel" }, el("figcaption", { text: caption }), content);
}

// --- arrays as pixels ---------------------------------------------------------------------------
const NEGATIVE = [33, 102, 172];
const POSITIVE = [214, 66, 48];
const painted = new Set(); // canvases to repaint when the palette changes

function darkScheme() {
  return document.body.getAttribute("data-md-color-scheme") === "slate";
}

/** Write `pixel(i)` = [r, g, b] for each of height × width pixels to `canvas`. */
function putPixels(canvas, height, width, pixel) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i += 1) {
    image.data.set(pixel(i), 4 * i);
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

function render(canvas) {
  const { array, signed } = canvas.cnnlabArray;
  const [height, width] = array.shape;
  const values = array.data;
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  const scale = signed ? Math.max(Math.abs(low), Math.abs(high)) || 1 : high - low || 1;
  const neutral = darkScheme() ? [24, 26, 33] : [250, 250, 250];
  putPixels(canvas, height, width, (i) => {
    if (!signed) return Array(3).fill((255 * (values[i] - low)) / scale);
    const t = Math.min(1, Math.abs(values[i]) / scale);
    const end = values[i] < 0 ? NEGATIVE : POSITIVE;
    return neutral.map((c, k) => c + (end[k] - c) * t);
  });
  canvas.dataset.min = low.toFixed(4);
  canvas.dataset.max = high.toFixed(4);
}

/**
 * Paint a 2-D NDArray onto `canvas`, one pixel per element (CSS scales it up, pixelated): grey
 * ink (unsigned) or a blue-neutral-red scale around 0 (signed), neutral following the
 * light/dark palette; repainted when the palette changes.
 */
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

/** Draw uint8 pixels (an NDArray of shape (H, W) or (H, W, 3)) on a canvas, pixel for pixel. */
export function drawPixels(canvas, pixels) {
  const [height, width, channels = 1] = pixels.shape;
  const data = pixels.data;
  putPixels(canvas, height, width, (i) => (channels === 3
    ? data.subarray(3 * i, 3 * i + 3)
    : [data[i], data[i], data[i]]));
}

/** The 2-D slice `index` of a 3-D NDArray (a view on the same data). */
export function slice2d(array, index) {
  const [, height, width] = array.shape;
  const size = height * width;
  return new CNNLab.NDArray(array.dtype, [height, width], array.data.subarray(index * size, (index + 1) * size));
}
