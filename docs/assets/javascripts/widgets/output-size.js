/*
 * output-size: the output size of a 1-D convolution, o = floor((n + 2p - m) / s) + 1, from
 * cnnlab.signal.output_size, next to what cnnlab.signal.conv1d really returns for a ramp input
 * x = [1, 2, ..., n] and the kernel w = [1, 1, ..., 1] (each output is the sum of its window).
 * Invalid input shows cnnlab's ValueError next to the widget; cnnlab.bounds says what may be typed.
 *
 * Options (the ```widget block): n, m, p, s.
 * data-testid: input-n, input-m, input-p, input-s; result (the formula and o, or the error);
 *   shape (the shape conv1d returned, e.g. "(8,)"), match ("matches" or "differs", with
 *   data-match), windows (where the windows start in the padded input), values (the first
 *   outputs), details (the box holding the last four).
 */
import { el, fieldText, formatNumber, numberField, pythonUpdate, updateOnInput } from "./kit.js";

const FIELDS = [
  ["n", "input size n"],
  ["m", "kernel size m"],
  ["p", "padding p"],
  ["s", "stride s"],
];
const MAX_RUN = 2000; // the convolution itself runs for n + 2p up to this; the formula for any size
const SHOWN = 12; // outputs listed

const RUN = `
import numpy as np
from cnnlab import signal
y = signal.conv1d(np.arange(1.0, n + 1), np.ones(m), p=p, s=s)
{"shape": list(y.shape), "values": y[:shown], "starts": (np.arange(len(y)) * s)[:shown]}
`;

const listed = (array, total) => {
  const items = Array.from(array.data, (v) => formatNumber(v)).join(", ");
  return total > array.size ? `${items}, …` : items;
};

CNNLab.widgets.register("output-size", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form" });
  const inputs = FIELDS.map(([name, label]) => numberField(form, {
    name, label, value: options[name] ?? (name === "s" ? 1 : 0),
  }));
  const result = el("output", { testid: "result", "aria-live": "polite" });
  const shape = el("code", { testid: "shape" });
  const match = el("span", { testid: "match" });
  const windows = el("span", { testid: "windows" });
  const values = el("span", { testid: "values" });
  const items = [
    el("li", {}, "cnnlab.signal.conv1d(x = [1, 2, …, n], w = [1, …, 1]) returned shape ", shape, " ", match),
    el("li", {}, "windows start at x", el("sup", { text: "p" }), "[", windows, "]"),
    el("li", {}, "y = [", values, "]"),
  ];
  const note = el("li", { testid: "note" });
  const details = el("ul", { class: "cnnlab-size__details", testid: "details" }, ...items, note);
  element.replaceChildren(form, result, details);

  const show = (text) => {
    items.forEach((item) => { item.hidden = true; });
    note.hidden = false;
    note.textContent = text;
  };
  const showRun = (run, o) => {
    items.forEach((item) => { item.hidden = false; });
    note.hidden = true;
    shape.textContent = `(${run.shape.join(", ")},)`;
    const same = run.shape.length === 1 && run.shape[0] === o;
    match.textContent = same ? "= (o,): as the formula says" : `differs from o = ${o}`;
    match.dataset.match = String(same);
    windows.textContent = listed(run.starts, o);
    values.textContent = listed(run.values, o);
  };
  show("running the convolution…");

  const update = pythonUpdate(async () => {
    const typed = Object.fromEntries(inputs.map((input) => [input.name, fieldText(input)]));
    const fields = await runtime.call("cnnlab.bounds.check", ["output-size"], typed, { latest: "size-fields" });
    const { n, m, p, s } = fields;
    const o = await runtime.call("cnnlab.signal.output_size", [n, m], { p, s }, { latest: "size" });
    const run = n + 2 * p > MAX_RUN ? null
      : await runtime.eval(RUN, { n, m, p, s, shown: SHOWN }, { latest: "size-run" });
    return { fields, o, run };
  }, ({ fields: { n, m, p, s }, o, run }) => {
    result.textContent = `o = ⌊(${n} + 2·${p} − ${m}) / ${s}⌋ + 1 = ${o}`;
    if (run) showRun(run, o);
    else show(`The convolution itself is run here for n + 2p ≤ ${MAX_RUN}.`);
  }, { root: element, message: result });
  updateOnInput(form, update, runtime);
});
