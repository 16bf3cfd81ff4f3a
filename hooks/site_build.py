"""What the site's build hooks share: where things are and what the browser's runtime is.

An ordinary module, not a hook: the hooks (``runtime_files``, ``python_zip``,
``weights_files``, ``vendor_assets``, ``page_runtime``, ``search_worker``) import it, so there
is one copy of it, whichever hook needs it first.

The browser runs Pyodide 0.27.7: its core from the npm package ``pyodide`` (pinned in
``package-lock.json``), whose ``pyodide-lock.json`` names every package with its file and
SHA-256; the package files themselves come from ``pyodide_wheels`` (checked against that lock).
Where the browser gets Pyodide is one setting: ``extra.pyodide_url`` in ``mkdocs.yml`` (the copy
this build ships, or an absolute URL of a full copy of the official 0.27.7 distribution),
overridden by ``CNNLAB_PYODIDE_URL`` at build time.

A page's front matter may ask for more than NumPy::

    runtime:
      packages: [scipy]   # Pyodide packages besides NumPy
      weights: true       # the pretrained model's files
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

from mkdocs.exceptions import PluginError

import pyodide_wheels

ROOT = Path(__file__).resolve().parents[1]
PYODIDE_VERSION = "0.27.7"
PYODIDE_DIST = "node_modules/pyodide"
# Pyodide's core: what loadPyodide fetches (the worker hands it these, checked).
CORE_FILES = ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
              "pyodide-lock.json")
PACKAGE_LABELS = {"numpy": "NumPy", "scipy": "SciPy"}
# The browser's Python side of cells and widgets, next to the worker it serves; the build runs
# the same code natively (code_cells.py).
BROWSER_PYTHON = ROOT / "docs/assets/javascripts/cnnlab/labrunner"
# The Python shipped to the browser: the package's folder, and what of it stays out (the
# offline trainer, which no page runs).
PYTHON_SOURCES = (ROOT / "pysrc/cnnlab", BROWSER_PYTHON)
PYTHON_EXCLUDED = ("cnnlab/train/",)
PRETRAINED_DIR = ROOT / "pretrained"
LICENCES_DIR = ROOT / "licences"
# Where things land in the built site.
SITE_PYODIDE = "assets/pyodide/"
SITE_RUNTIME = "assets/runtime/"
SITE_VENDOR = "assets/vendor/"
SITE_PRETRAINED = "pretrained/"  # as in the repository: pages show pretrained/figures/*
WORKER_SCRIPT = "assets/javascripts/cnnlab/worker.js"


def dist() -> Path:
    """The npm package's folder, checked to hold Pyodide's core."""
    folder = ROOT / PYODIDE_DIST
    missing = [name for name in CORE_FILES if not (folder / name).is_file()]
    if missing:
        raise PluginError(f"{PYODIDE_DIST} lacks {', '.join(missing)}: run `npm ci` first "
                          f"(package.json pins pyodide {PYODIDE_VERSION})")
    return folder


@functools.cache
def _read_lock(path: Path, mtime_ns: int) -> dict:
    return json.loads(path.read_text())


def lock() -> dict:
    """Pyodide's ``pyodide-lock.json``: ``info`` (versions) and ``packages``."""
    path = dist() / "pyodide-lock.json"
    return _read_lock(path, path.stat().st_mtime_ns)


def package_closure(names: list) -> list:
    """``["scipy"]`` -> ``["numpy", "openblas", "scipy"]``: the packages and their dependencies,
    each after what it depends on."""
    index = lock()["packages"]
    ordered: list = []

    def visit(name: str) -> None:
        if name not in index:
            raise PluginError(f"Pyodide {PYODIDE_VERSION} has no package {name!r}")
        for dependency in index[name]["depends"]:
            visit(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def package_file(name: str) -> tuple:
    """``(file name, checked local copy)`` of the package ``name`` (``pyodide_wheels``)."""
    entry = lock()["packages"][name]
    try:
        return entry["file_name"], pyodide_wheels.package_file(entry["file_name"],
                                                               entry["sha256"])
    except pyodide_wheels.WheelError as error:
        raise PluginError(f"Pyodide package {name!r}: {error}") from error


def runtime_versions() -> dict:
    """The versions of what the browser runs, as its lock file names them."""
    info, packages = lock()["info"], lock()["packages"]
    return {"pyodide": info["version"], "python": info["python"],
            "numpy": packages["numpy"]["version"]}


@functools.cache
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(url: str, path: Path) -> dict:
    """What the worker needs to fetch and check one file."""
    stat = path.stat()
    return {"url": url, "size": stat.st_size,
            "sha256": _digest(path, stat.st_size, stat.st_mtime_ns)}


def pyodide_source(configured: str | None, override: str | None) -> tuple:
    """The Pyodide base URL (``extra.pyodide_url``, or the environment's override) and
    whether this build ships the files: it does for the default, relative location; an
    absolute URL points at another copy of the same release.

    >>> pyodide_source(None, None)
    ('assets/pyodide/', True)
    >>> pyodide_source("assets/pyodide/", "https://example.org/pyodide/v0.27.7/full")
    ('https://example.org/pyodide/v0.27.7/full/', False)
    """
    url = override or configured or SITE_PYODIDE
    url = url if url.endswith("/") else url + "/"
    ships = not re.match(r"^([a-z][a-z0-9+.-]*:|//)", url)  # no scheme, not protocol-relative
    if ships and url != SITE_PYODIDE:
        raise PluginError(f"pyodide_url must be {SITE_PYODIDE!r} (the copy this build ships) or "
                          f"an absolute URL of another copy, got {url!r}")
    return url, ships


def configured_pyodide(config) -> tuple:
    """:func:`pyodide_source` of a build's configuration and environment."""
    return pyodide_source(config.extra.get("pyodide_url"), os.environ.get("CNNLAB_PYODIDE_URL"))


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


def site_runtimes(files) -> list:
    """:func:`page_runtime` of every page of the site (``files``: MkDocs' ``Files``)."""
    from mkdocs.utils.meta import get_data

    return [page_runtime(get_data(Path(file.abs_src_path).read_text(encoding="utf-8"))[1],
                         file.src_uri) for file in files.documentation_pages()]


def python_files() -> list:
    """``[(name in the zip, path)]`` of the Python the browser gets, in a fixed order."""
    found = []
    for base in PYTHON_SOURCES:
        for path in sorted(base.rglob("*")):
            name = f"{base.name}/{path.relative_to(base).as_posix()}"
            if (path.is_file() and "__pycache__" not in path.parts
                    and not name.startswith(PYTHON_EXCLUDED)):
                found.append((name, path))
    return found


def python_zip() -> bytes:
    """``cnnlab`` and ``labrunner`` as a deterministic zip (same sources, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in python_files():
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), path.read_bytes())
    return buffer.getvalue()


def pretrained_files() -> list:
    """Everything in ``pretrained/`` (weights, manifest, figures), hidden files excepted."""
    return sorted(
        path for path in PRETRAINED_DIR.rglob("*")
        if path.is_file()
        and not any(p.startswith(".") for p in path.relative_to(PRETRAINED_DIR).parts)
    )


def script_json(value: object) -> str:
    """``value`` as JSON that can stand inside a ``<script>`` element.

    >>> print(script_json({"url": "</script>"}))
    {"url": "<\\/script>"}
    """
    return json.dumps(value).replace("</", "<\\/")
