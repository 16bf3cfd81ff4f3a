"""cnnlab.signal against NumPy and SciPy, the chapter's worked examples and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from cnnlab import signal as lab

MODES = ("full", "same", "valid")
OPERATIONS = ("conv1d", "correlate1d", "conv2d", "correlate2d")

# Stride-1 reference for each operation: reference(x, w, mode).
REFERENCE = {
    "conv1d": scipy.signal.convolve,
    # scipy.signal.correlate pads even kernels like convolution in "same" mode;
    # correlate2d on one row is the cross-correlation convention (see padding_for).
    "correlate1d": lambda x, w, mode: scipy.signal.correlate2d(x[None], w[None], mode)[0],
    "conv2d": scipy.signal.convolve2d,
    "correlate2d": scipy.signal.correlate2d,
}


def _input_size(rng: np.random.Generator, m: int, mode: str) -> int:
    """Any input size in "full"/"same" mode (even smaller than the kernel); >= m in "valid"."""
    return int(rng.integers(m if mode == "valid" else 1, m + 8))


def _operands(name: str, seed: int, m: int, mode: str = "valid"):
    """Random input and kernel for `name`; in 2-D the kernel is m x (random width)."""
    rng = np.random.default_rng(seed)
    if name.endswith("1d"):
        return rng.normal(size=_input_size(rng, m, mode)), rng.normal(size=m)
    m2 = int(rng.integers(1, 6))
    shape = (_input_size(rng, m, mode), _input_size(rng, m2, mode))
    return rng.normal(size=shape), rng.normal(size=(m, m2))


def _strides(name: str, s: int, seed: int):
    """The stride to test: s in 1-D; (s, another stride) in 2-D so the axes differ."""
    return s if name.endswith("1d") else (s, 1 + seed % 3)


def _subsample(reference: np.ndarray, strides) -> np.ndarray:
    """Every s-th value of a stride-1 result is the stride-s result."""
    steps = np.broadcast_to(strides, (reference.ndim,))
    return reference[tuple(slice(None, None, int(step)) for step in steps)]


def _assert_same_values(result: np.ndarray, expected: np.ndarray) -> None:
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- against references


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", OPERATIONS)
def test_mode_matches_scipy(name, mode, m, s, seed):
    x, w = _operands(name, seed, m, mode)
    strides = _strides(name, s, seed)
    expected = _subsample(REFERENCE[name](x, w, mode), strides)
    _assert_same_values(getattr(lab, name)(x, w, s=strides, mode=mode), expected)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("p", [0, 1, 2, 3])
@pytest.mark.parametrize("name", OPERATIONS)
def test_padding_and_stride_match_scipy_on_a_zero_padded_input(name, p, s, seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 6))
    x, w = _operands(name, seed, m)
    if name.endswith("1d"):
        pads, x_padded = p, np.pad(x, p)
    else:  # unequal padding per axis
        pads, x_padded = (p, 3 - p), np.pad(x, [(p, p), (3 - p, 3 - p)])
    strides = _strides(name, s, seed)
    expected = _subsample(REFERENCE[name](x_padded, w, "valid"), strides)
    _assert_same_values(getattr(lab, name)(x, w, p=pads, s=strides), expected)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("mode", MODES)
def test_conv1d_matches_np_convolve(mode, m, seed):
    x, w = _operands("conv1d", seed, m, mode="valid")  # np.convolve's "same" has max(n, m) values
    np.testing.assert_allclose(lab.conv1d(x, w, mode=mode), np.convolve(x, w, mode), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reference", [np.correlate, scipy.signal.correlate])
def test_np_and_scipy_correlate_pad_like_convolution(reference, mode, m, seed):
    # They define correlation as convolution with the reversed kernel, so their padding is
    # padding_for(mode, m) with the kernel counted as flipped (it only matters for even m).
    x, w = _operands("correlate1d", seed, m)
    result = lab.correlate1d(x, w, p=lab.padding_for(mode, m, kernel_flipped=True))
    np.testing.assert_allclose(result, reference(x, w, mode), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("mode", MODES)
def test_scipy_nd_correlate_pads_like_convolution(mode, m, seed):
    X, W = _operands("correlate2d", seed, m)
    pads = tuple(lab.padding_for(mode, size, kernel_flipped=True) for size in W.shape)
    result = lab.correlate2d(X, W, p=pads)
    np.testing.assert_allclose(result, scipy.signal.correlate(X, W, mode), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
def test_same_mode_correlation_is_one_step_from_np_correlate_for_even_kernels(m, seed):
    x, w = _operands("correlate1d", seed, m)
    shift = 1 - m % 2  # the extra zero sits after the input here, before it in np.correlate
    ours, theirs = lab.correlate1d(x, w, mode="same"), np.correlate(x, w, "same")
    np.testing.assert_allclose(ours[: len(x) - shift], theirs[shift:], atol=1e-12)
    assert shift == 0 or not np.allclose(ours, theirs)


# ---------------------------------------------------------------- internal consistency


def _random_call(name: str, seed: int, with_modes: bool = True):
    """Random operands, padding ((before, after) or, every third seed, a mode) and stride."""
    rng = np.random.default_rng(1000 + seed)
    x, w = _operands(name, seed, int(rng.integers(1, 5)), mode="full")
    if with_modes and seed % 3 == 0:
        kwargs = {"mode": MODES[seed % 2]}  # "full" or "same": any input size works
    else:
        pads = []
        for n, m in zip(x.shape, w.shape):
            before = max(int(rng.integers(0, 4)), m - n)  # at least m - n: the kernel must fit
            pads.append((before, int(rng.integers(0, 4))))
        kwargs = {"p": pads[0] if w.ndim == 1 else tuple(pads)}
    kwargs["s"] = _strides(name, int(rng.integers(1, 4)), seed)
    return x, w, kwargs


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("name", OPERATIONS)
def test_loop_version_agrees_with_vectorized(name, seed):
    x, w, kwargs = _random_call(name, seed)
    _assert_same_values(
        getattr(lab, name)(x, w, **kwargs), getattr(lab, name + "_loop")(x, w, **kwargs)
    )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("dim", ["1d", "2d"])
def test_convolution_is_correlation_with_the_flipped_kernel(dim, seed):
    # Explicit padding only: with mode="same" and an even kernel the two pad differently.
    x, w, kwargs = _random_call("conv" + dim, seed, with_modes=False)
    flipped = w[(slice(None, None, -1),) * w.ndim]
    np.testing.assert_allclose(
        getattr(lab, "conv" + dim)(x, w, **kwargs),
        getattr(lab, "correlate" + dim)(x, flipped, **kwargs),
        atol=1e-12,
    )


@pytest.mark.parametrize("seed", range(30))
def test_output_size_is_the_real_output_length(seed):
    rng = np.random.default_rng(seed)
    n, m = (int(v) for v in rng.integers(1, 12, size=2))
    least = max(0, -(-(m - n) // 2))  # smallest p with m <= n + 2p
    p = int(rng.integers(least, least + 4))
    s = int(rng.integers(1, 5))
    x, w = rng.normal(size=n), rng.normal(size=m)
    o = lab.output_size(n, m, p, s)
    assert o == (n + 2 * p - m) // s + 1
    assert lab.conv1d(x, w, p=p, s=s).shape == (o,)
    assert lab.correlate1d_loop(x, w, p=p, s=s).shape == (o,)
    X = rng.normal(size=(n, m + 2))
    assert lab.conv2d_loop(X, w[:, None], p=(p, 0), s=(s, 2)).shape == (o, (m + 1) // 2 + 1)


@pytest.mark.parametrize(
    ("mode", "m", "kernel_flipped", "expected"),
    [
        ("valid", 4, True, (0, 0)),
        ("full", 4, True, (3, 3)),
        ("full", 1, False, (0, 0)),
        ("same", 1, True, (0, 0)),
        ("same", 3, True, (1, 1)),
        ("same", 3, False, (1, 1)),
        ("same", 4, True, (2, 1)),
        ("same", 4, False, (1, 2)),
        ("same", 6, True, (3, 2)),
    ],
)
def test_padding_for(mode, m, kernel_flipped, expected):
    assert lab.padding_for(mode, m, kernel_flipped=kernel_flipped) == expected


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("n", [1, 2, 7])
def test_same_padding_keeps_the_size_and_full_padding_gives_n_plus_m_minus_1(n, m):
    assert lab.output_size(n, m, lab.padding_for("same", m)) == n
    assert lab.output_size(n, m, lab.padding_for("full", m)) == n + m - 1


@pytest.mark.parametrize("name", ["conv1d", "conv1d_loop", "correlate1d", "correlate1d_loop"])
def test_results_are_floats_of_the_input_precision(name):
    function = getattr(lab, name)
    assert function([1, 2, 3], [1, 1]).dtype == np.float64
    single = np.array([1, 2, 3], dtype=np.float32)
    assert function(single, single[:2]).dtype == np.float32


def test_pad_helpers():
    assert lab.pad1d([1, 2], (2, 0)).tolist() == [0, 0, 1, 2]
    padded = lab.pad2d(np.ones((2, 3)), ((1, 0), 2))
    assert padded.shape == (3, 7)
    assert padded.sum() == 6 and padded[1:, 2:5].tolist() == np.ones((2, 3)).tolist()


# ---------------------------------------------------------------- the chapter's examples


@pytest.mark.parametrize("function", [lab.conv1d, lab.conv1d_loop])
def test_chapter_conv1d_example(function):
    x, w = [1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2]
    assert function(x, w, p=2).tolist() == [5, 14, 16, 26, 24, 34, 19, 22]
    assert function(x, w, mode="same").tolist() == np.convolve(x, w, "same").tolist()


@pytest.mark.parametrize("function", [lab.conv2d, lab.conv2d_loop])
def test_chapter_conv2d_example(function):
    X = [[1, 3, 2, 4], [5, 6, 1, 3], [1, 2, 0, 2], [3, 4, 3, 2]]
    W = [[1, 0, 3], [1, 2, 1], [0, 1, 1]]
    expected = scipy.signal.convolve2d(X, W, mode="same")
    np.testing.assert_array_equal(function(X, W, p=(1, 1), s=(1, 1)), expected)
    np.testing.assert_array_equal(function(X, W, mode="same"), expected)


@pytest.mark.parametrize("function", [lab.conv1d, lab.conv1d_loop])
def test_stride_two_over_five_inputs_gives_two_outputs(function):
    # The book's loop, range(0, int((5 - 3) / 2) + 1, 2) == range(0, 2, 2), visits only
    # i = 0: one output. The windows start at 0 and 2, so there are two.
    assert lab.output_size(5, 3, p=0, s=2) == 2
    assert function([1, 2, 3, 4, 5], [1, 1, 1], s=2).tolist() == [6, 12]


@pytest.mark.parametrize("function", [lab.conv2d, lab.conv2d_loop])
def test_stride_two_in_2d(function):
    X = np.arange(25.0).reshape(5, 5)
    Y = function(X, np.ones((3, 3)), s=(2, 2))
    expected = [[X[i : i + 3, j : j + 3].sum() for j in (0, 2)] for i in (0, 2)]
    assert Y.tolist() == expected


# ---------------------------------------------------------------- bad input

NAN, INF = float("nan"), float("inf")

BAD_1D = [
    (([[1, 2], [3, 4]], [1]), {}, r"x: expected a 1-D array, got 2-D of shape \(2, 2\)"),
    (([1, 2, 3], [[1]]), {}, r"w: expected a 1-D array, got 2-D"),
    (([], [1]), {}, r"x: expected at least one element, got an empty array"),
    (([1, 2], []), {}, r"w: expected at least one element"),
    (([1, NAN], [1]), {}, r"x: expected finite numbers, got 1 NaN or infinite"),
    (([1, 2], [INF, 1]), {}, r"w: expected finite numbers"),
    ((["a", "b"], [1]), {}, r"x: expected real numbers, got an array of dtype <U1"),
    (([1j, 2], [1]), {}, r"x: expected real numbers, got an array of dtype complex"),
    (([1, 2, 3], [1, 1]), {"p": -1}, r"p \(padding\): expected an integer >= 0, got -1"),
    (([1, 2, 3], [1, 1]), {"p": (1, -2)}, r"p \(padding\): expected an integer >= 0, got -2"),
    (([1, 2, 3], [1, 1]), {"p": 1.5}, r"p: expected padding as an int or a \(before, after\)"),
    (([1, 2, 3], [1, 1]), {"p": (1, 2, 3)}, r"p: expected padding as an int or a \(before"),
    (([1, 2, 3], [1, 1]), {"s": 0}, r"s \(stride\): expected an integer >= 1, got 0"),
    (([1, 2, 3], [1, 1]), {"s": -2}, r"s \(stride\): expected an integer >= 1, got -2"),
    (([1, 2, 3], [1, 1]), {"s": 1.0}, r"s \(stride\): expected an integer, got 1.0 \(float\)"),
    (([1, 2, 3], [1, 1]), {"s": (1, 1)}, r"s \(stride\): expected an integer, got \(1, 1\)"),
    (([1, 2], [1, 2, 3]), {}, r"kernel \(m=3\) is larger than the padded input .* = 2\)"),
    (([1, 2], [1, 2, 3]), {"mode": "valid"}, r"kernel \(m=3\) is larger than the padded"),
    (([1, 2, 3], [1, 1]), {"p": 1, "mode": "same"}, r"give either p or mode, not both"),
    (([1, 2, 3], [1, 1]), {"mode": "Same"}, r"mode: expected one of \('full', 'same', 'valid'\)"),
]

FITS = (np.ones((3, 3)), np.ones((2, 2)))  # a 2x2 kernel fits a 3x3 input

BAD_2D = [
    (([1, 2, 3], [[1]]), {}, r"X: expected a 2-D array, got 1-D"),
    (([[1]], [1]), {}, r"W: expected a 2-D array, got 1-D"),
    (([[1, 2], [3]], [[1]]), {}, r"X: expected a rectangular 2-D array"),
    (([[]], [[1]]), {}, r"X: expected at least one element, got an empty array of shape \(1, 0\)"),
    (([[1, NAN]], [[1]]), {}, r"X: expected finite numbers"),
    ((np.ones((2, 5)), np.ones((3, 3))), {}, r"axis 0 \(rows\): the kernel \(m=3\) is larger"),
    ((np.ones((5, 2)), np.ones((3, 3))), {}, r"axis 1 \(columns\): the kernel \(m=3\) is larger"),
    (FITS, {"p": (1,)}, r"p: expected an int or a pair \(p1, p2\)"),
    (FITS, {"p": ((1, 2, 3), 0)}, r"p\[0\]: expected padding as"),
    (FITS, {"p": (0, -1)}, r"p\[1\] \(padding\): expected an int"),
    (FITS, {"s": (1, 0)}, r"s\[1\] \(stride\): expected an integer >= 1"),
    (FITS, {"s": (1, 2, 3)}, r"s: expected an int or a pair"),
    (FITS, {"p": (0, 1), "mode": "full"}, r"either p or mode"),
]


@pytest.mark.parametrize(("args", "kwargs", "message"), BAD_1D)
@pytest.mark.parametrize("name", ["conv1d", "conv1d_loop", "correlate1d", "correlate1d_loop"])
def test_bad_1d_input_is_rejected(name, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(lab, name)(*args, **kwargs)


@pytest.mark.parametrize(("args", "kwargs", "message"), BAD_2D)
@pytest.mark.parametrize("name", ["conv2d", "conv2d_loop", "correlate2d", "correlate2d_loop"])
def test_bad_2d_input_is_rejected(name, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(lab, name)(*args, **kwargs)


@pytest.mark.parametrize(
    ("function", "args", "message"),
    [
        (
            lab.output_size,
            (3, 5),
            r"the kernel \(m=5\) is larger than the padded input \(n \+ padding = 3 \+ 0 = 3\)",
        ),
        (lab.output_size, (3, 6, 1), r"kernel \(m=6\) is larger .* = 3 \+ 2 = 5\)"),
        (lab.output_size, (0, 1), r"n \(input size\): expected an integer >= 1, got 0"),
        (lab.output_size, (5, 0), r"m \(kernel size\): expected an integer >= 1, got 0"),
        (lab.output_size, (5, 3, -1), r"p \(padding\): expected an integer >= 0, got -1"),
        (lab.output_size, (5, 3, 0, 0), r"s \(stride\): expected an integer >= 1, got 0"),
        (lab.output_size, (5.0, 3), r"n \(input size\): expected an integer, got 5.0 \(float\)"),
        (lab.output_size, (5, 3, 0, 1.5), r"s \(stride\): expected an integer, got 1.5"),
        (lab.output_size, (True, 1), r"n \(input size\): expected an integer, got True \(bool\)"),
        (lab.padding_for, ("bogus", 3), r"mode: expected one of .*, got 'bogus'"),
        (lab.padding_for, ("same", 0), r"m \(kernel size\): expected an integer >= 1, got 0"),
        (lab.pad1d, ([1, 2], -1), r"p \(padding\): expected an integer >= 0, got -1"),
        (lab.pad1d, ([[1]], 1), r"x: expected a 1-D array"),
        (lab.pad2d, ([1], 1), r"X: expected a 2-D array"),
        (lab.pad2d, ([[1]], (1, 2, 3)), r"p: expected an int or a pair"),
    ],
)
def test_bad_sizes_are_rejected(function, args, message):
    with pytest.raises(ValueError, match=message):
        function(*args)
