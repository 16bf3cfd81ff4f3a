"""cnnlab.practice: each named mistake gives its feedback kind and message (natively)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import signal
from cnnlab.practice import CHECKS, grade
from cnnlab.practice.compare import check_array
from cnnlab.practice.feedback import Mistake, grid_picture

CONV1D = (
    "import numpy as np\n"
    "def conv1d(x, w, p=0, s=1):\n"
    "    x = np.concatenate([np.zeros({before}), x, np.zeros({after})])\n"
    "    w = np.asarray(w){flip}\n"
    "    o = {size}\n"
    "    return np.array([np.dot(x[i{step}:i{step} + len(w)], w) for i in {loop}])\n"
)
RIGHT = {
    "before": "p",
    "after": "p",
    "flip": "[::-1]",
    "size": "(len(x) - len(w)) // s + 1",
    "step": " * s",
    "loop": "range(o)",
}


def conv1d(**changes: str) -> str:
    return CONV1D.format(**{**RIGHT, **changes})


@pytest.mark.parametrize(
    ("changes", "kind", "words"),
    [
        ({}, "passed", "Right"),
        ({"flip": ""}, "flipped", "convolution flips the kernel"),
        ({"step": "", "size": "len(x) - len(w) + 1"}, "stride", "stride-1 output"),
        (
            {"step": "", "size": "(len(x) - len(w)) // s + 1", "loop": "range(0, o, s)"},
            "stride",
            "range(0, o, s)",
        ),
        ({"after": "0", "size": "(len(x) - len(w)) // s + 1"}, "padding", "one side only"),
    ],
)
def test_conv1d_mistakes_are_named(changes, kind, words):
    feedback = grade("conv1d_function", conv1d(**changes), {"name": "conv1d"})
    assert (feedback["kind"], feedback["passed"]) == (kind, kind == "passed")
    assert words in feedback["message"]


def test_correlation_computed_instead_of_convolution_and_the_reverse():
    flipped = grade("conv1d_function", conv1d(flip=""), {"name": "conv1d"})
    assert "this is" not in flipped["message"] and "cross-correlation" in flipped["message"]
    reverse = grade(
        "conv1d_function",
        conv1d().replace("conv1d", "correlate1d"),
        {"name": "correlate1d", "correlate": True},
    )
    assert reverse["kind"] == "flipped"
    assert "without flipping" in reverse["message"]


@pytest.mark.parametrize(
    ("formula", "kind", "words"),
    [
        ("(n + 2 * p - m) // s + 1", "passed", "Right"),
        ("(n + 2 * p - m) // s", "off-by-one", "Off by one"),
        ("(n + 2 * p - m) / s + 1", "no-floor", "Without the floor"),
        ("n + 2 * p - m + 1", "stride", "stride"),
    ],
)
def test_output_size_mistakes_are_named(formula, kind, words):
    code = f"def output_size(n, m, p, s):\n    return {formula}\n"
    feedback = grade("output_size_function", code, {})
    assert feedback["kind"] == kind
    assert words in feedback["message"]


def test_the_page_example_hard_coded_does_not_pass():
    code = "def output_size(n, m, p, s):\n    return 4\n"
    assert not grade("output_size_function", code, {})["passed"]


def test_a_2d_result_wrong_in_one_place_gets_a_picture_with_the_window():
    code = (
        "from cnnlab import signal\n"
        "def conv2d(X, W, p=(0, 0), s=(1, 1)):\n"
        "    Y = signal.conv2d(X, W, p, s)\n"
        "    Y[-1, -1] += 1\n"
        "    return Y\n"
    )
    feedback = grade("conv2d_function", code, {"name": "conv2d"})
    assert feedback["kind"] == "values"
    grid = feedback["grid"]
    i, j = grid["cell"]
    assert (i, j) == (len(grid["expected"]) - 1, len(grid["expected"][0]) - 1)
    assert grid["difference"][i][j] == 1 and grid["difference"][0][0] == 0
    assert "window X padded[" in feedback["message"]


def test_a_wrong_shape_names_both_shapes_and_the_formula():
    code = (
        "from cnnlab import signal\n"
        "def conv2d(X, W, p=(0, 0), s=(1, 1)):\n"
        "    return signal.conv2d(X, W, (0, 0), s)\n"
    )
    feedback = grade("conv2d_function", code, {"name": "conv2d"})
    assert feedback["kind"] == "shape"
    assert "has shape (" in feedback["message"] and ", expected (" in feedback["message"]
    assert "rows o = floor((n + 2p − m)/s) + 1 = " in feedback["message"]


def test_the_page_example_of_conv1d_hard_coded_does_not_pass():
    y = signal.conv1d([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], p=2).tolist()
    code = f"def conv1d(x, w, p=0, s=1):\n    return {y}\n"
    feedback = grade("conv1d_function", code, {"name": "conv1d"})
    assert not feedback["passed"] and feedback["kind"] in ("shape", "values")


@pytest.mark.parametrize(
    ("pool", "kind", "words"),
    [
        ("layers.max_pool2d(X[None, None], k, k)", "passed", "Right"),
        ("layers.avg_pool2d(X[None, None], k, k)", "pooling", "max pooling keeps the largest"),
        ("layers.max_pool2d(X[None, None], k, 1)", "stride", "overlap (stride 1)"),
    ],
)
def test_pooling_mistakes_are_named(pool, kind, words):
    code = f"from cnnlab import layers\ndef max_pool2d(X, k):\n    return {pool}[0, 0]\n"
    feedback = grade("pool2d_function", code, {})
    assert feedback["kind"] == kind
    assert words in feedback["message"]


@pytest.mark.parametrize(
    ("flip", "words"),
    [("X[:, :, ::-1, :]", "upside down"), ("X[:, ::-1]", "channels"), ("X[::-1]", "batch")],
)
def test_a_flip_along_the_wrong_axis_names_the_axis(flip, words):
    feedback = grade("flip_function", f"def flip_horizontal(X):\n    return {flip}\n", {})
    assert feedback["kind"] == "axis" and words in feedback["message"]


def test_grid_picture_window_is_the_input_that_produced_the_cell():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(6, 7)), rng.normal(size=(3, 2))
    Y = signal.correlate2d(X, W, s=(2, 1))
    wrong = Y.copy()
    wrong[1, 3] = 99
    picture = grid_picture(Y, wrong, X, W.shape, (2, 1))
    window = np.array(picture["window"]["values"])
    assert picture["cell"] == [1, 3]
    assert np.isclose((window * W).sum(), Y[1, 3], atol=2e-3)


@pytest.mark.parametrize(
    ("body", "kind", "words"),
    [
        ("return x * keep / (1 - p)", "passed", "Right"),
        ("return x * keep", "no-scale", "1/(1 − p)"),
        ("return x * keep * (1 - p)", "no-scale", "old"),
        ("return x * ~keep / p", "probability", "probability of dropping"),
        ("return x", "no-drop", "Nothing was dropped"),
    ],
)
def test_dropout_mistakes_are_named(body, kind, words):
    code = f"def dropout(x, p, rng):\n    keep = rng.random(x.shape) >= p\n    {body}\n"
    feedback = grade("dropout_function", code, {})
    assert feedback["kind"] == kind
    assert words in feedback["message"]


def test_softmax_without_the_max_overflows_and_is_named():
    naive = (
        "import numpy as np\ndef softmax(z):\n    e = np.exp(z)\n"
        "    return e / e.sum(axis=1, keepdims=True)\n"
    )
    feedback = grade("softmax_function", naive, {})
    assert feedback["kind"] == "overflow"
    assert "subtract each row's maximum" in feedback["message"]
    stable = naive.replace("np.exp(z)", "np.exp(z - z.max(axis=1, keepdims=True))")
    assert grade("softmax_function", stable, {})["passed"]


@pytest.mark.parametrize(
    ("loss", "kind"),
    [
        ("-np.mean(log_softmax(logits)[rows, targets])", "passed"),
        ("-np.mean(log_softmax(softmax(logits))[rows, targets])", "probabilities"),
        ("-np.mean(np.log(logits[rows, targets]))", "probabilities"),
        ("-np.sum(log_softmax(logits)[rows, targets])", "mean"),
    ],
)
def test_cross_entropy_mistakes_are_named(loss, kind):
    code = (
        "import numpy as np\nfrom cnnlab.layers import log_softmax, softmax\n"
        "def naive(z):\n    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
        "def cross_entropy(logits, targets):\n    rows = np.arange(len(targets))\n"
        f"    return {loss}\n"
    )
    assert grade("cross_entropy_function", code, {})["kind"] == kind


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        ("def f(:\n", "syntax", "does not parse"),
        ("raise RuntimeError('boom')\n", "raised", "RuntimeError: boom (line 1 of your code)"),
        ("x = 1\n", "missing", "does not define the function `conv1d`"),
        ("def conv1d(x, w, p=0, s=1):\n    return [][1]\n", "raised", "IndexError"),
        ("def conv1d(x, w, p=0, s=1):\n    return 'text'\n", "type", "not numbers"),
    ],
)
def test_bad_code_gets_a_clear_message(code, kind, words):
    feedback = grade("conv1d_function", code, {"name": "conv1d"})
    assert (feedback["passed"], feedback["kind"]) == (False, kind)
    assert words in feedback["message"]


def test_printing_a_lot_is_capped_and_returned():
    feedback = grade(
        "output_size_value",
        "for i in range(10**5):\n    print(i)\no = 5\n",
        {"name": "o", "n": 10, "m": 3, "p": 1, "s": 2},
    )
    assert feedback["passed"]
    assert len(feedback["output"]) < 2_100 and "more characters not shown" in feedback["output"]


@pytest.mark.parametrize(
    ("answer", "kind"),
    [("64 * 7 * 7", "passed"), ("64 * 14 * 14", "pooling"), ("7 * 7", "channels")],
)
def test_counting_mistakes_are_named(answer, kind):
    assert grade("flattened_features", f"features = {answer}", {})["kind"] == kind


def test_network_count_without_biases_is_named():
    from cnnlab import model

    weights = sum(int(np.prod(s)) for k, s in model.PARAM_SHAPES.items() if k.endswith("weight"))
    assert grade("network_parameters", f"total = {weights}", {})["kind"] == "bias"
    assert grade("network_parameters", f"total = {model.parameter_count()}", {})["passed"]


def test_minibatches_floor_is_the_last_batch_mistake():
    args = {"name": "b", "n": 50_000, "batch_size": 64}
    assert grade("minibatches", "b = 50_000 // 64", args)["kind"] == "last-batch"
    assert grade("minibatches", "b = 782", args)["passed"]


def test_conv_params_without_bias_and_by_hand_index_mistakes():
    args = {"name": "n", "c_in": 3, "c_out": 5, "kh": 3, "kw": 3}
    assert grade("conv_params_value", "n = 135", args)["kind"] == "bias"
    entry = {"name": "y", "x": [1, 3, 2, 4, 5, 6, 1, 3], "w": [1, 0, 3, 1, 2], "index": 1, "p": 2}
    y = signal.conv1d(entry["x"], entry["w"], p=2)
    assert grade("conv1d_entry", f"y = {y[2]}", entry)["kind"] == "index"
    flipped = signal.correlate1d(entry["x"], entry["w"], p=2)[1]
    assert grade("conv1d_entry", f"y = {flipped}", entry)["kind"] == "flipped"


def test_unknown_check_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError, match="conv1d_function"):
        grade("no_such_check", "", {})
    assert all(callable(check) for check in CHECKS.values())


def test_a_variant_equal_to_the_right_answer_names_nothing():
    with pytest.raises(Mistake) as caught:
        check_array([1.0, 3.0], [1.0, 2.0], "y", [("flipped", "no", [1.0, 2.0])])
    assert caught.value.kind == "values"
