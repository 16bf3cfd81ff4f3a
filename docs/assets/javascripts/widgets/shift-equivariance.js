/*
 * shift-equivariance: move a synthetic digit by (dy, dx) pixels and compare the pretrained
 * network's layers before and after (cnnlab.explain.shift_response in the page's Python).
 * conv1's map moves with the digit (equivariance: the gap is 0 while no ink leaves the frame);
 * the relative change of each layer's output shrinks through the pooling layers.
 * Needs `runtime: {weights: true}`.
 *
 * Options: digit (0-9), dy, dx (-4 … 4), channel (0-31).
 * data-testid: digit (select), dy, dx (range sliders), channel (number), message,
 *   image / moved / conv1 / conv1-moved (canvases, data-min, data-max), gap (text, data-value),
 *   change-<layer> for relu1, pool1, relu2, pool2, fc2 (bars, data-value).
 */
import { el, fieldText, formatNumber, messageArea, paint, pythonUpdate, updateOnInput } from "./kit.js";

const RESPONSE = `
from cnnlab import digits, explain
explain.shift_response(digits.draw_digit(digit), explain.pretrained(), dy, dx, channel)
`;
const LAYERS = { relu1: "conv1 + ReLU", pool1: "pool1", relu2: "conv2 + ReLU", pool2: "pool2", fc2: "logits (fc2)" };
const PICTURES = [
  ["image", "digit", false],
  ["moved", "moved digit", false],
  ["conv1", "conv1 map", true],
  ["conv1_moved", "conv1 map of the moved digit", true],
];

CNNLab.widgets.register("shift-equivariance", (element, options, runtime) => {
  const digit = el("select", { testid: "digit" },
    ...Array.from({ length: 10 }, (_, d) => el("option", { text: String(d), value: String(d) })));
  digit.value = String(options.digit ?? 4);
  const slider = (name, value) => {
    const input = el("input", { testid: name, type: "range", min: "-4", max: "4", step: "1", "aria-label": name === "dy" ? "move down by dy pixels" : "move right by dx pixels" });
    input.value = String(value);
    return input;
  };
  const dy = slider("dy", options.dy ?? 0);
  const dx = slider("dx", options.dx ?? 1);
  const dyText = el("span", { class: "cnnlab-shift__value" });
  const dxText = el("span", { class: "cnnlab-shift__value" });
  const channel = el("input", { testid: "channel", type: "number", step: "1", inputmode: "numeric" });
  channel.value = String(options.channel ?? 0);
  const form = el("form", { class: "cnnlab-form cnnlab-shift__form" },
    el("label", {}, "digit ", digit),
    el("label", {}, "dy (down) ", dy, dyText),
    el("label", {}, "dx (right) ", dx, dxText),
    el("label", {}, "conv1 channel ", channel));
  const message = messageArea();

  const canvases = {};
  const pictures = el("div", { class: "cnnlab-shift__pictures" }, ...PICTURES.map(([key, label]) => {
    const testid = key.replace("_", "-");
    canvases[key] = el("canvas", { class: "cnnlab-maps__map", testid, role: "img", "aria-label": label });
    return el("figure", {}, canvases[key], el("figcaption", { text: label }));
  }));
  const gap = el("strong", { testid: "gap" });
  const gapText = el("p", { class: "cnnlab-shift__gap", "aria-live": "polite" });
  const bars = {};
  const chart = el("div", { class: "cnnlab-shift__chart", role: "list", "aria-label": "relative change of each layer's output" },
    ...Object.entries(LAYERS).map(([layer, label]) => {
      bars[layer] = { bar: el("span", { class: "cnnlab-shift__bar", testid: `change-${layer}` }), value: el("span") };
      return el("div", { class: "cnnlab-shift__row", role: "listitem" },
        el("span", { text: label }), el("span", { class: "cnnlab-shift__track" }, bars[layer].bar), bars[layer].value);
    }));
  element.replaceChildren(form, message, pictures, gapText,
    el("p", { class: "cnnlab-shift__caption", text: "How much each layer's output changes, ‖A(moved) − A(digit)‖ / ‖A(digit) − A(blank)‖:" }),
    chart);

  let vars = {};
  const compute = pythonUpdate(() => runtime.eval(RESPONSE, vars, { latest: "shift" }), (result) => {
      PICTURES.forEach(([key, , signed]) => paint(canvases[key], result[key], { signed }));
      const value = result.equivariance_gap;
      gap.textContent = value === 0 || value >= 1e-3 ? formatNumber(value, 3) : value.toExponential(1);
      gap.dataset.value = result.equivariance_gap;
      gapText.replaceChildren(`conv1(moved digit) compared with conv1(digit) moved by (${vars.dy}, ${vars.dx}), all 32 channels, where both exist: largest difference `, gap,
        result.equivariance_gap < 1e-4 ? " — the map moved with the digit." : " — ink left the frame, so part of the map changed.");
      const largest = Math.max(1, ...Object.values(result.change));
      Object.entries(bars).forEach(([layer, { bar, value }]) => {
        const change = result.change[layer];
        bar.style.width = `${(100 * change) / largest}%`;
        bar.dataset.value = change;
        value.textContent = formatNumber(change, 2);
      });
  }, { root: element, message });
  const update = () => {
    dyText.textContent = ` ${dy.value}`;
    dxText.textContent = ` ${dx.value}`;
    vars = { digit: Number(digit.value), dy: Number(dy.value), dx: Number(dx.value), channel: fieldText(channel) };
    compute();
  };
  updateOnInput(form, update, runtime);
});
