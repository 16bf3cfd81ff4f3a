/*
 * The page's Python: a client for the page's worker (worker.js), and the loading indicator.
 *
 *   const runtime = CNNLab.runtime;                       // the current page's runtime
 *   await runtime.call("cnnlab.signal.conv1d", [x, w], {p: 2});   // -> NDArray
 *   await runtime.eval("from cnnlab import signal\nsignal.conv1d(x, w, p=p)", {x, w, p: 2});
 *   await runtime.run(code, {label: "<cell 1>", fresh: false});   // a code cell's output
 *
 * Every method returns a Promise and may be called before Python has loaded: requests wait
 * for it (also through a failed load and its Retry). Arguments are structured-cloned: numbers,
 * strings, arrays, plain objects, typed arrays (Float32Array, Uint8ClampedArray, ... arrive in
 * Python as NumPy arrays). Results: numbers, strings, arrays, objects, and NumPy arrays as
 * NDArray {dtype, shape, data: typed array} with .get(i, j, ...) and .tolist().
 * A Python exception rejects with an Error whose name is the exception's class ("ValueError")
 * and whose message is its message, ready to show next to a widget.
 * Options: {latest: "key"} keeps at most one request with that key waiting: an older waiting
 * one is dropped and rejects with name "SupersededError" (for sliders and drawing).
 * Stop (restart) rejects everything pending with name "StoppedError" and starts a new worker:
 * Python's state is gone. runtime.onReady(fn) calls fn each time Python becomes ready.
 * Leaving the page (handOver) gives its worker to the next page's Runtime, which asks it for
 * that page's files and an empty namespace ("page" request, worker.js) instead of booting.
 */

