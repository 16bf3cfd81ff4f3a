/*
 * The baseline's worker: what any page that runs NumPy with Pyodide 0.27 must do, done the
 * quickest way Pyodide offers (importScripts of pyodide.js, then loadPyodide with NumPy among
 * its packages, which downloads NumPy while Python starts, then `import numpy`), from the same
 * files as the site. Nothing else: no checksums of its own, no cnnlab, no weights.
 */
"use strict";

self.onmessage = async ({ data }) => {
  const { indexURL } = data;
  self.importScripts(new URL("pyodide.js", indexURL).href);
  const pyodide = await self.loadPyodide({ indexURL, packages: ["numpy"] });
  self.postMessage({ stage: "python" });
  pyodide.runPython("import numpy");
  self.postMessage({ stage: "numpy" });
  const [python, numpy] = pyodide.runPython(
    "import sys\n[sys.version.split()[0], numpy.__version__]").toJs();
  self.postMessage({ stage: "ready", versions: { python, numpy, pyodide: pyodide.version } });
};
