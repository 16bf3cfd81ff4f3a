/*
 * CNN Lab's Python worker, continued (loaded by worker.js with importScripts, so it shares the
 * worker's global scope: SITE_ROOT, hex, TRUST_CACHED, toPlain and python, the proxies of
 * hooks/labrunner/worker.py, are worker.js's). It keeps the bytecode of the modules a page
 * imports between visits; the .pyc files themselves are made in Python (bytecode_file).
 */
"use strict";

// --- bytecode, kept between visits ---------------------------------------------------------------
// CPython compiles a module's source each time it is first imported, and Pyodide starts from a
// fresh file system on every visit: the 200-odd modules a page imports (the standard library,
// NumPy, cnnlab) take about half a second to compile, most of a return visit's Python work.
// So after a first visit the worker keeps their bytecode in Cache Storage, one entry per set of
// Python files, and puts it back before Python starts. The .pyc files are hash-based (PEP 552):
// the runtime's own library's (the standard library, NumPy, SciPy) are "unchecked", since their
// sources come only from the files whose checksums name the entry; all others (cnnlab's, the
// visitor's) are "checked": Python uses one only while its source is byte for byte the one it
// was compiled from (labrunner.worker.bytecode_file). The entry's own SHA-256 guards against a
// damaged entry. Where Cache Storage is missing (not a secure context) or refuses, Python
// simply compiles.
const BYTECODE_CACHE = "cnnlab-bytecode";
const BYTECODE_ENTRIES_KEPT = 6; // other pages load other packages; older builds' entries go
const BYTECODE_BATCH = 40; // modules per call to Python while keeping
let bytecodeKey = null; // this page's entry: a URL below the site's root, named by its files
let keptBytecode = null; // Promise of [[path, Uint8Array]] found for this page, or of null
const restoredBytecode = new Set(); // the paths of the .pyc files put back

/** The entry's URL: a digest of the checksums of the files that hold Python sources. */
async function bytecodeEntry(stages) {
  const sources = stages.flatMap((stage) => stage.files)
    .filter((file) => /\.(data|zip)$/.test(new URL(file.url).pathname))
    .map((file) => file.sha256);
  const digest = await self.crypto.subtle.digest("SHA-256", new TextEncoder().encode(sources.join()));
  return `${SITE_ROOT}bytecode/${hex(digest)}`;
}

async function bytecodeStore() {
  return self.caches && TRUST_CACHED ? self.caches.open(BYTECODE_CACHE) : null;
}

/** This page's kept bytecode, or null when there is none (or it does not check out). */
async function findBytecode(stages) {
  try {
    const store = await bytecodeStore();
    if (!store) return null;
    bytecodeKey = await bytecodeEntry(stages);
    const response = await store.match(bytecodeKey);
    if (!response) return null;
    const archive = new Uint8Array(await response.arrayBuffer());
    if (hex(await self.crypto.subtle.digest("SHA-256", archive)) !== response.headers.get("x-sha256")) {
      await store.delete(bytecodeKey);
      return null;
    }
    return unpackBytecode(archive);
  } catch (error) {
    return null; // storage unavailable or full: Python compiles, as on a first visit
  }
}

// An archive: a 4-byte little-endian length, that many bytes of JSON [[path, size], ...], then
// the files' bytes one after the other.
function packBytecode(files) {
  const index = new TextEncoder().encode(JSON.stringify(files.map(([path, bytes]) => [path, bytes.length])));
  const archive = new Uint8Array(4 + index.length + files.reduce((sum, [, bytes]) => sum + bytes.length, 0));
  new DataView(archive.buffer).setUint32(0, index.length, true);
  archive.set(index, 4);
  let offset = 4 + index.length;
  for (const [, bytes] of files) {
    archive.set(bytes, offset);
    offset += bytes.length;
  }
  return archive;
}

function unpackBytecode(archive) {
  const indexSize = new DataView(archive.buffer).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(archive.subarray(4, 4 + indexSize)));
  let offset = 4 + indexSize;
  return index.map(([path, size]) => {
    offset += size;
    return [path, archive.subarray(offset - size, offset)];
  });
}

// Pyodide turns off the writing of .pyc files. Python's site module, which runs as Python
// starts, imports sitecustomize: this one turns it on again, so that the modules imported from
// then on (all but a dozen) leave their bytecode for keepBytecode, which need not compile them.
const SITECUSTOMIZE = ["/lib/python3.8/site-packages/sitecustomize.py", `import sys

# CNN Lab's worker keeps the bytecode of imported modules between visits (worker.js).
sys.dont_write_bytecode = False
`];

/** Before Python starts: the bytecode kept by an earlier visit, and sitecustomize. The kept
 * bytecode may still be on its way from Cache Storage: Emscripten holds Python's start until
 * it is written (a run dependency). */
function prepareBytecode(Module) {
  Module.addRunDependency("cnnlab-bytecode");
  keptBytecode.then((kept) => {
    try {
      for (const [path, content] of [SITECUSTOMIZE, ...(kept || [])]) {
        Module.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
        Module.FS.writeFile(path, content);
        if (path.endsWith(".pyc")) restoredBytecode.add(path);
      }
    } finally { // Python starts in any case: it compiles what is missing
      keptBytecode = null;
      Module.removeRunDependency("cnnlab-bytecode");
    }
  });
}

/** After a visit that imported modules whose bytecode was not put back: keep it, a few dozen
 * modules at a time (some milliseconds each), so that the page's requests go first. */
async function keepBytecode() {
  try {
    const store = await bytecodeStore();
    const sources = toPlain(python.imported_sources()); // [[path, its .pyc's path]]
    if (!store || sources.every(([, cached]) => restoredBytecode.has(cached))) return;
    const paths = sources.map(([path]) => path);
    const files = [];
    for (let i = 0; i < paths.length; i += BYTECODE_BATCH) {
      await new Promise((resolve) => setTimeout(resolve)); // requests waiting are handled now
      files.push(...toPlain(python.bytecode_files(paths.slice(i, i + BYTECODE_BATCH))));
    }
    const archive = packBytecode(files);
    const digest = hex(await self.crypto.subtle.digest("SHA-256", archive));
    await store.put(bytecodeKey, new Response(archive, { headers: { "x-sha256": digest } }));
    const entries = await store.keys(); // oldest first
    await Promise.all(entries.slice(0, -BYTECODE_ENTRIES_KEPT).map((entry) => store.delete(entry)));
  } catch (error) {
    // not kept: the next visit compiles again
  }
}
