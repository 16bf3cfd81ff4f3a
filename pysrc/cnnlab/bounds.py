"""What a visitor may type into the pages' widgets: every field's limits, and why.

Each widget's Python function checks its arguments here before it computes anything, so a
code cell calling it gets the same ``ValueError`` as the widget, and nothing typed can keep
Python busy or make the page draw without end. The messages are for a learner: they name
the field, the limits and the reason, never an exception class.

- :class:`Whole`: a whole number between ``low`` and ``high`` (:func:`whole_number`).
- :class:`Real`: any number between ``low`` and ``high``.
- :class:`Numbers`: a typed list (or matrix) of at most ``most`` numbers per axis.
- :class:`Choice`: a control that offers only valid values (a select, slider or switch).
- :data:`WIDGET_FIELDS`: every field of every widget (by its ``data-testid``) and its bound;
  the browser tests read it, so a widget cannot get a field without a bound.

>>> PADDING_2D.check("3")
3
>>> PADDING_2D.check(100)
Traceback (most recent call last):
...
ValueError: padding p ≤ 5 keeps the drawing readable (got 100)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

_INTEGER = re.compile(r"[+-]?\d+")
_SHOWN = 12  # characters of a rejected value that a message repeats


def _shown(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}…"


def _refused(expected: str, value: Any) -> ValueError:
    """The error for a value that is no number of the kind expected (empty: no "got")."""
    empty = value is None or not str(value).strip()
    return ValueError(expected if empty else f"{expected} (got {_shown(value)})")


def whole_number(value: Any, label: str, low: int, high: int, why: str = "") -> int:
    """``value`` (an int, an integral float or the text of a field) as an int in ``[low, high]``.

    Empty fields, text, fractions, infinities and booleans are refused: empty never means 0.

    Raises
    ------
    ValueError
        ``"<label>: enter a whole number between <low> and <high>"`` for anything that is not
        a whole number or lies below ``low``; ``"<label> ≤ <high> <why>"`` above ``high``.

    >>> whole_number(" 7 ", "stride s", 1, 10)
    7
    >>> whole_number("", "stride s", 1, 10)
    Traceback (most recent call last):
    ...
    ValueError: stride s: enter a whole number between 1 and 10
    >>> whole_number(2.5, "stride s", 1, 10)
    Traceback (most recent call last):
    ...
    ValueError: stride s: enter a whole number between 1 and 10 (got 2.5)
    """
    expected = f"{label}: enter a whole number between {low:,} and {high:,}"
    number: int | None = None
    if isinstance(value, (bool, np.bool_)) or value is None:
        number = None
    elif isinstance(value, (int, np.integer)):
        number = int(value)
    elif isinstance(value, (float, np.floating)):
        number = int(value) if math.isfinite(value) and float(value).is_integer() else None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError(expected)
        if _INTEGER.fullmatch(text):
            # Any number of digits: longer than high's is above it (and int() of a huge text
            # would be slow, or refused by Python itself).
            digits = text.lstrip("+-").lstrip("0")
            number = int(text) if len(digits) <= len(str(high)) + 1 else None
            if number is None:
                number = high + 1 if not text.startswith("-") else low - 1
        else:
            try:
                parsed = float(text)
            except ValueError:
                parsed = math.nan
            if math.isfinite(parsed) and parsed.is_integer() and abs(parsed) < 2 ** 53:
                number = int(parsed)
            elif math.isinf(parsed):
                number = high + 1 if parsed > 0 else low - 1
    if number is None:
        raise _refused(expected, value)
    if number > high:
        raise ValueError(f"{label} ≤ {high:,} {why} (got {_shown(value)})".replace("  ", " "))
    if number < low:
        raise ValueError(f"{expected} (got {_shown(value)})")
    return number


@dataclass(frozen=True)
class Whole:
    """A whole-number field: ``low <= value <= high``; ``why`` says why ``high`` is the limit."""

    label: str
    low: int
    high: int
    why: str

    def check(self, value: Any) -> int:
        """``value`` as an int within the bounds (:func:`whole_number`)."""
        return whole_number(value, self.label, self.low, self.high, self.why)


@dataclass(frozen=True)
class Numbers:
    """A typed list (``ndim=1``) or matrix (``ndim=2``) of finite numbers, at most ``most``
    per axis and at most ``limit`` in size."""

    label: str
    most: int
    why: str
    ndim: int = 1
    limit: float = 1e6

    def check(self, values: Sequence) -> np.ndarray:
        """``values`` as a float array, or a ValueError naming the limit.

        >>> Numbers("x", 3, "fits the drawing").check([1, 2, 3, 4])
        Traceback (most recent call last):
        ...
        ValueError: x: at most 3 numbers, which fits the drawing (got 4)
        """
        array = np.asarray(values, dtype=float)
        if array.ndim != self.ndim or array.size == 0:
            shape = "numbers" if self.ndim == 1 else "rows of numbers"
            raise ValueError(f"{self.label}: expected {shape}, got nothing")
        if max(array.shape) > self.most:
            got = " × ".join(str(n) for n in array.shape)
            many = "numbers" if self.ndim == 1 else "rows and columns"
            raise ValueError(
                f"{self.label}: at most {self.most} {many}, which {self.why} (got {got})")
        if not np.isfinite(array).all() or np.abs(array).max() > self.limit:
            raise ValueError(f"{self.label}: enter numbers between -{self.limit:,.0f} and "
                             f"{self.limit:,.0f}")
        return array


@dataclass(frozen=True)
class Real:
    """A field holding any number between ``low`` and ``high``."""

    label: str
    low: float
    high: float
    why: str

    def check(self, value: Any) -> float:
        """``value`` (a number or a field's text) as a float within the bounds.

        >>> Real("logit z", -10, 10, "is enough").check("")
        Traceback (most recent call last):
        ...
        ValueError: logit z: enter a number between -10 and 10
        """
        expected = f"{self.label}: enter a number between {self.low:,g} and {self.high:,g}"
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, (bool, np.bool_)) or math.isnan(number):
            raise _refused(expected, value)
        if not self.low <= number <= self.high:
            raise ValueError(f"{expected}: {self.why} (got {_shown(value)})")
        return number


@dataclass(frozen=True)
class Choice:
    """A control that can only hold valid values (a select, a slider, a switch)."""

    label: str


Bound = Whole | Real | Numbers | Choice

# --- the limits, one per quantity ---------------------------------------------------------------
READABLE = "keeps the drawing readable"
FORMULA_SIZE = 1_000_000
FORMULA_WHY = "is plenty for the formula"
OUTPUT_SIZE = {
    "n": Whole("input size n", 1, FORMULA_SIZE, FORMULA_WHY),
    "m": Whole("kernel size m", 1, FORMULA_SIZE, FORMULA_WHY),
    "p": Whole("padding p", 0, FORMULA_SIZE, FORMULA_WHY),
    "s": Whole("stride s", 1, FORMULA_SIZE, FORMULA_WHY),
}
STEPPER_X = Numbers("x", 20, "fit in the drawing")
STEPPER_W = Numbers("w", 9, "fit in the drawing")
PADDING_1D = Whole("padding p", 0, 10, READABLE)
STRIDE_1D = Whole("stride s", 1, 10, READABLE)
MATRIX_X = Numbers("X", 10, "fit in the drawing", ndim=2)
MATRIX_W = Numbers("W", 10, "fit in the drawing", ndim=2)
PADDING_2D = Whole("padding p", 0, 5, READABLE)
STRIDE_2D = Whole("stride s", 1, 10, READABLE)
POOL_SIZE = Whole("size k", 1, 8, "covers the matrices shown")
POOL_STRIDE = Whole("stride s", 1, 8, "covers the matrices shown")
RUNS_FAST = "keeps the layer quick to run in the page"
CHANNELS_IN = Whole("C_in (input channels)", 1, 64, RUNS_FAST)
CHANNELS_OUT = Whole("C_out (output channels)", 1, 64, RUNS_FAST)
CHANNEL_KERNEL = Whole("kernel m", 1, 7, RUNS_FAST)
CHANNEL_IMAGE = Whole("image n", 1, 32, RUNS_FAST)
CHANNEL_PADDING = Whole("padding", 0, 5, RUNS_FAST)
CHANNEL_STRIDE = Whole("stride", 1, 5, RUNS_FAST)
EXACT = "keeps the counts exact in the browser"
COMPARE_IMAGE = Whole("image size", 1, 256, EXACT)
COMPARE_KERNEL = Whole("kernel size", 1, 99, EXACT)
COMPARE_CHANNELS = Whole("channels", 1, 256, EXACT)
USAGE_N = Whole("input size n", 1, 16, "is what the drawing holds")
USAGE_M = Whole("kernel size m", 1, 9, "is what the drawing holds")
MC_PASSES = Whole("passes", 1, 1000, "are plenty to see the spread")
SHIFT_CHANNEL = Whole("channel", 0, 31, "(conv1 has 32 channels)")
BATCH = Whole("batch size", 1, 64, "is enough to see the batch axis")
LOGIT = Real("logit z", -1e6, 1e6, "larger logits show nothing new")

WIDGET_FIELDS: dict[str, dict[str, Bound]] = {
    "output-size": {f"input-{name}": bound for name, bound in OUTPUT_SIZE.items()},
    "conv1d-stepper": {
        "input-x": STEPPER_X, "input-w": STEPPER_W, "input-p": PADDING_1D, "input-s": STRIDE_1D,
        "flip": Choice("flip the kernel"), "index": Choice("output index i"),
    },
    "conv2d-steps": {
        "input-X": MATRIX_X, "input-W": MATRIX_W, "input-p": PADDING_2D, "input-s": STRIDE_2D,
        "input-flip": Choice("flip the kernel"),
    },
    "pooling-compare": {
        "input-size": POOL_SIZE, "input-stride": POOL_STRIDE, "input-mode": Choice("pooling"),
    },
    "channel-shapes": {
        "input-c_in": CHANNELS_IN, "input-c_out": CHANNELS_OUT, "input-k": CHANNEL_KERNEL,
        "input-n": CHANNEL_IMAGE, "input-padding": CHANNEL_PADDING, "input-stride": CHANNEL_STRIDE,
    },
    "param-compare": {
        "input-n1": COMPARE_IMAGE, "input-n2": COMPARE_IMAGE, "input-m1": COMPARE_KERNEL,
        "input-m2": COMPARE_KERNEL, "input-c_in": COMPARE_CHANNELS, "input-c_out": COMPARE_CHANNELS,
    },
    "usage-count": {"input-n": USAGE_N, "input-m": USAGE_M, "mode": Choice("padding")},
    "dropout-mask": {"input-p": Choice("drop rate p_drop")},
    "mc-dropout": {
        "input-first": Choice("first digit"), "input-second": Choice("second digit"),
        "input-mix": Choice("mix"), "input-passes": MC_PASSES,
    },
    "shift-equivariance": {
        "digit": Choice("digit"), "dy": Choice("dy"), "dx": Choice("dx"), "channel": SHIFT_CHANNEL,
    },
    "feature-maps": {"slant": Choice("slant")},
    "loss-stability": {"logit": LOGIT, "logit-slider": Choice("logit"), "target": Choice("target")},
    "architecture": {"batch-size": BATCH, "batch-slider": Choice("batch size"),
                     "layout": Choice("layout")},
    "augmentation": {"digit": Choice("digit")},
    "training-results": {},
    "digit-draw": {},
}
"""Every field of every widget, by the ``data-testid`` of its control, and its bound."""


def check(widget: str, **values: Any) -> dict[str, int]:
    """The whole-number fields of ``widget`` (named as in its ``input-<name>`` test ids),
    checked: for widgets whose snippet calls library functions directly.

    >>> check("usage-count", n="5", m=3)
    {'n': 5, 'm': 3}
    """
    fields = WIDGET_FIELDS[widget]
    return {name: fields[f"input-{name}"].check(value) for name, value in values.items()}


def limits(widget: str) -> dict[str, list[int]]:
    """``{testid: [low, high]}`` of a widget's whole-number fields (for their min and max).

    >>> limits("usage-count")
    {'input-n': [1, 16], 'input-m': [1, 9]}
    """
    return {testid: [bound.low, bound.high] for testid, bound in WIDGET_FIELDS[widget].items()
            if isinstance(bound, Whole)}
