"""Why losses take logits: the textbook formulas next to the stable ones.

The naive way to a cross-entropy first turns logits into probabilities and then takes
their logarithm. In float64 both steps break for large logits:

- ``sigmoid(z) = 1 / (1 + exp(-z))`` overflows in ``exp`` for z < -709 and rounds to
  exactly 1 for z > 36.7, so ``log(1 - sigmoid(z))`` becomes ``log(0) = -inf``;
- ``softmax(z) = exp(z) / Σ exp(z)`` is ``inf / inf = nan`` once a logit passes 709.

The stable versions work with logits throughout (:func:`cnnlab.layers.log_softmax`,
:func:`cnnlab.layers.binary_cross_entropy_with_logits`) and stay exact. This module
computes both, and says in words where the naive path broke, for the loss-function page
and its widget.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import bounds, layers


def sigmoid_naive(z: np.ndarray) -> np.ndarray:
    """``σ(z) = 1 / (1 + exp(-z))`` exactly as written: overflows for z < -709.

    >>> sigmoid_naive(np.array([0.0, 0.8])).round(4).tolist()
    [0.5, 0.69]
    """
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def bce_naive(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Binary cross-entropy through the probability, element-wise, without clamping.

    ``L = -(t log σ(z) + (1 - t) log(1 - σ(z)))`` with :func:`sigmoid_naive`.

    >>> bce_naive(np.array([0.8]), np.array([1.0])).round(4).tolist()
    [0.3711]
    """
    p = sigmoid_naive(logits)
    t = np.asarray(targets, dtype=float)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def softmax_naive(logits: np.ndarray) -> np.ndarray:
    """``exp(z) / Σ_j exp(z_j)`` over the last axis, exactly as written.

    >>> softmax_naive(np.array([1.5, 0.8, 2.1])).round(4).tolist()
    [0.3013, 0.1496, 0.5491]
    """
    e = np.exp(np.asarray(logits, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


def binary_losses(logit: float, target: float) -> dict:
    """The binary cross-entropy of one logit three ways.

    Returns ``{"probability", "naive", "clamped", "stable", "problems"}``: the naive
    formula (:func:`bce_naive`), the loss from the probability with each log clamped at
    -100 as PyTorch's ``BCELoss`` does (:func:`cnnlab.layers.binary_cross_entropy`), the
    stable loss from the logit, and what went wrong on the naive path, in words.

    >>> r = binary_losses(-1000.0, 1.0)
    >>> r["naive"], r["clamped"], r["stable"]
    (inf, 100.0, 1000.0)
    >>> r["problems"]
    ['e^(−z) overflows to inf, so σ(z) = 1 / inf = 0', 'log σ(z) = log 0 = −inf']
    """
    z, t = bounds.LOGIT.check(logit), check_number(target, "target")
    if t not in (0.0, 1.0):
        raise ValueError(f"target must be 0 or 1, got {target}")
    # NumPy's floating-point warnings are not raised in WebAssembly, so the failures are
    # read from the values themselves.
    with np.errstate(all="ignore"):
        e = np.exp(-np.array([z]))
        p = sigmoid_naive(np.array([z]))
        naive = float(bce_naive(np.array([z]), np.array([t]))[0])
    problems = []
    if np.isinf(e[0]):
        problems.append("e^(−z) overflows to inf, so σ(z) = 1 / inf = 0")
    if p[0] == 0:
        problems.append("log σ(z) = log 0 = −inf" if t else "0 · log σ(z) = 0 · (−inf) = nan")
    if p[0] == 1:
        problems.append("σ(z) rounds to exactly 1, so log(1 − σ(z)) = log 0 = −inf" if t < 1
                        else "σ(z) rounds to exactly 1: 0 · log(1 − σ(z)) = 0 · (−inf) = nan")
    stable = layers.binary_cross_entropy_with_logits(np.array([z]), np.array([t]))
    return {
        "probability": float(p[0]),
        "naive": naive,
        "clamped": layers.binary_cross_entropy(p, np.array([t])),
        "stable": stable,
        "problems": problems + rounding(naive, stable),
    }


def categorical_losses(logits: Sequence[float], target: int) -> dict:
    """The categorical cross-entropy of one row of logits, naive and stable.

    Returns ``{"probabilities", "naive", "stable", "problems"}``: the probabilities of
    :func:`softmax_naive`, the naive loss ``-log(softmax_naive(z)[target])``, the stable
    :func:`cnnlab.layers.cross_entropy`, and what went wrong on the naive path, in words.

    >>> r = categorical_losses([1.5, 0.8, 2.1], 2)
    >>> round(r["naive"], 4), round(r["stable"], 4), r["problems"]
    (0.5996, 0.5996, [])
    >>> r = categorical_losses([1000.0, 0.8, 2.1], 0)
    >>> r["naive"], round(r["stable"], 1)
    (nan, 0.0)
    >>> r["problems"]
    ['e^z overflows to inf for class 0', 'softmax divides inf by inf: nan']
    """
    z = np.array([bounds.LOGIT.check(v) for v in logits], dtype=float)
    if z.size == 0:
        raise ValueError("logits must hold at least one number, got none")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) \
            or not 0 <= target < z.size:
        raise ValueError(f"target must be a class index from 0 to {z.size - 1}, got {target}")
    with np.errstate(all="ignore"):  # see binary_losses: the values tell what went wrong
        e = np.exp(z)
        probabilities = softmax_naive(z)
        naive = float(-np.log(probabilities[target]))
    problems = []
    overflowed = np.flatnonzero(np.isinf(e)).tolist()
    if overflowed:
        classes = ", ".join(str(k) for k in overflowed)
        problems.append(f"e^z overflows to inf for class{'es' if len(overflowed) > 1 else ''} "
                        f"{classes}")
    if np.isnan(probabilities).any():
        problems.append("softmax divides inf by inf: nan")
    if probabilities[target] == 0:
        problems.append(f"p_{target} = 0, and −log 0 = inf")
    stable = layers.cross_entropy(z[None], np.array([target]))
    return {
        "probabilities": probabilities.tolist(),
        "naive": naive,
        "stable": stable,
        "problems": problems + rounding(naive, stable),
    }


def rounding(naive: float, stable: float) -> list:
    """A problem to report when a finite naive loss is off by more than rounding error.

    >>> rounding(36.0437, 36.0), rounding(0.3711, 0.3711)
    (['rounding: the naive loss is off by 0.0437'], [])
    """
    error = abs(naive - stable)
    if np.isfinite(naive) and error > 1e-9 * max(1.0, abs(stable)):
        return [f"rounding: the naive loss is off by {error:.3g}"]
    return []


def check_number(value: object, name: str) -> float:
    """``value`` as a finite float, or a ValueError naming what was given."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number
