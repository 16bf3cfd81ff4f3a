/*
 * 2-D convolution step by step: the zero-padded input, the kernel as it slides (rotated by
 * 180° for convolution), and the output. Hovering, tapping or tabbing to an output cell
 * highlights its window in the padded input and lists the products and their sum. All numbers
 * come from cnnlab.layer_demos.conv2d_breakdown (which uses cnnlab.signal.conv2d).
 * Options: X, W (nested lists), p, s (ints, both axes), flip (default true).
 *
 * Test ids: input-X, input-W (textareas), input-p, input-s, input-flip; shape (the output-size
 * line, data-rows/data-cols); padded (grid) of padded-cell (data-row, data-col, data-value,
 * data-pad="true" on padding, data-in-window="true" in the selected window); kernel of
 * kernel-cell; output of output-cell (buttons; data-selected="true" on the chosen one);
 * products (data-i, data-j) of product (data-value, data-input, data-weight); sum
 * (data-value); message (Python's ValueError).
 */
import { el, fieldText, formatNumber, matrixGrid, messageArea, numberField, panel, pythonUpdate, updateOnInput } from "./kit.js";

const MAX_SIZE = 10;
const CODE = `from cnnlab import layer_demos
X = layer_demos.parse_matrix(x_text, "X", max_size=${MAX_SIZE})
W = layer_demos.parse_matrix(w_text, "W", max_size=${MAX_SIZE})
dict(layer_demos.conv2d_breakdown(X, W, p=p, s=s, flip=flip), input_shape=list(X.shape))`;

const asText = (matrix) => matrix.map((row) => row.join(" ")).join("\n");

function textArea(name, label, value, rows) {
  const area = el("textarea", { testid: `input-${name}`, name, rows, spellcheck: "false" });
  area.value = value;
  return [area, el("label", { class: "cnnlab-layers__matrix-input" }, `${label} `, area)];
}

CNNLab.widgets.register("conv2d-steps", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form cnnlab-layers__form" });
  const [xInput, xLabel] = textArea("X", "input X", asText(options.X), options.X.length);
  const [wInput, wLabel] = textArea("W", "kernel W", asText(options.W), options.W.length);
  form.append(xLabel, wLabel);
  const pInput = numberField(form, { name: "p", label: "padding p", value: options.p ?? 0 });
  const sInput = numberField(form, { name: "s", label: "stride s", value: options.s ?? 1 });
  const flipInput = el("input", { testid: "input-flip", type: "checkbox", name: "flip" });
  flipInput.checked = options.flip ?? true;
  form.append(el("label", {}, flipInput, " flip the kernel (convolution)"));

  const shape = el("p", { class: "cnnlab-layers__note", testid: "shape", "aria-live": "polite" });
  const panels = el("div", { class: "cnnlab-layers__panels" });
  const products = el("div", { class: "cnnlab-layers__products", testid: "products", "aria-live": "polite" });
  const message = messageArea();
  element.replaceChildren(form, message, shape, panels, products);

  let view = null; // the drawn result and its grids
  let selected = [0, 0];

  function select(i, j) {
    if (!view) return;
    selected = [i, j];
    const { result, padded, output } = view;
    const [m1, m2] = result.kernel.shape;
    const top = result.origins.get(i, j, 0);
    const left = result.origins.get(i, j, 1);
    padded.cells.forEach((cell) => {
      const r = Number(cell.dataset.row);
      const c = Number(cell.dataset.col);
      const inside = r >= top && r < top + m1 && c >= left && c < left + m2;
      cell.dataset.inWindow = String(inside);
    });
    output.cells.forEach((cell) => {
      const chosen = Number(cell.dataset.row) === i && Number(cell.dataset.col) === j;
      cell.dataset.selected = String(chosen);
      cell.setAttribute("aria-pressed", String(chosen));
    });
    const grid = el("div", { class: "cnnlab-layers__grid cnnlab-layers__grid--products" });
    grid.style.setProperty("--columns", m2);
    const terms = [];
    for (let u = 0; u < m1; u += 1) {
      for (let v = 0; v < m2; v += 1) {
        const x = result.padded.get(top + u, left + v);
        const w = result.kernel.get(u, v);
        const product = result.products.get(i, j, u, v);
        terms.push(`${formatNumber(x)}·${formatNumber(w)}`);
        grid.append(el("span", {
          class: "cnnlab-layers__product",
          testid: "product",
          "data-value": product, "data-input": x, "data-weight": w,
        }, el("small", { text: `${formatNumber(x)}·${formatNumber(w)}` }), el("span", { text: formatNumber(product) })));
      }
    }
    const value = result.output.get(i, j);
    const sum = el("p", { class: "cnnlab-layers__sum", testid: "sum", "data-value": value },
      `Y[${i}, ${j}] = ${terms.join(" + ")} = `, el("strong", { text: formatNumber(value) }));
    products.dataset.i = i;
    products.dataset.j = j;
    products.replaceChildren(
      el("p", { class: "cnnlab-layers__note", text: `Window × ${flipInput.checked ? "rotated kernel" : "kernel"}, element by element:` }),
      grid,
      sum,
    );
  }

  function render(result) {
    const [o1, o2] = result.output.shape;
    const [n1, n2] = result.input_shape;
    const [m1, m2] = result.kernel.shape;
    const [p1, p2] = result.padding;
    const [s1, s2] = result.stride;
    shape.dataset.rows = o1;
    shape.dataset.cols = o2;
    shape.textContent = `Y is ${o1} × ${o2}: ⌊(${n1} + 2·${p1} − ${m1}) / ${s1}⌋ + 1 = ${o1} rows, `
      + `⌊(${n2} + 2·${p2} − ${m2}) / ${s2}⌋ + 1 = ${o2} columns.`;
    const padded = matrixGrid(result.padded, { testid: "padded", cellTestid: "padded-cell", label: "padded input" });
    padded.cells.forEach((cell) => {
      const r = Number(cell.dataset.row);
      const c = Number(cell.dataset.col);
      cell.dataset.pad = String(r < p1 || r >= p1 + n1 || c < p2 || c >= p2 + n2);
    });
    const kernel = matrixGrid(result.kernel, { testid: "kernel", cellTestid: "kernel-cell", label: "kernel" });
    const output = matrixGrid(result.output, { testid: "output", cellTestid: "output-cell", buttons: true, label: "output Y" });
    output.cells.forEach((cell) => {
      const pick = () => select(Number(cell.dataset.row), Number(cell.dataset.col));
      cell.addEventListener("mouseenter", pick);
      cell.addEventListener("focus", pick);
      cell.addEventListener("click", pick);
    });
    panels.replaceChildren(
      panel(`padded input Xᵖ (${n1 + 2 * p1} × ${n2 + 2 * p2})`, padded),
      panel(flipInput.checked ? "kernel rotated by 180°" : "kernel W (not flipped)", kernel),
      panel("output Y — point at a cell", output),
    );
    view = { result, padded, output };
    const [i, j] = selected[0] < o1 && selected[1] < o2 ? selected : [0, 0];
    select(i, j);
  }

  const update = pythonUpdate(() => runtime.eval(CODE, {
    x_text: xInput.value, w_text: wInput.value,
    p: fieldText(pInput), s: fieldText(sInput), flip: flipInput.checked,
  }, { latest: "conv2d-steps" }), render, { root: element, message });
  updateOnInput(form, update, runtime);
});
