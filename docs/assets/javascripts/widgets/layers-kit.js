/*
 * Shared pieces of the layer pages' widgets (2-D convolution, pooling, channels, parameters,
 * dropout). Not a widget itself: the widget modules import it. Builds on basics-kit.js.
 *
 *   numberField(form, {name, label, value, min, max, step})  a labelled <input type=number>
 *                              with data-testid="input-<name>", appended to `form`
 *   readNumber(input)          the field's number, or its raw text when it is not a number
 *                              (Python then says what was expected)
 *   matrixGrid(array, {testid, cellTestid, buttons})  an NDArray (2-D) as a grid of cells,
 *                              each with data-row, data-col and data-value; buttons: true
 *                              makes every cell a focusable button (arrow keys move)
 *   panel(caption, content)    a captioned <figure> for a widget's side-by-side panels
 *   svg(tag, attrs, text)      an SVG element with these attributes (and text)
 *   runUpdates(root, compute, render, message)  an update function: runs `compute` (a
 *                              runtime request) and `render`s its result; a ValueError
 *                              goes to `message`; root.dataset.state follows
 */
import { clearProblem, el, formatNumber, showProblem } from "./basics-kit.js";

const SVG = "http://www.w3.org/2000/svg";

export function numberField(form, { name, label, value, min, max, step = 1 }) {
  const input = el("input", { testid: `input-${name}`, attrs: { type: "number", name, step } });
  if (min !== undefined) input.min = min;
  if (max !== undefined) input.max = max;
  input.value = value;
  form.append(el("label", {}, `${label} `, input));
  return input;
}

export function readNumber(input) {
  const value = input.valueAsNumber;
  return Number.isFinite(value) ? value : input.value;
}

export function matrixGrid(array, { testid, cellTestid = "cell", buttons = false, label = "" }) {
  const [rows, cols] = array.shape;
  const grid = el("div", { className: "cnnlab-layers__grid", testid });
  grid.style.setProperty("--columns", cols);
  if (label) grid.setAttribute("aria-label", label);
  const cells = [];
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      const value = array.get(r, c);
      const cell = el(buttons ? "button" : "span", {
        className: "cnnlab-layers__cell",
        text: formatNumber(value),
        testid: cellTestid,
        attrs: { "data-row": r, "data-col": c, "data-value": value },
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

export function panel(caption, content) {
  return el("figure", { className: "cnnlab-layers__panel" }, el("figcaption", { text: caption }), content);
}

export function svg(tag, attrs = {}, text = undefined) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([name, value]) => node.setAttribute(name, value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The update cycle of a widget: compute (a runtime request with `latest`), then render.
 * The widget's root gets data-state running | done | error; a Python ValueError is shown in
 * `message` and the last good drawing stays (nothing is lost).
 */
export function runUpdates(root, compute, render, message) {
  return async () => {
    root.dataset.state = "running";
    try {
      const result = await compute();
      clearProblem(message);
      render(result);
      root.dataset.state = "done";
    } catch (error) {
      if (showProblem(message, error)) root.dataset.state = "error";
    }
  };
}
