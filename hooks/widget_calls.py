"""MkDocs hook: every Python name a widget script calls exists, or the build stops.

Widgets call Python by name (``runtime.call("cnnlab.pages.layout.architecture", ...)``), a
string neither ruff nor pytest sees; a renamed or moved function would break only in the
browser. Before anything is built, this reads the site's scripts and checks that every quoted
``"cnnlab.<module>.<name>"`` is a documented function of the ``cnnlab`` the browser gets (not
the offline trainer, ``cnnlab.train``), and that no widget carries Python source of its own
(``runtime.eval``): its Python lives in a module, with a docstring and a test.
``tests/test_widget_calls.py`` runs the same checks natively.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

import site_build

SCRIPTS = site_build.ROOT / "docs/assets/javascripts"
WIDGETS = SCRIPTS / "widgets"
NAME = re.compile(r"[\"'`](cnnlab(?:\.[A-Za-z_]\w*)+)[\"'`]")  # a quoted dotted name
PYTHON_SOURCE = re.compile(r"\.eval\(|^\s*(?:from cnnlab\b|import numpy\b)", re.MULTILINE)


def called_names(scripts: Path = SCRIPTS) -> list[str]:
    """The dotted ``cnnlab`` names quoted in the scripts under ``scripts``, sorted, each once.

    >>> "cnnlab.pages.inside.inspect_drawing" in called_names()
    True
    """
    return sorted({name for path in scripts.rglob("*.js")
                   for name in NAME.findall(path.read_text(encoding="utf-8"))})


def problem(name: str) -> str | None:
    """Why a widget cannot call ``name``, or ``None`` when it can.

    >>> problem("cnnlab.signal.output_size") is None
    True
    >>> problem("cnnlab.signal.no_such_function")
    'cnnlab.signal.no_such_function is not a function of cnnlab.signal'
    """
    module_name, _, attribute = name.rpartition(".")
    if module_name == "cnnlab.train" or module_name.startswith("cnnlab.train."):
        return f"{name}: the browser has no cnnlab.train (the offline trainer)"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return f"{name}: there is no module {module_name}"
    function = getattr(module, attribute, None)
    if not callable(function):
        return f"{name} is not a function of {module_name}"
    if not (function.__doc__ or "").strip():
        return f"{name} has no docstring"
    return None


def python_sources(widgets: Path = WIDGETS) -> list[str]:
    """The widget scripts that carry Python source (``runtime.eval``, an import), by name.

    >>> python_sources()
    []
    """
    return sorted(path.name for path in widgets.glob("*.js")
                  if PYTHON_SOURCE.search(path.read_text(encoding="utf-8")))


def problems(scripts: Path = SCRIPTS, widgets: Path = WIDGETS) -> list[str]:
    """Everything wrong with the scripts' calls into Python, one sentence each.

    >>> problems()
    []
    """
    found = [said for said in map(problem, called_names(scripts)) if said]
    return found + [f"{name} carries Python source: call a named cnnlab.pages function instead"
                    for name in python_sources(widgets)]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    found = problems()
    if found:
        raise PluginError("widget scripts:\n  " + "\n  ".join(found))
    return config
