/*
 * Widget "loss-stability": a cross-entropy computed naively (through probabilities) and
 * stably (from logits), side by side, as a logit moves between -1000 and 1000.
 * Python computes: cnnlab.stability.binary_losses / categorical_losses.
 *
 * Options: kind ("binary" | "categorical"), logit (start value), target (0/1, or a class).
 * Binary: one logit z. Categorical: logits (z, 0.8, 2.1), the chapter's example with its
 * first logit on the slider.
 *
 * data-testid: logit-slider (range, logarithmic), logit (number input), target (select),
 * preset (buttons, data-value), probability / probabilities, naive, clamped (binary only),
 * stable (value cells: text as NumPy prints it, data-value the exact number), problems,
 * status (<output>: data-state running/done/error, Python's message on bad input).
 */
import { el, fieldText, formatNumber, pythonUpdate } from "./kit.js";

const LIMIT = 1000;
const OTHER_LOGITS = [0.8, 2.1]; // the chapter's logits after z0
const PRESETS = [-1000, -710, -37, 0.8, 37, 710, 1000];
const ROWS = {
  binary: [
    ["probability", "ŷ = σ(z)"],
    ["naive", "naive: −[t log ŷ + (1 − t) log(1 − ŷ)]"],
    ["clamped", "from ŷ, logs clamped at −100 (PyTorch BCELoss)"],
    ["stable", "stable, from z: max(z, 0) − z t + log(1 + e^−|z|)"],
  ],
  categorical: [
    ["probabilities", "ŷ = softmax(z), naive"],
    ["naive", "naive: −log ŷ_t"],
    ["stable", "stable: −z_t + log-sum-exp(z)"],
  ],
};

// The slider is logarithmic: position u in [-LIMIT, LIMIT] <-> z = sign(u)(1001^(|u|/LIMIT) - 1).
const toLogit = (u) => Math.sign(u) * Math.round(100 * ((LIMIT + 1) ** (Math.abs(u) / LIMIT) - 1)) / 100;
const toPosition = (z) => Math.sign(z) * Math.round((LIMIT * Math.log1p(Math.min(Math.abs(z), LIMIT))) / Math.log(LIMIT + 1));

CNNLab.widgets.register("loss-stability", (element, options, runtime) => {
  const kind = options.kind === "categorical" ? "categorical" : "binary";
  const start = Number(options.logit ?? 0);
  const slider = el("input", {
    type: "range", min: -LIMIT, max: LIMIT, step: 1, value: toPosition(start), testid: "logit-slider",
    "aria-label": kind === "binary" ? "logit z (logarithmic slider)" : "logit z0 (logarithmic slider)",
  });
  const number = el("input", { type: "number", step: "any", value: start, testid: "logit" });
  const classes = kind === "binary" ? [1, 0] : [0, 1, 2];
  const target = el("select", { testid: "target" },
    classes.map((c) => el("option", { value: c, selected: c === Number(options.target ?? classes[0]) }, String(c))));
  const presets = PRESETS.map((value) => el("button", {
    type: "button", class: "cnnlab-button", testid: "preset", "data-value": value,
    onclick: () => { number.value = value; slider.value = toPosition(value); update(); },
  }, String(value)));

  const cells = {};
  const table = el("table", { class: "cnnlab-loss__table" },
    el("tbody", {}, ROWS[kind].map(([key, label]) => {
      cells[key] = el("td", { testid: key, class: "cnnlab-loss__value" });
      return el("tr", {}, el("th", { scope: "row" }, label), cells[key]);
    })));
  const problems = el("p", { testid: "problems", class: "cnnlab-loss__problems", "aria-live": "polite" });
  const status = el("output", { testid: "status", "aria-live": "polite" });
  const logitLabel = kind === "binary" ? "logit z " : "logit z0 ";
  element.replaceChildren(
    el("div", { class: "cnnlab-form cnnlab-loss__controls" },
      el("label", { class: "cnnlab-loss__slider" }, logitLabel, slider),
      el("label", {}, "z = ", number),
      el("label", {}, kind === "binary" ? "target t " : "true class t ", target)),
    el("div", { class: "cnnlab-loss__presets", role: "group", "aria-label": "preset logits" }, "Try ", presets),
    table, problems, status,
  );

  const setValue = (cell, value) => {
    cell.textContent = formatNumber(value, 4);
    cell.dataset.value = String(value);
    cell.classList.toggle("cnnlab-loss__value--bad", !Number.isFinite(value));
  };

  const render = (result) => {
    if (kind === "binary") {
      setValue(cells.probability, result.probability);
      setValue(cells.clamped, result.clamped);
    } else {
      cells.probabilities.textContent = `[${result.probabilities.map((p) => formatNumber(p, 4)).join(", ")}]`;
      cells.probabilities.dataset.value = JSON.stringify(result.probabilities.map(String));
    }
    setValue(cells.naive, result.naive);
    setValue(cells.stable, result.stable);
    problems.textContent = result.problems.length
      ? `Naive path: ${result.problems.join("; ")}.`
      : "Both paths agree: no overflow, no log 0, no rounding trouble.";
  };

  const update = pythonUpdate(() => {
    const z = fieldText(number); // "" when the field is empty or not a number: Python says so
    const t = Number(target.value);
    return kind === "binary"
      ? runtime.call("cnnlab.stability.binary_losses", [z, t], {}, { latest: element })
      : runtime.call("cnnlab.stability.categorical_losses", [[z, ...OTHER_LOGITS], t], {}, { latest: element });
  }, render, { root: element, message: status });

  slider.addEventListener("input", () => { number.value = toLogit(Number(slider.value)); update(); });
  number.addEventListener("input", () => {
    if (Number.isFinite(number.valueAsNumber)) slider.value = toPosition(number.valueAsNumber);
    update();
  });
  target.addEventListener("change", update);
  runtime.onReady(update);
});
