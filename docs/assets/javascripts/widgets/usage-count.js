/*
 * usage-count: how many outputs of a stride-1 convolution read each input element, for the
 * padding modes full / same / valid. Python (cnnlab.signal.padding_for, cnnlab.explain.input_usage,
 * cnnlab.signal.output_size) computes; this draws the padded input, a bar per element and the
 * window of every output.
 *
 * Options: n, m (ints), mode ("full" | "same" | "valid").
 * data-testid: input-n, input-m, mode (select), message (errors), summary (text),
 *   usage-cell (data-index in the padded input, data-count, data-padding), window
 *   (data-index = output i, data-start), output-count (o as text).
 */
import { el, fieldText, messageArea, numberField, pythonUpdate, updateOnInput } from "./kit.js";

const USAGE = `
from cnnlab import bounds, explain, signal
n, m = bounds.check("usage-count", n=n, m=m).values()
padding = signal.padding_for(mode, m)
{"n": n, "m": m, "padding": padding, "counts": explain.input_usage(n, m, padding),
 "output_size": signal.output_size(n, m, padding)}
`;

CNNLab.widgets.register("usage-count", (element, options, runtime) => {
  const form = el("form", { class: "cnnlab-form" });
  const n = numberField(form, { name: "n", label: "input size n", value: options.n ?? 5 });
  const m = numberField(form, { name: "m", label: "kernel size m", value: options.m ?? 3 });
  const mode = el("select", { testid: "mode" },
    ...["valid", "same", "full"].map((name) => el("option", { text: name, value: name })));
  mode.value = options.mode ?? "valid";
  form.append(el("label", {}, "padding ", mode));
  const message = messageArea();
  const summary = el("p", { class: "cnnlab-usage__summary", testid: "summary", "aria-live": "polite" });
  const grid = el("div", { class: "cnnlab-usage__grid" });
  const scroller = el("div", { class: "cnnlab-usage__scroll" }, grid);
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
      place(el("span", { class: "cnnlab-usage__name", text: "reads" }), 1, -1),
      place(el("span", { class: "cnnlab-usage__name", text: "xᵖ" }), 2, -1),
    ];
    counts.forEach((count, j) => {
      const padding = j < before || j >= before + size;
      const bar = el("span", { class: "cnnlab-usage__bar" }, el("span", { text: String(count) }));
      bar.style.setProperty("--fill", String(count / kernel));
      const cell = el("span", { class: `cnnlab-usage__cell${padding ? " is-padding" : ""}`, testid: "usage-cell" },
        el("b", { text: padding ? "0" : `x${toSubscript(j - before)}` }));
      Object.assign(cell.dataset, { index: j, count, padding });
      cell.setAttribute("aria-label", `${padding ? "padding zero" : `x[${j - before}]`}: read by ${count} output${count === 1 ? "" : "s"}`);
      cells.push(place(bar, 1, j), place(cell, 2, j));
    });
    for (let i = 0; i < o; i += 1) {
      const span = el("span", { class: "cnnlab-usage__window", testid: "window", text: `y${toSubscript(i)}` });
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

  const update = pythonUpdate(() => runtime.eval(USAGE, { n: fieldText(n), m: fieldText(m), mode: mode.value },
    { latest: "usage" }), (result) => draw(result, result.n, result.m), { root: element, message });
  updateOnInput(form, update, runtime);
});

function times(count) {
  return count === 1 ? "once" : count === 2 ? "twice" : `${count} times`;
}

function toSubscript(number) {
  return String(number).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}
