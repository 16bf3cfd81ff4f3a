/*
 * Editable code, for code cells (cells.js) and exercises (exercises.js).
 *
 * The page shows the code as the build rendered it, looking like the editor
 * (frontend/cell-view.mjs); the editor (CodeMirror) is loaded and takes its place when the
 * visitor clicks or tabs into the code, so opening a page costs no editor. Edits are kept in
 * localStorage under a key that ends in a hash of the author's code: edits of an older version
 * of it are dropped. Ctrl/Cmd+Enter runs; Escape then Tab leaves the editor.
 */

export function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: edits are simply not kept
  }
}

export function button(label, testid, title) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `cnnlab-button cnnlab-button--${testid}`;
  element.dataset.testid = testid;
  element.textContent = label;
  element.title = title;
  return element;
}

let editorModule = null;

/** A loader of the CodeMirror bundle at `editorURL`, imported once, when first needed. */
export function editorLoader(editorURL) {
  return () => {
    editorModule ??= import(editorURL.href).then(({ createEditor }) => createEditor);
    return editorModule;
  };
}

/** Boxes with kept edits show them in their editor as the page opens: one editor per task. */
export async function showKeptEdits(boxes) {
  for (const box of boxes.filter((b) => b.isEdited)) {
    await box.ensureEditor();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

export const RUN_KEYS = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘+Enter" : "Ctrl+Enter";

export class CodeBox {
  /**
   * @param {object} options
   * @param {HTMLElement} options.element  the cell or exercise: gets the classes
   *   cnnlab-cell--editable (its editor exists) and cnnlab-cell--edited
   * @param {string} options.storageKey  where edits are kept; its last ":" part is the hash
   * @param {string} options.label  the editor's accessible name
   * @param {() => Promise<Function>} options.loadEditor  resolves to createEditor
   * @param {() => void} options.onRun  Ctrl/Cmd+Enter
   * @param {(code: string) => void} [options.onEdit]  after each change
   * @param {(error: Error) => void} [options.onEditorError]  the editor could not load
   */
  constructor({ element, storageKey, label, loadEditor, onRun, onEdit = () => {}, onEditorError = () => {} }) {
    Object.assign(this, { element, storageKey, label, loadEditor, onRun, onEdit, onEditorError });
    this.host = element.querySelector('[data-testid="code-editor"]');
    this.view = this.host.querySelector('[data-testid="code-view"]');
    this.original = this.viewText();
    this.editor = null;
    this.code = this.saved() ?? this.original;
    this.markEdited();

    // Until the editor exists, the code stands in for it: focusable, labelled like it.
    this.view.tabIndex = 0;
    this.view.setAttribute("role", "textbox");
    this.view.setAttribute("aria-multiline", "true");
    this.view.setAttribute("aria-label", label);
    this.view.addEventListener("focus", () => this.openEditor());
    this.view.addEventListener("pointerdown", (event) => {
      // A click puts the editor's cursor where it was; a touch focuses the code (then the
      // editor) only when it is a tap, not a scroll.
      if (event.pointerType !== "mouse" || event.button !== 0) return;
      event.preventDefault(); // no focus, no selection on the code that is about to go
      this.openEditor({ x: event.clientX, y: event.clientY });
    });
    this.view.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) onRun();
    });
  }

  viewText() {
    return [...this.view.querySelectorAll(".cnnlab-code__line")].map((line) => line.textContent).join("\n");
  }

  get isEdited() {
    return this.code !== this.original;
  }

  /** Create the editor in place of the code, once; false if it could not load. */
  async ensureEditor() {
    if (!this.editor) {
      let createEditor;
      try {
        createEditor = await this.loadEditor();
      } catch (error) {
        this.onEditorError(error);
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
      parent: this.host,
      doc: this.code,
      label: this.label,
      onRun: () => this.onRun(),
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
    this.onEdit(code);
  }

  markEdited() {
    this.element.classList.toggle("cnnlab-cell--edited", this.isEdited);
  }

  /** Replace the code (Reset, Show solution); in the editor, created for it. */
  async setCode(code) {
    if (await this.ensureEditor()) this.editor.setCode(code);
    this.edited(code);
  }
}
