/*
 * Dropout on a grid of hidden units: the activations, one random mask drawn by
 * cnnlab.layers.dropout (through cnnlab.layer_demos.dropout_demo) with the visitor's p, and
 * the kept units scaled by 1 / (1 - p). "New mask" draws another. Options: p, rows, cols.
 *
 * Test ids: input-p (range), p-value, reroll (button); units-before, units-after (grids of
 * unit: data-row, data-col, data-value, data-kept); kept, scale, mean-before, mean-after,
 * mean-masks, inference (data-value); message (Python's ValueError).
 */
import { el, formatNumber, matrixGrid, messageArea, panel, pythonUpdate, updateOnInput } from "./kit.js";

CNNLab.widgets.register("dropout-mask", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form cnnlab-layers__form" });
  const pInput = el("input", {
    testid: "input-p",
    type: "range", name: "p", min: 0, max: 0.95, step: 0.05, "aria-label": "drop probability p_drop",
  });
  pInput.value = options.p ?? 0.5;
  const pValue = el("output", { testid: "p-value" });
  const reroll = el("button", { class: "cnnlab-button", text: "New mask", testid: "reroll", type: "button" });
  form.append(el("label", {}, "drop rate p_drop ", pInput, " ", pValue), reroll);

  const panels = el("div", { class: "cnnlab-layers__panels cnnlab-layers__panels--units" });
  const facts = el("dl", { class: "cnnlab-layers__facts" });
  const values = {};
  [["kept", "units kept"], ["scale", "kept units × 1 / (1 − p_drop)"], ["mean-before", "mean activation"],
    ["mean-after", "mean after this mask"], ["mean-masks", "mean over many masks"],
    ["inference", "at inference"]].forEach(([testid, label]) => {
    values[testid] = el("dd", { testid });
    facts.append(el("dt", { text: label }), values[testid]);
  });
  const message = messageArea();
  element.replaceChildren(form, message, panels, facts);
  let seed = 0;

  function units(array, testid, kept) {
    const grid = matrixGrid(array, { testid, cellTestid: "unit", label: testid });
    grid.classList.add("cnnlab-layers__grid--units");
    grid.cells.forEach((cell) => {
      const level = Math.min(1, Number(cell.dataset.value) / 2);
      cell.style.setProperty("--level", `${Math.round(60 * level)}%`); // text stays readable
      if (kept) cell.dataset.kept = String(kept.get(Number(cell.dataset.row), Number(cell.dataset.col)) === 1);
    });
    return grid;
  }

  function render(d) {
    const { p } = d;
    pValue.textContent = formatNumber(p, 2);
    panels.replaceChildren(
      panel("activations h (training and inference input)", units(d.activations, "units-before")),
      panel(`after dropout in training: ✕ dropped, the rest × ${formatNumber(d.scale, 2)}`, units(d.training, "units-after", d.kept)),
    );
    const show = (testid, value, text) => {
      values[testid].dataset.value = value;
      values[testid].textContent = text;
    };
    const total = d.kept.size;
    const kept = Math.round(d.kept_fraction * total);
    show("kept", kept, `${kept} of ${total} (expected ${formatNumber((1 - p) * total, 1)})`);
    show("scale", d.scale, formatNumber(d.scale, 3));
    show("mean-before", d.mean_before, formatNumber(d.mean_before, 3));
    show("mean-after", d.mean_training, formatNumber(d.mean_training, 3));
    show("mean-masks", d.mean_over_masks, `${formatNumber(d.mean_over_masks, 3)} (${d.masks.toLocaleString("en-US")} masks)`);
    show("inference", String(d.inference_is_input),
      d.inference_is_input ? "no unit dropped, nothing scaled: h itself" : "not h (unexpected)");
  }

  const update = pythonUpdate(() => runtime.call(
    "cnnlab.layer_demos.dropout_demo",
    [Number(pInput.value)],
    { seed, shape: [options.rows ?? 8, options.cols ?? 8] },
    { latest: "dropout-mask" },
  ), render, { root: element, message });
  reroll.addEventListener("click", () => {
    seed += 1;
    update();
  });
  updateOnInput(form, update, runtime);
});
