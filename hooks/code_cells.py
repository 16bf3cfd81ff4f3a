"""MkDocs hook: runnable code cells and widgets, written as fenced blocks in Markdown.

````markdown
```pyodide
import numpy as np
np.arange(3) * 2
```
````

becomes an editable cell whose output is computed here, at build time, by native CPython
with the same ``cnnlab`` and the same runner (``labrunner.cells``) the browser uses. Cells of
a page share one namespace, in page order. Its code is rendered here too, as the page's editor
will show it (``frontend/cell-view.mjs``, run by Node): the page creates the editor itself only
when the visitor clicks or tabs into the code. Options after ``pyodide``:

- ``fresh``   the cell runs in a namespace of its own;
- ``raises``  the cell is meant to raise (its traceback is the output); the build warns if not;
- ``nobuild`` the cell is not run at build time (``while True: pass``); it shows a note.

An exception in a cell without ``raises`` is a warning, so ``mkdocs build --strict`` fails.

````markdown
```widget
name: output-size
n: 7
```
````

becomes a placeholder that ``docs/assets/javascripts/widgets/output-size.js`` fills in the
browser; the rest of the YAML goes to the widget as its options, and ``fallback:`` (optional)
is the text readers without JavaScript see.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from pymdownx.superfences import SuperFencesException

import site_build
from node_helper import NodeHelper

# labrunner, the runner the browser uses, lives with the browser's code (site_build).
if str(site_build.BROWSER_PYTHON.parent) not in sys.path:
    sys.path.insert(0, str(site_build.BROWSER_PYTHON.parent))
from labrunner.cells import run_cell

log = logging.getLogger("mkdocs.plugins.code_cells")

CELL_OPTIONS = ("fresh", "raises", "nobuild")
# A cell that runs this long at build time is a mistake (an endless loop without ``nobuild``).
BUILD_TIMEOUT_S = 120
NOBUILD_NOTE = "This cell is not run when the site is built: press Run to see what it does.\n"
WIDGET_FALLBACK = "This interactive widget runs Python in your browser; it needs JavaScript."
WIDGET_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CELL_KEY = re.compile(r'data-cell-key="(\d+)"')


@dataclass(frozen=True)
class Cell:
    code: str
    options: frozenset


@dataclass
class _State:
    """What the fence formatters need to know about the build and the page being rendered."""

    docs_dir: Path = Path()
    config_dir: Path = Path()
    page: str = ""
    cells: list = field(default_factory=list)


state = _State()
code_views = NodeHelper("cell-view.mjs")  # a cell's code, rendered as its editor shows it


# --- the fences -------------------------------------------------------------------------------

def validate_cell(language: str, inputs: dict, options: dict, attrs: dict, md: Any) -> bool:
    for key in inputs:
        if key not in CELL_OPTIONS:
            raise SuperFencesException(
                f"{state.page}: unknown option {key!r} on a pyodide fence; "
                f"expected some of {', '.join(CELL_OPTIONS)}"
            )
        options[key] = True
    return True


def format_cell(source: str, language: str, class_name: str, options: dict, md: Any,
                **kwargs: Any) -> str:
    """The cell's HTML; its output is filled in by :func:`on_page_content`."""
    key = len(state.cells)
    state.cells.append(Cell(source, frozenset(options)))
    return (
        f'<div class="cnnlab-cell" data-testid="code-cell" data-cell-key="{key}">'
        f'<div class="cnnlab-cell__editor" data-testid="code-editor"><!--cnnlab-code-{key}--></div>'
        f'<pre class="cnnlab-cell__output" data-testid="output" data-state="idle" '
        f'aria-live="polite" data-source="build"><!--cnnlab-output-{key}--></pre></div>'
    )


def format_widget(source: str, language: str, class_name: str, options: dict, md: Any,
                  **kwargs: Any) -> str:
    """A placeholder element that the widget's JavaScript module mounts on."""
    try:
        spec = yaml.safe_load(source) or {}
    except yaml.YAMLError as error:
        spec = {"error": str(error)}
    name = spec.pop("name", None) if isinstance(spec, dict) else None
    if not isinstance(name, str) or not WIDGET_NAME.match(name):
        log.warning("%s: a widget fence needs 'name: <widget-name>' (lower-case words joined "
                    "by '-') followed by its options as YAML; got %r", state.page, source)
        name = "invalid"
    elif not (state.docs_dir / "assets/javascripts/widgets" / f"{name}.js").is_file():
        log.warning("%s: widget %r has no module docs/assets/javascripts/widgets/%s.js",
                    state.page, name, name)
    fallback = str(spec.pop("fallback", WIDGET_FALLBACK))
    return (
        f'<div class="cnnlab-widget" data-testid="widget" data-widget="{name}" '
        f'data-options="{html.escape(json.dumps(spec))}">'
        f'<p class="cnnlab-widget__fallback">{html.escape(fallback)}</p></div>'
    )


