/*
 * conv1d-stepper: a 1-D convolution (or cross-correlation) one output at a time.
 * The numbers come from cnnlab.explain.conv1d_steps in the page's Python; this only draws them.
 *
 * Options (the ```widget block): x, w (lists or "1, 3, 2" text), p, s (ints),
 *   flip (true: convolution, the kernel is flipped; false: cross-correlation),
 *   flip_switch (true: show a "flip the kernel" switch).
 *
 * data-testid: input-x, input-w, input-p, input-s, flip (checkbox, with flip_switch),
 *   index (range slider over the output index i), prev, next, message (errors),
 *   strip (the drawing; data-flip), padded-cell (data-index, data-value, data-padding,
 *   data-window), kernel-cell (data-value, data-label "w[k]"), product-cell (data-value),
 *   formula (y[i] = ... text), sum (y[i] as text), output-cell (data-index, data-value,
 *   aria-current on the selected one).
 * Keyboard: the slider takes arrows/Home/End; every output cell is a button.
 */
import { el, fieldText, formatNumber, messageArea, pythonUpdate, updateOnInput } from "./kit.js";

const STEPS = `
from cnnlab import explain
explain.conv1d_steps(explain.parse_numbers(x, "x"), explain.parse_numbers(w, "w"), p, s, flip=flip)
`;

const asText = (value) => (Array.isArray(value) ? value.join(", ") : String(value));

function field(label, input, className = "") {
  return el("label", { class: className }, `${label} `, input);
}

