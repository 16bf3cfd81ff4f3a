/*
 * Exercises: the ```exercise blocks of a page (HTML from hooks/exercises.py), and the list
 * of them all on the progress page (```exercise-progress).
 *
 * An exercise is an editor with the starter code (code-box.js, like a code cell's) and Check
 * (also Ctrl/Cmd+Enter), Hint (one more per press), Show solution, Reset and Stop. Check asks
 * the page's Python for cnnlab.practice.grade(check, code, args); the feedback it returns
 * (kind, message, an optional expected/actual/difference grid, what the code printed) is only
 * drawn here, with DOM APIs: nothing the learner wrote becomes HTML.
 *
 * Test contract: [data-testid="exercise"] with data-state new | failed | solved holds the
 * buttons check, hint, solution, reset and the message area feedback (data-testid).
 * Progress stays in this browser: localStorage "cnnlab:progress:<id>" = "solved" | "tried".
 */

import { button, CodeBox, editorLoader, RUN_KEYS, showKeptEdits, storage } from "./code-box.js";

const PROGRESS = "cnnlab:progress:";
const STATUS_TEXT = { solved: "solved", tried: "tried", new: "not started" };
const SLOW_MS = 3000; // after this, say how to stop a check that may never end
const STOPPED_NOTE = "Stopped: the page's Python was ended and restarted. Press Check to try again.";

function progressOf(id) {
  return storage()?.getItem(PROGRESS + id) || "new";
}

function recordProgress(id, solved) {
  const store = storage();
  if (!store) return;
  // Once solved, an exercise stays solved on the progress page.
  if (solved || store.getItem(PROGRESS + id) !== "solved") store.setItem(PROGRESS + id, solved ? "solved" : "tried");
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A message with `code` spans: the backquoted parts as <code>, all of it as text. */
function messageNode(message) {
  const paragraph = element("p", "cnnlab-feedback__message");
  message.split("`").forEach((part, i) => paragraph.append(i % 2 ? element("code", "", part) : part));
  return paragraph;
}

function table(caption, rows, marked, className = "") {
  const node = element("table", `cnnlab-grid ${className}`);
  node.append(element("caption", "", caption));
  rows.forEach((row, i) => {
    const tr = node.insertRow();
    row.forEach((value, j) => {
      const td = tr.insertCell();
      td.textContent = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, "");
      if (marked && marked(i, j)) td.className = "cnnlab-grid__marked";
    });
  });
  return node;
}

/** The expected / actual / difference picture, its first wrong cell marked, and the window. */
function gridNode(grid) {
  const figure = element("div", "cnnlab-feedback__grids");
  figure.dataset.testid = "feedback-grid";
  const [ci, cj] = grid.cell;
  const atCell = (i, j) => i === ci && j === cj;
  figure.append(table("expected", grid.expected, atCell), table("yours", grid.actual, atCell),
    table("difference", grid.difference, atCell, "cnnlab-grid--difference"));
  if (grid.window) {
    figure.append(table(`input window ${grid.window.label}`, grid.window.values, null, "cnnlab-grid--window"));
  }
  return figure;
}

class Exercise {
  constructor(root, page, loadEditor) {
    this.root = root;
    this.page = page;
    this.id = root.dataset.id;
    this.args = JSON.parse(root.dataset.args);
    this.running = false;
    this.feedback = root.querySelector('[data-testid="feedback"]');
    this.status = root.querySelector('[data-testid="exercise-status"]');
    this.hints = [...root.querySelectorAll('[data-testid="hints"] > li')];
    this.hintList = root.querySelector('[data-testid="hints"]');

    this.check = button("Check", "check", `Check your code (${RUN_KEYS})`);
    this.hint = button("Hint", "hint", "Show one more hint");
    this.solution = button("Show solution", "solution", "Put the reference solution in the editor");
    this.reset = button("Reset", "reset", "Back to the starter code");
    this.stop = button("Stop", "stop", "Stop Python (restarts it)");
    this.stop.disabled = true;
    this.hint.disabled = this.hints.length === 0;
    const bar = element("div", "cnnlab-cell__bar");
    bar.append(this.check, this.hint, this.solution, this.reset, this.stop,
      element("span", "cnnlab-cell__hint", `${RUN_KEYS} checks`));
    this.check.addEventListener("click", () => this.grade());
    this.hint.addEventListener("click", () => this.showHint());
    this.solution.addEventListener("click", () => this.showSolution());
    this.reset.addEventListener("click", () => this.box.setCode(this.box.original));
    this.stop.addEventListener("click", () => page.runtime.restart(STOPPED_NOTE));

    this.box = new CodeBox({
      element: root,
      storageKey: `cnnlab:exercise:${this.id}:${root.dataset.hash}`,
      label: `Python code, exercise “${root.querySelector(".cnnlab-exercise__title span").textContent}”. ${RUN_KEYS} checks it; Escape then Tab leaves the editor.`,
      loadEditor,
      onRun: () => this.grade(),
      onEdit: () => this.markEdited(),
      onEditorError: (error) => this.say("note", `The editor could not load (${error.message}); Check checks the code shown.`),
    });
    this.box.host.after(bar);
    this.markEdited();
    const progress = progressOf(this.id);
    this.setState(progress === "solved" ? "solved" : progress === "tried" ? "failed" : "new");
  }

