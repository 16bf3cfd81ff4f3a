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

const STOPPED_NOTE =
  "Stopped: the page's Python was ended and restarted. Variables from earlier cells are gone; " +
  "running a cell runs the cells above it again first.\n";

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: edits are simply not kept
  }
}

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

function button(label, testid, title) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `cnnlab-button cnnlab-button--${testid}`;
  element.dataset.testid = testid;
  element.textContent = label;
  element.title = title;
  return element;
}

class Cell {
  constructor(element, page, loadEditor) {
    this.element = element;
    this.page = page;
    this.loadEditor = loadEditor;
    this.index = Number(element.dataset.cellIndex);
    this.label = `<cell ${this.index + 1}>`;
    this.shared = !("fresh" in element.dataset);
    this.buildless = "nobuild" in element.dataset;
    this.view = element.querySelector('[data-testid="code-view"]');
    const lines = this.view.querySelectorAll(".cnnlab-code__line");
    this.original = [...lines].map((line) => line.textContent).join("\n");
    this.ranIn = 0; // the runtime generation this cell last ran in
    this.running = false;
    this.note = ""; // what the output says while the cell runs
    this.storageKey = `cnnlab:cell:${page.path}#${this.index}:${element.dataset.hash}`;
    this.editorHost = element.querySelector('[data-testid="code-editor"]');
    this.output = element.querySelector('[data-testid="output"]');
    this.editorLabel = `Python code, cell ${this.index + 1}. Ctrl+Enter runs it; Escape then Tab leaves the editor.`;

    this.run = button("Run", "run", "Run this cell (Ctrl+Enter)");
    this.reset = button("Reset", "reset", "Back to the page's code");
    this.stop = button("Stop", "stop", "Stop Python (restarts it)");
    this.stop.disabled = true;
    const bar = document.createElement("div");
    bar.className = "cnnlab-cell__bar";
    this.hint = document.createElement("span");
    this.hint.className = "cnnlab-cell__hint";
    this.hint.textContent = `${/Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl"}+Enter runs`;
    bar.append(this.run, this.reset, this.stop, this.hint);
    this.editorHost.after(bar);

    this.run.addEventListener("click", () => this.runWithPrerequisites());
    this.reset.addEventListener("click", () => this.resetCode());
    this.stop.addEventListener("click", () => page.runtime.restart(STOPPED_NOTE));
    this.code = this.saved() ?? this.original;
    this.markEdited();
    page.runtime.onStatus(() => this.followRuntime());

    // Until the editor exists, the code stands in for it: focusable, labelled like it.
    this.view.tabIndex = 0;
    this.view.setAttribute("role", "textbox");
    this.view.setAttribute("aria-multiline", "true");
    this.view.setAttribute("aria-label", this.editorLabel);
    this.view.addEventListener("focus", () => this.openEditor());
    this.view.addEventListener("pointerdown", (event) => {
      // A click puts the editor's cursor where it was; a touch focuses the code (then the
      // editor) only when it is a tap, not a scroll.
      if (event.pointerType !== "mouse" || event.button !== 0) return;
      event.preventDefault(); // no focus, no selection on the code that is about to go
      this.openEditor({ x: event.clientX, y: event.clientY });
    });
    this.view.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) this.runWithPrerequisites();
    });
  }

  /** Create the editor in place of the code, once; false if it could not load. */
  async ensureEditor() {
    if (!this.editor) {
      let createEditor;
      try {
        createEditor = await this.loadEditor();
      } catch (error) {
        this.hint.textContent = `The editor could not load (${error.message}); Run runs the code shown.`;
        return false;
      }
      if (!this.editor && this.element.isConnected) this.mountEditor(createEditor);
    }
    return Boolean(this.editor);
  }

  /** The editor, focused, its cursor at the point `at` (client coordinates) if given. */
  async openEditor(at) {
    if (await this.ensureEditor()) this.editor.focus(at);
  }

  saved() {
    const store = storage();
    if (!store) return null;
    // Edits of an older version of the author's code are stale: drop them.
    const prefix = this.storageKey.slice(0, this.storageKey.lastIndexOf(":") + 1);
    for (let i = store.length - 1; i >= 0; i -= 1) {
      const key = store.key(i);
      if (key.startsWith(prefix) && key !== this.storageKey) store.removeItem(key);
    }
    return store.getItem(this.storageKey);
  }

  mountEditor(createEditor) {
    this.editor = createEditor({
      parent: this.editorHost,
      doc: this.code,
      label: this.editorLabel,
      onRun: () => this.runWithPrerequisites(),
      onChange: (code) => this.edited(code),
    });
    this.view.remove();
    this.element.classList.add("cnnlab-cell--editable");
  }

  edited(code) {
    this.code = code;
    const store = storage();
    if (store) {
      if (code === this.original) store.removeItem(this.storageKey);
      else store.setItem(this.storageKey, code);
    }
    this.markEdited();
  }

  markEdited() {
    this.element.classList.toggle("cnnlab-cell--edited", this.code !== this.original);
    this.reset.disabled = this.code === this.original;
  }

  resetCode() {
    this.editor?.setCode(this.original);
    this.edited(this.original);
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
      const result = await runtime.run(this.code, { label: this.label, fresh: !this.shared });
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
  let editorModule = null;
  const loadEditor = () => {
    editorModule ??= import(editorURL.href).then(({ createEditor }) => createEditor);
    return editorModule;
  };
  const elements = [...container.querySelectorAll('[data-testid="code-cell"]')];
  setTimeout(async () => {
    page.cells = elements.filter((element) => element.isConnected).map((element) => new Cell(element, page, loadEditor));
    // Cells with kept edits show them in their editor: one editor per task.
    for (const cell of page.cells.filter((c) => c.code !== c.original)) {
      await cell.ensureEditor();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }, 0);
}
