/*
 * Example widget: the output size of a 1-D convolution, o = floor((n + 2p - m) / s) + 1,
 * computed by cnnlab.signal.output_size in the page's Python. Invalid input shows cnnlab's
 * ValueError next to the widget. Options (from the ```widget block): n, m, p, s.
 */
const FIELDS = [
  ["n", "input size n"],
  ["m", "kernel size m"],
  ["p", "padding p"],
  ["s", "stride s"],
];

CNNLab.widgets.register("output-size", (element, options, runtime) => {
  const form = document.createElement("form");
  form.className = "cnnlab-form";
  const inputs = FIELDS.map(([name, label]) => {
    const field = document.createElement("label");
    const input = document.createElement("input");
    input.type = "number";
    input.name = name;
    input.value = options[name] ?? (name === "s" ? 1 : 0);
    input.dataset.testid = `input-${name}`;
    field.append(`${label} `, input);
    form.append(field);
    return input;
  });
  const result = document.createElement("output");
  result.dataset.testid = "result";
  result.setAttribute("aria-live", "polite");
  element.replaceChildren(form, result);

  const update = async () => {
    const [n, m, p, s] = inputs.map((input) => Number(input.value));
    result.dataset.state = "running";
    try {
      const o = await runtime.call("cnnlab.signal.output_size", [n, m], { p, s }, { latest: "size" });
      result.textContent = `o = ⌊(${n} + 2·${p} − ${m}) / ${s}⌋ + 1 = ${o}`;
      result.dataset.state = "done";
    } catch (error) {
      if (error.name === "SupersededError") return;
      result.textContent = error.name === "ValueError" ? error.message : `${error.name}: ${error.message}`;
      result.dataset.state = "error";
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("submit", (event) => event.preventDefault());
  runtime.onReady(update); // again after Stop or Retry, when Python is back
});
