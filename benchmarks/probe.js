/*
 * The benchmarks' probe (benchmarks/site_bench.py): added to every page before its own scripts
 * run (Playwright's add_init_script). Times are performance.now(): ms since navigation start.
 *
 *   __bench.ready        when [data-testid="runtime-status"] first had data-state="ready"
 *   __bench.readies      each status element's first "ready" (instant navigation brings new
 *                        ones without a new document): [{path, at}]
 *   __bench.click        the last click's time (event.timeStamp), for instant navigation
 *   __bench.longTasks()  main-thread tasks over 50 ms so far: {start, duration, scripts,
 *                        rendering}, where scripts are the ones the Long Animation Frames API
 *                        saw running in that task ({name, source (its URL; none for this
 *                        probe and the benchmark's own calls), invoker, type, duration}), the longest
 *                        first, and rendering the ms of style, layout and paint it overlaps
 *   __bench.watchPredictions(widget)   then __bench.prediction: for the last stroke on the
 *                        draw page, {up: its pointerup, dom: when the probabilities changed to
 *                        those of the drawing as it is (the widget's data-shown-version equals
 *                        its data-version), frame: the next animation frame (the one that
 *                        shows them), latency: when [data-testid="latency-ms"] changed so}
 */
"use strict";

(() => {
  const bench = { ready: null, readies: [], click: null, prediction: null };
  window.__bench = bench;
  const tasks = [];
  const frames = []; // long animation frames, for the scripts behind each long task

  const overlaps = (a, b) => a.startTime < b.startTime + b.duration && b.startTime < a.startTime + a.duration;
  const baseName = (url) => (url ? url.split("?")[0].split("/").pop() : "");
  const scriptsOf = (task) => frames
    .flatMap((frame) => frame.scripts)
    .filter((script) => overlaps(script, task))
    .sort((a, b) => b.duration - a.duration)
    .map((s) => ({
      name: baseName(s.sourceURL), source: s.sourceURL, invoker: s.invoker, type: s.invokerType,
      duration: Math.round(s.duration),
    }));

  const observe = (type, callback) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(callback)).observe({ type, buffered: true });
    } catch (error) {
      // an entry type this browser lacks: its figures stay empty
    }
  };
  observe("long-animation-frame", (frame) => frames.push(frame));
  observe("longtask", (task) => tasks.push(task));
  // Frames are reported after their tasks: the scripts are looked up when asked for.
  // A frame renders (rAF callbacks, style, layout, paint) from renderStart to its end.
  const renderingOf = (task) => frames.reduce((sum, frame) => {
    if (!frame.renderStart) return sum;
    const from = Math.max(frame.renderStart, task.startTime);
    const to = Math.min(frame.startTime + frame.duration, task.startTime + task.duration);
    return sum + Math.max(0, to - from);
  }, 0);
  bench.longTasks = () => tasks.map((task) => ({
    start: task.startTime, duration: task.duration, scripts: scriptsOf(task),
    rendering: Math.round(renderingOf(task)),
  }));

  const status = () => document.querySelector('[data-testid="runtime-status"]');
  const readyOnes = new WeakSet();
  new MutationObserver(() => {
    const element = status();
    if (!element || element.dataset.state !== "ready" || readyOnes.has(element)) return;
    readyOnes.add(element);
    const at = performance.now();
    if (bench.ready === null) bench.ready = at;
    bench.readies.push({ path: location.pathname, at });
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
  document.addEventListener("click", (event) => {
    bench.click = event.timeStamp;
  }, true);

  bench.watchPredictions = (selector) => {
    const changes = { subtree: true, childList: true, attributes: true, characterData: true };
    const widget = document.querySelector(selector);
    const probabilities = widget.querySelector('[data-testid="probabilities"]');
    const latency = widget.querySelector('[data-testid="latency-ms"]');
    // A result for an earlier stroke of the same drawing may arrive after the last stroke.
    const current = () => widget.dataset.shownVersion === widget.dataset.version;
    window.addEventListener("pointerup", (event) => {
      bench.prediction = { up: event.timeStamp, dom: null, frame: null, latency: null };
    }, true);
    new MutationObserver(() => {
      const p = bench.prediction;
      if (!p || p.dom !== null || !current()) return;
      p.dom = performance.now();
      requestAnimationFrame(() => {
        p.frame = performance.now();
      });
    }).observe(probabilities, changes);
    new MutationObserver(() => {
      const p = bench.prediction;
      if (p && p.latency === null && current()) p.latency = performance.now();
    }).observe(latency, changes);
  };
})();
