/*
 * The code of a cell as the page first shows it: HTML that looks like the cell's editor
 * (line numbers, the editor's own colouring by the Lezer Python parser), rendered when the site
 * is built (hooks/code_cells.py). The page creates the real editor only when the visitor
 * clicks or tabs into the code, so opening a page costs no editor.
 *
 * Runs under Node as a long-lived helper: each line on stdin is a JSON array of code strings,
 * answered by one line on stdout, the JSON array of their HTML.
 */
import { highlightCode } from "@lezer/highlight";
import { parser } from "@lezer/python";
import { createInterface } from "node:readline";
import { highlighter } from "./highlight.mjs";

const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** `code` as lines of highlighted spans, in the editor's layout (see .cnnlab-code in cnnlab.css). */
function cellView(code) {
  const lines = [""];
  highlightCode(
    code,
    parser.parse(code),
    highlighter,
    (text, classes) => {
      lines[lines.length - 1] += classes ? `<span class="${classes}">${escape(text)}</span>` : escape(text);
    },
    () => lines.push(""),
  );
  // An empty line keeps its height with a <br>, as in the editor.
  const content = lines.map((line) => `<div class="cnnlab-code__line">${line || "<br>"}</div>`).join("");
  const gutter = "<div></div>".repeat(lines.length); // numbered by CSS counters: not part of the text
  return (
    '<div class="cnnlab-code" data-testid="code-view"><div class="cnnlab-code__scroller">' +
    `<div class="cnnlab-code__gutter" aria-hidden="true">${gutter}</div>` +
    `<div class="cnnlab-code__content">${content}</div></div></div>`
  );
}

const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on("line", (line) => {
  process.stdout.write(`${JSON.stringify(JSON.parse(line).map(cellView))}\n`);
});
