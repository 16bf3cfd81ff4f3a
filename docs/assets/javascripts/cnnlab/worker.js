/*
 * CNN Lab's Python worker: one per page, started by the page's inline script as the page opens
 * (hooks/site_runtime.py) or by runtime.js, which talks to it. It downloads and checks the
 * page's files (Pyodide 0.17.1, NumPy, cnnlab, ...), boots Pyodide, and answers requests.
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
 * Worker -> page:
 *   {type: "stage", stage, state: "loading" | "done" | "error", loaded, total, message}
 *   {type: "ready", id, versions}   {type: "result", id, value}
 *   {type: "error", id, error: {name, message, traceback}}   (unknown message types too)
 * Requests are answered one at a time, in order; those sent during boot wait for it.
 */
"use strict";

// Keeping compiled Python between visits: bytecode.js (shares this worker's global scope).
self.importScripts("bytecode.js");

const PYTHON_HOME = "/home/pyodide";
// The file's place in the site: assets/javascripts/cnnlab/worker.js. The page's config names
// files relative to the site's root (which may be a sub-path of the host).
const SITE_ROOT = new URL("../../../", self.location.href).href;

// --- downloads --------------------------------------------------------------------------------
// Pyodide 0.17 hangs without a word when one of its files is missing or corrupt. So this worker
// downloads every file itself, checks its size and SHA-256 against what the build measured, and
// hands Pyodide only checked bytes:
// - pyodide.asm.wasm is compiled while it downloads, from a copy of the same response stream
//   (Chromium keeps the compiled code of a module compiled from a fetched response, so a return
//   visit skips most of the compilation); it is instantiated only once its checksum matched,
//   through Emscripten's Module.instantiateWasm, so Pyodide never fetches it itself;
// - the .data files (the Python library, NumPy, ...) reach Emscripten's file packager as the
//   checked ArrayBuffers, through Module.getPreloadedPackage;
// - the scripts (and packages.json) are blob: URLs of the checked bytes: Pyodide's importScripts
//   and fetch calls for those URLs are redirected there.
const checkedCopies = new Map(); // absolute URL -> blob: URL
const checkedData = new Map(); // absolute URL of a .data file -> ArrayBuffer
let checkedWasm = null; // Promise of the compiled, checked WebAssembly.Module
let checkedRuntimeData = null; // Promise: the runtime's own .data file is in checkedData

function redirect(url) {
  return checkedCopies.get(new URL(url, self.location.href).href) || url;
}

const nativeFetch = self.fetch.bind(self);
const nativeImportScripts = self.importScripts.bind(self);
self.importScripts = (...urls) => {
  nativeImportScripts(...urls.map(redirect));
  // pyodide.asm.js defines _createPyodideModule(Module), which loadPyodide calls right after
  // importing it, perhaps before the runtime's file system (pyodide.asm.data) has arrived: it
  // waits for it here. The Module takes the checked files from the hooks below, and the kept
  // bytecode before Python starts (prepareBytecode).
  const create = self._createPyodideModule;
  if (create && !create.handsCheckedFiles) {
    self._createPyodideModule = async (Module) => {
      await checkedRuntimeData;
      return create(Object.assign(Module, emscriptenHooks, { preRun: [prepareBytecode] }));
    };
    self._createPyodideModule.handsCheckedFiles = true;
  }
};
self.fetch = (input, init) => nativeFetch(typeof input === "string" ? redirect(input) : input, init);
const nativeOpen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function open(method, url, ...rest) {
  return nativeOpen.call(this, method, redirect(String(url)), ...rest);
};

let wasmFailed = null; // rejects loadPyodide's wait when instantiating fails (Pyodide would hang)
const emscriptenHooks = {
  instantiateWasm(imports, receiveInstance) {
    checkedWasm
      .then((module) => WebAssembly.instantiate(module, imports).then((instance) => receiveInstance(instance, module)))
      .catch((error) => wasmFailed(error instanceof LoadError ? error
        : new LoadError(`pyodide.asm.wasm could not be started (${error.message})`)));
    return {}; // Emscripten's sign that the instance comes later, through receiveInstance
  },
  getPreloadedPackage(url) {
    const data = checkedData.get(url);
    checkedData.delete(url); // the file system keeps it from now on
    return data || null;
  },
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

/** Downloads of the stage's files, started once ``after`` settled. */
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
  return stage.files.map((file, i) => after.then(() => download(file, (bytes) => progress(i, bytes), priority)));
}

/** Makes checked files what Pyodide gets for their URLs (see the top of this part). */
async function keepChecked(files, downloads) {
  const checked = await Promise.all(downloads);
  files.forEach((file, i) => {
    if (file.url.endsWith(".data")) {
      checkedData.set(file.url, checked[i].bytes.buffer);
    } else {
      checkedCopies.set(file.url, URL.createObjectURL(new Blob([checked[i].bytes])));
    }
  });
}

// --- Python -----------------------------------------------------------------------------------
let pyodide = null;
// Proxies of labrunner.worker's functions (hooks/labrunner/worker.py), once cnnlab's stage has
// unpacked it; what comes before that is BOOTSTRAP's.
const python = {};
const REQUESTS = ["run", "call", "evaluate", "guarded", "versions", "imported_sources",
  "bytecode_files"];

