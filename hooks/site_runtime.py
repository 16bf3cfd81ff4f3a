"""MkDocs hook: ship the browser runtime with the site and tell each page what to load.

The site carries everything it runs, so pages make no request to another origin:

- Pyodide 0.17.1 from the npm package ``@pyodide/pyodide`` (``npm ci``): the core files, NumPy,
  and further packages only if some page asks for them in its front matter;
- ``cnnlab`` (``pysrc/cnnlab``) and ``labrunner`` (``hooks/labrunner``) as one zip;
- the files in ``pretrained/``, at ``pretrained/`` in the site: the weights for pages that use
  the model (front matter below), the figures for pages to show;
- KaTeX's styles and fonts (the math is typeset at build time: math_typeset.py) and a
  CodeMirror bundle (the cells' editor, bundled by esbuild).

Where Pyodide comes from is one setting: ``extra.pyodide_url`` in ``mkdocs.yml`` (relative to
the site root, or an absolute URL of another copy of the same release), overridden by the
environment variable ``CNNLAB_PYODIDE_URL`` at build time. Files are then not copied.

A page that runs Python (it has cells or widgets, or front matter ``runtime:``) gets a status
element listing the stages it loads with their sizes and checksums, which the page's worker
verifies, and its ``<head>`` a small script that starts that worker before the rest of the page
loads. Front matter::

    runtime:
      packages: [scipy]   # Pyodide packages besides NumPy
      weights: true       # the pretrained model's files
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import json
import os
import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.meta import get_data

PYODIDE_VERSION = "0.17.1"
PYODIDE_DIST = "node_modules/@pyodide/pyodide/dist"
CORE_FILES = ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "pyodide.asm.data",
              "packages.json")
PACKAGE_LABELS = {"numpy": "NumPy", "scipy": "SciPy"}
KATEX_FILES = ("katex.min.css",)
EDITOR_ENTRY = "frontend/editor.js"
PYTHON_SOURCES = ("pysrc/cnnlab", "hooks/labrunner")
PRETRAINED_DIR = "pretrained"
# Where things land in the built site.
SITE_PYODIDE = "assets/pyodide/"
SITE_RUNTIME = "assets/runtime/"
SITE_VENDOR = "assets/vendor/"
SITE_PRETRAINED = "pretrained/"  # as in the repository: pages show pretrained/figures/*
WORKER_SCRIPT = "assets/javascripts/cnnlab/worker.js"
RUNNABLE_PAGE = re.compile(r'<div class="cnnlab-(cell|widget|exercise)"')  # the fence hooks


@dataclass
class Settings:
    root: Path = Path()
    pyodide_url: str = SITE_PYODIDE
    ships_pyodide: bool = True
    python_zip: bytes = b""
    packages: tuple = ()
    page_configs: dict = field(default_factory=dict)  # src_uri -> what the page's worker loads


settings = Settings()


@functools.lru_cache(maxsize=None)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(url: str, path: Path) -> dict:
    """What the worker needs to fetch and check one file."""
    stat = path.stat()
    digest = _digest(path, stat.st_size, stat.st_mtime_ns)
    return {"url": url, "size": stat.st_size, "sha256": digest}


def _dist() -> Path:
    dist = settings.root / PYODIDE_DIST
    if not (dist / "pyodide.asm.wasm").is_file():
        raise PluginError(f"{PYODIDE_DIST} is missing: run `npm ci` first "
                          f"(package.json pins @pyodide/pyodide {PYODIDE_VERSION})")
    return dist


@functools.lru_cache(maxsize=None)
def _package_index(dist: Path) -> dict:
    return json.loads((dist / "packages.json").read_text())["dependencies"]


def package_closure(names: list) -> list:
    """``["scipy"]`` -> ``["numpy", "CLAPACK", "scipy"]``: the packages and their dependencies."""
    index = _package_index(_dist())
    ordered: list = []

    def visit(name: str) -> None:
        if name not in index:
            raise PluginError(f"Pyodide {PYODIDE_VERSION} has no package {name!r}")
        for dependency in index[name]:
            visit(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def python_zip() -> bytes:
    """``cnnlab`` and ``labrunner`` as a deterministic zip (same sources, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in PYTHON_SOURCES:
            base = settings.root / source
            for path in sorted(base.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    name = f"{base.name}/{path.relative_to(base).as_posix()}"
                    archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)),
                                     path.read_bytes())
    return buffer.getvalue()


def pretrained_files() -> list:
    """Everything in ``pretrained/`` (weights, manifest, figures), hidden files excepted."""
    folder = settings.root / PRETRAINED_DIR
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(folder).parts)
    )


