/*
 * CNN Lab's page script (an ES module, loaded on every page via mkdocs.yml extra_javascript).
 *
 * On each page that runs Python (it has a [data-testid="runtime-status"] element, added by
 * hooks/page_runtime.py) it starts one Web Worker with Pyodide, shows its progress, and sets
 * up the page's code cells, exercises and widgets. With mkdocs-material's instant navigation the page
 * changes without a reload: `document$` emits, and the previous page's worker, unless it failed
 * or is running a cell (which might never end), is kept (across pages without Python too) and
 * handed to the next page that runs Python: one Python for the whole visit, a fresh namespace
 * for each page.
 *
 * Globals for widget modules: CNNLab.widgets.register(name, mount), CNNLab.runtime (the
 * current page's Runtime, see runtime.js), CNNLab.NDArray.
 * How to write cells and widgets: docs/contributing/authoring.md.
 */
import { mountCells } from "./cells.js";
import { mountExercises, mountProgress } from "./exercises.js";
import { NDArray, Runtime, showStatus } from "./runtime.js";
import { mountWidgets, register } from "./widgets.js";

const here = new URL(import.meta.url);
const siteRoot = new URL("../../../", here); // this file is assets/javascripts/cnnlab/main.js
const workerURL = new URL("worker.js", here);
const editorURL = new URL("../../vendor/codemirror.js", here);
const widgetsBase = new URL("../widgets/", here);

let current = null; // {status, runtime, cleanups}
let kept = null; // the worker a page left behind, for the next page that runs Python

const CNNLab = {
  widgets: { register },
  runtime: null,
  NDArray,
  page: null,
  // Asked by the next page's inline script (hooks/page_runtime.py) before this one is left:
  // whether a worker will be handed over, so that it starts none.
  keepsPython: () => Boolean(kept) || Boolean(current && current.runtime.canHandOver()),
};
window.CNNLab = CNNLab;

/** Page text naming the runtime's versions (filled in at build time) says what really runs. */
function showVersions(runtime) {
  for (const span of document.querySelectorAll("[data-runtime-version]")) {
    const version = runtime.versions[span.dataset.runtimeVersion];
    if (version) span.textContent = version;
  }
}

function leavePage() {
  if (!current) return;
  current.cleanups.forEach((cleanup) => cleanup());
  const worker = current.runtime.handOver();
  if (worker) {
    if (kept) kept.terminate();
    kept = worker;
  }
  current = null;
  CNNLab.runtime = null;
  CNNLab.page = null;
}

async function enterPage() {
  const status = document.querySelector('[data-testid="runtime-status"]');
  if (current && current.status === status) return; // same page (e.g. an anchor link)
  leavePage();
  mountProgress(document.querySelector("article") || document.body, siteRoot);
  if (!status) return;
  // The page's inline script (hooks/page_runtime.py) started the worker as the page opened,
  // unless the previous page left one.
  const early = status.cnnlabWorker || null;
  delete status.cnnlabWorker;
  const handed = early ? null : kept;
  if (kept && !handed) kept.terminate();
  kept = null;
  const runtime = new Runtime(JSON.parse(status.dataset.config), workerURL, early, handed);
  const page = { runtime, path: location.pathname.slice(siteRoot.pathname.length), cells: [] };
  current = { status, runtime, cleanups: [showStatus(status, runtime), runtime.onReady(showVersions)] };
  CNNLab.runtime = runtime;
  CNNLab.page = page;
  // The runtime starts (or takes over the worker) now, in the background: the worker keeps the
  // page free.
  runtime.start();
  const content = status.closest("article") || document.body;
  mountCells(content, page, editorURL);
  mountExercises(content, page, editorURL);
  const cleanups = await mountWidgets(content, runtime, widgetsBase);
  if (current && current.runtime === runtime) current.cleanups.push(...cleanups);
  else cleanups.forEach((cleanup) => cleanup());
}

if (window.document$) window.document$.subscribe(() => enterPage());
else enterPage();
