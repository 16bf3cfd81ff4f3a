/*
 * The pages' math, typeset by KaTeX when the site is built (hooks/math_typeset.py), so that
 * pages need only KaTeX's styles and fonts, no script: the markup is the one KaTeX's
 * auto-render would make in the browser from the same text (pymdownx.arithmatex's \(...\)
 * and \[...\]), with the same delimiters.
 *
 * Runs under Node as a long-lived helper: each line on stdin is a JSON array of the texts of a
 * page's math elements, answered by one line on stdout, a JSON array of {html, error}: the
 * element's new content, and the message of a formula KaTeX could not parse (left as TeX).
 */
import katex from "katex";
import { createInterface } from "node:readline";

const DELIMITERS = [
  { left: "$$", right: "$$", display: true },
  { left: "$", right: "$", display: false },
  { left: "\\(", right: "\\)", display: false },
  { left: "\\[", right: "\\]", display: true },
];
const escape = (text) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\u00a0/g, "&nbsp;");

/** Where `right` closes math that starts at `start`, skipping braces and escapes (auto-render's rule). */
function endOfMath(right, text, start) {
  let braces = 0;
  for (let index = start; index < text.length; index += 1) {
    if (braces <= 0 && text.startsWith(right, index)) return index;
    if (text[index] === "\\") index += 1;
    else if (text[index] === "{") braces += 1;
    else if (text[index] === "}") braces -= 1;
  }
  return -1;
}

/** `text` with its math typeset: text stays text, each formula becomes <span>KaTeX</span>. */
function typeset(text) {
  let html = "";
  let error = null;
  let rest = text;
  for (;;) {
    const starts = DELIMITERS.map((d) => rest.indexOf(d.left)).filter((i) => i >= 0);
    if (!starts.length) break;
    const at = Math.min(...starts);
    const delimiter = DELIMITERS.find((d) => rest.startsWith(d.left, at));
    const end = endOfMath(delimiter.right, rest, at + delimiter.left.length);
    if (end === -1) break;
    html += escape(rest.slice(0, at));
    const raw = rest.slice(at, end + delimiter.right.length);
    const tex = rest.slice(at + delimiter.left.length, end);
    try {
      html += `<span>${katex.renderToString(tex, { displayMode: delimiter.display })}</span>`;
    } catch (caught) {
      if (!(caught instanceof katex.ParseError)) throw caught;
      error = caught.message;
      html += escape(raw);
    }
    rest = rest.slice(end + delimiter.right.length);
  }
  return { html: html + escape(rest), error };
}

const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on("line", (line) => {
  process.stdout.write(`${JSON.stringify(JSON.parse(line).map(typeset))}\n`);
});
