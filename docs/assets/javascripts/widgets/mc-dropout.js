/*
 * Monte-Carlo dropout: a digit between two synthetic digits goes through the pretrained
 * network `passes` times with dropout switched on; per class the chart shows the range of
 * probabilities over the passes (bar), their mean (dot) and the probability with dropout off
 * (tick). Numbers from cnnlab.layer_demos.mc_dropout_summary. Options: first, second, mix,
 * passes.
 *
 * Test ids: input-first, input-second (selects), input-mix (range), mix-value, input-passes,
 * reroll (button); digit (canvas); chart (SVG) with class-row per class (data-class,
 * data-low, data-mean, data-high, data-inference, data-votes); summary; message.
 */
import { el, fieldText, formatNumber, messageArea, numberField, paint, pythonUpdate, svg, updateOnInput } from "./kit.js";

const CODE = `from cnnlab import layer_demos
layer_demos.mc_dropout_summary(first, second, mix, passes=passes, seed=seed)`;
const LEFT = 22; // x of probability 0 in the chart
const WIDTH = 290; // chart width of probability 0..1
const ROW = 20;

function digitSelect(name, label, value) {
  const select = el("select", { testid: `input-${name}`, name },
    ...Array.from({ length: 10 }, (_, d) => el("option", { text: String(d), value: d })));
  select.value = value;
  return [select, el("label", {}, `${label} `, select)];
}

CNNLab.widgets.register("mc-dropout", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form cnnlab-layers__form" });
  const [first, firstLabel] = digitSelect("first", "blend of", options.first ?? 3);
  const [second, secondLabel] = digitSelect("second", "and", options.second ?? 5);
  const mix = el("input", {
    testid: "input-mix",
    type: "range", name: "mix", min: 0, max: 1, step: 0.05, "aria-label": "share of the second digit",
  });
  mix.value = options.mix ?? 0.5;
  const mixValue = el("output", { testid: "mix-value" });
  form.append(firstLabel, secondLabel, el("label", {}, "mix ", mix, " ", mixValue));
  const passes = numberField(form, { name: "passes", label: "passes", value: options.passes ?? 30 });
  const reroll = el("button", { class: "cnnlab-button", text: "New masks", testid: "reroll", type: "button" });
  form.append(reroll);

  const digit = el("canvas", { class: "cnnlab-layers__digit", testid: "digit", "aria-label": "the digit the network sees" });
  const chart = svg("svg", { class: "cnnlab-layers__svg cnnlab-layers__chart", viewBox: `0 0 ${LEFT + WIDTH + 60} ${10 * ROW + 24}`, role: "img" });
  chart.dataset.testid = "chart";
  const summary = el("p", { class: "cnnlab-layers__note", testid: "summary", "aria-live": "polite" });
  const message = messageArea();
  element.replaceChildren(form, message,
    el("div", { class: "cnnlab-layers__panels" }, digit, chart), summary);
  let seed = 0;

  function drawChart(s) {
    const x = (p) => LEFT + WIDTH * p;
    const nodes = [svg("title", {}, "Per class: range of probabilities over the passes with dropout on, their mean, and the probability with dropout off")];
    [0, 0.5, 1].forEach((p) => {
      nodes.push(svg("line", { x1: x(p), x2: x(p), y1: 0, y2: 10 * ROW, stroke: "currentColor", "stroke-opacity": 0.2 }));
      nodes.push(svg("text", { x: x(p), y: 10 * ROW + 14, "text-anchor": "middle", class: "cnnlab-layers__muted" }, String(p)));
    });
    for (let c = 0; c < 10; c += 1) {
      const [low, mean, high, inference] = [s.low, s.mean, s.high, s.inference].map((a) => a.data[c]);
      const votes = s.votes.data[c];
      const y = c * ROW + ROW / 2;
      const row = svg("g", { class: "cnnlab-layers__class-row" });
      Object.assign(row.dataset, { testid: "class-row", class: c, low, mean, high, inference, votes });
      row.append(
        svg("text", { x: 4, y: y + 4 }, String(c)),
        svg("rect", { x: x(low), y: y - 4, width: Math.max(1.5, x(high) - x(low)), height: 8, rx: 2, class: "cnnlab-layers__range" }),
        svg("circle", { cx: x(mean), cy: y, r: 3.5, class: "cnnlab-layers__mean" }),
        svg("line", { x1: x(inference), x2: x(inference), y1: y - 7, y2: y + 7, class: "cnnlab-layers__inference" }),
        svg("text", { x: LEFT + WIDTH + 8, y: y + 4, class: "cnnlab-layers__muted" }, votes ? `won ${votes}×` : ""),
      );
      nodes.push(row);
    }
    chart.replaceChildren(...nodes);
  }

  function render(s) {
    mixValue.textContent = formatNumber(Number(mix.value), 2);
    paint(digit, s.image);
    drawChart(s);
    const n = s.probabilities.shape[0];
    const winners = [...s.votes.data].map((votes, c) => [votes, c]).filter(([votes]) => votes > 0).sort((a, b) => b[0] - a[0]);
    const inferenceTop = s.inference_class;
    summary.textContent = `Over ${n} passes with dropout on: ${winners.map(([votes, c]) => `${c} won ${votes}`).join(", ")}. `
      + `With dropout off the network says ${inferenceTop} (p = ${formatNumber(s.inference.data[inferenceTop], 3)}). `
      + "Bars: lowest to highest probability over the passes; dot: their mean; tick: dropout off.";
  }

  const update = pythonUpdate(() => runtime.eval(CODE, {
    first: Number(first.value), second: Number(second.value), mix: Number(mix.value),
    passes: fieldText(passes), seed,
  }, { latest: "mc-dropout" }), render, { root: element, message });
  reroll.addEventListener("click", () => {
    seed += 1;
    update();
  });
  updateOnInput(form, update, runtime);
});
