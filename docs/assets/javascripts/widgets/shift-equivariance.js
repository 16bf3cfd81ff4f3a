/*
 * shift-equivariance: move a synthetic digit by (dy, dx) pixels and compare the pretrained
 * network's layers before and after (cnnlab.pages.explain.shift_response in the page's Python).
 * conv1's map moves with the digit (equivariance: the gap is 0 while no ink leaves the frame);
 * the relative change of each layer's output shrinks through the pooling layers.
 * Needs `runtime: {weights: true}`.
 *
 * Options: digit (0-9), dy, dx (-4 … 4), channel (0-31).
 * data-testid: digit (select), dy, dx (range sliders), channel (number), message,
 *   image / moved / conv1 / conv1-moved (canvases, data-min, data-max), gap (text, data-value),
 *   change-<layer> for relu1, pool1, relu2, pool2, fc2 (bars, data-value).
 */
import { clearProblem, el, formatNumber, messageArea, paint, showProblem, updateOnInput } from "./basics-kit.js";

const RESPONSE = `
from cnnlab.pages import digits, explain
explain.shift_response(digits.draw_digit(digit), explain.pretrained(), dy, dx, channel)
`;
const LAYERS = { relu1: "conv1 + ReLU", pool1: "pool1", relu2: "conv2 + ReLU", pool2: "pool2", fc2: "logits (fc2)" };
const PICTURES = [
  ["image", "digit", false],
  ["moved", "moved digit", false],
  ["conv1", "conv1 map", true],
  ["conv1_moved", "conv1 map of the moved digit", true],
];

const asInteger = (input) => (input.value.trim() === "" ? null : Number(input.value));

CNNLab.widgets.register("shift-equivariance", (element, options, runtime) => {
  const digit = el("select", { testid: "digit" },
    ...Array.from({ length: 10 }, (_, d) => el("option", { text: String(d), attrs: { value: String(d) } })));
  digit.value = String(options.digit ?? 4);
  const slider = (name, value) => {
    const input = el("input", { testid: name, attrs: { type: "range", min: "-4", max: "4", step: "1", "aria-label": name === "dy" ? "move down by dy pixels" : "move right by dx pixels" } });
    input.value = String(value);
    return input;
  };
  const dy = slider("dy", options.dy ?? 0);
  const dx = slider("dx", options.dx ?? 1);
  const dyText = el("span", { className: "cnnlab-shift__value" });
  const dxText = el("span", { className: "cnnlab-shift__value" });
  const channel = el("input", { testid: "channel", attrs: { type: "number", min: "0", max: "31", step: "1" } });
  channel.value = String(options.channel ?? 0);
  const form = el("form", { className: "cnnlab-form cnnlab-shift__form" },
    el("label", {}, "digit ", digit),
    el("label", {}, "dy (down) ", dy, dyText),
    el("label", {}, "dx (right) ", dx, dxText),
    el("label", {}, "conv1 channel ", channel));
  const message = messageArea();

  const canvases = {};
  const pictures = el("div", { className: "cnnlab-shift__pictures" }, ...PICTURES.map(([key, label]) => {
    const testid = key.replace("_", "-");
    canvases[key] = el("canvas", { className: "cnnlab-maps__map", testid, attrs: { role: "img", "aria-label": label } });
    return el("figure", {}, canvases[key], el("figcaption", { text: label }));
  }));
  const gap = el("strong", { testid: "gap" });
  const gapText = el("p", { className: "cnnlab-shift__gap", attrs: { "aria-live": "polite" } });
  const bars = {};
  const chart = el("div", { className: "cnnlab-shift__chart", attrs: { role: "list", "aria-label": "relative change of each layer's output" } },
    ...Object.entries(LAYERS).map(([layer, label]) => {
      bars[layer] = { bar: el("span", { className: "cnnlab-shift__bar", testid: `change-${layer}` }), value: el("span") };
      return el("div", { className: "cnnlab-shift__row", attrs: { role: "listitem" } },
        el("span", { text: label }), el("span", { className: "cnnlab-shift__track" }, bars[layer].bar), bars[layer].value);
    }));
  element.replaceChildren(form, message, pictures, gapText,
    el("p", { className: "cnnlab-shift__caption", text: "How much each layer's output changes, ‖A(moved) − A(digit)‖ / ‖A(digit) − A(blank)‖:" }),
    chart);

  const update = async () => {
    dyText.textContent = ` ${dy.value}`;
    dxText.textContent = ` ${dx.value}`;
    const vars = { digit: Number(digit.value), dy: Number(dy.value), dx: Number(dx.value), channel: asInteger(channel) };
    element.dataset.state = "running";
    try {
      const result = await runtime.eval(RESPONSE, vars, { latest: "shift" });
      clearProblem(message);
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
      element.dataset.state = "done";
    } catch (error) {
      if (!showProblem(message, error)) return;
      element.dataset.state = "error";
    }
  };
  updateOnInput(form, update, runtime);
});
