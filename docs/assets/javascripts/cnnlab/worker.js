/*
 * CNN Lab's Python worker, started by the page's inline script as the page opens
 * (hooks/page_runtime.py) or by runtime.js, which talks to it. It downloads and checks the
 * page's files (Pyodide 0.27.7, NumPy, cnnlab, ...), boots Pyodide, and answers requests. With
 * instant navigation it outlives its page: the next page asks it for what that page loads
 * ("page" below), and gets a fresh namespace for its cells, without a new boot.
 * All the math is Python (cnnlab); this file only moves messages.
 *
 * What to load comes in the worker's own URL: worker.js#<config as URI-encoded JSON>, the status
 * element's data-config: {pyodide, stages: [{id, label, files: [{url, size, sha256}],
 * packages?}]}, URLs relative to the site's root. (Not in a message: a message to a worker that
 * is still starting waits for the page's main thread, busy laying out the page just then, for
 * up to a few hundred ms on a first visit.) Booting is request 0: it ends in "ready" or an
 * "error" with id 0.
 *
 * Messages are small tagged objects. Page -> worker, each with a request id:
 *   {type: "run",  id, code, label, fresh}   a code cell               -> "result" {ok, error, segments}
 *   {type: "call", id, name, args, kwargs}   a widget's function call  -> "result" value
 *   {type: "eval", id, code, vars}           a widget's snippet        -> "result" value
 *   {type: "page", id, config}               a new page (same config as above): loads what the
 *                                            worker lacks, empties the cells' namespace -> "ready"
 * Worker -> page:
 *   {type: "stage", stage, state: "loading" | "done" | "error", loaded, total, message}
 *   {type: "ready", id, versions}   {type: "result", id, value}
 *   {type: "error", id, error: {name, message, traceback}}   (unknown message types too)
 * Requests are answered one at a time, in order; those sent during boot wait for it.
 */
"use strict";

const PYTHON_HOME = "/home/pyodide";
// The file's place in the site: assets/javascripts/cnnlab/worker.js. The page's config names
// files relative to the site's root (which may be a sub-path of the host).
const SITE_ROOT = new URL("../../../", self.location.href).href;

// --- downloads --------------------------------------------------------------------------------
// Pyodide checks the packages it loads against its lock file, but not its own core files (its
// WebAssembly, scripts, standard library and the lock itself): one of those missing or corrupt
// ends in a hang or in a failure that names no file. So this worker downloads every file of
// the page itself, checks its size and SHA-256 against what the build measured (the packages'
// are the lock's), and Pyodide gets only checked bytes:
// - its fetch calls for those files are answered from them (self.fetch below);
// - its scripts are run from blob: URLs of them;
// - pyodide.asm.wasm is compiled while it downloads, from a copy of the same response stream
//   (Chromium keeps the compiled code of a module compiled from a fetched response, so a
//   return visit skips the compilation), and instantiated only once its checksum matched,
//   through Emscripten's Module.instantiateWasm.
const checked = new Map(); // absolute URL -> Promise of {bytes, compiled}

const nativeFetch = self.fetch.bind(self);
self.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : new URL(String(input), self.location.href).href;
  const file = checked.get(url);
  if (!file) return nativeFetch(input, init);
  return file.then(({ bytes }) => new Response(bytes));
};

class LoadError extends Error {
  constructor(message) {
    super(message);
    this.name = "LoadError";
  }
}

function fileName(url) {
  return new URL(url).pathname.split("/").pop();
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The checksum tells whether a copy will do: a copy in the browser's cache is taken as it is,
// without asking the server whether it changed (a round trip per file on a return visit); one
// that does not check out is fetched again from the server. Without crypto.subtle (no secure
// context) only the size is checked: the cache then asks the server as usual.
const TRUST_CACHED = Boolean(self.crypto && self.crypto.subtle);

/** The file's checked bytes, and for a .wasm file the Promise of its compiled module. */
async function download(file, onBytes, priority) {
  if (!TRUST_CACHED) return fetchChecked(file, onBytes, { priority });
  try {
    return await fetchChecked(file, onBytes, { priority, cache: "force-cache" });
  } catch (error) {
    return fetchChecked(file, onBytes, { priority, cache: "reload" });
  }
}

async function fetchChecked(file, onBytes, options) {
  const name = fileName(file.url);
  let response;
  try {
    response = await nativeFetch(file.url, options);
  } catch (error) {
    throw new LoadError(`${name} could not be downloaded (${error.message})`);
  }
  if (!response.ok) {
    throw new LoadError(`${name} could not be downloaded (HTTP ${response.status})`);
  }
  let compiled = null;
  if (name.endsWith(".wasm")) {
    // A server that does not say application/wasm rules out streaming: compile the bytes then.
    compiled = WebAssembly.compileStreaming(response.clone()).catch(() => null);
  }
  const bytes = new Uint8Array(file.size);
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > file.size) {
      reader.cancel();
      throw new LoadError(`${name} is larger than the ${file.size} bytes expected: corrupt`);
    }
    bytes.set(value, received);
    received += value.length;
    onBytes(received);
  }
  if (received !== file.size) {
    throw new LoadError(`${name} has ${received} bytes, expected ${file.size}: incomplete`);
  }
  if (TRUST_CACHED) { // crypto.subtle exists in secure contexts (https, localhost)
    const digest = hex(await self.crypto.subtle.digest("SHA-256", bytes));
    if (digest !== file.sha256) throw new LoadError(`${name} is corrupt (checksum mismatch)`);
  }
  if (compiled) compiled = compiled.then((module) => module || WebAssembly.compile(bytes));
  return { bytes, compiled };
}

