"""What the page's Python worker (``worker.js``, next to this package) asks Python.

Each request kind is one function here; the worker calls it through :func:`guarded`, so that
an exception comes back as a value the page can show, not as a failed call. What the worker
needs before this package is unpacked (installing files) stays in its own short bootstrap.

>>> guarded(run, "print(6 * 7)", "<cell>", False)["value"]["segments"]
[['out', '42\\n']]
>>> guarded(evaluate, "1 / x", {"x": 0})["error"]["name"]
'ZeroDivisionError'
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from . import bridge, cells

# The cells of one page share a namespace, as in a notebook; a "fresh" cell gets its own.
# The worker outlives its page (instant navigation): each page starts with an empty one.
page_namespace: dict[str, Any] = {"__name__": "__main__"}


def new_page() -> None:
    """The worker now serves another page: its cells start from an empty namespace."""
    global page_namespace
    page_namespace = {"__name__": "__main__"}


def run(code: str, label: str, fresh: bool) -> dict:
    """A code cell: its output segments and error (:func:`labrunner.cells.run_cell`)."""
    return cells.run_cell(code, {"__name__": "__main__"} if fresh else page_namespace, label)


def call(name: str, args: list, kwargs: dict) -> Any:
    """A widget's call of a function by its dotted name (:func:`labrunner.bridge.call`)."""
    return bridge.call(name, args, kwargs)


def evaluate(code: str, variables: dict) -> Any:
    """A widget's snippet (:func:`labrunner.bridge.evaluate`)."""
    return bridge.evaluate(code, variables)


def guarded(function: Callable[..., Any], *args: Any) -> dict:
    """``{"ok": True, "value": ...}``, or ``{"ok": False, "error": {name, message,
    traceback}}`` when ``function(*args)`` raised."""
    try:
        return {"ok": True, "value": function(*args)}
    except Exception as exc:
        return {"ok": False, "error": {"name": type(exc).__name__, "message": str(exc),
                                       "traceback": cells.format_exception(exc, "<widget>")}}


def versions() -> dict:
    """The versions a page reports once its Python is ready (Pyodide's only in the browser)."""
    import numpy

    found = {"python": sys.version.split()[0], "numpy": numpy.__version__}
    try:
        import pyodide
    except ImportError:  # natively
        return found
    return {**found, "pyodide": pyodide.__version__}
