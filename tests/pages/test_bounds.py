"""Every widget field's bound (cnnlab.pages.bounds): the limits, the messages, and that the widget's
Python function enforces it before computing (so a code cell gets the same ValueError)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnnlab import digits
from cnnlab.pages import bounds, explain, layer_demos, layout, stability
from cnnlab.pages.bounds import Choice, Numbers, Real, Whole

EXCEPTION_NAMES = re.compile(r"\b\w*(Error|Exception)\b|NoneType|Traceback")

# The widget's function for each bound, called with that one field set to `value`.
ENFORCED = {
    "output-size": lambda field, value: bounds.check("output-size", **{field: value}),
    "conv1d-stepper": lambda field, value: explain.conv1d_steps(
        **{"x": [1, 2, 3], "w": [1, 1], "p": 0, "s": 1, field: value}),
    "conv2d-steps": lambda field, value: layer_demos.conv2d_breakdown(
        **{"X": [[1, 2], [3, 4]], "W": [[1]], "p": 0, "s": 1, field: value}),
    "pooling-compare": lambda field, value: layer_demos.pool_breakdown(
        np.ones((4, 4)), **{"size": 2, "stride": 2, field: value}),
    "channel-shapes": lambda field, value: layer_demos.channel_shapes(
        **{"c_in": 1, "c_out": 1, "k": 1, "n": 4, "padding": 0, "stride": 1, field: value}),
    "param-compare": lambda field, value: layer_demos.parameter_comparison(
        **{"n1": 4, "n2": 4, "m1": 3, "m2": 3, "c_in": 1, "c_out": 1, field: value}),
    "usage-count": lambda field, value: bounds.check("usage-count", **{field: value}),
    "mc-dropout": lambda field, value: layer_demos.mc_dropout(
        np.zeros((1, 1, 28, 28), np.float32), _random_params(), passes=value),
    "shift-equivariance": lambda field, value: explain.shift_response(
        digits.draw_digit(1), _random_params(), 0, 1, channel=value),
    "loss-stability": lambda field, value: stability.binary_losses(value, 1),
    "architecture": lambda field, value: layout.architecture(value),
}
FIELD_NAMES = {  # the argument each widget field is ("input-p" -> "p") where it differs
    "input-X": "X", "input-W": "W", "batch-size": "batch_size", "channel": "channel",
    "logit": "logit",
}


def _random_params():
    from cnnlab import model

    return model.init_params(np.random.default_rng(0))


def typed_fields():
    """(widget, testid, bound) of every field a visitor types into."""
    return [(widget, testid, bound) for widget, fields in bounds.WIDGET_FIELDS.items()
            for testid, bound in fields.items() if not isinstance(bound, Choice)]


def ids(cases):
    return [f"{widget}:{testid}" for widget, testid, _ in cases]


def call(widget, testid, value):
    name = FIELD_NAMES.get(testid, testid.removeprefix("input-"))
    return ENFORCED[widget](name, value)


def test_every_typed_field_is_enforced_by_a_widget_function():
    missing = {widget for widget, _, _ in typed_fields()} - set(ENFORCED)
    assert not missing, f"add the widget's function to ENFORCED: {missing}"


WHOLE = [(w, t, b) for w, t, b in typed_fields() if isinstance(b, Whole)]


@pytest.mark.parametrize(("widget", "testid", "bound"), WHOLE, ids=ids(WHOLE))
def test_whole_number_fields_refuse_what_is_not_within_their_bounds(widget, testid, bound):
    between = f"{bound.label}: enter a whole number between {bound.low:,} and {bound.high:,}"
    cases = {
        "": re.escape(between) + "$",
        "  ": re.escape(between) + "$",
        "abc": re.escape(f"{between} (got abc)"),
        "2.5": re.escape(f"{between} (got 2.5)"),
        "nan": re.escape(between),
        True: re.escape(between),
        bound.low - 1: re.escape(f"{between} (got {bound.low - 1})"),
        bound.high + 1: re.escape(f"{bound.label} ≤ {bound.high:,} {bound.why}"),
        10 ** 9: re.escape(f"{bound.label} ≤ {bound.high:,} {bound.why}"),
        "1e309": re.escape(f"{bound.label} ≤ {bound.high:,}"),
        "9" * 400: re.escape(f"{bound.label} ≤ {bound.high:,}"),
        float("inf"): re.escape(between),
    }
    for value, message in cases.items():
        with pytest.raises(ValueError, match=message) as caught:
            call(widget, testid, value)
        assert not EXCEPTION_NAMES.search(str(caught.value)), str(caught.value)
        assert "None" not in str(caught.value)


@pytest.mark.parametrize(("widget", "testid", "bound"), WHOLE, ids=ids(WHOLE))
def test_whole_number_fields_take_their_limits_and_text(widget, testid, bound):
    assert bound.check(bound.low) == bound.low
    assert bound.check(f" {bound.high} ") == bound.high
    assert bound.check(float(bound.low)) == bound.low
    assert bound.check(np.int64(bound.high)) == bound.high
    expected = re.escape(f"{bound.label}: enter a whole number") + ".*[0-9]$"
    with pytest.raises(ValueError, match=expected):
        bound.check(None)  # (a Python default of None, like pooling's stride, means "as size")


def test_a_limit_says_why():
    expected = r"^padding p ≤ 5 keeps the drawing readable \(got 1000\)$"
    with pytest.raises(ValueError, match=expected):
        layer_demos.conv2d_breakdown([[1]], [[1]], p=1000)


NUMBERS = [(w, t, b) for w, t, b in typed_fields() if isinstance(b, Numbers)]


@pytest.mark.parametrize(("widget", "testid", "bound"), NUMBERS, ids=ids(NUMBERS))
def test_number_lists_refuse_too_many_and_unbounded_numbers(widget, testid, bound):
    too_many = np.ones((bound.most + 1,) * bound.ndim)
    with pytest.raises(ValueError, match=re.escape(f"{bound.label}: at most {bound.most} ")):
        call(widget, testid, too_many)
    one = np.ones((1,) * bound.ndim)
    for bad in (np.inf, np.nan, 10 * bound.limit):
        with pytest.raises(ValueError, match=re.escape(f"{bound.label}: enter numbers between")):
            call(widget, testid, one * bad)
    with pytest.raises(ValueError, match=re.escape(f"{bound.label}: expected")):
        call(widget, testid, np.zeros((0,) * bound.ndim))


REAL = [(w, t, b) for w, t, b in typed_fields() if isinstance(b, Real)]


@pytest.mark.parametrize(("widget", "testid", "bound"), REAL, ids=ids(REAL))
def test_real_fields_refuse_empty_text_and_beyond_their_limits(widget, testid, bound):
    for bad in ("", "abc", float("nan"), bound.high * 10, bound.low * 10, "1e309"):
        with pytest.raises(ValueError, match=re.escape(f"{bound.label}: enter a number between")):
            call(widget, testid, bad)
    assert bound.check(" 2.5 ") == 2.5


def test_limits_give_the_whole_number_fields_of_a_widget():
    assert bounds.limits("channel-shapes")["input-k"] == [1, bounds.CHANNEL_KERNEL.high]
    assert "input-mode" not in bounds.limits("pooling-compare")


def test_the_largest_layer_the_channels_widget_allows_stays_small():
    # Bounds keep Python quick: the biggest convolution is about 35 MB of im2col, not GBs.
    biggest = layer_demos.channel_shapes(64, 64, 7, 32, 5, 1)
    assert biggest["output_shape"] == [1, 64, 36, 36]
