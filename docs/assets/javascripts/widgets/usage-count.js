/*
 * usage-count: how many outputs of a stride-1 convolution read each input element, for the
 * padding modes full / same / valid. Python (cnnlab.signal.padding_for, cnnlab.pages.explain.input_usage,
 * cnnlab.signal.output_size) computes; this draws the padded input, a bar per element and the
 * window of every output.
 *
 * Options: n, m (ints), mode ("full" | "same" | "valid").
 * data-testid: input-n, input-m, mode (select), message (errors), summary (text),
 *   usage-cell (data-index in the padded input, data-count, data-padding), window
 *   (data-index = output i, data-start), output-count (o as text).
 */
import { clearProblem, el, messageArea, showProblem, updateOnInput } from "./basics-kit.js";

const USAGE = `
from cnnlab import signal
from cnnlab.pages import explain
padding = signal.padding_for(mode, m)
{"padding": padding, "counts": explain.input_usage(n, m, padding),
 "output_size": signal.output_size(n, m, padding)}
`;
const MAX_N = 16; // what the drawing holds; Python itself takes any size
const MAX_M = 9;

const asInteger = (input) => (input.value.trim() === "" ? null : Number(input.value));

CNNLab.widgets.register("usage-count", (element, options, runtime) => {
  const n = el("input", { testid: "input-n", attrs: { type: "number", min: "1", max: String(MAX_N), step: "1" } });
  const m = el("input", { testid: "input-m", attrs: { type: "number", min: "1", max: String(MAX_M), step: "1" } });
  n.value = options.n ?? 5;
  m.value = options.m ?? 3;
  const mode = el("select", { testid: "mode" },
    ...["valid", "same", "full"].map((name) => el("option", { text: name, attrs: { value: name } })));
  mode.value = options.mode ?? "valid";
  const form = el("form", { className: "cnnlab-form" },
    el("label", {}, "input size n ", n), el("label", {}, "kernel size m ", m), el("label", {}, "padding ", mode));
  const message = messageArea();
  const summary = el("p", { className: "cnnlab-usage__summary", testid: "summary", attrs: { "aria-live": "polite" } });
  const grid = el("div", { className: "cnnlab-usage__grid" });
  const scroller = el("div", { className: "cnnlab-usage__scroll" }, grid);
  element.replaceChildren(form, message, summary, scroller);

  const draw = (result, size, kernel) => {
    const [before, after] = result.padding;
    const counts = Array.from(result.counts.data);
    const o = result.output_size;
    const place = (node, row, column, span = 1) => {
      node.style.gridRow = String(row);
      node.style.gridColumn = `${column + 2} / span ${span}`;
      return node;
    };
    const cells = [
      place(el("span", { className: "cnnlab-usage__name", text: "reads" }), 1, -1),
      place(el("span", { className: "cnnlab-usage__name", text: "xᵖ" }), 2, -1),
    ];
    counts.forEach((count, j) => {
      const padding = j < before || j >= before + size;
      const bar = el("span", { className: "cnnlab-usage__bar" }, el("span", { text: String(count) }));
      bar.style.setProperty("--fill", String(count / kernel));
      const cell = el("span", { className: `cnnlab-usage__cell${padding ? " is-padding" : ""}`, testid: "usage-cell" },
        el("b", { text: padding ? "0" : `x${toSubscript(j - before)}` }));
      Object.assign(cell.dataset, { index: j, count, padding });
      cell.setAttribute("aria-label", `${padding ? "padding zero" : `x[${j - before}]`}: read by ${count} output${count === 1 ? "" : "s"}`);
      cells.push(place(bar, 1, j), place(cell, 2, j));
    });
    for (let i = 0; i < o; i += 1) {
      const span = el("span", { className: "cnnlab-usage__window", testid: "window", text: `y${toSubscript(i)}` });
      Object.assign(span.dataset, { index: i, start: i });
      cells.push(place(span, 3 + i, i, kernel));
    }
    grid.style.setProperty("--columns", counts.length);
    grid.replaceChildren(...cells);

    const real = counts.slice(before, before + size);
    const middle = Math.floor((size - 1) / 2);
    summary.replaceChildren(
      "padding ", el("b", { text: `${before} before, ${after} after` }), " → ",
      el("b", { testid: "output-count", text: String(o) }), ` output${o === 1 ? "" : "s"}, each reading ${kernel} padded inputs. `,
      `The edge x[0] is read ${times(real[0])}, the middle x[${middle}] ${times(real[middle])}.`,
    );
  };

  const update = async () => {
    const vars = { n: asInteger(n), m: asInteger(m), mode: mode.value };
    element.dataset.state = "running";
    try {
      if (vars.n > MAX_N || vars.m > MAX_M) {
        throw Object.assign(new Error(`The drawing holds n ≤ ${MAX_N} and m ≤ ${MAX_M}; got n = ${vars.n}, m = ${vars.m}.`), { name: "ValueError" });
      }
      const result = await runtime.eval(USAGE, vars, { latest: "usage" });
      clearProblem(message);
      element.classList.remove("is-stale");
      draw(result, vars.n, vars.m);
      element.dataset.state = "done";
    } catch (error) {
      if (!showProblem(message, error)) return;
      element.dataset.state = "error";
      element.classList.add("is-stale");
    }
  };
  updateOnInput(form, update, runtime);
});

function times(count) {
  return count === 1 ? "once" : count === 2 ? "twice" : `${count} times`;
}

function toSubscript(number) {
  return String(number).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}