def editor_bundle() -> bytes:
    """The cells' editor: CodeMirror from npm, bundled by esbuild into one ES module."""
    esbuild = settings.root / "node_modules/.bin/esbuild"
    command = [str(esbuild), EDITOR_ENTRY, "--bundle", "--format=esm", "--minify",
               "--target=es2020"]
    try:
        return subprocess.run(command, cwd=settings.root, check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        raise PluginError(f"bundling {EDITOR_ENTRY} failed (run `npm ci`?): {error}\n"
                          f"{detail.decode(errors='replace')}") from error


def page_runtime(meta: dict, source: str) -> dict:
    """The page's ``runtime:`` front matter, checked."""
    runtime = meta.get("runtime") or {}
    if not isinstance(runtime, dict) or set(runtime) - {"packages", "weights"}:
        raise PluginError(f"{source}: front matter 'runtime' takes 'packages' (a list) and "
                          f"'weights' (true/false), got {runtime!r}")
    packages = runtime.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise PluginError(f"{source}: runtime.packages must be a list of names, got {packages!r}")
    return {"packages": packages, "weights": bool(runtime.get("weights", False))}


def stages(runtime: dict) -> list:
    """The loading stages of a page, in order, with every file's URL, size and checksum."""
    dist = _dist()

    def pyodide_file(name: str) -> dict:
        return describe(settings.pyodide_url + name, dist / name)

    result = [{"id": "python", "label": "Python runtime",
               "files": [pyodide_file(name) for name in CORE_FILES]}]
    loaded: list = []
    for name in ["numpy", *runtime["packages"]]:
        new = [p for p in package_closure([name]) if p not in loaded]
        loaded += new
        if new:
            result.append({"id": name, "label": PACKAGE_LABELS.get(name, name), "packages": new,
                           "files": [pyodide_file(f"{p}.{ext}") for p in new
                                     for ext in ("js", "data")]})
    zip_digest = hashlib.sha256(settings.python_zip).hexdigest()
    result.append({"id": "cnnlab", "label": "cnnlab", "files": [{
        "url": f"{SITE_RUNTIME}python.zip?v={zip_digest[:12]}",
        "size": len(settings.python_zip), "sha256": zip_digest}]})
    if runtime["weights"]:
        # Python gets the top-level files (weights, manifest); figures are for pages to show.
        files = [p for p in pretrained_files() if p.parent == settings.root / PRETRAINED_DIR]
        if not files:
            raise PluginError(f"a page loads the model weights but {PRETRAINED_DIR}/ is empty")
        described = [describe(f"{SITE_PRETRAINED}{p.name}", p) for p in files]
        for entry in described:
            entry["url"] += "?v=" + entry["sha256"][:12]
        result.append({"id": "weights", "label": "model weights", "files": described})
    return result


# A page's Python worker starts as early as it can: in the page's <head>, before the stylesheets
# and the theme's scripts load, with the page's files in its URL (worker.js says why; the same
# config as the status element's: a script after that element would wait for the stylesheets,
# and a message to the worker for the page's main thread). main.js, a
# module, runs last: its Runtime takes the worker over with what it sent meanwhile. After an
# instant navigation the theme runs the script after the status element, not the new <head>'s:
# that script starts the worker itself, with the function every page's <head> defines for it
# (if the visitor came from the 404 page, which has none, main.js starts it).
START_WORKER = """<script>
function cnnlabStartWorker(url, config) {
  var worker = new Worker(url + "#" + encodeURIComponent(JSON.stringify(config)));
  var early = {worker: worker, messages: [], error: null, started: performance.now()};
  worker.onmessage = function (event) { early.messages.push(event.data); };
  worker.onerror = function (event) {
    event.preventDefault();
    early.error = event.message || "unknown error";
  };
  return early;
}
%s</script>"""
START_HERE = "window.cnnlabWorker = cnnlabStartWorker(%s, %s);\n"
BOOT_WORKER = """<script>
(function (status) {
  var early = window.cnnlabWorker
    || (window.cnnlabStartWorker && cnnlabStartWorker(%s, JSON.parse(status.dataset.config)));
  window.cnnlabWorker = null;
  if (early) status.cnnlabWorker = early;
})(document.currentScript.previousElementSibling);
</script>"""
HEAD_START = '<meta charset="utf-8">'  # the first element of every mkdocs-material page
STATUS_ELEMENT = 'data-testid="runtime-status"'


def page_config(runtime: dict) -> dict:
    """What a page's worker loads: the Pyodide base URL and the stages with their files."""
    return {"pyodide": settings.pyodide_url, "stages": stages(runtime)}


def status_element(config: dict, worker_url: str) -> str:
    """The page's status element (with the files to load: :func:`page_config`) and the script
    that boots the worker.

    ``worker_url``: ``worker.js`` relative to the page.
    """
    return (
        f'<div class="cnnlab-runtime" {STATUS_ELEMENT} data-state="loading" '
        f'role="status" data-config="{html.escape(json.dumps(config))}">'
        '<p class="cnnlab-runtime__static">The outputs on this page were computed when the site '
        "was built. With JavaScript on, the page loads Python into your browser and runs the "
        "code there.</p></div>" + BOOT_WORKER % json.dumps(worker_url)
    )


# --- MkDocs events ----------------------------------------------------------------------------

def pyodide_source(configured: str | None, override: str | None) -> tuple:
    """The Pyodide base URL (``extra.pyodide_url``, or the environment's override) and
    whether this build ships the files: it does for the default, relative location; an
    absolute URL points at another copy of the same release.

    >>> pyodide_source(None, None)
    ('assets/pyodide/', True)
    >>> pyodide_source("assets/pyodide/", "https://example.org/pyodide/v0.17.1/full")
    ('https://example.org/pyodide/v0.17.1/full/', False)
    """
    url = override or configured or SITE_PYODIDE
    url = url if url.endswith("/") else url + "/"
    ships = not re.match(r"^([a-z][a-z0-9+.-]*:|//)", url)  # no scheme, not protocol-relative
    if ships and url != SITE_PYODIDE:
        raise PluginError(f"pyodide_url must be {SITE_PYODIDE!r} (the copy this build ships) or "
                          f"an absolute URL of another copy, got {url!r}")
    return url, ships


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    settings.root = Path(config.config_file_path).parent
    settings.pyodide_url, settings.ships_pyodide = pyodide_source(
        config.extra.get("pyodide_url"), os.environ.get("CNNLAB_PYODIDE_URL")
    )
    _dist()
    settings.python_zip = python_zip()
    settings.page_configs.clear()  # `mkdocs serve` builds again with the same module
    return config


def check_weights(folder: Path) -> None:
    """Fails the build, saying why, where the weights that pages load do not load.

    Browsers only compare the files with their checksums: what is checked here is what they get.
    """
    from cnnlab import weights  # the build's own cnnlab (pysrc/), as the pages'

    try:
        weights.load_pretrained(folder)
    except (OSError, ValueError) as error:
        raise PluginError(f"pages load the model weights but {folder} does not load: {error}") \
            from error


def on_files(files: Files, config: MkDocsConfig) -> Files:
    packages: list = ["numpy"]
    loads_weights = False
    for file in files.documentation_pages():
        meta = get_data(Path(file.abs_src_path).read_text(encoding="utf-8"))[1]
        runtime = page_runtime(meta, file.src_uri)
        packages += runtime["packages"]
        loads_weights = loads_weights or runtime["weights"]
    settings.packages = tuple(package_closure(packages))
    if loads_weights:
        check_weights(settings.root / PRETRAINED_DIR)

    def add(src_uri: str, path: Path) -> None:
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))

    dist = _dist()
    if settings.ships_pyodide:
        package_files = [f"{p}.{ext}" for p in settings.packages for ext in ("js", "data")]
        for name in [*CORE_FILES, *package_files]:
            add(SITE_PYODIDE + name, dist / name)
    files.append(File.generated(config, SITE_RUNTIME + "python.zip", content=settings.python_zip))
    for path in pretrained_files():
        add(SITE_PRETRAINED + path.relative_to(settings.root / PRETRAINED_DIR).as_posix(), path)
    katex = settings.root / "node_modules/katex/dist"
    for name in KATEX_FILES:
        add(f"{SITE_VENDOR}katex/{name}", katex / name)
    for path in sorted((katex / "fonts").glob("*.woff2")):
        add(f"{SITE_VENDOR}katex/fonts/{path.name}", path)
    files.append(File.generated(config, SITE_VENDOR + "codemirror.js", content=editor_bundle()))
    return files


