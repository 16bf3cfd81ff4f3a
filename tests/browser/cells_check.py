"""A cell's output in the browser against its build-time output, compared by the numbers printed.

The build runs every cell natively (CPython, NumPy 2.x) and writes its output into the page;
the browser runs the same code on Pyodide (Python 3.12, NumPy 2.0). Their texts may differ in
NumPy's reprs and in the last printed digit of float32 results, so outputs are compared number
by number, within a tolerance each page states. A cell marked ``raises`` must fail in the
browser too, with the same last line (the exception and its message).

- ``numbers(text)``: every number in a text, in order
- ``check_output(built, shown, state, raises, rel, abs)``: one cell's check
- ``FLOAT32``: the tolerance for numbers computed in float32 (``rel=1e-4, abs=2e-3``)
"""

from __future__ import annotations

import re

import pytest

# 3,274,634 / -0.5996 / 1.2e-05 / inf / nan. Every run of digits counts, inside a name
# ("conv1d") too, so nothing printed escapes the comparison.
NUMBER = re.compile(r"-?(?:inf|nan)\b|-?\d{1,3}(?:,\d{3})+(?![\d.])|-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")
FLOAT32 = {"rel": 1e-4, "abs": 2e-3}


def numbers(text: str) -> list:
    """The numbers in a text, as floats ("3,274,634" is one number)."""
    return [float(number.replace(",", "")) for number in NUMBER.findall(text)]


def check_output(built: str, shown: str, state: str, raises: bool, rel: float,
                 abs: float) -> None:
    """Assert that a cell's browser output ``shown`` (its ``data-state``: ``state``) matches
    the build's ``built``: the same numbers within ``rel``/``abs`` (nan equals nan), or for
    a ``raises`` cell an error with the same last line."""
    if raises:
        assert state == "error", shown
        assert shown.strip().splitlines()[-1] == built.strip().splitlines()[-1], (shown, built)
        return
    assert state == "done", shown
    got, expected = numbers(shown), numbers(built)
    assert len(got) == len(expected), (shown, built)
    assert got == pytest.approx(expected, rel=rel, abs=abs, nan_ok=True), (shown, built)
