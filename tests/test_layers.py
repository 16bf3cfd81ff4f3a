"""cnnlab.layers against loop versions, SciPy, explicit formulas and the book's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps
from tests.chapter_examples import NOTES_POOLED, NOTES_X1, NOTES_X2

from cnnlab import layers

SEEDS = range(12)


def random_conv_case(seed: int) -> dict:
    """A random convolution: shapes, stride 1-3, padding 0-3, with or without bias."""
    rng = np.random.RandomState(seed)
    kh, kw = rng.randint(1, 5, size=2)
    padding = (int(rng.randint(0, 4)), int(rng.randint(0, 4)))
    # The input is at least as large as the kernel once padded.
    h = int(rng.randint(max(1, kh - 2 * padding[0]), 9))
    w = int(rng.randint(max(1, kw - 2 * padding[1]), 9))
    c_in, c_out, n = rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 3)
    return {
        "x": rng.standard_normal((n, c_in, h, w)),
        "weight": rng.standard_normal((c_out, c_in, kh, kw)),
        "bias": rng.standard_normal(c_out) if seed % 2 else None,
        "stride": (int(rng.randint(1, 4)), int(rng.randint(1, 4))),
        "padding": padding,
    }


# ---------------------------------------------------------------- convolution
@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d_equals_loop_version(seed):
    case = random_conv_case(seed)
    np.testing.assert_allclose(layers.conv2d(**case), layers.conv2d_loop(**case),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d_equals_scipy_correlate2d_summed_over_channels(seed):
    case = random_conv_case(seed)
    x, weight, bias = case["x"], case["weight"], case["bias"]
    (sh, sw), (ph, pw) = case["stride"], case["padding"]
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # Valid cross-correlation at stride 1, then every s-th row and column.
    expected = np.array([
        [sum(sps.correlate2d(padded[n, c], weight[o, c], mode="valid")
             for c in range(x.shape[1]))[::sh, ::sw]
         + (0 if bias is None else bias[o])
         for o in range(weight.shape[0])]
        for n in range(x.shape[0])
    ])
    out = layers.conv2d(**case)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_conv2d_output_size_formula(seed):
    case = random_conv_case(seed)
    n, _, h, w = case["x"].shape
    (sh, sw), (ph, pw) = case["stride"], case["padding"]
    kh, kw = case["weight"].shape[2:]
    assert layers.conv2d(**case).shape == (
        n, case["weight"].shape[0], (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)


def test_conv2d_of_uint8_does_not_wrap():
    x = np.full((1, 1, 4, 4), 200, np.uint8)
    weight = np.full((1, 1, 3, 3), 2, np.uint8)
    np.testing.assert_array_equal(layers.conv2d(x, weight), np.full((1, 1, 2, 2), 3600.0))
    np.testing.assert_array_equal(layers.conv2d(x, weight, np.array([0.5])),
                                  layers.conv2d_loop(x, weight, np.array([0.5])))


def test_conv2d_keeps_float32():
    out = layers.conv2d(np.ones((1, 2, 5, 5), np.float32), np.ones((3, 2, 3, 3), np.float32),
                        np.zeros(3, np.float32), padding=1)
    assert out.dtype == np.float32 and out.flags.c_contiguous


# ---------------------------------------------------------------- pooling
POOL_CASES = [  # (H, W, kernel, stride): non-overlapping (stride None or = kernel), overlapping
    (6, 6, 2, None), (7, 9, 3, None), (8, 5, (2, 3), None), (6, 6, 2, 2), (7, 7, 3, 1),
    (9, 8, 3, 2), (6, 10, (3, 2), (1, 2)), (5, 5, 5, None),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("h", "w", "kernel", "stride"), POOL_CASES)
@pytest.mark.parametrize(("pool", "reduce"), [(layers.max_pool2d, np.max),
                                              (layers.avg_pool2d, np.mean)],
                         ids=["max", "avg"])
def test_pooling_equals_loop_version(pool, reduce, h, w, kernel, stride, seed):
    x = np.random.RandomState(seed).standard_normal((2, 3, h, w))
    out = pool(x, kernel, stride)
    np.testing.assert_allclose(out, layers.pool2d_loop(x, kernel, stride, reduce=reduce),
                               rtol=1e-12)
    kh, kw = layers.as_pair(kernel, "kernel")
    sh, sw = (kh, kw) if stride is None else layers.as_pair(stride, "stride")
    assert out.shape == (2, 3, (h - kh) // sh + 1, (w - kw) // sw + 1)


@pytest.mark.parametrize("seed", range(3))
def test_pool_stride_defaults_to_kernel(seed):
    x = np.random.RandomState(seed).standard_normal((1, 2, 9, 9))
    np.testing.assert_array_equal(layers.max_pool2d(x, 3), layers.max_pool2d(x, 3, 3))
    np.testing.assert_array_equal(layers.avg_pool2d(x, 3), layers.avg_pool2d(x, 3, 3))




# The chapter's two 6×6 inputs max-pool (P 2×2) to the same 3×3 output.
@pytest.mark.parametrize("matrix", [NOTES_X1, NOTES_X2], ids=["X1", "X2"])
def test_chapter_pooling_example(matrix):
    x = np.array(matrix)[None, None]
    assert layers.max_pool2d(x, 2).tolist() == [[NOTES_POOLED]]
    assert layers.pool2d_loop(x, 2).tolist() == [[NOTES_POOLED]]


# ---------------------------------------------------------------- dense layers, relu
@pytest.mark.parametrize("seed", range(5))
def test_linear_equals_explicit_matmul(seed):
    rng = np.random.RandomState(seed)
    n, n_in, n_out = rng.randint(1, 6, size=3)
    x, weight, bias = (rng.standard_normal((n, n_in)), rng.standard_normal((n_out, n_in)),
                       rng.standard_normal(n_out))
    expected = np.array([[sum(x[i, k] * weight[j, k] for k in range(n_in)) + bias[j]
                          for j in range(n_out)] for i in range(n)])
    np.testing.assert_allclose(layers.linear(x, weight, bias), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layers.linear(x, weight), expected - bias, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_relu(seed):
    x = np.random.RandomState(seed).standard_normal((4, 5))
    out = layers.relu(x)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0))
    assert (out >= 0).all() and ((out == x) | (x < 0)).all()


# ---------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9])
def test_dropout_is_identity_at_inference(p):
    x = np.random.RandomState(0).standard_normal((3, 7))
    np.testing.assert_array_equal(layers.dropout(x, p, training=False), x)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_in_training(p, seed):
    x = np.ones(200_000)
    out = layers.dropout(x, p, np.random.default_rng(seed))
    values = np.unique(out)
    np.testing.assert_allclose(values, [0.0, 1 / (1 - p)])
    # Dropped fraction close to p, and the mean (the expectation) preserved within 1 %.
    assert abs(np.mean(out == 0) - p) < 0.01
    assert abs(out.mean() - 1) < 0.01


def test_dropout_drops_units_independently_of_values():
    x = np.arange(1.0, 11.0)
    out = layers.dropout(x, 0.5, np.random.default_rng(3))
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2 * x[kept])


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        layers.dropout(np.ones(3), p, np.random.default_rng(0))


def test_dropout_in_training_needs_rng():
    with pytest.raises(ValueError, match="needs rng"):
        layers.dropout(np.ones(3), 0.5, None, training=True)


# ---------------------------------------------------------------- softmax and losses
@pytest.mark.parametrize("logits", [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0],
                                    [1000.0, 1000.0, 1000.0]])
def test_softmax_is_stable_for_huge_logits(logits):
    z = np.array([logits, [0.1, 0.2, 0.3]])
    probs, log_probs = layers.softmax(z), layers.log_softmax(z)
    assert np.isfinite(probs).all() and np.isfinite(log_probs[probs > 0]).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    # Shifting every logit by the same constant leaves the distribution unchanged.
    np.testing.assert_allclose(layers.softmax(np.array(logits) - max(logits)), probs[0])


@pytest.mark.parametrize("seed", range(5))
def test_softmax_equals_naive_formula(seed):
    z = np.random.RandomState(seed).uniform(-5, 5, size=(4, 6))
    naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(layers.softmax(z), naive, rtol=1e-12)
    np.testing.assert_allclose(layers.log_softmax(z), np.log(naive), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layers.softmax(z.T, axis=0), naive.T, rtol=1e-12)


def test_cross_entropy_book_value():
    assert round(layers.cross_entropy(np.array([[1.5, 0.8, 2.1]]), np.array([2])), 4) == 0.5996


@pytest.mark.parametrize("seed", range(5))
def test_cross_entropy_equals_mean_negative_log_probability(seed):
    rng = np.random.RandomState(seed)
    z = rng.uniform(-4, 4, size=(6, 5))
    t = rng.randint(0, 5, size=6)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean([np.log(probs[i, t[i]]) for i in range(6)])
    assert layers.cross_entropy(z, t) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_with_huge_logits_is_exact():
    assert layers.cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1])) == 2000.0
    assert layers.cross_entropy(np.array([[1000.0, -1000.0]]), np.array([0])) == 0.0


def test_binary_cross_entropy_book_value():
    prob = 1 / (1 + np.exp(-0.8))  # sigmoid(0.8)
    assert round(layers.binary_cross_entropy(np.array([prob]), np.array([1.0])), 4) == 0.3711
    assert round(layers.binary_cross_entropy_with_logits(np.array([0.8]), np.array([1.0])),
                 4) == 0.3711


@pytest.mark.parametrize("seed", range(5))
def test_binary_cross_entropy_from_probs_equals_from_logits(seed):
    rng = np.random.RandomState(seed)
    z, t = rng.uniform(-6, 6, size=9), rng.uniform(0, 1, size=9)
    p = 1 / (1 + np.exp(-z))
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert layers.binary_cross_entropy(p, t) == pytest.approx(expected, rel=1e-10)
    assert layers.binary_cross_entropy_with_logits(z, t) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("logit", "target", "loss"), [(1000.0, 0.0, 1000.0),
                                                       (-1000.0, 1.0, 1000.0),
                                                       (1000.0, 1.0, 0.0),
                                                       (-1000.0, 0.0, 0.0)])
def test_binary_cross_entropy_with_huge_logits_is_exact(logit, target, loss):
    assert layers.binary_cross_entropy_with_logits(np.array([logit]), np.array([target])) == loss


def test_binary_cross_entropy_of_certain_wrong_probability_is_clamped():
    assert layers.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == 100.0


def test_l2_penalty():
    params = {"a": np.array([1.0, -2.0]), "b": np.array([[3.0, 0.5]])}
    expected = 0.01 * (1 + 4 + 9 + 0.25)
    assert layers.l2_penalty(params, 0.01) == pytest.approx(expected, rel=1e-12)
    assert layers.l2_penalty(list(params.values()), 0.01) == pytest.approx(expected, rel=1e-12)
    assert layers.l2_penalty({"w": np.full(3, 1e20, np.float32)}, 1.0) == pytest.approx(3e40)


# ---------------------------------------------------------------- bad input
X4 = np.ones((1, 2, 5, 5))
W4 = np.ones((3, 2, 3, 3))
NAN4 = np.full((1, 2, 5, 5), np.nan)

BAD_CALLS = {
    "conv input rank": (lambda: layers.conv2d(np.ones((2, 5, 5)), W4),
                        r"input must have 4 dimensions .*got shape \(2, 5, 5\)"),
    "conv weight rank": (lambda: layers.conv2d(X4, np.ones((3, 3, 3))),
                         r"weight must have 4 dimensions \(C_out, C_in, kH, kW\)"),
    "channel mismatch": (lambda: layers.conv2d(X4, np.ones((3, 4, 3, 3))),
                         r"weight expects 4 input channels .* input has 2"),
    "bias shape": (lambda: layers.conv2d(X4, W4, np.ones(2)),
                   r"bias must have 3 entries \(C_out\), got shape \(2,\)"),
    "bias rank": (lambda: layers.conv2d(X4, W4, np.ones((3, 1))),
                  r"bias must have 1 dimensions"),
    "zero stride": (lambda: layers.conv2d(X4, W4, stride=0),
                    r"stride must be at least 1, got \(0, 0\)"),
    "negative padding": (lambda: layers.conv2d(X4, W4, padding=(1, -1)),
                         r"padding must be non-negative, got \(1, -1\)"),
    "kernel too large": (lambda: layers.conv2d(X4, np.ones((3, 2, 8, 3)), padding=1),
                         r"kernel \(8, 3\) is larger than the padded input \(7, 7\)"),
    "fractional stride": (lambda: layers.conv2d(X4, W4, stride=1.5),
                          r"stride must be an int or a pair of ints, got 1.5"),
    "stride triple": (lambda: layers.conv2d(X4, W4, stride=(1, 1, 1)),
                      r"stride must be an int or a pair of ints"),
    "nan input": (lambda: layers.conv2d(NAN4, W4), r"input must be finite"),
    "nan weight": (lambda: layers.conv2d(X4, np.full((3, 2, 3, 3), np.inf)),
                   r"weight must be finite"),
    "string input": (lambda: layers.conv2d(np.full((1, 2, 5, 5), "a"), W4),
                     r"input must hold real numbers"),
    "naive conv kernel too large": (lambda: layers.conv2d_loop(X4, np.ones((3, 2, 6, 6))),
                                    r"kernel \(6, 6\) is larger than the padded input"),
    "pool input rank": (lambda: layers.max_pool2d(np.ones((5, 5)), 2),
                        r"input must have 4 dimensions \(N, C, H, W\), got shape \(5, 5\)"),
    "pool zero kernel": (lambda: layers.max_pool2d(X4, 0),
                         r"kernel size must be at least 1, got \(0, 0\)"),
    "pool zero stride": (lambda: layers.avg_pool2d(X4, 2, 0),
                         r"stride must be at least 1, got \(0, 0\)"),
    "pool kernel too large": (lambda: layers.max_pool2d(X4, 6),
                              r"kernel \(6, 6\) is larger than the padded input \(5, 5\)"),
    "pool nan": (lambda: layers.avg_pool2d(NAN4, 2), r"input must be finite"),
    "naive pool kernel too large": (lambda: layers.pool2d_loop(X4, (2, 6)),
                                    r"kernel \(2, 6\) is larger than the padded input"),
    "linear rank": (lambda: layers.linear(np.ones(3), np.ones((2, 3))),
                    r"input must have 2 dimensions \(N, in_features\)"),
    "linear features": (lambda: layers.linear(np.ones((1, 4)), np.ones((2, 3))),
                        r"weight expects 3 input features .* got input shape \(1, 4\)"),
    "linear bias shape": (lambda: layers.linear(np.ones((1, 3)), np.ones((2, 3)), np.ones(1)),
                          r"bias must have 2 entries \(out_features\), got shape \(1,\)"),
    "linear nan": (lambda: layers.linear(np.array([[np.nan, 1, 1]]), np.ones((2, 3))),
                   r"input must be finite"),
    # The weight is checked once the product shows a NaN: one where the input is 0 too,
    # an infinity, and an empty batch (no product to show it).
    "linear nan weight": (lambda: layers.linear(np.zeros((1, 3)), np.diag([1.0, np.nan, 1.0])),
                          r"weight must be finite"),
    "linear inf weight": (lambda: layers.linear(np.ones((2, 3)), np.full((2, 3), -np.inf)),
                          r"weight must be finite"),
    "linear nan weight, no rows": (lambda: layers.linear(np.ones((0, 3)), np.full((2, 3), np.nan)),
                                   r"weight must be finite"),
    "logits rank": (lambda: layers.cross_entropy(np.ones(3), np.array([0])),
                    r"logits must have 2 dimensions \(N, classes\)"),
    "float targets": (lambda: layers.cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0])),
                      r"targets must be 2 integer class indices, got float64"),
    "targets count": (lambda: layers.cross_entropy(np.ones((2, 3)), np.array([0, 1, 2])),
                      r"targets must be 2 integer class indices, .* shape \(3,\)"),
    "target out of range": (lambda: layers.cross_entropy(np.ones((2, 3)), np.array([0, 3])),
                            r"targets must lie in \[0, 3\), got \[0, 3\]"),
    "negative target": (lambda: layers.cross_entropy(np.ones((1, 3)), np.array([-1])),
                        r"targets must lie in \[0, 3\)"),
    "logits nan": (lambda: layers.cross_entropy(np.array([[np.nan, 0.0]]), np.array([0])),
                   r"logits must be finite"),
    "bce shapes": (lambda: layers.binary_cross_entropy(np.ones(2) / 2, np.ones(3)),
                   r"probs and targets must have the same non-empty shape, got \(2,\) and \(3,\)"),
    "bce empty": (lambda: layers.binary_cross_entropy_with_logits(np.ones(0), np.ones(0)),
                  r"logits and targets must have the same non-empty shape"),
    "bce probs out of range": (lambda: layers.binary_cross_entropy(np.array([1.5]), np.ones(1)),
                               r"probs must lie in \[0, 1\]"),
    "bce targets out of range": (lambda: layers.binary_cross_entropy_with_logits(
                                     np.ones(1), np.array([2.0])),
                                 r"targets must lie in \[0, 1\]"),
    "bce nan": (lambda: layers.binary_cross_entropy_with_logits(np.array([np.nan]), np.ones(1)),
                r"logits and targets must be finite"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_input_raises_clear_value_error(name):
    call, message = BAD_CALLS[name]
    with pytest.raises(ValueError, match=message):
        call()
