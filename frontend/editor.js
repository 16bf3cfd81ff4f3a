/*
 * The code cells' editor: CodeMirror 6 from npm, bundled by esbuild into
 * assets/vendor/codemirror.js when the site is built (hooks/site_runtime.py).
 * Colours come from mkdocs-material's CSS variables, so the editor follows the
 * light/dark palette.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { tags } from "@lezer/highlight";

const color = (name) => `var(--md-code-hl-${name}-color)`;

const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword], color: color("keyword") },
  { tag: [tags.string, tags.special(tags.string)], color: color("string") },
  { tag: [tags.number, tags.bool, tags.null], color: color("number") },
  { tag: tags.comment, color: color("comment"), fontStyle: "italic" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: color("function") },
  { tag: [tags.definition(tags.variableName), tags.className], color: color("name") },
  { tag: [tags.operator, tags.punctuation, tags.bracket], color: color("punctuation") },
  { tag: [tags.self, tags.constant(tags.variableName)], color: color("constant") },
]);

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
 * @returns {{getCode(): string, setCode(code: string): void, focus(): void}}
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
        syntaxHighlighting(highlight),
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
    focus: () => view.focus(),
  };
}
