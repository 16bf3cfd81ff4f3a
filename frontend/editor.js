/*
 * The code cells' editor: CodeMirror 6 from npm, bundled by esbuild into
 * assets/vendor/codemirror.js when the site is built (hooks/vendor_assets.py).
 * Colours come from mkdocs-material's CSS variables, so the editor follows the
 * light/dark palette; tokens get the classes of highlight.mjs, as in the code the page shows
 * before the editor is created (cell-view.mjs). The layout here and .cnnlab-code in
 * docs/assets/stylesheets/cnnlab.css must stay the same.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { highlighter } from "./highlight.mjs";

const theme = EditorView.theme({
  "&": {
    color: "var(--md-code-fg-color)",
    backgroundColor: "var(--md-code-bg-color)",
    fontSize: "0.85em",
  },
  ".cm-content": { fontFamily: "var(--md-code-font-family)", caretColor: "var(--md-code-fg-color)" },
  ".cm-cursor": { borderLeftColor: "var(--md-code-fg-color)" },
  ".cm-gutters": {
    backgroundColor: "var(--md-code-bg-color)",
    color: "var(--md-default-fg-color--lighter)",
    border: "none",
  },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--md-code-hl-color--light, transparent)" },
  "&.cm-focused": { outline: "2px solid var(--md-accent-fg-color)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": {
    backgroundColor: "var(--md-code-hl-color) !important",
  },
});

/**
 * Mount an editor in `parent`.
 * @returns {{getCode(): string, setCode(code: string): void, focus(at?: {x: number, y: number}): void}}
 *   focus(at): focus the editor, with the cursor at the point `at` (client coordinates) if given
 */
export function createEditor({ parent, doc, label, onRun, onChange }) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        python(),
        syntaxHighlighting(highlighter),
        theme,
        keymap.of([
          { key: "Mod-Enter", run: () => (onRun(), true) },
          indentWithTab,
          ...defaultKeymap,
          ...historyKeymap,
        ]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    getCode: () => view.state.doc.toString(),
    setCode: (code) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } }),
    focus: (at) => {
      view.focus();
      if (!at) return;
      // After the editor's first measurement (line heights), outside its update cycle.
      view.requestMeasure({
        read: () => view.posAtCoords(at),
        write: (pos) => pos != null && queueMicrotask(() => view.dispatch({ selection: { anchor: pos } })),
      });
    },
  };
}
