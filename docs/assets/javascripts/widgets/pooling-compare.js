/*
 * Max or mean pooling of two matrices side by side, with size and stride controls. Hovering,
 * tapping or tabbing to an output cell highlights its window in both inputs (and, for max
 * pooling, the element that won). The numbers come from cnnlab.layer_demos.pool_breakdown
 * (cnnlab.layers.max_pool2d / avg_pool2d).
 * Options: matrices (a list of two nested lists), names (their labels), size, stride, mode.
 *
 * Test ids: input-size, input-stride, input-mode; verdict (data-same="true|false",
 * data-differing); windows (the coverage note, data-unused, data-most-windows); pool-panel
 * (one per matrix, data-index) holding pool-input of in-cell (data-row, data-col,
 * data-value, data-coverage, data-in-window, data-winner) and pool-output of out-cell
 * (buttons, data-value, data-selected); message (Python's ValueError).
 */
import { el, fieldText, matrixGrid, messageArea, numberField, panel, pythonUpdate, updateOnInput } from "./kit.js";

const CODE = `import numpy as np
from cnnlab import layer_demos
results = [layer_demos.pool_breakdown(X, size=size, stride=stride, mode=mode) for X in matrices]
outputs = [r["output"] for r in results]
{"results": results, "inputs": [np.asarray(X, dtype=float) for X in matrices],
 "same": all(np.array_equal(outputs[0], o) for o in outputs),
 "differing": int(np.sum(outputs[0] != outputs[-1]))}`;

function describeWindows(result) {
  const [k1, k2] = result.size;
  const [s1, s2] = result.stride;
  const shape = `${k1} × ${k2} windows, stride (${s1}, ${s2}): `;
  if (result.unused > 0) return `${shape}${result.unused} input elements are never read (crossed out).`;
  if (result.most_windows > 1) return `${shape}the windows overlap; some elements are read by ${result.most_windows} windows.`;
  return `${shape}the windows tile the input; every element is read exactly once.`;
}

CNNLab.widgets.register("pooling-compare", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form cnnlab-layers__form" });
  const sizeInput = numberField(form, { name: "size", label: "size k", value: options.size ?? 2 });
  const strideInput = numberField(form, { name: "stride", label: "stride s", value: options.stride ?? 2 });
  const modeInput = el("select", { testid: "input-mode", name: "mode" },
    el("option", { text: "max", value: "max" }),
    el("option", { text: "mean", value: "mean" }));
  modeInput.value = options.mode ?? "max";
  form.append(el("label", {}, "pooling ", modeInput));

  const verdict = el("p", { class: "cnnlab-layers__verdict", testid: "verdict", "aria-live": "polite" });
  const windows = el("p", { class: "cnnlab-layers__note", testid: "windows" });
  const panels = el("div", { class: "cnnlab-layers__panels cnnlab-layers__panels--compact" });
  const message = messageArea();
  element.replaceChildren(form, message, verdict, windows, panels);

  const names = options.names ?? options.matrices.map((_, i) => `X${i + 1}`);
  let views = [];
  let selected = [0, 0];

  function select(i, j) {
    selected = [i, j];
    views.forEach(({ result, input, output }) => {
      const [k1, k2] = result.size;
      const top = result.origins.get(i, j, 0);
      const left = result.origins.get(i, j, 1);
      const winner = result.winners ? [result.winners.get(i, j, 0), result.winners.get(i, j, 1)] : null;
      input.cells.forEach((cell) => {
        const r = Number(cell.dataset.row);
        const c = Number(cell.dataset.col);
        cell.dataset.inWindow = String(r >= top && r < top + k1 && c >= left && c < left + k2);
        cell.dataset.winner = String(winner !== null && r === winner[0] && c === winner[1]);
      });
      output.cells.forEach((cell) => {
        const chosen = Number(cell.dataset.row) === i && Number(cell.dataset.col) === j;
        cell.dataset.selected = String(chosen);
        cell.setAttribute("aria-pressed", String(chosen));
      });
    });
  }

  function render({ results, inputs, same, differing }) {
    const [o1, o2] = results[0].output.shape;
    verdict.dataset.same = String(same);
    verdict.dataset.differing = differing;
    verdict.textContent = same
      ? `Both give the same ${o1} × ${o2} output.`
      : `The outputs differ in ${differing} of ${o1 * o2} places.`;
    windows.dataset.unused = results[0].unused;
    windows.dataset.mostWindows = results[0].most_windows;
    windows.textContent = describeWindows(results[0]);
    views = results.map((result, index) => {
      const input = matrixGrid(inputs[index], {
        testid: "pool-input", cellTestid: "in-cell", label: names[index],
      });
      input.cells.forEach((cell) => {
        cell.dataset.coverage = result.coverage.get(Number(cell.dataset.row), Number(cell.dataset.col));
      });
      const output = matrixGrid(result.output, {
        testid: "pool-output", cellTestid: "out-cell", buttons: true, label: `pooled ${names[index]}`,
      });
      output.cells.forEach((cell) => {
        const pick = () => select(Number(cell.dataset.row), Number(cell.dataset.col));
        cell.addEventListener("mouseenter", pick);
        cell.addEventListener("focus", pick);
        cell.addEventListener("click", pick);
      });
      return { result, input, output, index };
    });
    panels.replaceChildren(...views.map(({ input, output, index }) => {
      return el("div", { class: "cnnlab-layers__pair", testid: "pool-panel", "data-index": index },
        panel(names[index], input), panel(`${modeInput.value} pooled`, output));
    }));
    select(...(selected[0] < o1 && selected[1] < o2 ? selected : [0, 0]));
  }

  const update = pythonUpdate(() => runtime.eval(CODE, {
    matrices: options.matrices, size: fieldText(sizeInput), stride: fieldText(strideInput),
    mode: modeInput.value,
  }, { latest: "pooling-compare" }), render, { root: element, message });
  updateOnInput(form, update, runtime);
});
