/*
 * A convolution layer's channels as boxes: C_in input maps, a C_out × C_in grid of m × m
 * kernels (row o holds the C_in slices of output channel o's kernel) and C_out output maps,
 * drawn from the shapes cnnlab.layer_demos.channel_shapes measures by running
 * cnnlab.layers.conv2d. Options: c_in, c_out, k, n, padding, stride.
 *
 * Test ids: input-c_in, input-c_out, input-k, input-n, input-padding, input-stride;
 * input-shape, weight-shape, bias-shape, output-shape, parameters (text, with data-value
 * holding the numbers as JSON); drawing (the SVG: data-inputs, data-kernels-rows,
 * data-kernels-cols, data-outputs = boxes drawn); message (Python's ValueError).
 */
import { el, fieldText, messageArea, numberField, pythonUpdate, svg, updateOnInput } from "./kit.js";

const WIDTH = 380; // of the drawing, in SVG units
const MAX_DRAWN = 6; // boxes drawn per stack or grid side; more are summarised by "…"
const HUES = [0, 120, 220, 45, 280, 170];
const FIELDS = [
  ["c_in", "C_in", 3], ["c_out", "C_out", 2], ["k", "kernel m", 3],
  ["n", "image n", 8], ["padding", "padding", 1], ["stride", "stride", 1],
];

const channelFill = (c) => `hsl(${HUES[c % HUES.length]}, 65%, 72%)`;
const tuple = (shape) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`);

/** A stack of `count` square maps (at most MAX_DRAWN drawn), back to front, at (x, y). */
function stack(group, { x, y, side, count, fill, label }) {
  const drawn = Math.min(count, MAX_DRAWN);
  for (let c = drawn - 1; c >= 0; c -= 1) {
    group.append(svg("rect", {
      x: x + 6 * c, y: y + 6 * c, width: side, height: side, rx: 2,
      fill: fill(c), stroke: "currentColor", "stroke-width": 1,
    }));
  }
  const bottom = y + 6 * (drawn - 1) + side;
  group.append(svg("text", { x, y: bottom + 16 }, label));
  if (count > drawn) group.append(svg("text", { x, y: bottom + 32, class: "cnnlab-layers__muted" }, `${drawn} of ${count} drawn`));
  return { drawn, bottom: bottom + (count > drawn ? 32 : 16) };
}

CNNLab.widgets.register("channel-shapes", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form cnnlab-layers__form" });
  const inputs = Object.fromEntries(FIELDS.map(([name, label, value]) => [
    name, numberField(form, { name, label, value: options[name] ?? value }),
  ]));
  const drawing = svg("svg", { class: "cnnlab-layers__svg", viewBox: `0 0 ${WIDTH} 160`, role: "img" });
  drawing.dataset.testid = "drawing";
  const facts = el("dl", { class: "cnnlab-layers__facts" });
  const values = {};
  [["input-shape", "input", "(N, C_in, H, W)"], ["weight-shape", "weight", "(C_out, C_in, kH, kW)"],
    ["bias-shape", "bias", "(C_out,)"], ["output-shape", "output", "(N, C_out, H_out, W_out)"],
    ["parameters", "parameters", "C_out·C_in·k·k + C_out"]].forEach(([testid, label, layout]) => {
    values[testid] = el("span", { testid });
    facts.append(el("dt", { text: label }), el("dd", {}, el("small", { text: `${layout} = ` }), values[testid]));
  });
  const message = messageArea();
  element.replaceChildren(form, message, drawing, facts);

  function draw(shapes) {
    const [, cIn, n] = shapes.input_shape;
    const [cOut, , k] = shapes.weight_shape;
    const outSide = shapes.output_shape[2];
    const scale = 64 / Math.max(n, outSide);
    const group = svg("g");
    const inputs = stack(group, {
      x: 4, y: 8, side: Math.max(6, n * scale), count: cIn, fill: channelFill, label: `C_in = ${cIn}`,
    });
    // The kernels: one row per output channel, one column per input channel.
    const rows = Math.min(cOut, MAX_DRAWN);
    const cols = Math.min(cIn, MAX_DRAWN);
    const cell = Math.max(5, Math.min(18, k * scale));
    const x0 = 130;
    for (let o = 0; o < rows; o += 1) {
      for (let c = 0; c < cols; c += 1) {
        group.append(svg("rect", {
          x: x0 + c * (cell + 4), y: 8 + o * (cell + 6), width: cell, height: cell, rx: 1,
          fill: channelFill(c), stroke: "currentColor", "stroke-width": 1,
        }));
      }
    }
    const gridBottom = 8 + rows * (cell + 6);
    const more = cOut > rows || cIn > cols ? " (some drawn)" : "";
    group.append(svg("text", { x: x0, y: gridBottom + 12 }, `${cOut} × ${cIn} kernels`));
    group.append(svg("text", { x: x0, y: gridBottom + 28, class: "cnnlab-layers__muted" }, `each ${k} × ${k}${more}`));
    const outputs = stack(group, {
      x: 280, y: 8, side: Math.max(6, outSide * scale), count: cOut,
      fill: () => "var(--md-code-bg-color)", label: `C_out = ${cOut}`,
    });
    group.append(svg("text", { x: 104, y: 46, style: "font-size: 22px" }, "⋆"));
    group.append(svg("text", { x: 252, y: 46, style: "font-size: 22px" }, "→"));
    drawing.replaceChildren(svg("title", {}, `${cIn} input channels, ${cOut} × ${cIn} kernels of ${k} × ${k}, ${cOut} output channels`), group);
    const height = Math.max(inputs.bottom, gridBottom + 28, outputs.bottom) + 6;
    drawing.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
    Object.assign(drawing.dataset, { inputs: inputs.drawn, kernelsRows: rows, kernelsCols: cols, outputs: outputs.drawn });
  }

  function render(shapes) {
    const show = (testid, text, value) => {
      values[testid].textContent = text;
      values[testid].dataset.value = JSON.stringify(value);
    };
    show("input-shape", tuple(shapes.input_shape), shapes.input_shape);
    show("weight-shape", tuple(shapes.weight_shape), shapes.weight_shape);
    show("bias-shape", tuple(shapes.bias_shape), shapes.bias_shape);
    show("output-shape", tuple(shapes.output_shape), shapes.output_shape);
    const [cOut, cIn, k] = shapes.weight_shape;
    show("parameters", `${cOut}·${cIn}·${k}·${k} + ${cOut} = ${shapes.parameters.toLocaleString("en-US")}`, shapes.parameters);
    draw(shapes);
  }

  const update = pythonUpdate(() => runtime.call(
    "cnnlab.layer_demos.channel_shapes",
    [],
    Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, fieldText(input)])),
    { latest: "channel-shapes" },
  ), render, { root: element, message });
  updateOnInput(form, update, runtime);
});