const BOOTSTRAP = `
import io, os, sys, warnings, zipfile

# Pyodide 0.17's SciPy sources raise SyntaxWarnings when first compiled ("is" with a literal);
# they are not the visitor's business. Warnings about the visitor's own code still show.
warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"/lib/python3\\.8/site-packages/")

os.makedirs(${JSON.stringify(PYTHON_HOME)}, exist_ok=True)
os.chdir(${JSON.stringify(PYTHON_HOME)})

def as_bytes(data):
    return bytes(data.to_py() if hasattr(data, "to_py") else data)

def install_python(data):
    """Unpacks cnnlab and labrunner; returns labrunner.worker, which answers the requests."""
    target = os.path.join(os.getcwd(), "lib")
    zipfile.ZipFile(io.BytesIO(as_bytes(data))).extractall(target)
    sys.path.insert(0, target)
    import cnnlab, labrunner.worker
    return labrunner.worker

def install_file(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(as_bytes(data))
`;

async function installStage(stage, downloads, indexURL) {
  if (stage.id === "python") {
    // Pyodide's scripts start while its WebAssembly and its file system still download (and
    // the WebAssembly compiles): they are waited for when Emscripten needs them.
    const which = (test) => [stage.files.filter(test), downloads.filter((_, i) => test(stage.files[i]))];
    const wasm = stage.files.findIndex((file) => file.url.endsWith(".wasm"));
    checkedWasm = downloads[wasm].then((download) => download.compiled);
    checkedRuntimeData = keepChecked(...which((file) => file.url.endsWith(".data")));
    [checkedWasm, checkedRuntimeData].forEach((promise) => promise.catch(() => {})); // reported below
    await keepChecked(...which((file) => !/\.(wasm|data)$/.test(file.url)));
    self.importScripts(new URL("pyodide.js", indexURL).href);
    const failed = new Promise((resolve, reject) => {
      wasmFailed = reject;
    });
    pyodide = await Promise.race([self.loadPyodide({ indexURL }), failed]);
    pyodide.runPython(BOOTSTRAP);
    for (const name of ["install_python", "install_file"]) python[name] = pyodide.globals.get(name);
    return;
  }
  const files = await Promise.all(downloads);
  if (stage.packages) {
    await keepChecked(stage.files, downloads);
    const problems = [];
    await pyodide.loadPackage(stage.packages, () => {}, (message) => problems.push(message));
    if (problems.length) throw new LoadError(problems.join("; "));
    // Importing NumPy takes most of its stage's time: do it here, where the status shows it.
    if (stage.id === "numpy") pyodide.runPython("import numpy");
  } else if (stage.id === "cnnlab") {
    const api = python.install_python(files[0].bytes);
    for (const name of REQUESTS) python[name] = api[name];
    api.destroy();
  } else if (stage.id === "weights") {
    // Checked like every file; that they load as weights, the build checked (site_runtime.py).
    const folder = `${PYTHON_HOME}/pretrained`;
    stage.files.forEach((file, i) => python.install_file(folder, fileName(file.url), files[i].bytes));
  }
}

async function boot(config) {
  const indexURL = new URL(config.pyodide, SITE_ROOT).href;
  for (const stage of config.stages) {
    for (const file of stage.files) file.url = new URL(file.url, SITE_ROOT).href;
  }
  // Python's own files first, alone (its WebAssembly compiles as it arrives); the other stages'
  // once those are in, while Python starts: on two cores, anything more at once slows Python's
  // start more than it saves. Install stage by stage, in order, as their files arrive.
  const [first, ...rest] = config.stages;
  const firstDownloads = downloadStage(first, "high");
  const firstIn = Promise.allSettled(firstDownloads);
  const downloads = [firstDownloads, ...rest.map((stage) => downloadStage(stage, "low", firstIn))];
  keptBytecode = findBytecode(config.stages);
  downloads.flat().forEach((promise) => promise.catch(() => {})); // reported in order below
  for (const [i, stage] of config.stages.entries()) {
    const total = stage.files.reduce((sum, file) => sum + file.size, 0);
    post({ type: "stage", stage: stage.id, state: "loading" });
    try {
      await installStage(stage, downloads[i], indexURL);
    } catch (error) {
      post({ type: "stage", stage: stage.id, state: "error", message: error.message });
      throw new LoadError(`${stage.label}: ${error.message}`);
    }
    post({ type: "stage", stage: stage.id, state: "done", loaded: total, total });
  }
  for (const url of checkedCopies.values()) URL.revokeObjectURL(url);
  checkedCopies.clear();
  checkedData.clear();
  checkedWasm = null;
  checkedRuntimeData = null;
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
  return boot(config);
}

const booted = bootFromURL(); // requests wait for it
booted.then((versions) => {
  post({ type: "ready", id: BOOT, versions });
  keepBytecode(); // in the background
}, (error) => fail(BOOT, error.name || "Error", error.message || String(error)));

async function handle(message) {
  const { type, id } = message;
  if (!["run", "call", "eval"].includes(type)) {
    fail(id, "ProtocolError", `unknown message type ${JSON.stringify(type)}`);
    return;
  }
  await booted;
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
