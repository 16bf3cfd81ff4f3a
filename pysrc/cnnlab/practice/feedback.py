"""What a check says about the learner's code: structured data that the page only renders.

A check returns :func:`passed` or raises :class:`Mistake`; :func:`cnnlab.practice.grade`
turns either into a dict::

    {"passed": bool, "kind": str, "message": str, "grid": dict | None, "output": str}

``kind`` names the mistake ("flipped", "shape", "off-by-one", ...; "passed" when right), so
that tests and pages can tell the kinds apart; ``grid`` (2-D results) is
:func:`grid_picture`'s expected / actual / difference picture.

>>> passed("Right.")["kind"]
'passed'
>>> Mistake("shape", "expected (3,), got (4,)").feedback()["passed"]
False
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Digits shown in a picture's cells: enough to see a difference, short enough for 375 px.
SHOWN_DECIMALS = 3


class Mistake(Exception):
    """The learner's code is wrong, in a way named by ``kind``; raised inside checks."""

    def __init__(self, kind: str, message: str, grid: dict | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.grid = grid

    def feedback(self) -> dict[str, Any]:
        return {"passed": False, "kind": self.kind, "message": self.message, "grid": self.grid}


def passed(message: str) -> dict[str, Any]:
    """The feedback of code that passed every case."""
    return {"passed": True, "kind": "passed", "message": message, "grid": None}


def _shown(array: np.ndarray) -> list:
    return np.round(np.asarray(array, dtype=float), SHOWN_DECIMALS).tolist()


def first_wrong(expected: np.ndarray, actual: np.ndarray) -> tuple[int, ...]:
    """Index of the first element (in C order) where ``actual`` is not close to ``expected``.

    >>> first_wrong(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [0.0, 4.0]]))
    (1, 0)
    """
    wrong = ~np.isclose(actual, expected, rtol=1e-6, atol=1e-8, equal_nan=True)
    return tuple(int(i) for i in np.argwhere(wrong)[0])


def grid_picture(
    expected: np.ndarray,
    actual: np.ndarray,
    source: np.ndarray | None = None,
    window: tuple[int, int] = (1, 1),
    stride: tuple[int, int] = (1, 1),
    source_name: str = "X",
) -> dict[str, Any]:
    """A 2-D result's expected / actual / difference picture, its first wrong cell marked.

    With ``source`` (the padded input) the picture also holds the input window that produced
    that cell: rows ``i·s1 … i·s1 + m1 − 1`` and columns ``j·s2 … j·s2 + m2 − 1`` for
    ``window = (m1, m2)`` and ``stride = (s1, s2)``.

    Returns ``{"expected", "actual", "difference": nested lists (rounded), "cell": [i, j],
    "window": {"label", "rows": [first, last], "columns": [first, last], "values"} | None}``.

    >>> picture = grid_picture(np.zeros((2, 2)), np.array([[0.0, 1.0], [0.0, 0.0]]),
    ...                        np.arange(9.0).reshape(3, 3), window=(2, 2))
    >>> picture["cell"], picture["window"]["values"]
    ([0, 1], [[1.0, 2.0], [4.0, 5.0]])
    """
    cell = first_wrong(expected, actual)
    picture = {
        "expected": _shown(expected),
        "actual": _shown(actual),
        "difference": _shown(np.asarray(actual, dtype=float) - expected),
        "cell": list(cell),
        "window": None,
    }
    if source is not None:
        (i, j), (m1, m2), (s1, s2) = cell, window, stride
        rows, columns = [i * s1, i * s1 + m1 - 1], [j * s2, j * s2 + m2 - 1]
        picture["window"] = {
            "label": f"{source_name}[{rows[0]}:{rows[1] + 1}, {columns[0]}:{columns[1] + 1}]",
            "rows": rows,
            "columns": columns,
            "values": _shown(source[rows[0] : rows[1] + 1, columns[0] : columns[1] + 1]),
        }
    return picture
