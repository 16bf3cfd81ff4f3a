"""What the page's Python worker (``docs/assets/javascripts/cnnlab/worker.js``) asks Python.

Each request kind is one function here; the worker calls it through :func:`guarded`, so that
an exception comes back as a value the page can show, not as a failed call. What the worker
needs before this package is unpacked (installing files) stays in its own short bootstrap.

The bytecode kept between visits (``bytecode.js``) is made here too: :func:`imported_sources`
says which modules were imported from source, :func:`bytecode_file` gives each one's ``.pyc``.

>>> guarded(run, "print(6 * 7)", "<cell>", False)["value"]["segments"]
[['out', '42\\n']]
>>> guarded(evaluate, "1 / x", {"x": 0})["error"]["name"]
'ZeroDivisionError'
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
from typing import Any, Callable

from . import bridge, cells

# The cells of one page share a namespace, as in a notebook; a "fresh" cell gets its own.
page_namespace: dict[str, Any] = {"__name__": "__main__"}

# The runtime's own library: the standard library, and NumPy and SciPy in its site-packages.
RUNTIME_LIBRARY = os.path.dirname(os.__file__) + os.sep

# PEP 552's flags of a hash-based .pyc: bit 0 "hash-based", bit 1 "check the source".
CHECKED, UNCHECKED = 0b11, 0b01


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
    """The versions a page reports once its Python is ready."""
    import numpy

    return {"python": sys.version.split()[0], "numpy": numpy.__version__}


# --- bytecode kept between visits ---------------------------------------------------------------

def imported_sources() -> list:
    """``[path, where its bytecode goes]`` of every module imported from a source file."""
    paths = {getattr(module, "__file__", None) or "" for module in list(sys.modules.values())}
    return [[path, importlib.util.cache_from_source(path)] for path in sorted(paths)
            if path.endswith(".py")]


def bytecode_files(paths: list) -> list:
    return [bytecode_file(path) for path in paths]


def bytecode_file(path: str, runtime_library: str = RUNTIME_LIBRARY) -> list:
    """``[where Python looks for the bytecode of the source file at path, a hash-based .pyc
    of it (PEP 552)]``.

    The .pyc of a module of the runtime's library is *unchecked*: those sources come only from
    the runtime's packages, whose checksums name the kept entry, and checking would read and
    hash every one of them on every import (tens of ms of a return visit). Any other module's
    (cnnlab, labrunner, the visitor's own) is *checked*: Python uses it only while the source
    is byte for byte the one it was compiled from.
    """
    with open(path, "rb") as handle:
        source = handle.read()
    cached = importlib.util.cache_from_source(path)
    try:
        with open(cached, "rb") as handle:
            existing = handle.read()
    except OSError:  # imported as Python started, before sitecustomize turned writing on
        existing = b""
    magic = importlib.util.MAGIC_NUMBER
    flags = UNCHECKED if path.startswith(runtime_library) else CHECKED
    header = magic + flags.to_bytes(4, "little") + importlib.util.source_hash(source)
    if existing[:16] == header:  # put back from the kept bytecode
        return [cached, existing]
    # What Python wrote on import: a header (magic number, flags 0, the source's date and
    # size), then the code. Reused only if it is of this very source.
    date_and_size = [int(os.stat(path).st_mtime), len(source)]
    written = magic + bytes(4) + b"".join((n & 0xFFFFFFFF).to_bytes(4, "little")
                                          for n in date_and_size)
    if existing[:16] == written:
        return [cached, header + existing[16:]]
    return [cached, header + marshal.dumps(compile(source, path, "exec", dont_inherit=True))]