/** Downloads of the stage's files (kept in ``checked``), started once ``after`` settled. */
function downloadStage(stage, priority, after = Promise.resolve()) {
  const total = stage.files.reduce((sum, file) => sum + file.size, 0);
  const received = stage.files.map(() => 0); // bytes of each file so far
  let reported = 0;
  const progress = (i, bytes) => {
    received[i] = bytes;
    const now = performance.now();
    if (now - reported > 100) {
      reported = now;
      const loaded = received.reduce((sum, n) => sum + n, 0);
      post({ type: "stage", stage: stage.id, state: "loading", loaded, total });
    }
  };
  return stage.files.map((file, i) => {
    const downloaded = after.then(() => download(file, (bytes) => progress(i, bytes), priority));
    checked.set(file.url, downloaded);
    downloaded.catch(() => checked.delete(file.url)); // reported by installStage
    return downloaded;
  });
}

// --- Python -----------------------------------------------------------------------------------
let pyodide = null;
// Proxies of labrunner.worker's functions (labrunner/worker.py), once cnnlab's stage has
// unpacked it; what comes before that is BOOTSTRAP's.
const python = {};
const REQUESTS = ["run", "call", "evaluate", "guarded", "versions", "new_page"];
const installed = new Set(); // "<stage id> <sha256 of its files>" of what this worker holds

const BOOTSTRAP = `
import io, os, sys, zipfile

def install_python(data):
    """Unpacks cnnlab and labrunner; returns labrunner.worker, which answers the requests."""
    target = os.path.join(os.getcwd(), "lib")
    zipfile.ZipFile(io.BytesIO(data.to_py())).extractall(target)
    sys.path.insert(0, target)
    import cnnlab, labrunner.worker
    return labrunner.worker

def install_file(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data.to_py())
`;

/** Boots Pyodide from the stage's checked files. */
async function startPython(stage, downloads, indexURL) {
  // Every core file checked first: Pyodide reports a bad one only as a hang or a console error.
  const files = await Promise.all(downloads);
  const named = (name) => files[stage.files.findIndex((file) => fileName(file.url) === name)];
  const script = (name) => URL.createObjectURL(new Blob([named(name).bytes], { type: "text/javascript" }));
  for (const name of ["pyodide.js", "pyodide.asm.js"]) {
    const url = script(name);
    self.importScripts(url); // pyodide.asm.js defines _createPyodideModule: loadPyodide uses it
    URL.revokeObjectURL(url);
  }
  let wasmFailed = null; // rejects loadPyodide's wait when instantiating fails (Pyodide would hang)
  const failed = new Promise((resolve, reject) => {
    wasmFailed = reject;
  });
  const create = self._createPyodideModule;
  self._createPyodideModule = (settings) => create(Object.assign(settings, {
    instantiateWasm(imports, receiveInstance) {
      named("pyodide.asm.wasm").compiled
        .then((module) => WebAssembly.instantiate(module, imports).then((instance) => receiveInstance(instance, module)))
        .catch((error) => wasmFailed(new LoadError(`pyodide.asm.wasm could not be started (${error.message})`)));
      return {}; // Emscripten's sign that the instance comes later, through receiveInstance
    },
  }));
  pyodide = await Promise.race([self.loadPyodide({ indexURL, env: { HOME: PYTHON_HOME } }), failed]);
  pyodide.runPython(BOOTSTRAP);
  for (const name of ["install_python", "install_file"]) python[name] = pyodide.globals.get(name);
}

async function installStage(stage, downloads, indexURL) {
  if (stage.id === "python") {
    await startPython(stage, downloads, indexURL);
    return;
  }
  const files = await Promise.all(downloads);
  if (stage.packages) {
    // Pyodide fetches the package files from indexURL: it gets the checked ones (self.fetch).
    const problems = [];
    await pyodide.loadPackage(stage.packages, {
      messageCallback: () => {},
      errorCallback: (message) => problems.push(message),
    });
    if (problems.length) throw new LoadError(problems.join(" "));
    // Importing the package takes much of its stage's time: do it here, where the status shows it.
    pyodide.runPython(`import ${stage.id}`);
  } else if (stage.id === "cnnlab") {
    const api = python.install_python(files[0].bytes);
    // Kept for the worker's life: Pyodide 0.27 destroys attributes borrowed from a destroyed proxy.
    for (const name of REQUESTS) python[name] = api[name];
  } else if (stage.id === "weights") {
    // Checked like every file; that they load as weights, the build checked (weights_files.py).
    const folder = `${PYTHON_HOME}/pretrained`;
    stage.files.forEach((file, i) => python.install_file(folder, fileName(file.url), files[i].bytes));
  }
}