CNNLab.widgets.register("conv1d-stepper", (element, options, runtime) => {
  const inputs = {
    x: el("input", { testid: "input-x", type: "text", inputmode: "decimal", spellcheck: "false" }),
    w: el("input", { testid: "input-w", type: "text", inputmode: "decimal", spellcheck: "false" }),
    p: el("input", { testid: "input-p", type: "number", min: "0", step: "1" }),
    s: el("input", { testid: "input-s", type: "number", min: "1", step: "1" }),
  };
  inputs.x.value = asText(options.x ?? [1, 3, 2, 4, 5, 6, 1, 3]);
  inputs.w.value = asText(options.w ?? [1, 0, 3, 1, 2]);
  inputs.p.value = options.p ?? 0;
  inputs.s.value = options.s ?? 1;
  const flip = el("input", { testid: "flip", type: "checkbox", role: "switch" });
  flip.checked = options.flip ?? true;

  const form = el("form", { class: "cnnlab-form cnnlab-stepper__form" },
    field("x =", inputs.x, "cnnlab-stepper__vector"),
    field("w =", inputs.w, "cnnlab-stepper__vector"),
    field("padding p", inputs.p),
    field("stride s", inputs.s));
  if (options.flip_switch) {
    form.append(el("label", { class: "cnnlab-stepper__switch" }, flip, " flip the kernel (convolution)"));
  }

  const slider = el("input", { testid: "index", type: "range", min: "0", max: "0", value: "0", "aria-label": "output index i" });
  const indexLabel = el("span", { class: "cnnlab-stepper__index" });
  const prev = el("button", { class: "cnnlab-button", testid: "prev", text: "◀", type: "button", "aria-label": "previous output" });
  const next = el("button", { class: "cnnlab-button", testid: "next", text: "▶", type: "button", "aria-label": "next output" });
  const controls = el("div", { class: "cnnlab-stepper__controls" }, prev, slider, next, indexLabel);

  const strip = el("div", { class: "cnnlab-stepper__strip", testid: "strip" });
  const formula = el("p", { class: "cnnlab-stepper__formula", testid: "formula", "aria-live": "polite" });
  const outputs = el("div", { class: "cnnlab-stepper__outputs" });
  const message = messageArea();
  const scroller = el("div", { class: "cnnlab-stepper__scroll" }, strip);
  element.replaceChildren(form, message, controls, scroller, formula, outputs);

  let steps = null;
  let index = 0;

  const drawStep = () => {
    if (!steps) return;
    const o = steps.output.size;
    index = Math.max(0, Math.min(index, o - 1));
    slider.max = String(o - 1);
    slider.value = String(index);
    indexLabel.textContent = `i = ${index} (of 0 … ${o - 1})`;
    prev.disabled = index === 0;
    next.disabled = index === o - 1;

    const m = steps.kernel.size;
    const start = steps.starts.data[index];
    const [before] = steps.padding;
    const n = steps.padded.size - steps.padding[0] - steps.padding[1];
    const place = (node, row, column) => {
      node.style.gridRow = String(row);
      node.style.gridColumn = String(column + 2); // column 1 holds the row names
      return node;
    };
    const cells = [
      place(el("span", { class: "cnnlab-stepper__name", text: "xᵖ" }), 1, -1),
      place(el("span", { class: "cnnlab-stepper__name", text: steps.flip ? "flipped w" : "w" }), 2, -1),
      place(el("span", { class: "cnnlab-stepper__name", text: "products" }), 3, -1),
    ];
    steps.padded.data.forEach((value, j) => {
      const padding = j < before || j >= before + n;
      const inWindow = j >= start && j < start + m;
      const cell = el("span", {
        class: `cnnlab-stepper__cell${padding ? " is-padding" : ""}${inWindow ? " is-window" : ""}`,
        testid: "padded-cell",
      }, el("b", { text: formatNumber(value) }), el("small", { text: padding ? "pad" : `x[${j - before}]` }));
      Object.assign(cell.dataset, { index: j, value, padding, window: inWindow });
      cells.push(place(cell, 1, j));
    });
    for (let j = 0; j < m; j += 1) {
      const k = steps.flip ? m - 1 - j : j; // the kernel element lying under window position j
      const kernelCell = el("span", { class: "cnnlab-stepper__cell is-kernel", testid: "kernel-cell" },
        el("b", { text: formatNumber(steps.kernel.data[j]) }), el("small", { text: `w[${k}]` }));
      Object.assign(kernelCell.dataset, { value: steps.kernel.data[j], label: `w[${k}]` });
      const product = steps.products.get(index, j);
      const productCell = el("span", { class: "cnnlab-stepper__cell is-product", testid: "product-cell" },
        el("b", { text: formatNumber(product) }));
      productCell.dataset.value = product;
      cells.push(place(kernelCell, 2, start + j), place(productCell, 3, start + j));
    }
    strip.style.setProperty("--columns", steps.padded.size);
    strip.dataset.flip = String(steps.flip);
    strip.replaceChildren(...cells);

    const terms = Array.from({ length: m }, (_, j) => {
      const k = steps.flip ? m - 1 - j : j;
      return `xᵖ[${start + j}]·w[${k}]`;
    });
    const sum = el("strong", { testid: "sum", text: formatNumber(steps.output.data[index]) });
    const products = Array.from({ length: m }, (_, j) => formatNumber(steps.products.get(index, j))).join(" + ");
    formula.replaceChildren(`y[${index}] = ${terms.join(" + ")} = ${products} = `, sum);

    outputs.replaceChildren(el("span", { class: "cnnlab-stepper__name", text: "y" }),
      ...Array.from(steps.output.data, (value, i) => {
        const button = el("button", { class: "cnnlab-stepper__cell is-output", testid: "output-cell",
          type: "button", "aria-label": `y[${i}] = ${formatNumber(value)}` },
        el("b", { text: formatNumber(value) }), el("small", { text: `y[${i}]` }));
        Object.assign(button.dataset, { index: i, value });
        if (i === index) button.setAttribute("aria-current", "true");
        button.addEventListener("click", () => {
          index = i;
          drawStep();
        });
        return button;
      }));
  };

  const update = pythonUpdate(() => runtime.eval(STEPS, {
    x: fieldText(inputs.x), w: fieldText(inputs.w), p: fieldText(inputs.p), s: fieldText(inputs.s), flip: flip.checked,
  }, { latest: "conv1d-steps" }), (result) => {
    steps = result;
    drawStep();
  }, { root: element, message });

  slider.addEventListener("input", () => {
    index = Number(slider.value);
    drawStep();
  });
  prev.addEventListener("click", () => {
    index -= 1;
    drawStep();
  });
  next.addEventListener("click", () => {
    index += 1;
    drawStep();
  });
  updateOnInput(form, update, runtime);
});
