/*
 * feature-maps: the pretrained network's conv1 kernels and, for a synthetic digit drawn by
 * NumPy (cnnlab.digits), its conv1 and conv2 feature maps, all from
 * cnnlab.pages.explain.digit_feature_maps in the page's Python. Needs `runtime: {weights: true}`.
 *
 * Options: digit (0-9, default 3), slant (default 0),
 *   panels: which of "input", "kernels", "conv1", "conv2" to show (default all).
 * Colours: the digit is white ink on black (as the network sees it); kernels and feature maps
 * (before ReLU) are red where positive, blue where negative, each scaled to its own largest |value|.
 * Pointing at a kernel or a conv1 map (mouse, pen or touch) marks its partner: map c = the input
 * cross-correlated with kernel c, plus bias c.
 * data-testid: digit-0 … digit-9 (buttons, aria-pressed), slant (range), message, prediction
 *   (data-digit, data-probability), input-image (canvas), kernels / conv1 / conv2 (panels,
 *   data-shape), kernel / conv1-map / conv2-map (canvases: data-index, data-min, data-max).
 */
import { el, messageArea, paint, pythonUpdate, slice2d } from "./kit.js";

const PANELS = {
  input: "Input",
  kernels: "conv1 kernels (32 × 5×5)",
  conv1: "conv1 feature maps (32 × 28×28)",
  conv2: "conv2 feature maps (64 × 14×14)",
};

CNNLab.widgets.register("feature-maps", (element, options, runtime) => {
  const shown = options.panels ?? Object.keys(PANELS);
  let digit = options.digit ?? 3;
  const buttons = Array.from({ length: 10 }, (_, d) => {
    const button = el("button", { class: "cnnlab-button cnnlab-maps__digit", testid: `digit-${d}`, text: String(d),
      type: "button", "aria-label": `draw the digit ${d}` });
    button.addEventListener("click", () => {
      digit = d;
      update();
    });
    return button;
  });
  const slant = el("input", { testid: "slant", type: "range", min: "-0.4", max: "0.4", step: "0.05", "aria-label": "slant of the digit" });
  slant.value = options.slant ?? 0;
  const needsDigit = shown.some((name) => name !== "kernels");
  const controls = el("div", { class: "cnnlab-maps__controls" },
    el("span", { text: "digit " }), ...buttons, el("label", {}, "slant ", slant));
  const message = messageArea();
  const prediction = el("p", { class: "cnnlab-maps__prediction", testid: "prediction", "aria-live": "polite" });

  const panels = {};
  const sections = shown.map((name) => {
    const body = el("div", { class: `cnnlab-maps__grid cnnlab-maps__grid--${name}`, testid: name === "input" ? undefined : name });
    panels[name] = body;
    return el("figure", { class: `cnnlab-maps__panel cnnlab-maps__panel--${name}` }, el("figcaption", { text: PANELS[name] }), body);
  });
  element.replaceChildren(...(needsDigit ? [controls] : []), message,
    ...(needsDigit ? [prediction] : []), el("div", { class: "cnnlab-maps__panels" }, ...sections));

  // Pointing at kernel c or conv1 map c marks both.
  const partners = (channel, on) => {
    element.querySelectorAll(`[data-channel="${channel}"]`).forEach((node) => node.classList.toggle("is-partner", on));
  };
  const canvas = (testid, index, label) => {
    const node = el("canvas", { class: "cnnlab-maps__map", testid, role: "img", "aria-label": label });
    node.dataset.index = index;
    if (testid !== "conv2-map") {
      node.dataset.channel = index;
      node.addEventListener("pointerenter", () => partners(index, true));
      node.addEventListener("pointerleave", () => partners(index, false));
    }
    return node;
  };
  const fill = (name, array, testid, label) => {
    const body = panels[name];
    if (!body) return;
    body.dataset.shape = array.shape.join(",");
    if (body.children.length !== array.shape[0]) {
      body.replaceChildren(...Array.from({ length: array.shape[0] }, (_, c) => canvas(testid, c, `${label} ${c}`)));
    }
    [...body.children].forEach((node, c) => paint(node, slice2d(array, c), { signed: true }));
  };

  const compute = pythonUpdate(() => runtime.call("cnnlab.pages.explain.digit_feature_maps", [digit, Number(slant.value)], {},
    { latest: "maps" }), (result) => {
      if (panels.input) {
        const image = panels.input.firstChild || el("canvas", { class: "cnnlab-maps__map cnnlab-maps__map--input", testid: "input-image", role: "img", "aria-label": "the digit, 28×28 pixels" });
        panels.input.replaceChildren(image);
        paint(image, result.image);
      }
      fill("kernels", result.kernels, "kernel", "conv1 kernel");
      fill("conv1", result.conv1, "conv1-map", "conv1 feature map");
      fill("conv2", result.conv2, "conv2-map", "conv2 feature map");
      const probability = result.probabilities.data[result.prediction];
      prediction.dataset.digit = result.prediction;
      prediction.dataset.probability = probability.toFixed(4);
      prediction.textContent = `The network reads this drawing as ${result.prediction} (probability ${probability.toFixed(3)}).`;
  }, { root: element, message });
  function update() {
    buttons.forEach((button, d) => button.setAttribute("aria-pressed", String(d === digit)));
    compute();
  }
  slant.addEventListener("input", update);
  runtime.onReady(update);
});
