/*
 * The benchmarks' probe (benchmarks/site_bench.py): added to every page before its own scripts
 * run (Playwright's add_init_script). Times are performance.now(): ms since navigation start.
 *
 *   __bench.ready        when [data-testid="runtime-status"] first had data-state="ready"
 *   __bench.longTasks()  main-thread tasks over 50 ms so far: {start, duration, scripts},
 *                        where scripts are the ones the Long Animation Frames API saw running
 *                        in that task ({name, invoker, duration}), the longest first
 *   __bench.watchPredictions()   then __bench.prediction: for the last stroke on the draw
 *                        page, {up: its pointerup, dom: the first change of the probabilities
 *                        after it, frame: the next animation frame (the one that shows them),
 *                        latency: the first change of [data-testid="latency-ms"] after it}
 */
"use strict";

(() => {
  const bench = { ready: null, prediction: null };
  window.__bench = bench;
  const tasks = [];
  const frames = []; // long animation frames, for the scripts behind each long task

  const overlaps = (a, b) => a.startTime < b.startTime + b.duration && b.startTime < a.startTime + a.duration;
  const baseName = (url) => (url ? url.split("?")[0].split("/").pop() : "");
  const scriptsOf = (task) => frames
    .flatMap((frame) => frame.scripts)
    .filter((script) => overlaps(script, task))
    .sort((a, b) => b.duration - a.duration)
    .map((s) => ({ name: baseName(s.sourceURL), invoker: s.invoker, duration: Math.round(s.duration) }));

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
  bench.longTasks = () => tasks.map((task) => ({
    start: task.startTime, duration: task.duration, scripts: scriptsOf(task),
  }));

  const status = () => document.querySelector('[data-testid="runtime-status"]');
  new MutationObserver(() => {
    const element = status();
    if (bench.ready === null && element && element.dataset.state === "ready") bench.ready = performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });

  bench.watchPredictions = () => {
    const changes = { subtree: true, childList: true, attributes: true, characterData: true };
    const probabilities = document.querySelector('[data-testid="probabilities"]');
    const latency = document.querySelector('[data-testid="latency-ms"]');
    window.addEventListener("pointerup", (event) => {
      bench.prediction = { up: event.timeStamp, dom: null, frame: null, latency: null };
    }, true);
    new MutationObserver(() => {
      const p = bench.prediction;
      if (!p || p.dom !== null) return;
      p.dom = performance.now();
      requestAnimationFrame(() => {
        p.frame = performance.now();
      });
    }).observe(probabilities, changes);
    new MutationObserver(() => {
      const p = bench.prediction;
      if (p && p.latency === null) p.latency = performance.now();
    }).observe(latency, changes);
  };
})();
