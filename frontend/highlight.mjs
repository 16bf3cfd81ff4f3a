/*
 * How Python code is coloured, shared by the cells' editor (editor.js, in the browser) and the
 * build (cell-view.mjs, which renders each cell's code as the editor will show it). Both mark
 * the same tokens with the same classes; their colours are in docs/assets/stylesheets/cnnlab.css
 * (mkdocs-material's code colours, so they follow the light/dark palette).
 */
import { tagHighlighter, tags } from "@lezer/highlight";

export const highlighter = tagHighlighter([
  { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword], class: "cnnlab-hl-keyword" },
  { tag: [tags.string, tags.special(tags.string)], class: "cnnlab-hl-string" },
  { tag: [tags.number, tags.bool, tags.null], class: "cnnlab-hl-number" },
  { tag: tags.comment, class: "cnnlab-hl-comment" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], class: "cnnlab-hl-function" },
  { tag: [tags.definition(tags.variableName), tags.className], class: "cnnlab-hl-name" },
  { tag: [tags.operator, tags.punctuation, tags.bracket], class: "cnnlab-hl-punctuation" },
  { tag: [tags.self, tags.constant(tags.variableName)], class: "cnnlab-hl-constant" },
]);
