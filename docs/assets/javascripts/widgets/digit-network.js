/*
 * "Inside the network", the lower half of the digit-draw widget: the feature maps of conv1
 * and conv2 (after ReLU or after pooling), the selected map enlarged with conv1's 5×5 kernel
 * or the receptive field of a selected cell, fc1's activations and the logits. Every number
 * comes from cnnlab.inside (inspect_drawing, overview) in the page's Python; this module
 * draws them. Not a widget itself: digit-draw.js builds it.
 *
 * Test ids:
 *   feature-maps     the whole view
 *   map              one button per feature map: data-layer (relu1 | pool1 | relu2 | pool2),
 *                    data-channel; its canvas has the map's size (28, 14, 14, 7 pixels)
 *   map-variant      a block's switch: buttons with data-layer and aria-pressed
 *   map-detail       the selected map enlarged: data-layer, data-channel, and the selected cell
 *                    data-i, data-j (click a cell, or focus the map and use the arrow keys)
 *   kernel           conv1's 5×5 kernel of the selected map: 25 cells with data-value
 *   receptive-field  the selected cell's receptive field on the 28×28 input: data-top,
 *                    data-bottom, data-left, data-right (inclusive pixel indices)
 *   fc1              fc1's 1024 activations after ReLU, 128 per row
 *   logits           ten items with data-digit and data-value
 */
import { el } from "./kit.js";
import { INFERNO, blank, maximum, paint, paintImage, signedBackground } from "./digit-paint.js";

const BLOCKS = [
  {
    name: "conv1",
    title: "conv1: 32 feature maps",
    channels: 32,
    note: "32 kernels of 5×5 slide over the input (padding 2). Select a map to see its kernel.",
    variants: [
      { layer: "relu1", label: "after ReLU", size: 28 },
      { layer: "pool1", label: "after max pooling", size: 14 },
    ],
  },
  {
    name: "conv2",
    title: "conv2: 64 feature maps",
    channels: 64,
    note: "Each map sums 32 kernels of 5×5, one per conv1 map. Select a map, then a cell.",
    variants: [
      { layer: "relu2", label: "after ReLU", size: 14 },
      { layer: "pool2", label: "after max pooling", size: 7 },
    ],
  },
];
// Maps and side of each layer shown, by layer name (relu1, pool1, relu2, pool2), from BLOCKS.
const SHOWN = BLOCKS.flatMap((block) => block.variants.map((variant) => [variant, block.channels]));
const CHANNELS = Object.fromEntries(SHOWN.map(([variant, channels]) => [variant.layer, channels]));
const SIZES = Object.fromEntries(SHOWN.map(([variant]) => [variant.layer, variant.size]));
const BLOCK_OF = { relu1: "conv1", pool1: "conv1", relu2: "conv2", pool2: "conv2" };
const NAMES = { relu1: "conv1 after ReLU", pool1: "conv1 after pooling (pool1)",
  relu2: "conv2 after ReLU", pool2: "conv2 after pooling (pool2)" };
const FC1_COLUMNS = 128;

