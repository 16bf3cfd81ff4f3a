/*
 * Parameters of a convolution layer against a fully connected layer that maps the same
 * n1 × n2 × C_in input to the same n1 × n2 × C_out output ("same" padding, stride 1). The
 * counts come from cnnlab.layer_demos.parameter_comparison; the bars are drawn on a log scale.
 * Options: n1, n2, m1, m2, c_in, c_out.
 *
 * Test ids: input-n1, input-n2, input-m1, input-m2, input-c_in, input-c_out; output-shape;
 * conv-total, fc-total (text with the formula; data-value the count); ratio (data-value);
 * conv-bar, fc-bar (data-width in %); message (Python's ValueError).
 */
import { el, fieldText, messageArea, numberField, pythonUpdate, updateOnInput } from "./kit.js";

const FIELDS = [
  ["n1", "image n₁", 28], ["n2", "n₂", 28], ["m1", "kernel m₁", 5], ["m2", "m₂", 5],
  ["c_in", "C_in", 3], ["c_out", "C_out", 5],
];
const count = (value) => Number(value).toLocaleString("en-US");

CNNLab.widgets.register("param-compare", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form cnnlab-layers__form" });
  const inputs = Object.fromEntries(FIELDS.map(([name, label, value]) => [
    name, numberField(form, { name, label, value: options[name] ?? value }),
  ]));
  const shape = el("p", { class: "cnnlab-layers__note", testid: "output-shape" });
  const rows = {};
  const table = el("div", { class: "cnnlab-layers__bars" });
  [["conv", "convolution layer"], ["fc", "fully connected layer"]].forEach(([key, label]) => {
    const total = el("span", { testid: `${key}-total` });
    const bar = el("span", { class: `cnnlab-layers__bar cnnlab-layers__bar--${key}`, testid: `${key}-bar` });
    rows[key] = { total, bar };
    table.append(el("div", { class: "cnnlab-layers__bar-row" },
      el("strong", { text: label }), el("span", { class: "cnnlab-layers__bar-track" }, bar), total));
  });
  const ratio = el("p", { class: "cnnlab-layers__verdict", testid: "ratio", "aria-live": "polite" });
  const message = messageArea();
  element.replaceChildren(form, message, shape, table, ratio);

  function render(c) {
    const [n1, n2, cIn] = c.input_shape;
    const [m1, m2] = c.kernel_shape;
    const [o1, o2, cOut] = c.output_shape;
    shape.textContent = `Both layers: input ${n1} × ${n2} × ${cIn} → output ${o1} × ${o2} × ${cOut} `
      + `(${count(c.fc_inputs)} numbers in, ${count(c.fc_outputs)} out).`;
    rows.conv.total.textContent = `${m1}·${m2}·${cIn}·${cOut} + ${cOut} = ${count(c.conv_total)}`;
    rows.fc.total.textContent = `${count(c.fc_inputs)}·${count(c.fc_outputs)} + ${count(c.fc_biases)} = ${count(c.fc_total)}`;
    const biggest = Math.log10(Math.max(c.conv_total, c.fc_total) + 1);
    ["conv", "fc"].forEach((key) => {
      const total = c[`${key}_total`];
      rows[key].total.dataset.value = total;
      const width = (100 * Math.log10(total + 1)) / biggest;
      rows[key].bar.style.width = `${width}%`;
      rows[key].bar.dataset.width = width.toFixed(1);
    });
    ratio.dataset.value = c.ratio;
    ratio.textContent = c.ratio >= 1
      ? `The fully connected layer needs ${count(Math.round(c.ratio))} times as many parameters.`
      : `Here the convolution needs more parameters (${c.ratio.toPrecision(2)} times as many for the fully connected layer).`;
  }

  const update = pythonUpdate(() => runtime.call(
    "cnnlab.layer_demos.parameter_comparison",
    FIELDS.map(([name]) => fieldText(inputs[name])),
    {},
    { latest: "param-compare" },
  ), render, { root: element, message });
  updateOnInput(form, update, runtime);
});
