"""Comparing the learner's result with the right one, naming the mistake when it is a known one.

A *variant* is what a known mistake computes: ``(kind, message, value)``. When the learner's
result equals a variant's value (and that value differs from the right one, so an input where
the mistake is harmless names nothing), the variant's message is the feedback. Otherwise a
wrong shape, a ``nan`` or wrong numbers are said as such, with a 2-D picture when it helps.

>>> right = np.array([1.0, 2.0])
>>> check_array(np.array([2.0, 1.0]), right, "y",
...             variants=[("flipped", "flipped!", right[::-1])])
Traceback (most recent call last):
...
cnnlab.practice.feedback.Mistake: flipped!
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .feedback import Mistake, first_wrong, grid_picture

Variant = tuple[str, str, Any]  # (kind, message, what the mistake computes)


def same(a: Any, b: Any) -> bool:
    """Equal shapes and close numbers (``nan`` equals ``nan``); False for what is not numeric."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-8, equal_nan=True))


def named_variant(actual: Any, expected: Any, variants: Sequence[Variant]) -> None:
    """Raise the Mistake of the first variant ``actual`` equals (one that differs from
    ``expected``)."""
    for kind, message, wrong in variants:
        if not same(wrong, expected) and same(actual, wrong):
            raise Mistake(kind, message)


def as_numbers(actual: Any, what: str) -> np.ndarray:
    """``actual`` as a float array, or a Mistake ("none", "type")."""
    if actual is None:
        raise Mistake("none", f"{what} is None: return (or assign) the result.")
    try:
        return np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise Mistake("type", f"{what} is a {type(actual).__name__}, not numbers.") from None


def check_array(
    actual: Any,
    expected: Any,
    what: str,
    variants: Sequence[Variant] = (),
    shape_formula: str = "",
    picture: Callable[[np.ndarray], dict] | None = None,
) -> None:
    """Raise a Mistake unless ``actual`` equals ``expected``.

    ``what`` names the result in messages ("conv1d(x, w, p=1)"); ``shape_formula`` says where
    the right shape comes from; ``picture(actual)`` draws a wrong 2-D result
    (:func:`cnnlab.practice.feedback.grid_picture`).
    """
    named_variant(actual, expected, variants)
    numbers = as_numbers(actual, what)
    expected = np.asarray(expected, dtype=float)
    if numbers.shape != expected.shape:
        raise Mistake(
            "shape",
            f"{what} has shape {numbers.shape}, expected {expected.shape}"
            + (f": {shape_formula}." if shape_formula else "."),
        )
    if same(numbers, expected):
        return
    if np.isnan(numbers).any() or np.isinf(numbers).any():
        raise Mistake(
            "nan",
            f"{what} holds inf or nan where {describe_numbers(expected)} "
            "was expected: something overflowed or divided by zero.",
        )
    if numbers.ndim == 0:
        raise Mistake("values", f"{what} is {numbers.item():g}, expected {expected.item():g}.")
    index = first_wrong(expected, numbers)
    shown = ", ".join(map(str, index))
    message = (
        f"{what} is wrong at [{shown}]: {numbers[index]:g} where "
        f"{expected[index]:g} was expected "
        f"({int((~np.isclose(numbers, expected)).sum())} of {numbers.size} values differ)."
    )
    grid = picture(numbers) if picture is not None and numbers.ndim == 2 else None
    if grid is None and numbers.ndim == 2:
        grid = grid_picture(expected, numbers)
    if grid is not None and grid["window"] is not None:
        message += f" That cell comes from the input window {grid['window']['label']}."
    raise Mistake("values", message, grid)


def describe_numbers(expected: np.ndarray) -> str:
    return f"{expected.item():g}" if expected.ndim == 0 else "finite numbers"