export function createNetworkView() {
  let result = null; // the latest inspect_drawing / inspect_input result
  let overview = null; // kernels and receptive fields (cnnlab.inside.overview)
  const selected = { layer: "relu1", channel: 0, i: 14, j: 14 };
  const scales = {}; // layer -> largest activation (one colour scale per layer)

  // --- the map grids ----------------------------------------------------------------------
  const grids = {}; // layer -> {grid, buttons: [{button, canvas}]}
  const switches = {}; // block name -> {layer -> switch button}
  const blocks = BLOCKS.map((block) => {
    switches[block.name] = {};
    const variantButtons = block.variants.map((variant) => {
      const button = el("button", {
        type: "button", class: "cnnlab-draw__variant", "data-layer": variant.layer,
        "aria-pressed": String(variant === block.variants[0]),
        onclick: () => showVariant(block, variant.layer),
      }, `${variant.label} · ${variant.size}×${variant.size}`);
      switches[block.name][variant.layer] = button;
      return button;
    });
    const variantGrids = block.variants.map((variant, k) => {
      const buttons = Array.from({ length: CHANNELS[variant.layer] }, (_, channel) => {
        const canvas = el("canvas", { width: variant.size, height: variant.size });
        const button = el("button", {
          type: "button", class: "cnnlab-draw__map", testid: "map", "data-layer": variant.layer,
          "data-channel": channel, "aria-pressed": "false",
          "aria-label": `${NAMES[variant.layer]}, map ${channel + 1} of ${CHANNELS[variant.layer]}`,
          onclick: () => select(variant.layer, channel),
        }, canvas);
        blank(canvas, variant.size, variant.size);
        return { button, canvas };
      });
      const grid = el("div", { class: `cnnlab-draw__maps cnnlab-draw__maps--${variant.layer}`, hidden: k > 0 },
        buttons.map((b) => b.button));
      grids[variant.layer] = { grid, buttons };
      return grid;
    });
    return el("section", { class: "cnnlab-draw__block", "aria-label": block.title },
      el("div", { class: "cnnlab-draw__block-head" },
        el("h3", { class: "cnnlab-draw__subtitle" }, block.title),
        el("div", { class: "cnnlab-draw__switch", testid: "map-variant", role: "group",
          "aria-label": `${block.name}: which maps` }, variantButtons)),
      el("p", { class: "cnnlab-draw__note" }, block.note),
      variantGrids);
  });

  // --- the selected map -------------------------------------------------------------------
  const zoomCanvas = el("canvas", { width: 28, height: 28 });
  const cellMark = el("div", { class: "cnnlab-draw__cell", "aria-hidden": "true" });
  const zoom = el("div", {
    class: "cnnlab-draw__zoom", testid: "map-detail", tabindex: "0", role: "application",
    "aria-label": "Selected feature map: arrow keys choose a cell",
  }, zoomCanvas, cellMark);
  const zoomTitle = el("p", { class: "cnnlab-draw__detail-title" });
  const inputCanvas = el("canvas", { width: 28, height: 28 });
  const field = el("div", { class: "cnnlab-draw__field", testid: "receptive-field", "aria-hidden": "true" });
  const fieldText = el("p", { class: "cnnlab-draw__caption" });
  const kernelGrid = el("div", { class: "cnnlab-draw__kernel", testid: "kernel" });
  const kernelText = el("p", { class: "cnnlab-draw__caption" });
  blank(zoomCanvas, 28, 28);
  blank(inputCanvas, 28, 28);
  const detail = el("section", { class: "cnnlab-draw__detail", "aria-label": "Selected feature map" },
    zoomTitle,
    el("div", { class: "cnnlab-draw__detail-body" },
      el("figure", { class: "cnnlab-draw__figure" }, zoom,
        el("figcaption", {}, "the map: select a cell")),
      el("figure", { class: "cnnlab-draw__figure" },
        el("div", { class: "cnnlab-draw__input-frame" }, inputCanvas, field),
        el("figcaption", {}, fieldText)),
      el("figure", { class: "cnnlab-draw__figure cnnlab-draw__figure--kernel" }, kernelGrid,
        el("figcaption", {}, kernelText))));

  zoom.addEventListener("pointerdown", (event) => {
    const box = zoomCanvas.getBoundingClientRect();
    const size = SIZES[selected.layer];
    const i = Math.floor(((event.clientY - box.top) / box.height) * size);
    const j = Math.floor(((event.clientX - box.left) / box.width) * size);
    if (i >= 0 && i < size && j >= 0 && j < size) selectCell(i, j);
  });
  zoom.addEventListener("keydown", (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const size = SIZES[selected.layer];
    const [di, dj] = moves[event.key];
    selectCell(Math.min(size - 1, Math.max(0, selected.i + di)), Math.min(size - 1, Math.max(0, selected.j + dj)));
  });

  // --- fc1 and the logits -----------------------------------------------------------------
  const fc1Canvas = el("canvas", { class: "cnnlab-draw__strip", testid: "fc1", width: FC1_COLUMNS, height: 1024 / FC1_COLUMNS,
    role: "img", "aria-label": "fc1: 1024 activations after ReLU" });
  blank(fc1Canvas, 1024 / FC1_COLUMNS, FC1_COLUMNS);
  const logitItems = Array.from({ length: 10 }, (_, digit) => el("li", { "data-digit": digit },
    el("span", { class: "cnnlab-draw__digit" }, String(digit)),
    el("span", { class: "cnnlab-draw__signed" }, el("span", { class: "cnnlab-draw__signed-fill" })),
    el("span", { class: "cnnlab-draw__number" }, "")));
  const logits = el("ol", { class: "cnnlab-draw__logits", testid: "logits", "aria-label": "logits" }, logitItems);
  const dense = el("section", { class: "cnnlab-draw__dense", "aria-label": "Fully connected layers" },
    el("h3", { class: "cnnlab-draw__subtitle" }, "fc1: 1024 units"),
    el("p", { class: "cnnlab-draw__note" },
      "The 64 pooled 7×7 maps, flattened to 3136 numbers, feed 1024 units; their activations after ReLU, 128 per row:"),
    fc1Canvas,
    el("h3", { class: "cnnlab-draw__subtitle" }, "fc2: the logits"),
    el("p", { class: "cnnlab-draw__note" }, "Ten scores, one per digit; softmax turns them into the probabilities above."),
    logits);

  const element = el("div", { class: "cnnlab-draw__network", testid: "feature-maps" }, blocks, detail, dense);

  // --- behaviour --------------------------------------------------------------------------
  function showVariant(block, layer) {
    block.variants.forEach((variant) => {
      grids[variant.layer].grid.hidden = variant.layer !== layer;
      switches[block.name][variant.layer].setAttribute("aria-pressed", String(variant.layer === layer));
    });
    if (BLOCK_OF[selected.layer] === block.name) select(layer, selected.channel);
  }

  function select(layer, channel) {
    const size = SIZES[layer];
    if (BLOCK_OF[layer] !== BLOCK_OF[selected.layer]) {
      selected.i = selected.j = Math.floor(size / 2);
    } else {  // the same cell, at the other variant's resolution
      selected.i = Math.floor((selected.i * size) / SIZES[selected.layer]);
      selected.j = Math.floor((selected.j * size) / SIZES[selected.layer]);
    }
    Object.assign(selected, { layer, channel });
    Object.values(grids).forEach(({ buttons }) => buttons.forEach(({ button }) => {
      const on = button.dataset.layer === layer && Number(button.dataset.channel) === channel;
      button.setAttribute("aria-pressed", String(on));
    }));
    drawDetail();
  }

  function selectCell(i, j) {
    Object.assign(selected, { i, j });
    drawDetail();
  }

  function drawDetail() {
    const { layer, channel, i, j } = selected;
    const size = SIZES[layer];
    zoom.dataset.layer = layer;
    zoom.dataset.channel = channel;
    zoom.dataset.i = i;
    zoom.dataset.j = j;
    zoomTitle.textContent = `${NAMES[layer]}, map ${channel + 1} of ${CHANNELS[layer]} (${size}×${size})`;
    if (result) {
      paint(zoomCanvas, result.feature_maps[layer].data, {
        height: size, width: size, offset: channel * size * size, scale: scales[layer], colours: INFERNO,
      });
      paintImage(inputCanvas, result.input);
    } else {
      blank(zoomCanvas, size, size);
      blank(inputCanvas, 28, 28);
    }
    Object.assign(cellMark.style, { top: `${(100 * i) / size}%`, left: `${(100 * j) / size}%`,
      width: `${100 / size}%`, height: `${100 / size}%` });
    const value = result ? result.feature_maps[layer].get(channel, i, j) : null;
    drawField(layer, i, j, value);
    drawKernel(layer, channel);
  }

  function drawField(layer, i, j, value) {
    if (!overview) {
      field.hidden = true;
      fieldText.textContent = "";
      return;
    }
    const table = overview.receptive_fields[layer];
    const [top, bottom, left, right] = [0, 1, 2, 3].map((k) => table.get(i, j, k));
    Object.assign(field.dataset, { top, bottom, left, right });
    Object.assign(field.style, { top: `${(100 * top) / 28}%`, left: `${(100 * left) / 28}%`,
      height: `${(100 * (bottom - top + 1)) / 28}%`, width: `${(100 * (right - left + 1)) / 28}%` });
    field.hidden = false;
    const shown = value === null ? "" : ` = ${value.toFixed(3)}`;
    fieldText.textContent = `cell (${i}, ${j})${shown} sees input rows ${top}–${bottom}, ` +
      `columns ${left}–${right} (${bottom - top + 1}×${right - left + 1} pixels)`;
  }

  function drawKernel(layer, channel) {
    if (BLOCK_OF[layer] !== "conv1") {
      kernelGrid.replaceChildren();
      kernelGrid.hidden = true;
      kernelText.textContent = `Its kernel is 32×5×5 (800 weights and a bias): one 5×5 slice per conv1 map, summed.`;
      return;
    }
    kernelGrid.hidden = false;
    if (!overview) {
      kernelText.textContent = "conv1's kernel (loading)";
      return;
    }
    const kernels = overview.kernels;
    const values = Array.from(kernels.data.subarray(channel * 25, channel * 25 + 25));
    const scale = Math.max(...values.map(Math.abs));
    kernelGrid.replaceChildren(...values.map((value) => el("span", {
      class: "cnnlab-draw__weight", "data-value": value, title: value.toFixed(4),
      style: `background: ${signedBackground(value, scale)}`,
    }, value.toFixed(2))));
    const bias = overview.kernel_bias.data[channel];
    kernelText.textContent = `its 5×5 kernel (red > 0, blue < 0), bias ${bias.toFixed(3)}`;
  }

  function drawMaps() {
    for (const layer of Object.keys(CHANNELS)) {
      const size = SIZES[layer];
      const data = result.feature_maps[layer].data;
      scales[layer] = maximum(data);
      grids[layer].buttons.forEach(({ canvas }, channel) => {
        paint(canvas, data, { height: size, width: size, offset: channel * size * size, scale: scales[layer] });
      });
    }
  }

  function drawDense() {
    paint(fc1Canvas, result.fc1.data, { height: 1024 / FC1_COLUMNS, width: FC1_COLUMNS, scale: maximum(result.fc1.data) });
    const values = Array.from(result.logits.data);
    const scale = Math.max(...values.map(Math.abs)) || 1;
    logitItems.forEach((item, digit) => {
      const value = values[digit];
      item.dataset.value = value;
      const fill = item.querySelector(".cnnlab-draw__signed-fill");
      fill.style.width = `${(50 * Math.abs(value)) / scale}%`;
      fill.style.left = value >= 0 ? "50%" : `${50 - (50 * Math.abs(value)) / scale}%`;
      fill.classList.toggle("is-negative", value < 0);
      item.querySelector(".cnnlab-draw__number").textContent = value.toFixed(2);
    });
  }

  select(selected.layer, selected.channel);

  return {
    element,
    setOverview(value) {
      overview = value;
      drawDetail();
    },
    show(value) {
      result = value;
      drawMaps();
      drawDense();
      drawDetail();
    },
    clear() {
      result = null;
      Object.entries(grids).forEach(([layer, { buttons }]) => buttons.forEach(({ canvas }) => blank(canvas, SIZES[layer], SIZES[layer])));
      blank(fc1Canvas, 1024 / FC1_COLUMNS, FC1_COLUMNS);
      logitItems.forEach((item) => {
        delete item.dataset.value;
        item.querySelector(".cnnlab-draw__signed-fill").style.width = "0";
        item.querySelector(".cnnlab-draw__number").textContent = "";
      });
      drawDetail();
    },
  };
}