def worker_script(page: Page) -> str:
    """``worker.js`` relative to the page."""
    return get_relative_url(WORKER_SCRIPT, page.url)


def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    runs_python = "runtime" in page.meta or RUNNABLE_PAGE.search(html_text)
    if not runs_python:
        return html_text
    config = page_config(page_runtime(page.meta, page.file.src_uri))
    settings.page_configs[page.file.src_uri] = config  # for its <head>: on_post_page
    element = status_element(config, worker_script(page))
    heading_end = html_text.find("</h1>")
    at = heading_end + len("</h1>") if heading_end >= 0 else 0
    return html_text[:at] + element + html_text[at:]


def script_json(value: object) -> str:
    """``value`` as JSON that can stand inside a ``<script>`` element.

    >>> print(script_json({"url": "</script>"}))
    {"url": "<\\/script>"}
    """
    return json.dumps(value).replace("</", "<\\/")


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Every page's <head> gets START_WORKER; a page that runs Python starts and boots its
    worker there."""
    if HEAD_START not in output:
        raise PluginError(f"{page.file.src_uri}: no {HEAD_START} to put the runtime's script after")
    config = settings.page_configs.get(page.file.src_uri)
    start = START_HERE % (json.dumps(worker_script(page)), script_json(config)) if config else ""
    return output.replace(HEAD_START, HEAD_START + START_WORKER % start, 1)
