/*
 * Widget "training-results": the shipped model's test results from pretrained/manifest.json —
 * misclassified images per digit as bars, and the confusion matrix as a grid to explore.
 * Python reads and summarises the manifest: cnnlab.results.load_results("pretrained").
 *
 * data-testid: accuracy (test accuracy, float32 and compact), bar (one per digit: data-digit,
 * data-accuracy, data-errors), cell (the 100 matrix cells: data-true, data-predicted,
 * data-count; arrow keys move between them), details (the selected cell in words),
 * status (<output>: data-state, messages).
 */
import { el, pythonUpdate } from "./kit.js";

const DIGITS = Array.from({ length: 10 }, (_, d) => d);
const number = new Intl.NumberFormat("en-US");
const KEYS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

CNNLab.widgets.register("training-results", (element, options, runtime) => {
  const accuracy = el("p", { testid: "accuracy", class: "cnnlab-results__accuracy" });
  const bars = el("div", { class: "cnnlab-results__bars", role: "list", "aria-label": "misclassified test images per digit" });
  const grid = el("div", { class: "cnnlab-results__grid", role: "grid", "aria-label": "confusion matrix: rows true digit, columns predicted digit" });
  const details = el("p", { testid: "details", class: "cnnlab-results__details", "aria-live": "polite" });
  const status = el("output", { testid: "status", "aria-live": "polite" });
  element.replaceChildren(
    accuracy,
    el("div", { class: "cnnlab-results__panes" },
      el("figure", { class: "cnnlab-results__pane" }, el("figcaption", {}, "Misclassified test images per digit"), bars),
      el("figure", { class: "cnnlab-results__pane" }, el("figcaption", {}, "Confusion matrix (rows: true, columns: predicted)"), grid)),
    details, status,
  );

  let data = null;
  let cells = [];

  const select = (i, j, focus = false) => {
    cells.forEach((cell) => {
      const on = Number(cell.dataset.true) === i && Number(cell.dataset.predicted) === j;
      cell.tabIndex = on ? 0 : -1;
      cell.setAttribute("aria-selected", String(on));
      if (on && focus) cell.focus();
    });
    const count = data.confusion[i][j];
    const share = `${data.row_percent[i][j].toFixed(2)}% of the ${number.format(data.totals[i])} test images of ${i}`;
    details.textContent = i === j
      ? `${i} recognised as ${i}: ${number.format(count)} images, ${share}.`
      : `${i} taken for ${j}: ${count} image${count === 1 ? "" : "s"}, ${share}.`;
  };

  const render = (result) => {
    data = result;
    const { float32, compact } = result.test_accuracy;
    accuracy.textContent = `Test accuracy ${compact.toFixed(2)}% with the shipped (compact) weights, ${float32.toFixed(2)}% as trained (float32).`;
    const most = Math.max(1, ...result.errors);
    bars.replaceChildren(...DIGITS.map((d) => el("div", {
      class: "cnnlab-results__bar", role: "listitem", testid: "bar",
      "data-digit": d, "data-accuracy": result.per_class_accuracy[d], "data-errors": result.errors[d],
    },
    el("span", { class: "cnnlab-results__digit" }, String(d)),
    el("span", { class: "cnnlab-results__track" }, el("span", { class: "cnnlab-results__fill", style: `width:${(100 * result.errors[d]) / most}%` })),
    el("span", { class: "cnnlab-results__label" }, `${result.errors[d]} wrong · ${result.per_class_accuracy[d].toFixed(2)}%`))));

    const largest = Math.max(1, ...result.confusion.flatMap((row, i) => row.filter((_, j) => j !== i)));
    const header = el("div", { role: "row", class: "cnnlab-results__row" },
      el("span", { role: "columnheader", class: "cnnlab-results__head" }, "↓→"),
      DIGITS.map((d) => el("span", { role: "columnheader", class: "cnnlab-results__head" }, String(d))));
    cells = [];
    const rows = DIGITS.map((i) => el("div", { role: "row", class: "cnnlab-results__row" },
      el("span", { role: "rowheader", class: "cnnlab-results__head" }, String(i)),
      DIGITS.map((j) => {
        const count = result.confusion[i][j];
        const cell = el("button", {
          type: "button", role: "gridcell", testid: "cell", tabindex: -1,
          class: `cnnlab-results__cell${i === j ? " cnnlab-results__cell--diagonal" : ""}`,
          "data-true": i, "data-predicted": j, "data-count": count,
          "aria-label": `true ${i}, predicted ${j}: ${count}`,
          // Off the diagonal, shade by count on a square-root scale so single errors still show.
          style: i === j ? "" : `--cnnlab-shade:${Math.sqrt(count / largest).toFixed(3)}`,
          onclick: () => select(i, j),
          onfocus: () => select(i, j),
        }, count ? String(count) : "");
        cells.push(cell);
        return cell;
      })));
    grid.replaceChildren(header, ...rows);
    const top = result.mistakes[0];
    if (top) select(top.true, top.predicted);
    else select(0, 0);
  };

  grid.addEventListener("keydown", (event) => {
    const move = KEYS[event.key];
    const cell = event.target.closest('[data-testid="cell"]');
    if (!move || !cell) return;
    event.preventDefault();
    const i = Math.min(9, Math.max(0, Number(cell.dataset.true) + move[0]));
    const j = Math.min(9, Math.max(0, Number(cell.dataset.predicted) + move[1]));
    select(i, j, true);
  });

  runtime.onReady(pythonUpdate(() => runtime.call("cnnlab.results.load_results", ["pretrained"]), render,
    { root: element, message: status }));
});
