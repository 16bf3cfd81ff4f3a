"""Running the learner's code, and calling what it defined, so that any failure is a Mistake.

The code runs in a fresh namespace (nothing from the page's cells leaks in); what it prints is
kept, up to :data:`OUTPUT_LIMIT` characters. NumPy's floating-point warnings are silenced: an
overflow shows as ``inf``/``nan`` in the result, which the checks name.

>>> namespace, output = run("print('hi')\\ndef f(x):\\n    return 2 * x")
>>> call(function(namespace, "f"), "f", 21), output.text()
(42, 'hi\\n')
>>> run("def f(:")
Traceback (most recent call last):
...
cnnlab.practice.feedback.Mistake: Your code does not parse: invalid syntax (line 1).
"""

from __future__ import annotations

import contextlib
import io
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .feedback import Mistake

LABEL = "<your code>"
OUTPUT_LIMIT = 2_000


class Output(io.TextIOBase):
    """Printed text, kept up to ``limit`` characters (a loop printing forever costs nothing)."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
        self.size += len(text)
        return len(text)

    def text(self) -> str:
        kept = "".join(self.parts)
        if self.size > self.limit:
            kept += f"\n[{self.size - self.limit:,} more characters not shown]\n"
        return kept


@contextlib.contextmanager
def capturing(output: Output) -> Iterator[None]:
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), np.errstate(
        all="ignore"
    ), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _where(exc: BaseException) -> str:
    lines = [
        frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == LABEL
    ]
    return f" (line {lines[-1]} of your code)" if lines else ""


def run(code: str, output: Output | None = None) -> tuple[dict[str, Any], Output]:
    """Run ``code`` in a fresh namespace; ``(namespace, output)`` or a Mistake
    ("syntax", "raised")."""
    output = output or Output()
    namespace: dict[str, Any] = {"__name__": "__exercise__"}
    try:
        compiled = compile(code, LABEL, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise Mistake(
            "syntax", f"Your code does not parse: {exc.msg} (line {exc.lineno})."
        ) from None
    with capturing(output):
        try:
            exec(compiled, namespace)
        except Exception as exc:
            raise Mistake(
                "raised", f"Your code raised {type(exc).__name__}: {exc}{_where(exc)}."
            ) from None
    return namespace, output


def value(namespace: dict[str, Any], name: str) -> Any:
    """The variable ``name`` the learner's code was to define, or a Mistake ("missing")."""
    if name not in namespace or namespace[name] is Ellipsis:
        raise Mistake("missing", f"Your code does not set `{name}`: write `{name} = ...`.")
    return namespace[name]


def function(namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    """The function ``name`` the learner's code was to define, or a Mistake ("missing")."""
    found = namespace.get(name)
    if not callable(found):
        raise Mistake(
            "missing", f"Your code does not define the function `{name}`: write `def {name}(...):`."
        )
    return found


def describe(value: Any) -> str:
    """A short text for an argument in a message: arrays by shape, numbers as they are."""
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>" if value.size > 12 else str(value.tolist())
    return repr(value)


def call(fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with NumPy warnings silenced; an exception is a Mistake
    ("raised") that says which call raised."""
    shown = ", ".join(
        [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    )
    with capturing(Output(0)):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise Mistake(
                "raised", f"`{name}({shown})` raised {type(exc).__name__}: {exc}{_where(exc)}."
            ) from None
