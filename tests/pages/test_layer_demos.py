"""cnnlab.pages.layer_demos: what the layer pages' widgets show, checked against NumPy, SciPy and
the formulas written out independently."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view
from tests.chapter_examples import BOOK_W, BOOK_X, NOTES_POOLED, NOTES_X1, NOTES_X2

from cnnlab import digits, layers, model
from cnnlab.pages import layer_demos


# ---------------------------------------------------------------- parse_matrix
@pytest.mark.parametrize(("text", "expected"), [
    ("1 3 2 4\n5 6 1 3", [[1, 3, 2, 4], [5, 6, 1, 3]]),
    ("1,0,3; 1,2,1", [[1, 0, 3], [1, 2, 1]]),
    ("  -1.5e1 ,  .25 \n\n 2 3  ", [[-15, 0.25], [2, 3]]),
    ("7", [[7]]),
])
def test_parse_matrix_reads_rows_of_numbers(text, expected):
    assert layer_demos.parse_matrix(text).tolist() == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "got nothing"),
    (" ;\n ", "got nothing"),
    ("1 2\n3 x", "X: row 2: expected numbers separated by commas, got 'x'"),
    ("1 2 3\n4 5", "row 1 has 3, row 2 has 2"),
    ("1 nan", "finite"),
    ("inf 1", "finite"),
])
def test_parse_matrix_rejects_what_is_not_a_matrix(text, message):
    with pytest.raises(ValueError, match=message):
        layer_demos.parse_matrix(text, "X")


def test_parse_matrix_limits_the_size():
    with pytest.raises(ValueError, match=r"X: at most 3 rows and columns here, got 1 × 4"):
        layer_demos.parse_matrix("1 2 3 4", "X", max_size=3)


# ---------------------------------------------------------------- conv2d_breakdown
def random_conv_case(seed: int):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(1, 8, size=2)
    p1, p2 = rng.integers(0, 3, size=2)
    m1 = int(rng.integers(1, n1 + 2 * p1 + 1))
    m2 = int(rng.integers(1, n2 + 2 * p2 + 1))
    s1, s2 = rng.integers(1, 4, size=2)
    X = rng.integers(-5, 6, size=(n1, n2))
    W = rng.integers(-3, 4, size=(m1, m2))
    return X, W, (int(p1), int(p2)), (int(s1), int(s2))


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("seed", range(20))
def test_conv2d_breakdown_matches_scipy_on_the_padded_input(seed, flip):
    X, W, p, s = random_conv_case(seed)
    b = layer_demos.conv2d_breakdown(X, W, p=p, s=s, flip=flip)
    padded = np.pad(X, [(p[0], p[0]), (p[1], p[1])])
    scipy_op = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    expected = scipy_op(padded, W, mode="valid")[::s[0], ::s[1]]
    np.testing.assert_allclose(b["output"], expected)
    np.testing.assert_array_equal(b["padded"], padded)
    np.testing.assert_array_equal(b["kernel"], W[::-1, ::-1] if flip else W)
    # Each output is the sum of its products, and each window is where its origin says.
    np.testing.assert_allclose(b["products"].sum(axis=(2, 3)), b["output"])
    m1, m2 = W.shape
    for i, j in np.ndindex(*b["output"].shape):
        r, c = b["origins"][i, j]
        assert (r, c) == (i * s[0], j * s[1])
        np.testing.assert_array_equal(b["products"][i, j], padded[r:r + m1, c:c + m2] * b["kernel"])
    assert b["padding"] == list(p) and b["stride"] == list(s)


def test_conv2d_breakdown_of_the_books_example_is_scipys_same_convolution():
    b = layer_demos.conv2d_breakdown(BOOK_X, BOOK_W, p=1)
    np.testing.assert_allclose(b["output"], scipy.signal.convolve2d(BOOK_X, BOOK_W, mode="same"))
    # Output (0, 0): the padded corner times the rotated kernel.
    assert b["products"][0, 0].tolist() == [[0, 0, 0], [0, 2, 3], [0, 0, 6]]
    assert b["output"][0, 0] == 11


@pytest.mark.parametrize(("p", "s", "message"), [
    (1, 0, r"stride s: enter a whole number between 1 and 10 \(got 0\)"),
    (-1, 1, r"padding p: enter a whole number between 0 and 5 \(got -1\)"),
    (0.5, 1, r"padding p: enter a whole number between 0 and 5 \(got 0.5\)"),
    ("", 1, r"padding p: enter a whole number between 0 and 5$"),
    (0, "two", r"stride s: enter a whole number between 1 and 10 \(got two\)"),
    (6, 1, r"padding p ≤ 5 keeps the drawing readable \(got 6\)"),
])
def test_conv2d_breakdown_rejects_bad_padding_and_stride(p, s, message):
    with pytest.raises(ValueError, match=message):
        layer_demos.conv2d_breakdown(BOOK_X, BOOK_W, p=p, s=s)


def test_conv2d_breakdown_rejects_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="larger than the padded input"):
        layer_demos.conv2d_breakdown([[1, 2], [3, 4]], BOOK_W, p=0)


# ---------------------------------------------------------------- pool_breakdown
@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize("seed", range(12))
def test_pool_breakdown_matches_sliding_windows(seed, mode):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(2, 9, size=2)
    k = (int(rng.integers(1, n1 + 1)), int(rng.integers(1, n2 + 1)))
    s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    X = rng.integers(0, 256, size=(n1, n2))
    b = layer_demos.pool_breakdown(X, size=k, stride=s, mode=mode)
    windows = sliding_window_view(X, k)[::s[0], ::s[1]]
    reduce = np.max if mode == "max" else np.mean
    np.testing.assert_allclose(b["output"], reduce(windows, axis=(2, 3)))
    # Coverage counted independently: element (r, c) is in every window whose rows and
    # columns span it.
    rows = np.arange(b["output"].shape[0]) * s[0]
    cols = np.arange(b["output"].shape[1]) * s[1]
    in_rows = ((rows[:, None] <= np.arange(n1)) & (np.arange(n1) < rows[:, None] + k[0])).sum(0)
    in_cols = ((cols[:, None] <= np.arange(n2)) & (np.arange(n2) < cols[:, None] + k[1])).sum(0)
    np.testing.assert_array_equal(b["coverage"], np.outer(in_rows, in_cols))
    assert b["unused"] == int(np.sum(b["coverage"] == 0))
    if mode == "max":
        winners = b["winners"].reshape(-1, 2)
        np.testing.assert_array_equal(X[winners[:, 0], winners[:, 1]], b["output"].ravel())
    else:
        assert "winners" not in b


def test_the_notes_matrices_pool_to_the_same_result():
    for X in (NOTES_X1, NOTES_X2):
        b = layer_demos.pool_breakdown(X, size=2)
        assert b["output"].tolist() == NOTES_POOLED
        assert b["stride"] == [2, 2] and b["most_windows"] == 1 and b["unused"] == 0


def test_pool_breakdown_reports_overlap_and_unused_elements():
    assert layer_demos.pool_breakdown(NOTES_X1, size=3, stride=1)["most_windows"] == 9
    assert layer_demos.pool_breakdown(NOTES_X1, size=2, stride=3)["unused"] == 36 - 16


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"size": 0}, r"size k: enter a whole number between 1 and 8 \(got 0\)"),
    ({"size": 2, "stride": 0}, r"stride s: enter a whole number between 1 and 8 \(got 0\)"),
    ({"size": 7}, "larger than the padded input"),
    ({"mode": "median"}, "expected 'max' or 'mean'"),
])
def test_pool_breakdown_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layer_demos.pool_breakdown(NOTES_X1, **kwargs)


# ---------------------------------------------------------------- channels and parameters
@pytest.mark.parametrize(("c_in", "c_out", "k", "n", "padding", "stride"), [
    (1, 1, 1, 1, 0, 1), (3, 5, 3, 8, 1, 1), (3, 2, 5, 8, 2, 2), (32, 64, 5, 14, 2, 1),
    (4, 7, 2, 9, 0, 3),
])
def test_channel_shapes_follow_the_formulas(c_in, c_out, k, n, padding, stride):
    shapes = layer_demos.channel_shapes(c_in, c_out, k, n, padding, stride)
    side = (n + 2 * padding - k) // stride + 1
    assert shapes["input_shape"] == [1, c_in, n, n]
    assert shapes["weight_shape"] == [c_out, c_in, k, k]
    assert shapes["bias_shape"] == [c_out]
    assert shapes["output_shape"] == [1, c_out, side, side]
    assert shapes["parameters"] == c_out * c_in * k * k + c_out


@pytest.mark.parametrize(("args", "message"), [
    ((0, 1, 3, 8), r"C_in \(input channels\): enter a whole number between 1 and 64 \(got 0\)"),
    ((1, 65, 3, 8), r"C_out \(output channels\) ≤ 64 keeps the layer quick .* \(got 65\)"),
    ((1, 1, 2.5, 8), r"kernel m: enter a whole number between 1 and 7 \(got 2.5\)"),
    ((1, 1, 7, 4), "larger than the padded input"),
    ((1, 1, 3, 8, 0, 0), r"stride: enter a whole number between 1 and 5 \(got 0\)"),
])
def test_channel_shapes_rejects_bad_layers(args, message):
    with pytest.raises(ValueError, match=message):
        layer_demos.channel_shapes(*args)


@pytest.mark.parametrize(("n1", "n2", "m1", "m2", "c_in", "c_out"), [
    (28, 28, 5, 5, 3, 5), (28, 28, 5, 5, 1, 32), (14, 14, 5, 5, 32, 64), (6, 9, 4, 2, 2, 3),
    (1, 1, 1, 1, 1, 1),
])
def test_parameter_comparison_counts(n1, n2, m1, m2, c_in, c_out):
    c = layer_demos.parameter_comparison(n1, n2, m1, m2, c_in, c_out)
    assert c["conv_total"] == m1 * m2 * c_in * c_out + c_out
    assert c["output_shape"] == [n1, n2, c_out]  # "same" padding, even kernels too
    assert c["input_shape"] == [n1, n2, c_in] and c["kernel_shape"] == [m1, m2]
    fc_in, fc_out = n1 * n2 * c_in, n1 * n2 * c_out
    assert c["fc_total"] == fc_in * fc_out + fc_out
    assert c["ratio"] == pytest.approx(c["fc_total"] / c["conv_total"])


def test_parameter_comparison_of_mnists_conv1_matches_the_model():
    conv1 = layer_demos.parameter_comparison(28, 28, 5, 5, 1, 32)
    assert conv1["conv_total"] == int(np.prod(model.PARAM_SHAPES["conv1.weight"])) + 32


@pytest.mark.parametrize("bad", [0, -3, 1.5, "", "x", None, True])
def test_parameter_comparison_rejects_what_is_not_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match=r"image size: enter a whole number between 1 and 256"):
        layer_demos.parameter_comparison(bad, 28, 5, 5, 3, 5)


# ---------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8])
@pytest.mark.parametrize("seed", range(3))
def test_dropout_demo_zeroes_units_and_scales_the_rest(p, seed):
    d = layer_demos.dropout_demo(p, seed=seed, shape=(40, 50))
    a, t, kept = d["activations"], d["training"], d["kept"]
    assert (a > 0).all()
    np.testing.assert_allclose(t[kept], a[kept] / (1 - p))
    assert (t[~kept] == 0).all()
    np.testing.assert_array_equal(d["inference"], a)
    assert d["inference_is_input"] is True and d["p"] == p
    assert d["kept_fraction"] == pytest.approx(1 - p, abs=0.05)
    # The expected output is the input: over 1,000 masks the mean is preserved.
    assert d["mean_over_masks"] == pytest.approx(d["mean_before"], rel=0.02)
    assert d["scale"] == pytest.approx(1 / (1 - p))


def test_dropout_demo_rerolls_with_the_seed_and_rejects_p_one():
    first, second = (layer_demos.dropout_demo(0.5, seed=s)["kept"] for s in (0, 1))
    assert (first != second).any()
    np.testing.assert_array_equal(first, layer_demos.dropout_demo(0.5, seed=0)["kept"])
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        layer_demos.dropout_demo(1.0)


# ---------------------------------------------------------------- Monte-Carlo dropout
@pytest.mark.parametrize(("first", "second", "mix"), [(3, 5, 0.5), (4, 9, 0.25), (7, 7, 1.0)])
def test_blended_digit_mixes_two_synthetic_digits(first, second, mix):
    x = layer_demos.blended_digit(first, second, mix)
    expected = (1 - mix) * digits.draw_digit(first) + mix * digits.draw_digit(second)
    assert x.shape == (1, 1, 28, 28)
    np.testing.assert_allclose(x[0, 0], expected, rtol=1e-6)


@pytest.mark.parametrize(("args", "message"), [
    ((3, 5, 1.5), r"mix: expected a number in \[0, 1\], got 1.5"),
    ((10, 5, 0.5), r"first digit ≤ 9 \(got 10\)"),
    ((3, 2.5, 0.5), r"second digit: enter a whole number between 0 and 9 \(got 2.5\)"),
])
def test_blended_digit_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        layer_demos.blended_digit(*args)


@pytest.mark.parametrize("seed", range(3))
def test_mc_dropout_equals_full_forward_passes_with_dropout_on(seed):
    params = model.init_params(np.random.default_rng(seed))
    x = layer_demos.blended_digit(7, 1, 0.3)
    shortcut = layer_demos.mc_dropout(x, params, passes=7, seed=seed)
    full = layers.softmax(model.forward(np.repeat(x, 7, axis=0), params, training=True,
                                        rng=np.random.default_rng(seed)))
    np.testing.assert_allclose(shortcut, full, rtol=1e-5, atol=1e-7)
    assert np.ptp(shortcut, axis=0).max() > 0  # the passes differ


def test_mc_dropout_summary_with_the_pretrained_model():
    summary = layer_demos.mc_dropout_summary(3, 5, 0.5, passes=30, seed=0)
    probs = summary["probabilities"]
    assert probs.shape == (30, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    assert (summary["low"] <= summary["mean"]).all() and (summary["mean"] <= summary["high"]).all()
    assert summary["votes"].sum() == 30
    params = model.load_pretrained("pretrained")
    x = layer_demos.blended_digit(3, 5, 0.5)
    np.testing.assert_allclose(summary["inference"], model.predict_proba(x, params)[0], rtol=1e-6)


# ---------------------------------------------------------------- what the widgets call
@pytest.mark.parametrize("seed", range(6))
def test_conv2d_steps_reads_the_typed_matrices(seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-9, 10, size=tuple(rng.integers(3, 8, 2))).astype(float)
    W = rng.integers(-3, 4, size=tuple(rng.integers(1, 4, 2))).astype(float)
    typed = layer_demos.conv2d_steps("\n".join(" ".join(map(str, row)) for row in X),
                                     "; ".join(", ".join(map(str, row)) for row in W),
                                     p=str(seed % 2), s=1, flip=bool(seed % 3))
    padded = np.pad(X, seed % 2)
    reference = scipy.signal.convolve2d if seed % 3 else scipy.signal.correlate2d
    expected = reference(padded, W, "valid")
    np.testing.assert_allclose(typed["output"], expected)
    assert typed["input_shape"] == list(X.shape)


def test_conv2d_steps_refuses_matrices_too_large_to_draw():
    with pytest.raises(ValueError, match="X: at most 10 rows and columns"):
        layer_demos.conv2d_steps("\n".join(["1 " * 11] * 2), "1")


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pooling_comparison_compares_the_outputs(mode):
    c = layer_demos.pooling_comparison([NOTES_X1, NOTES_X2], size="2", mode=mode)
    outputs = [sliding_window_view(np.asarray(X, float), (2, 2))[::2, ::2]
               for X in (NOTES_X1, NOTES_X2)]
    reduce = np.max if mode == "max" else np.mean
    pooled = [reduce(view, axis=(2, 3)) for view in outputs]
    for result, expected in zip(c["results"], pooled, strict=True):
        np.testing.assert_allclose(result["output"], expected)
    assert c["same"] == np.array_equal(*pooled)
    assert c["differing"] == int(np.sum(pooled[0] != pooled[1]))
    np.testing.assert_array_equal(c["inputs"][1], NOTES_X2)


def test_pooling_comparison_max_pools_the_chapter_pair_alike():
    c = layer_demos.pooling_comparison([NOTES_X1, NOTES_X2], size=2)
    assert c["same"] and c["differing"] == 0
