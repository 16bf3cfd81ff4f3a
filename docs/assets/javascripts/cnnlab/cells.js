/*
 * Code cells: the ```pyodide blocks of a page (HTML from hooks/code_cells.py).
 *
 * Each cell gets an editor (CodeMirror), Run (also Ctrl/Cmd+Enter), Reset and Stop. The page
 * shows the code as the build rendered it, looking like the editor (frontend/cell-view.mjs);
 * the editor is loaded and takes its place when the visitor clicks or tabs into the code, so
 * opening a page costs no editor (its script and its first layout are long tasks). Cells share
 * the page's Python namespace in page order, like the build: running a cell first runs the
 * shared cells above it that have not run in this Python yet. Edits are kept in localStorage,
 * keyed by page, cell and a hash of the author's code; a cell with kept edits gets its editor
 * as the page opens, to show them.
 */

import { button, CodeBox, editorLoader, RUN_KEYS, showKeptEdits } from "./code-box.js";

const STOPPED_NOTE =
  "Stopped: the page's Python was ended and restarted. Variables from earlier cells are gone; " +
  "running a cell runs the cells above it again first.\n";

function renderSegments(output, segments) {
  output.replaceChildren(
    ...segments.map(([kind, text]) => {
      const span = document.createElement("span");
      span.className = `cnnlab-out cnnlab-out--${kind}`;
      span.textContent = text;
      return span;
    }),
  );
}

class Cell {
  constructor(element, page, loadEditor) {
    this.element = element;
    this.page = page;
    this.index = Number(element.dataset.cellIndex);
    this.label = `<cell ${this.index + 1}>`;
    this.shared = !("fresh" in element.dataset);
    this.buildless = "nobuild" in element.dataset;
    this.ranIn = 0; // the runtime generation this cell last ran in
    this.running = false;
    this.note = ""; // what the output says while the cell runs
    this.output = element.querySelector('[data-testid="output"]');
    this.run = button("Run", "run", "Run this cell (Ctrl+Enter)");
    this.reset = button("Reset", "reset", "Back to the page's code");
    this.stop = button("Stop", "stop", "Stop Python (restarts it)");
    this.stop.disabled = true;
    const bar = document.createElement("div");
    bar.className = "cnnlab-cell__bar";
    this.hint = document.createElement("span");
    this.hint.className = "cnnlab-cell__hint";
    this.hint.textContent = `${RUN_KEYS} runs`;
    bar.append(this.run, this.reset, this.stop, this.hint);
    this.run.addEventListener("click", () => this.runWithPrerequisites());
    this.reset.addEventListener("click", () => this.box.setCode(this.box.original));
    this.stop.addEventListener("click", () => page.runtime.restart(STOPPED_NOTE));
    this.box = new CodeBox({
      element,
      storageKey: `cnnlab:cell:${page.path}#${this.index}:${element.dataset.hash}`,
      label: `Python code, cell ${this.index + 1}. ${RUN_KEYS} runs it; Escape then Tab leaves the editor.`,
      loadEditor,
      onRun: () => this.runWithPrerequisites(),
      onEdit: () => this.markEdited(),
      onEditorError: (error) => {
        this.hint.textContent = `The editor could not load (${error.message}); Run runs the code shown.`;
      },
    });
    this.box.host.after(bar);
    this.markEdited();
    page.runtime.onStatus(() => this.followRuntime());
  }

  markEdited() {
    this.reset.disabled = !this.box.isEdited;
  }

  async runWithPrerequisites() {
    if (this.running) return;
    const runtime = this.page.runtime;
    const earlier = this.page.cells.filter(
      (c) => this.shared && c.index < this.index && c.shared && !c.buildless && c.ranIn !== runtime.generation,
    );
    this.begin(earlier.length ? "Running the cells above first…" : "");
    for (const cell of earlier) {
      if (!(await cell.execute())) {
        this.finish([["note", STOPPED_NOTE]], "error");
        return;
      }
    }
    await this.execute();
  }

  begin(text = "") {
    this.running = true;
    this.run.disabled = true;
    this.output.dataset.state = "running";
    this.output.dataset.source = "browser";
    this.note = text;
    this.followRuntime();
  }

  /** A cell waiting for Python says what the runtime does (loading, or failed: Retry); Stop
   * is there only while Python runs it. */
  followRuntime() {
    if (!this.running) return;
    const { state, error } = this.page.runtime;
    this.stop.disabled = state !== "ready";
    this.output.dataset.runtime = state;
    if (state === "error") {
      this.output.textContent = `Python could not be loaded: ${error}. Retry, in the box at the `
        + "top of the page, loads it again; this cell then runs.";
    } else if (state !== "ready") {
      this.output.textContent = "Waiting for Python to load…";
    } else {
      this.output.textContent = this.note || "Running…";
    }
  }

  finish(segments, state) {
    renderSegments(this.output, segments);
    this.output.dataset.state = state;
    this.running = false;
    this.run.disabled = false;
    this.stop.disabled = true;
  }

  /** Run this cell; false if Python was stopped meanwhile. */
  async execute() {
    const runtime = this.page.runtime;
    const generation = runtime.generation;
    this.begin();
    try {
      const result = await runtime.run(this.box.code, { label: this.label, fresh: !this.shared });
      this.ranIn = generation;
      this.finish(result.segments, result.ok ? "done" : "error");
      return true;
    } catch (error) {
      const stopped = error.name === "StoppedError";
      this.finish([["note", stopped ? error.message : `${error.name}: ${error.message}\n`]], "error");
      return !stopped;
    }
  }
}

/**
 * Set up the cells in `container`, in a task of their own after this one (which, as a page
 * opens, is the theme's start: long enough already).
 * @param {{runtime: Runtime, path: string, cells: Cell[]}} page  path: the page's path below
 *   the site root; cells: set here
 * @param {URL} editorURL  the CodeMirror bundle, imported when a cell first needs its editor
 */
export function mountCells(container, page, editorURL) {
  const loadEditor = editorLoader(editorURL);
  const elements = [...container.querySelectorAll('[data-testid="code-cell"]')];
  setTimeout(() => {
    page.cells = elements.filter((element) => element.isConnected).map((element) => new Cell(element, page, loadEditor));
    showKeptEdits(page.cells.map((cell) => cell.box));
  }, 0);
}
