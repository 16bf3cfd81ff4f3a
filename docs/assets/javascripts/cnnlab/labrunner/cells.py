"""Run one code cell like a notebook does, and describe its output.

The output is a list of ``[kind, text]`` segments in the order they were produced:

- ``"out"``   text printed to stdout
- ``"err"``   text written to stderr (warnings, for instance)
- ``"value"`` ``repr`` of the cell's final expression, when it is not ``None``
- ``"error"`` the traceback of an exception, trimmed to the visitor's code and what it called
- ``"note"``  a remark from the runner itself (output truncated)

>>> namespace = {}
>>> run_cell("x = 6\\nprint(x * 7)\\nx + 1", namespace)["segments"]
[['out', '42\\n'], ['value', '7\\n']]
>>> result = run_cell("y = x / 0", namespace, label="<cell 2>")
>>> result["ok"], result["error"]
(False, 'ZeroDivisionError')
>>> print(result["segments"][0][1], end="")
Traceback (most recent call last):
  File "<cell 2>", line 1, in <module>
    y = x / 0
ZeroDivisionError: division by zero
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any

# Characters of output kept per cell: plenty to read, small enough for the page to stay fast.
OUTPUT_LIMIT = 20_000


class CappedOutput:
    """Collects output segments, keeping the first ``limit`` characters and counting the rest."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.kept = 0
        self.dropped = 0
        self.segments: list[list[str]] = []

    def add(self, kind: str, text: str) -> None:
        room = self.limit - self.kept
        if len(text) > room:
            self.dropped += len(text) - max(room, 0)
            text = text[: max(room, 0)]
        if not text:
            return
        self.kept += len(text)
        if self.segments and self.segments[-1][0] == kind:
            self.segments[-1][1] += text
        else:
            self.segments.append([kind, text])

    def finish(self) -> list[list[str]]:
        if self.dropped:
            self.segments.append(
                ["note", f"\n[output truncated: {self.dropped:,} more characters not shown]\n"]
            )
        return self.segments


class _Stream(io.TextIOBase):
    """A text stream (stdout or stderr) that feeds a :class:`CappedOutput`."""

    def __init__(self, sink: CappedOutput, kind: str) -> None:
        self.sink = sink
        self.kind = kind

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.sink.add(self.kind, text)
        return len(text)


@contextlib.contextmanager
def _numpy_1x_reprs() -> Iterator[None]:
    """Print NumPy scalars as the book does, with NumPy 1.x (``5.0``, not ``np.float64(5.0)``)."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        yield
        return
    with numpy.printoptions(legacy="1.25"):
        yield


def _short_path(filename: str) -> str:
    """``/any/site-packages/numpy/core/x.py`` -> ``numpy/core/x.py``: the same on every machine."""
    best = ""
    for entry in sys.path:
        entry = os.path.join(os.path.abspath(entry or "."), "")
        if filename.startswith(entry) and len(entry) > len(best):
            best = entry
    return filename[len(best):] if best else filename


def format_exception(exc: BaseException, label: str) -> str:
    """A Python traceback starting at the cell's own frame (the runner's frames are trimmed)."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, frame in enumerate(frames) if frame.filename == label), len(frames))
    lines = []
    if frames[first:]:
        lines.append("Traceback (most recent call last):\n")
        for frame in frames[first:]:
            lines.append(
                f'  File "{_short_path(frame.filename)}", line {frame.lineno}, in {frame.name}\n'
            )
            if frame.line:
                lines.append(f"    {frame.line.strip()}\n")
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(lines)


def compile_cell(code: str, label: str) -> tuple:
    """Compile the cell, splitting off a final expression whose value is shown."""
    tree = ast.parse(code, filename=label)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), label, "eval")
    body = compile(ast.Module(body=tree.body, type_ignores=[]), label, "exec")
    return body, last


def run_cell(code: str, namespace: dict[str, Any], label: str = "<cell>") -> dict[str, Any]:
    """Run ``code`` in ``namespace`` and return its output.

    Parameters
    ----------
    code : the cell's source.
    namespace : the globals it runs in; pass the same dict to cells that share variables.
    label : the file name in tracebacks, e.g. ``"<cell 3>"``.

    Returns
    -------
    ``{"ok": bool, "error": exception class name or None, "segments": [[kind, text], ...]}``
    """
    namespace.setdefault("__name__", "__main__")
    # Tracebacks and inspect read source lines through linecache.
    linecache.cache[label] = (len(code), None, code.splitlines(True), label)
    output = CappedOutput()
    error = None
    with contextlib.redirect_stdout(_Stream(output, "out")), contextlib.redirect_stderr(
        _Stream(output, "err")
    ), _numpy_1x_reprs():
        try:
            body, last = compile_cell(code, label)
            exec(body, namespace)
            if last is not None:
                value = eval(last, namespace)
                if value is not None:
                    namespace["_"] = value
                    output.add("value", repr(value) + "\n")
        except (Exception, SystemExit) as exc:  # the visitor's exception is the cell's output
            error = type(exc).__name__
            output.add("error", format_exception(exc, label))
    return {"ok": error is None, "error": error, "segments": output.finish()}