export class NDArray {
  constructor(dtype, shape, data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  get size() {
    return this.data.length;
  }

  /** The element at an index (one number per axis), as in NumPy's a[i, j]. */
  get(...index) {
    let offset = 0;
    index.forEach((i, axis) => {
      offset = offset * this.shape[axis] + i;
    });
    return this.data[offset];
  }

  /** Nested arrays of numbers, like NumPy's a.tolist(). */
  tolist() {
    const build = (axis, offset) => {
      if (axis === this.shape.length) return this.data[offset];
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[axis] }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }
}

function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
    if ("__ndarray__" in value) return new NDArray(value.__ndarray__, value.shape, value.data);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

function namedError(name, message, traceback = "") {
  const error = new Error(message);
  error.name = name;
  error.traceback = traceback;
  return error;
}

export function formatBytes(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

// Request ids are unique across a visit: a worker may serve several pages' Runtimes.
let nextId = 1;

export class Runtime {
  /**
   * @param {object} config  the page's stages, from the status element's data-config
   * @param {URL} workerURL  worker.js
   * @param {object} early   a worker the page already started for this config, or null:
   *                         {worker, messages (what it sent so far), error, started}
   * @param {Worker} kept    a booted (or booting) worker that the previous page handed over
   */
  constructor(config, workerURL, early = null, kept = null) {
    this.config = config;
    this.workerURL = workerURL;
    this.early = early;
    this.kept = kept;
    this.bootId = 0; // the request that ends in "ready": booting, or a kept worker's "page"
    this.state = "idle"; // idle | loading | ready | error
    this.stages = config.stages.map((s) => ({
      id: s.id,
      label: s.label,
      total: s.files.reduce((sum, f) => sum + f.size, 0),
      loaded: 0,
      state: "waiting",
      message: "",
    }));
    this.error = "";
    this.versions = null;
    this.generation = 0; // counts workers: a new one has a fresh Python
    this.timings = {};
    this.worker = null;
    this.pending = new Map(); // id -> {resolve, reject, key}
    this.outbox = []; // requests waiting for Python to be ready
    this.latest = new Map(); // key -> {inFlight, waiting}
    this.listeners = { status: new Set(), ready: new Set() };
  }

  /** Start the worker (once); requests also start it. */
  start() {
    if (this.worker) return;
    this.generation += 1;
    this.state = "loading";
    this.error = "";
    this.stages.forEach((s) => Object.assign(s, { loaded: 0, state: "waiting", message: "" }));
    const { early, kept } = this;
    this.early = null; // a Retry or a Stop starts a new worker
    this.kept = null;
    this.timings = { start: early ? early.started : performance.now() };
    // The worker boots from the config in its URL (worker.js says why).
    this.worker = early ? early.worker : kept
      || new Worker(`${this.workerURL}#${encodeURIComponent(JSON.stringify(this.config))}`);
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.workerFailed(event.message);
    };
    this.bootId = kept ? nextId++ : 0;
    if (kept) this.worker.postMessage({ type: "page", id: this.bootId, config: this.config });
    this.emit("status");
    if (!early) return;
    early.messages.forEach((message) => this.receive(message));
    if (early.error !== null) this.workerFailed(early.error);
  }

  run(code, { label = "<cell>", fresh = false } = {}) {
    return this.request({ type: "run", code, label, fresh });
  }

  call(name, args = [], kwargs = {}, options = {}) {
    return this.request({ type: "call", name, args, kwargs }, options);
  }

  eval(code, vars = {}, options = {}) {
    return this.request({ type: "eval", code, vars }, options);
  }

  onReady(listener) {
    this.listeners.ready.add(listener);
    if (this.state === "ready") listener(this);
    return () => this.listeners.ready.delete(listener);
  }

  onStatus(listener) {
    this.listeners.status.add(listener);
    listener(this);
    return () => this.listeners.status.delete(listener);
  }

  /** Stop: end the worker, reject every pending request, and start a new worker. */
  restart(reason = "Python was stopped") {
    this.terminate(namedError("StoppedError", reason));
    this.start();
  }

  /** Retry a failed load: requests waiting for Python keep waiting. */
  retry() {
    this.worker.terminate();
    this.worker = null;
    this.start();
  }

  /** Whether handOver would give the worker away: it has loaded (or is loading) and has no
   * request of this page in flight (one could be a cell that never ends). */
  canHandOver() {
    return Boolean(this.worker) && this.state !== "error" && this.pending.size === 0;
  }

  /** The visitor left the page: the worker, for the next page's Runtime, or null when it
   * cannot be handed over (canHandOver), and is ended. Requests still waiting reject. */
  handOver() {
    const worker = this.canHandOver() ? this.worker : null;
    if (worker) {
      worker.onmessage = null;
      worker.onerror = null;
      this.worker = null;
    }
    this.terminate(namedError("StoppedError", "the visitor left the page"));
    return worker;
  }

  /** End the worker for good (the visitor left the page). */
  terminate(error = namedError("StoppedError", "the page's Python was shut down")) {
    if (this.worker) this.worker.terminate();
    if (this.early) this.early.worker.terminate();
    if (this.kept) this.kept.terminate();
    this.worker = null;
    this.early = null;
    this.kept = null;
    this.state = "idle";
    const waiting = [...this.latest.values()].filter((slot) => slot.waiting);
    const all = [
      ...this.pending.values(),
      ...this.outbox.map((entry) => entry.handlers),
      ...waiting.map((slot) => slot.waiting.handlers),
    ];
    this.pending.clear();
    this.outbox = [];
    this.latest.clear();
    all.forEach((handlers) => handlers.reject(error));
  }

  // --- internals ------------------------------------------------------------------------------
  request(message, { latest } = {}) {
    this.start();
    return new Promise((resolve, reject) => {
      const entry = { message: { ...message, id: nextId++ }, handlers: { resolve, reject, key: latest } };
      if (latest === undefined) {
        this.send(entry);
        return;
      }
      const slot = this.latest.get(latest) || { inFlight: false, waiting: null };
      this.latest.set(latest, slot);
      if (!slot.inFlight) {
        slot.inFlight = true;
        this.send(entry);
        return;
      }
      if (slot.waiting) slot.waiting.handlers.reject(namedError("SupersededError", "a newer request replaced this one"));
      slot.waiting = entry;
    });
  }

  send(entry) {
    if (this.state !== "ready") {
      this.outbox.push(entry);
      return;
    }
    this.pending.set(entry.message.id, entry.handlers);
    this.worker.postMessage(entry.message);
  }

  settle(id, settle) {
    const handlers = this.pending.get(id);
    if (!handlers) return;
    this.pending.delete(id);
    settle(handlers);
    if (handlers.key === undefined) return;
    const slot = this.latest.get(handlers.key);
    if (slot && slot.waiting) {
      const next = slot.waiting;
      slot.waiting = null;
      this.send(next);
    } else if (slot) {
      slot.inFlight = false;
    }
  }

  receive(message) {
    const stage = this.stages.find((s) => s.id === message.stage);
    switch (message.type) {
      case "stage":
        if (!stage) return;
        stage.state = message.state;
        if (message.state === "done") this.timings[stage.id] = performance.now();
        if (message.loaded !== undefined) stage.loaded = message.loaded;
        if (message.message) stage.message = message.message;
        this.emit("status");
        return;
      case "ready":
        if (message.id !== this.bootId) return; // a kept worker's own boot, before this page's
        this.state = "ready";
        this.versions = message.versions;
        this.timings.ready = performance.now();
        this.emit("status");
        this.emit("ready");
        this.outbox.splice(0).forEach((entry) => this.send(entry));
        return;
      case "result":
        this.settle(message.id, (h) => h.resolve(revive(message.value)));
        return;
      case "error":
        if (message.id === this.bootId) {
          this.fail(message.error.message);
          return;
        }
        if (message.id === 0) return; // a kept worker's boot failed: so does this page's request
        this.settle(message.id, (h) => h.reject(namedError(message.error.name, message.error.message, message.error.traceback)));
        return;
      default:
        this.fail(`the Python worker sent an unknown message type ${JSON.stringify(message.type)}`);
    }
  }

  workerFailed(message) {
    this.fail(`the Python worker failed: ${message || "unknown error"}`);
  }

  fail(text) {
    this.state = "error";
    this.error = text;
    this.emit("status");
  }

  emit(kind) {
    this.listeners[kind].forEach((listener) => listener(this));
  }
}

/** Renders a runtime's progress into [data-testid="runtime-status"], with Retry on failure. */
export function showStatus(element, runtime) {
  const heading = document.createElement("p");
  heading.className = "cnnlab-runtime__heading";
  const list = document.createElement("ul");
  list.className = "cnnlab-runtime__stages";
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "cnnlab-button";
  retry.dataset.testid = "retry";
  retry.textContent = "Retry";
  retry.addEventListener("click", () => runtime.retry());
  element.replaceChildren(heading, list, retry);
  element.setAttribute("aria-live", "polite");

  const items = runtime.stages.map((stage) => {
    const item = document.createElement("li");
    item.dataset.stage = stage.id;
    list.append(item);
    return item;
  });

  return runtime.onStatus(() => {
    element.dataset.state = runtime.state === "idle" ? "loading" : runtime.state;
    retry.hidden = runtime.state !== "error";
    if (runtime.state === "ready") {
      const { python, numpy } = runtime.versions;
      const seconds = ((runtime.timings.ready - runtime.timings.start) / 1000).toFixed(1);
      heading.textContent = `Python ${python} with NumPy ${numpy} is running in this page (loaded in ${seconds} s).`;
    } else if (runtime.state === "error") {
      heading.textContent = `Python could not be loaded: ${runtime.error}`;
    } else {
      heading.textContent = "Loading Python into this page…";
    }
    runtime.stages.forEach((stage, i) => {
      const percent = stage.total ? Math.floor((100 * stage.loaded) / stage.total) : 0;
      const progress = stage.state === "loading" && percent < 100 ? ` — ${percent}%` : "";
      items[i].dataset.state = stage.state;
      items[i].textContent = `${stage.label} ${formatBytes(stage.total)}${progress}`;
      if (stage.state === "error") items[i].textContent += `: ${stage.message}`;
    });
  });
}