# --- build-time outputs -----------------------------------------------------------------------

class CellTimeout(Exception):
    """Raised inside a cell that ran longer than :data:`BUILD_TIMEOUT_S` at build time."""


def _raise_timeout(signum: int, frame: Any) -> None:
    raise CellTimeout(f"the cell ran longer than {BUILD_TIMEOUT_S} s at build time; "
                      "mark an endless cell with the 'nobuild' option")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`CellTimeout` in the code running after ``seconds``.

    SIGALRM interrupts pure-Python loops; it exists on POSIX, in the main thread only.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not hasattr(signal, "setitimer") or not in_main_thread:
        yield
        return
    old_handler = signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Cells run from the project root, so ``pretrained/`` resolves as it does in the browser."""
    old_cwd = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old_cwd)


def render_segments(segments: list) -> str:
    """Output segments as HTML spans; the page's JavaScript renders browser output the same way."""
    return "".join(
        f'<span class="cnnlab-out cnnlab-out--{kind}">{html.escape(text)}</span>'
        for kind, text in segments
    )


def run_page_cells(cells: list, page: str) -> list:
    """Each cell's output segments, running the page's cells in order like the browser does."""
    shared: dict = {}
    outputs = []
    with working_directory(state.config_dir):
        for index, cell in enumerate(cells):
            if "nobuild" in cell.options:
                outputs.append([["note", NOBUILD_NOTE]])
                continue
            with time_limit(BUILD_TIMEOUT_S):
                result = run_cell(cell.code, {} if "fresh" in cell.options else shared,
                                  label=f"<cell {index + 1}>")
            if result["ok"] and "raises" in cell.options:
                log.warning("%s: cell %d is marked 'raises' but ran without an exception",
                            page, index + 1)
            elif not result["ok"] and "raises" not in cell.options:
                log.warning("%s: cell %d raised %s at build time (mark it 'raises' if that is "
                            "the point):\n%s", page, index + 1, result["error"],
                            "".join(text for _, text in result["segments"]))
            outputs.append(result["segments"])
    return outputs


# --- MkDocs events ----------------------------------------------------------------------------

def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if "pymdownx.superfences" not in config.markdown_extensions:
        raise SuperFencesException("code_cells needs pymdownx.superfences in markdown_extensions")
    state.docs_dir = Path(config.docs_dir)
    state.config_dir = Path(config.config_file_path).parent
    add_fences(config, [
        {"name": "pyodide", "class": "cnnlab-cell", "format": format_cell,
         "validator": validate_cell},
        {"name": "widget", "class": "cnnlab-widget", "format": format_widget},
    ])
    return config


def add_fences(config: MkDocsConfig, ours: list[dict]) -> None:
    """Add superfences custom fences, replacing any of the same names (``mkdocs serve``
    configures again on each rebuild)."""
    fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault(
        "custom_fences", []
    )
    names = {fence["name"] for fence in ours}
    fences[:] = [fence for fence in fences if fence["name"] not in names] + ours


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    state.page = page.file.src_uri
    state.cells = []
    return markdown


def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    keys = [int(key) for key in CELL_KEY.findall(html_text)]
    if not keys:
        return html_text
    cells = [state.cells[key] for key in keys]  # page order, also for cells inside tabs
    outputs = run_page_cells(cells, page.file.src_uri)
    views = code_views.ask([cell.code for cell in cells])
    for index, (key, cell, segments, view) in enumerate(zip(keys, cells, outputs, views)):
        digest = hashlib.sha256(cell.code.encode()).hexdigest()[:16]
        flags = "".join(f' data-{option}=""' for option in sorted(cell.options))
        html_text = html_text.replace(
            f'data-cell-key="{key}"', f'data-cell-index="{index}" data-hash="{digest}"{flags}', 1
        ).replace(f"<!--cnnlab-output-{key}-->", render_segments(segments), 1
        ).replace(f"<!--cnnlab-code-{key}-->", view, 1)
    return html_text


def on_post_build(config: MkDocsConfig) -> None:
    code_views.close()
