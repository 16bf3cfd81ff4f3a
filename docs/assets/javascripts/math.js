// Typesets the page's math (pymdownx.arithmatex, generic mode) with the self-hosted KaTeX,
// again after each instant navigation. Only a page with math loads KaTeX (its script, styles
// and fonts), after the page is shown; formulas are typeset a few at a time, each batch in a
// task of its own, so that the page never stops responding for long.
(() => {
  const katexBase = new URL("../vendor/katex/", document.currentScript.src);
  const BATCH_MS = 15; // typeset formulas for this long, then let the browser do other work
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];
  let katexLoaded = null;
  let pageNumber = 0; // a newer page stops the typesetting of an older one

  function load(tag, attributes) {
    return new Promise((resolve, reject) => {
      const element = Object.assign(document.createElement(tag), attributes);
      element.onload = resolve;
      element.onerror = () => reject(new Error(`${attributes.href || attributes.src} did not load`));
      document.head.append(element);
    });
  }

  function loadKatex() {
    katexLoaded ??= Promise.all([
      load("link", { rel: "stylesheet", href: new URL("katex.min.css", katexBase).href }),
      load("script", { src: new URL("katex.min.js", katexBase).href, async: false }),
      // auto-render finds KaTeX as it starts: `async: false` keeps the order.
      load("script", { src: new URL("contrib/auto-render.min.js", katexBase).href, async: false }),
    ]);
    return katexLoaded;
  }

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  async function typeset(body) {
    await nextTask(); // not in the theme's task that shows the page
    const formulas = [...body.querySelectorAll(".arithmatex")];
    if (!formulas.length) return;
    const page = ++pageNumber;
    await loadKatex();
    let started = performance.now();
    for (const formula of formulas) {
      if (page !== pageNumber) return;
      if (performance.now() - started > BATCH_MS) {
        await nextTask();
        started = performance.now();
      }
      if (formula.isConnected) renderMathInElement(formula, { delimiters });
    }
  }

  document$.subscribe(({ body }) => {
    typeset(body).catch((error) => {
      // Without KaTeX the formulas stay as TeX, which is readable; say why once.
      console.warn(`Math is shown as TeX: ${error.message}`);
    });
  });
})();