  markEdited() {
    this.reset.disabled = !this.box.isEdited;
  }

  setState(state) {
    this.root.dataset.state = state;
    this.status.textContent = STATUS_TEXT[state === "failed" ? "tried" : state];
  }

  /** The feedback area: one message (kind: a mistake's name, "passed", "running", "note"). */
  say(kind, message, extra = []) {
    this.feedback.dataset.kind = kind;
    this.feedback.replaceChildren(messageNode(message), ...extra);
  }

  showHint() {
    const next = this.hints.find((hint) => hint.hidden);
    if (!next) return;
    next.hidden = false;
    this.hintList.hidden = false;
    const shown = this.hints.filter((hint) => !hint.hidden).length;
    this.hint.textContent = shown < this.hints.length ? `Hint (${shown}/${this.hints.length})` : "No more hints";
    this.hint.disabled = shown === this.hints.length;
  }

  async showSolution() {
    await this.box.setCode(this.root.dataset.solution);
    this.say("note", "The reference solution is in the editor: Check runs it. Read it, then Reset and write your own.");
  }

  async grade() {
    if (this.running) return;
    this.running = true;
    this.check.disabled = true;
    this.stop.disabled = false;
    const runtime = this.page.runtime;
    this.say("running", runtime.state === "ready" ? "Checking…" : "Waiting for Python to load…");
    const slow = setTimeout(() => {
      if (runtime.state === "ready") this.say("running", `Still running after ${SLOW_MS / 1000} s: an endless loop? Stop ends it.`);
    }, SLOW_MS);
    try {
      const result = await runtime.call("cnnlab.practice.grade", [this.root.dataset.check, this.box.code, this.args]);
      const extra = [];
      if (result.grid) extra.push(gridNode(result.grid));
      if (result.output) extra.push(element("pre", "cnnlab-feedback__output", `Your code printed:\n${result.output}`));
      this.say(result.kind, result.message, extra);
      this.setState(result.passed ? "solved" : "failed");
      recordProgress(this.id, result.passed);
    } catch (error) {
      const stopped = error.name === "StoppedError";
      this.say(stopped ? "stopped" : "error", stopped ? error.message : `${error.name}: ${error.message}`);
    } finally {
      clearTimeout(slow);
      this.running = false;
      this.check.disabled = false;
      this.stop.disabled = true;
    }
  }
}

/** Set up the exercises in `container` (after the cells, in a task of their own). */
export function mountExercises(container, page, editorURL) {
  const loadEditor = editorLoader(editorURL);
  const roots = [...container.querySelectorAll('[data-testid="exercise"]')];
  if (!roots.length) return;
  setTimeout(() => {
    page.exercises = roots.filter((root) => root.isConnected).map((root) => new Exercise(root, page, loadEditor));
    showKeptEdits(page.exercises.map((exercise) => exercise.box));
  }, 0);
}

/** The progress page's list: every exercise of the site, its state from localStorage. */
export function mountProgress(container, siteRoot) {
  const host = container.querySelector('[data-testid="exercise-progress"]');
  if (!host) return;
  const exercises = JSON.parse(host.dataset.exercises);
  const summary = element("p", "cnnlab-progress__summary");
  summary.dataset.testid = "progress-summary";
  const list = element("ul", "cnnlab-progress__list");
  const clear = button("Clear my progress", "clear-progress", "Forget every exercise's state and code in this browser");
  const render = () => {
    const counts = { solved: 0, tried: 0, new: 0 };
    let lastPage = null;
    let pageList = null;
    list.replaceChildren();
    for (const exercise of exercises) {
      if (exercise.page !== lastPage) {
        lastPage = exercise.page;
        const item = element("li");
        const link = element("a", "", exercise.pageTitle);
        link.href = new URL(exercise.page, siteRoot).href;
        pageList = element("ul");
        item.append(link, pageList);
        list.append(item);
      }
      const state = progressOf(exercise.id);
      counts[state] += 1;
      const item = element("li", `cnnlab-progress__item cnnlab-progress__item--${state}`);
      item.dataset.testid = "progress-item";
      item.dataset.exercise = exercise.id;
      item.dataset.state = state;
      item.append(element("span", "cnnlab-progress__state", STATUS_TEXT[state]), ` ${exercise.title}`);
      pageList.append(item);
    }
    summary.textContent = `${counts.solved} of ${exercises.length} exercises solved, ${counts.tried} tried, ${counts.new} not started.`;
    clear.disabled = counts.solved + counts.tried === 0;
  };
  clear.addEventListener("click", () => {
    const store = storage();
    if (!store) return;
    for (let i = store.length - 1; i >= 0; i -= 1) {
      const key = store.key(i);
      if (key.startsWith(PROGRESS) || key.startsWith("cnnlab:exercise:")) store.removeItem(key);
    }
    render();
  });
  host.replaceChildren(summary, clear, list);
  render();
}
