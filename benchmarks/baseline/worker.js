/*
 * The baseline's worker: what any page that runs NumPy with Pyodide 0.17 must do, done the
 * way the site's worker does it (importScripts of pyodide.js, loadPyodide, loadPackage, then
 * `import numpy`), from the same files. Nothing else: no checksums, no cnnlab, no weights.
 */
"use strict";

self.onmessage = async ({ data }) => {
  const { indexURL } = data;
  self.importScripts(new URL("pyodide.js", indexURL).href);
  const pyodide = await self.loadPyodide({ indexURL });
  self.postMessage({ stage: "python" });
  await pyodide.loadPackage(["numpy"]);
  pyodide.runPython("import numpy");
  self.postMessage({ stage: "numpy" });
  const [python, numpy] = pyodide.runPython(
    "import sys\n[sys.version.split()[0], numpy.__version__]").toJs();
  const pyodideVersion = typeof pyodide.version === "function" ? pyodide.version() : pyodide.version;
  self.postMessage({ stage: "ready", versions: { python, numpy, pyodide: pyodideVersion } });
};
