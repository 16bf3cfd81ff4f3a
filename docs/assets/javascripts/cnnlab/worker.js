/*
 * CNN Lab's Python worker: one per page, started by runtime.js. It downloads and checks the
 * page's files (Pyodide 0.17.1, NumPy, cnnlab, ...), boots Pyodide, and answers requests.
 * All the math is Python (cnnlab); this file only moves messages.
 *
 * Messages are small tagged objects. Page -> worker, each with a request id:
 *   {type: "boot", id, config: {indexURL, stages: [{id, label, files: [{url, size, sha256}],
 *                                                    packages?}]}}      -> "ready"
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

const PYTHON_HOME = "/home/pyodide";

// --- downloads --------------------------------------------------------------------------------
// Pyodide 0.17 hangs without a word when one of its files is missing or corrupt. So this worker
// downloads every file itself, checks its size and SHA-256 against what the build measured, and
// hands Pyodide the checked bytes: its importScripts, fetch and XMLHttpRequest calls for those
// URLs are redirected to blob: URLs of the downloaded copies.
const checkedCopies = new Map(); // absolute URL -> blob: URL

function redirect(url) {
  return checkedCopies.get(new URL(url, self.location.href).href) || url;
}

const nativeFetch = self.fetch.bind(self);
const nativeImportScripts = self.importScripts.bind(self);
self.importScripts = (...urls) => nativeImportScripts(...urls.map(redirect));
self.fetch = (input, init) => nativeFetch(typeof input === "string" ? redirect(input) : input, init);
const nativeOpen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function open(method, url, ...rest) {
  return nativeOpen.call(this, method, redirect(String(url)), ...rest);
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

async function download(file, onBytes) {
  const name = fileName(file.url);
  let response;
  try {
    response = await nativeFetch(file.url);
  } catch (error) {
    throw new LoadError(`${name} could not be downloaded (${error.message})`);
  }
  if (!response.ok) {
    throw new LoadError(`${name} could not be downloaded (HTTP ${response.status})`);
  }
  const bytes = new Uint8Array(file.size);
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > file.size) {
      throw new LoadError(`${name} is larger than the ${file.size} bytes expected: corrupt`);
    }
    bytes.set(value, received);
    received += value.length;
    onBytes(value.length);
  }
  if (received !== file.size) {
    throw new LoadError(`${name} has ${received} bytes, expected ${file.size}: incomplete`);
  }
  // crypto.subtle exists in secure contexts (https, localhost); elsewhere the size check stays.
  if (self.crypto && self.crypto.subtle) {
    const digest = hex(await self.crypto.subtle.digest("SHA-256", bytes));
    if (digest !== file.sha256) throw new LoadError(`${name} is corrupt (checksum mismatch)`);
  }
  return bytes;
}

function downloadStage(stage) {
  const total = stage.files.reduce((sum, file) => sum + file.size, 0);
  let loaded = 0;
  let reported = 0;
  const progress = (n) => {
    loaded += n;
    const now = performance.now();
    if (now - reported > 100) {
      reported = now;
      post({ type: "stage", stage: stage.id, state: "loading", loaded, total });
    }
  };
  return Promise.all(stage.files.map((file) => download(file, progress)));
}

function keepCheckedCopy(file, bytes) {
  const type = file.url.endsWith(".wasm") ? "application/wasm" : "application/octet-stream";
  checkedCopies.set(file.url, URL.createObjectURL(new Blob([bytes], { type })));
}

// --- Python -----------------------------------------------------------------------------------
let pyodide = null;
const python = {}; // proxies of the Python helpers defined in BOOTSTRAP
const HELPERS = ["install_python", "install_file", "check_weights", "run", "bridge_call", "bridge_evaluate",
  "guarded", "versions"];

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
    target = os.path.join(os.getcwd(), "lib")
    zipfile.ZipFile(io.BytesIO(as_bytes(data))).extractall(target)
    sys.path.insert(0, target)
    import cnnlab, labrunner.bridge, labrunner.cells
    globals().update(bridge=labrunner.bridge, cells=labrunner.cells)
    return cnnlab.__version__

def install_file(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(as_bytes(data))

def check_weights(folder):
    # Load them once, so a bad file fails here, saying so, not in a widget later.
    from cnnlab import weights
    weights.load_pretrained(folder)

page_namespace = {"__name__": "__main__"}

def run(code, label, fresh):
    return cells.run_cell(code, {"__name__": "__main__"} if fresh else page_namespace, label)

def bridge_call(name, args, kwargs):
    return bridge.call(name, args, kwargs)

def bridge_evaluate(code, variables):
    return bridge.evaluate(code, variables)

def guarded(function, *args):
    try:
        return {"ok": True, "value": function(*args)}
    except Exception as exc:
        return {"ok": False, "error": {"name": type(exc).__name__, "message": str(exc),
                                       "traceback": cells.format_exception(exc, "<widget>")}}

def versions():
    import numpy
    return {"python": sys.version.split()[0], "numpy": numpy.__version__}
`;

async function installStage(stage, files, indexURL) {
  if (stage.id === "python") {
    stage.files.forEach((file, i) => keepCheckedCopy(file, files[i]));
    self.importScripts(new URL("pyodide.js", indexURL).href);
    pyodide = await self.loadPyodide({ indexURL });
    pyodide.runPython(BOOTSTRAP);
    for (const name of HELPERS) python[name] = pyodide.globals.get(name);
  } else if (stage.packages) {
    stage.files.forEach((file, i) => keepCheckedCopy(file, files[i]));
    const problems = [];
    await pyodide.loadPackage(stage.packages, () => {}, (message) => problems.push(message));
    if (problems.length) throw new LoadError(problems.join("; "));
    // Importing NumPy takes most of its stage's time: do it here, where the status shows it.
    if (stage.id === "numpy") pyodide.runPython("import numpy");
  } else if (stage.id === "cnnlab") {
    python.install_python(files[0]);
  } else if (stage.id === "weights") {
    const folder = `${PYTHON_HOME}/pretrained`;
    stage.files.forEach((file, i) => python.install_file(folder, fileName(file.url), files[i]));
    try {
      python.check_weights(folder);
    } catch (error) {
      throw new LoadError(`the files could not be loaded: ${lastLine(error.message)}`);
    }
  }
}

function lastLine(text) {
  return String(text).trim().split("\n").pop();
}

async function boot(config) {
  const indexURL = config.indexURL;
  for (const stage of config.stages) {
    for (const file of stage.files) file.url = new URL(file.url, config.siteRoot).href;
  }
  // Start every download at once; install stage by stage, in order, as each one arrives.
  const downloads = config.stages.map(downloadStage);
  downloads.forEach((promise) => promise.catch(() => {})); // reported in order below
  for (const [i, stage] of config.stages.entries()) {
    const total = stage.files.reduce((sum, file) => sum + file.size, 0);
    post({ type: "stage", stage: stage.id, state: "loading" });
    try {
      await installStage(stage, await downloads[i], indexURL);
    } catch (error) {
      post({ type: "stage", stage: stage.id, state: "error", message: error.message });
      throw new LoadError(`${stage.label}: ${error.message}`);
    }
    post({ type: "stage", stage: stage.id, state: "done", loaded: total, total });
  }
  for (const url of checkedCopies.values()) URL.revokeObjectURL(url);
  checkedCopies.clear();
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

let booted = null; // the boot promise; requests wait for it

async function handle(message) {
  const { type, id } = message;
  if (type === "boot") {
    booted = boot(message.config);
    const versions = await booted;
    post({ type: "ready", id, versions });
    return;
  }
  if (!["run", "call", "eval"].includes(type)) {
    fail(id, "ProtocolError", `unknown message type ${JSON.stringify(type)}`);
    return;
  }
  if (!booted) {
    fail(id, "ProtocolError", `"${type}" before "boot"`);
    return;
  }
  await booted;
  let call;
  if (type === "run") call = callPython("run", message.code, message.label, Boolean(message.fresh));
  if (type === "call") {
    call = callPython("bridge_call", message.name, message.args || [], message.kwargs || {});
  }
  if (type === "eval") call = callPython("bridge_evaluate", message.code, message.vars || {});
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
