"""MkDocs hook: tell each page that runs Python what its worker loads, and start it early.

A page runs Python when it has cells or widgets (``code_cells.py``) or front matter
``runtime:`` (``site_build.page_runtime``). It gets a status element, with the stages it loads
and every file's URL, size and checksum (:func:`page_config`), which the page's worker
verifies; and its ``<head>`` a small script that starts that worker before the rest of the page
loads (worker.js says why).

Page text may name the runtime's versions: ``<span data-runtime-version="python"></span>``
(or ``numpy``, ``pyodide``) is filled in here from Pyodide's lock file, and again in the
browser from the running Python (main.js).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import typing

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

import site_build

RUNNABLE_PAGE = re.compile(r'<div class="cnnlab-(cell|widget|exercise)"')  # the fence hooks
VERSION_SPAN = re.compile(r'<span data-runtime-version="(\w+)"></span>')


class Pages:
    """What the build found out so far: the Pyodide base URL, and each page's config."""

    pyodide_url: str = site_build.SITE_PYODIDE
    ships_pyodide: bool = True  # the build ships Pyodide (False: a full copy elsewhere)
    lock: bytes = b""  # the lock file it ships (site_build.shipped_lock)
    python_zip: tuple = ()  # (size, sha256)
    # src_uri -> page_config(...), for the page's <head>: on_post_page
    configs: typing.ClassVar[dict] = {}


def stages(runtime: dict) -> list:
    """The loading stages of a page, in order, with every file's URL, size and checksum."""
    dist = site_build.dist()

    def pyodide_file(name: str, path) -> dict:
        if name == site_build.LOCK_FILE and Pages.ships_pyodide:
            return site_build.describe_content(Pages.pyodide_url + name, Pages.lock)
        return site_build.describe(Pages.pyodide_url + name, path)

    result = [{"id": "python", "label": "Python runtime",
               "files": [pyodide_file(name, dist / name) for name in site_build.CORE_FILES]}]
    loaded: list = []
    for name in ["numpy", *runtime["packages"]]:
        new = [p for p in site_build.package_closure([name]) if p not in loaded]
        loaded += new
        if new:
            result.append({"id": name, "label": site_build.PACKAGE_LABELS.get(name, name),
                           "packages": new,
                           "files": [pyodide_file(*site_build.package_file(p)) for p in new]})
    size, digest = Pages.python_zip
    result.append({"id": "cnnlab", "label": "cnnlab", "files": [{
        "url": f"{site_build.SITE_RUNTIME}python.zip?v={digest[:12]}", "size": size,
        "sha256": digest}]})
    if runtime["weights"]:
        # Python gets the top-level files (weights, manifest); figures are for pages to show.
        files = [p for p in site_build.pretrained_files()
                 if p.parent == site_build.PRETRAINED_DIR]
        if not files:
            raise PluginError("a page loads the model weights but pretrained/ is empty")
        described = [site_build.describe(f"{site_build.SITE_PRETRAINED}{p.name}", p)
                     for p in files]
        for entry in described:
            entry["url"] += "?v=" + entry["sha256"][:12]
        result.append({"id": "weights", "label": "model weights", "files": described})
    return result


def page_config(runtime: dict) -> dict:
    """What a page's worker loads: the Pyodide base URL and the stages with their files."""
    return {"pyodide": Pages.pyodide_url, "stages": stages(runtime)}


# A page's Python worker starts as early as it can: in the page's <head>, before the stylesheets
# and the theme's scripts load, with the page's files in its URL (worker.js says why; the same
# config as the status element's: a script after that element would wait for the stylesheets,
# and a message to the worker for the page's main thread). main.js, a module, runs last: its
# Runtime takes the worker over with what it sent meanwhile. After an instant navigation the
# theme runs the script after the status element, not the new <head>'s: that script starts a
# worker only if the previous page has none to hand over (CNNLab.keepsPython, main.js), with
# the function every page's <head> defines for it (if the visitor came from the 404 page,
# which has none, main.js starts it).
START_WORKER = """<script>
function cnnlabStartWorker(url, config) {
  var worker = new Worker(url + "#" + encodeURIComponent(JSON.stringify(config)));
  var early = {worker: worker, messages: [], error: null, started: performance.now()};
  worker.onmessage = function (event) { early.messages.push(event.data); };
  worker.onerror = function (event) {
    event.preventDefault();
    early.error = event.message || ""; // none: worker.js could not be downloaded
  };
  return early;
}
%s</script>"""
START_HERE = "window.cnnlabWorker = cnnlabStartWorker(%s, %s);\n"
BOOT_WORKER = """<script>
(function (status) {
  var kept = window.CNNLab && window.CNNLab.keepsPython();
  var early = window.cnnlabWorker || (!kept && window.cnnlabStartWorker
    && cnnlabStartWorker(%s, JSON.parse(status.dataset.config)));
  window.cnnlabWorker = null;
  if (early) status.cnnlabWorker = early;
})(document.currentScript.previousElementSibling);
</script>"""
HEAD_START = '<meta charset="utf-8">'  # the first element of every mkdocs-material page
STATUS_ELEMENT = 'data-testid="runtime-status"'


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


def fill_versions(html_text: str, versions: dict) -> str:
    """Each empty ``<span data-runtime-version="name">`` gets ``versions[name]``.

    >>> fill_versions('Python <span data-runtime-version="python"></span>', {"python": "3.12"})
    'Python <span data-runtime-version="python">3.12</span>'
    """
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in versions:
            raise PluginError(f"no runtime version {name!r}: expected one of {sorted(versions)}")
        return f'<span data-runtime-version="{name}">{html.escape(versions[name])}</span>'

    return VERSION_SPAN.sub(fill, html_text)


def worker_script(page: Page) -> str:
    """``worker.js`` relative to the page."""
    return get_relative_url(site_build.WORKER_SCRIPT, page.url)


# --- MkDocs events ----------------------------------------------------------------------------

def on_config(config: MkDocsConfig) -> MkDocsConfig:
    Pages.pyodide_url, Pages.ships_pyodide = site_build.configured_pyodide(config)
    content = site_build.python_zip()
    Pages.python_zip = (len(content), hashlib.sha256(content).hexdigest())
    Pages.configs = {}  # `mkdocs serve` builds again with the same module
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    Pages.lock = site_build.shipped_lock(site_build.shipped_packages(files))
    return files


def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    html_text = fill_versions(html_text, site_build.runtime_versions())
    runs_python = "runtime" in page.meta or RUNNABLE_PAGE.search(html_text)
    if not runs_python:
        return html_text
    page_config_ = page_config(site_build.page_runtime(page.meta, page.file.src_uri))
    Pages.configs[page.file.src_uri] = page_config_
    element = status_element(page_config_, worker_script(page))
    heading_end = html_text.find("</h1>")
    at = heading_end + len("</h1>") if heading_end >= 0 else 0
    return html_text[:at] + element + html_text[at:]


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Every page's <head> gets START_WORKER; a page that runs Python starts and boots its
    worker there."""
    if HEAD_START not in output:
        raise PluginError(f"{page.file.src_uri}: no {HEAD_START} to put the runtime's script after")
    page_config_ = Pages.configs.get(page.file.src_uri)
    start = (START_HERE % (json.dumps(worker_script(page)), site_build.script_json(page_config_))
             if page_config_ else "")
    return output.replace(HEAD_START, HEAD_START + START_WORKER % start, 1)