function stageKey(stage) {
  return `${stage.id} ${stage.files.map((file) => file.sha256).join(",")}`;
}

/** Loads the stages of ``config`` that this worker does not hold yet, in order, reporting each. */
async function load(config) {
  const indexURL = new URL(config.pyodide, SITE_ROOT).href;
  for (const stage of config.stages) {
    for (const file of stage.files) file.url = new URL(file.url, SITE_ROOT).href;
  }
  const missing = config.stages.filter((stage) => !installed.has(stageKey(stage)));
  // Python's own files first, alone (its WebAssembly compiles as it arrives); the other stages'
  // once those are in, while Python starts: on two cores, anything more at once slows Python's
  // start more than it saves. Install stage by stage, in order, as their files arrive.
  const [first, ...rest] = missing;
  const downloads = [];
  if (first) {
    downloads.push(downloadStage(first, "high"));
    const firstIn = Promise.allSettled(downloads[0]);
    downloads.push(...rest.map((stage) => downloadStage(stage, "low", firstIn)));
  }
  downloads.flat().forEach((promise) => promise.catch(() => {})); // reported in order below
  for (const stage of config.stages) {
    const total = stage.files.reduce((sum, file) => sum + file.size, 0);
    const i = missing.indexOf(stage);
    if (i >= 0) {
      post({ type: "stage", stage: stage.id, state: "loading" });
      try {
        await installStage(stage, downloads[i], indexURL);
      } catch (error) {
        post({ type: "stage", stage: stage.id, state: "error", message: error.message });
        throw new LoadError(`${stage.label}: ${error.message}`);
      } finally {
        for (const file of stage.files) checked.delete(file.url); // Python holds them now
      }
      installed.add(stageKey(stage));
    }
    post({ type: "stage", stage: stage.id, state: "done", loaded: total, total });
  }
  return toPlain(python.versions());
}

// --- conversions --------------------------------------------------------------------------------
// Pyodide's toJs gives Maps for dicts; the page gets plain objects. Typed arrays (NumPy arrays'
// data) are transferred, not copied.
function toPlain(value, transfer = []) {
  if (value && typeof value.toJs === "function") {
    const proxy = value;
    value = proxy.toJs();
    proxy.destroy();
  }
  if (value instanceof Map) {
    const object = {};
    for (const [key, item] of value) object[key] = toPlain(item, transfer);
    return object;
  }
  if (Array.isArray(value)) return value.map((item) => toPlain(item, transfer));
  if (ArrayBuffer.isView(value)) {
    transfer.push(value.buffer);
    return value;
  }
  return value === undefined ? null : value;
}

function callPython(functionName, ...args) {
  const converted = args.map((arg) => pyodide.toPy(arg));
  try {
    const transfer = [];
    const outcome = toPlain(python.guarded(python[functionName], ...converted), transfer);
    return { outcome, transfer };
  } finally {
    converted.forEach((arg) => arg && typeof arg.destroy === "function" && arg.destroy());
  }
}

// --- messages -----------------------------------------------------------------------------------
function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

function fail(id, name, message, traceback = "") {
  post({ type: "error", id, error: { name, message, traceback } });
}

const BOOT = 0; // the request id of booting

/** Boots from the config in this worker's URL. */
async function bootFromURL() {
  let config = null;
  try {
    config = JSON.parse(decodeURIComponent(self.location.hash.slice(1)));
  } catch (error) {
    // reported below
  }
  if (!config || !Array.isArray(config.stages)) {
    throw new LoadError("worker.js was started without the page's files (worker.js#<config>)");
  }
  return load(config);
}

const booted = bootFromURL(); // requests wait for it
booted.then((versions) => post({ type: "ready", id: BOOT, versions }),
  (error) => fail(BOOT, error.name || "Error", error.message || String(error)));

async function handle(message) {
  const { type, id } = message;
  if (!["run", "call", "eval", "page"].includes(type)) {
    fail(id, "ProtocolError", `unknown message type ${JSON.stringify(type)}`);
    return;
  }
  await booted;
  if (type === "page") {
    const versions = await load(message.config);
    callPython("new_page");
    post({ type: "ready", id, versions });
    return;
  }
  let call;
  if (type === "run") call = callPython("run", message.code, message.label, Boolean(message.fresh));
  if (type === "call") call = callPython("call", message.name, message.args || [], message.kwargs || {});
  if (type === "eval") call = callPython("evaluate", message.code, message.vars || {});
  const { outcome, transfer } = call;
  if (outcome.ok) post({ type: "result", id, value: outcome.value }, transfer);
  else fail(id, outcome.error.name, outcome.error.message, outcome.error.traceback);
}

let queue = Promise.resolve();
self.onmessage = (event) => {
  const message = event.data || {};
  queue = queue.then(() => handle(message)).catch((error) => {
    fail(message.id, error.name || "Error", error.message || String(error));
  });
};
