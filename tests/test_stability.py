"""cnnlab.stability: naive and stable cross-entropies against high-precision references."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
import pytest

from cnnlab import stability

getcontext().prec = 60
LOGITS = [-1000.0, -710.0, -40.0, -5.5, 0.0, 0.8, 3.0, 36.0, 37.0, 709.0, 1000.0]


def exact_bce(z: float, t: float) -> float:
    """BCE in 60-digit decimal arithmetic, where e^1000 is an ordinary number.

    For t = 1, -log σ(z) = log(1 + e^-z); for t = 0, -log(1 - σ(z)) = log(1 + e^z).
    """
    exponent = -Decimal(z) if t == 1 else Decimal(z)
    return float((1 + exponent.exp()).ln())


def exact_cce(logits: list, t: int) -> float:
    total = sum(Decimal(z).exp() for z in logits)
    return float(total.ln() - Decimal(logits[t]))


@pytest.mark.parametrize("t", [0.0, 1.0])
@pytest.mark.parametrize("z", LOGITS)
def test_stable_bce_is_exact_where_the_naive_one_fails(z, t):
    result = stability.binary_losses(z, t)
    assert result["stable"] == pytest.approx(exact_bce(z, t), rel=1e-12, abs=1e-300)
    if abs(z) <= 30:  # sigmoid still has digits to spare: every path agrees
        assert result["naive"] == pytest.approx(result["stable"], rel=1e-9)
        assert result["problems"] == []
    if z >= 37 or z <= -710:  # sigmoid(z) is exactly 1 or 0: the naive formula has no answer
        assert not np.isfinite(result["naive"])
        assert result["problems"]


@pytest.mark.parametrize(("z", "t", "naive", "problem"), [
    (-1000.0, 1.0, np.inf, "log σ(z) = log 0 = −inf"),
    (-1000.0, 0.0, np.nan, "0 · log σ(z) = 0 · (−inf) = nan"),
    (1000.0, 0.0, np.inf, "log(1 − σ(z)) = log 0 = −inf"),
    (1000.0, 1.0, np.nan, "0 · log(1 − σ(z)) = 0 · (−inf) = nan"),
])
def test_naive_bce_failures_are_named(z, t, naive, problem):
    result = stability.binary_losses(z, t)
    assert result["naive"] == pytest.approx(naive, nan_ok=True)
    assert problem in "; ".join(result["problems"])


def test_clamped_bce_is_finite_but_wrong_like_pytorchs():
    result = stability.binary_losses(-1000.0, 1.0)
    assert result["clamped"] == 100.0 and result["stable"] == 1000.0


def test_the_books_examples():
    assert round(stability.binary_losses(0.8, 1)["stable"], 4) == 0.3711
    assert round(stability.categorical_losses([1.5, 0.8, 2.1], 2)["naive"], 4) == 0.5996


@pytest.mark.parametrize("seed", range(8))
def test_stable_cce_matches_decimal_arithmetic(seed):
    rng = np.random.default_rng(seed)
    logits = (rng.normal(size=4) * 10.0 ** rng.integers(0, 4)).tolist()
    t = int(rng.integers(0, 4))
    result = stability.categorical_losses(logits, t)
    assert result["stable"] == pytest.approx(exact_cce(logits, t), rel=1e-9, abs=1e-9)
    if max(logits) < 700 and min(logits) > -700 and result["problems"] == []:
        assert result["naive"] == pytest.approx(result["stable"], rel=1e-9, abs=1e-9)


def test_naive_softmax_overflow_gives_nan_and_inf():
    big = stability.categorical_losses([1000.0, 0.8, 2.1], 2)
    assert big["naive"] == np.inf and big["stable"] == pytest.approx(997.9)
    assert big["problems"][:2] == ["e^z overflows to inf for class 0",
                                   "softmax divides inf by inf: nan"]
    small = stability.categorical_losses([-1000.0, 0.8, 2.1], 0)
    assert small["naive"] == np.inf and small["problems"] == ["p_0 = 0, and −log 0 = inf"]


def test_rounding_is_reported_before_anything_overflows():
    assert stability.binary_losses(36.0, 0)["problems"] == [
        "rounding: the naive loss is off by 0.0437"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: stability.binary_losses(float("nan"), 1), "logit z: enter a number between"),
    (lambda: stability.binary_losses("abc", 1), r"logit z: enter a number .* \(got abc\)"),
    (lambda: stability.binary_losses(1e7, 1), "larger logits show nothing new"),
    (lambda: stability.binary_losses(0.5, 0.5), "target must be 0 or 1"),
    (lambda: stability.categorical_losses([], 0), "at least one number"),
    (lambda: stability.categorical_losses([1.0, 2.0], 2), "from 0 to 1"),
    (lambda: stability.categorical_losses([1.0, 2.0], 1.0), "class index"),
])
def test_bad_input_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
