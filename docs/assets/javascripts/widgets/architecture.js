/*
 * Widget "architecture": the MNIST network as a row of boxes, one per layer output, sized
 * by its shape, for a batch size the visitor picks. Python runs the network for the shapes:
 * cnnlab.layout.architecture(batch_size) (which calls cnnlab.model.layer_table).
 *
 * Options: batch (the starting batch size).
 * data-testid: batch-size (number input), batch-slider (range), layout (select NCHW/NHWC),
 * layer (one button per layer: data-layer, data-shape = the shape shown, comma-separated),
 * details (the selected layer's description), status (<output>: data-state, messages).
 */
import { el, fieldText, pythonUpdate } from "./kit.js";

const MAX_BATCH = 64; // the slider's end: cnnlab.bounds.BATCH.high, which Python checks
const BOX_HEIGHT = 84; // px for 28 rows
const number = new Intl.NumberFormat("en-US");

function megabytes(bytes) {
  return bytes >= 1e5 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** Box size in px: height follows H (4-D) or the vector length (log); width the channels (log). */
function boxSize(shape) {
  if (shape.length === 4) {
    const [, channels, height] = shape;
    return { width: 8 + 7 * Math.log2(channels), height: (BOX_HEIGHT * height) / 28 };
  }
  return { width: 8, height: 8 * Math.log2(shape[1]) };
}

CNNLab.widgets.register("architecture", (element, options, runtime) => {
  const batch = el("input", { type: "number", step: 1, inputmode: "numeric", value: options.batch ?? 4, testid: "batch-size" });
  const slider = el("input", { type: "range", min: 1, max: MAX_BATCH, step: 1, value: options.batch ?? 4, testid: "batch-slider", "aria-label": "batch size" });
  const layout = el("select", { testid: "layout" }, el("option", { value: "nchw" }, "NCHW (PyTorch)"), el("option", { value: "nhwc" }, "NHWC (Keras, the book's list)"));
  const diagram = el("ol", { class: "cnnlab-arch__diagram", "aria-label": "layers of the network" });
  const details = el("p", { class: "cnnlab-arch__details", testid: "details", "aria-live": "polite" });
  const status = el("output", { testid: "status", "aria-live": "polite" });
  element.replaceChildren(
    el("div", { class: "cnnlab-form" },
      el("label", {}, "batch size N ", batch),
      el("label", { class: "cnnlab-arch__slider" }, slider),
      el("label", {}, "layout ", layout)),
    diagram, details, status,
  );

  let rows = [];
  let selected = "conv1";

  const describe = () => {
    const row = rows.find((r) => r.layer === selected);
    if (!row) return;
    const shape = row[layout.value];
    const params = row.parameters ? `${number.format(row.parameters)} parameters` : "no parameters";
    details.textContent = `${row.layer}: ${row.operation}. Output ${layout.value.toUpperCase()} `
      + `(${shape.join(", ")}) = ${number.format(row.values)} values, ${megabytes(row.bytes)} as float32; ${params}.`;
  };

  const select = (name) => {
    selected = name;
    diagram.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.layer === name)));
    describe();
  };

  const render = (result) => {
    rows = result;
    diagram.replaceChildren(...rows.map((row) => {
      const shape = row[layout.value];
      const { width, height } = boxSize(row.nchw);
      const button = el("button", {
        type: "button", class: "cnnlab-arch__layer", testid: "layer",
        "data-layer": row.layer, "data-shape": shape.join(","), "aria-pressed": String(row.layer === selected),
        onclick: () => select(row.layer),
      },
      el("span", { class: `cnnlab-arch__box${row.nchw.length === 4 ? "" : " cnnlab-arch__box--flat"}`, style: `width:${width.toFixed(1)}px;height:${height.toFixed(1)}px`, "aria-hidden": "true" }),
      el("span", { class: "cnnlab-arch__name" }, row.layer),
      el("span", { class: "cnnlab-arch__shape" }, `(${shape.join(", ")})`));
      return el("li", {}, button);
    }));
    describe();
  };

  const update = pythonUpdate(() => runtime.call("cnnlab.layout.architecture", [fieldText(batch)], {}, { latest: element }),
    render, { root: element, message: status });
  batch.addEventListener("input", () => {
    if (Number.isInteger(batch.valueAsNumber)) slider.value = batch.valueAsNumber;
    update();
  });
  slider.addEventListener("input", () => { batch.value = slider.value; update(); });
  layout.addEventListener("change", () => render(rows));
  runtime.onReady(update);
});
