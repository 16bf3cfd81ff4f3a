"""What the widgets of the layer pages show, computed: 2-D convolution, pooling, channels,
parameter counts and dropout.

The site's widgets only draw; every number they show comes from here, and every function
here gets its numbers from the library itself (:mod:`cnnlab.signal`, :mod:`cnnlab.layers`,
:mod:`cnnlab.model`), adding only the breakdown a visitor sees: the window each output
reads, the products it sums, the shapes of a layer, the mask dropout drew.

Results are dicts of NumPy arrays, ints and floats, ready for the page's bridge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import digits, layers, model, signal
from . import bounds, explain

IntPair = int | tuple[int, int]
Breakdown = dict[str, Any]


# ---------------------------------------------------------------- input from the page
def parse_matrix(text: str, name: str = "matrix", max_size: int | None = None) -> np.ndarray:
    """A matrix typed by a visitor: one row per line (or ``;``), numbers split by commas
    or spaces.

    Raises ValueError naming the offending entry, for empty input, ragged rows,
    anything that is not a finite number, and more than ``max_size`` rows or columns.

    >>> parse_matrix("1, 3 2\\n5 6 1").tolist()
    [[1.0, 3.0, 2.0], [5.0, 6.0, 1.0]]
    >>> parse_matrix("1 2; 3")
    Traceback (most recent call last):
    ...
    ValueError: matrix: every row needs the same number of entries; row 1 has 2, row 2 has 1
    """
    rows = [line.strip() for line in re.split(r"[;\n]", text) if line.strip()]
    if not rows:
        raise ValueError(f"{name}: expected rows of numbers, got nothing")
    values = [explain.parse_numbers(row, f"{name}: row {r}") for r, row in enumerate(rows, 1)]
    for r, row in enumerate(values, start=1):
        if not np.isfinite(row).all():
            raise ValueError(f"{name}: row {r}: expected finite numbers, got {rows[r - 1]!r}")
    lengths = [len(row) for row in values]
    if len(set(lengths)) > 1:
        r = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise ValueError(
            f"{name}: every row needs the same number of entries; "
            f"row 1 has {lengths[0]}, row {r + 1} has {lengths[r]}"
        )
    matrix = np.array(values)
    if max_size is not None and max(matrix.shape) > max_size:
        raise ValueError(f"{name}: at most {max_size} rows and columns here, "
                         f"got {matrix.shape[0]} × {matrix.shape[1]}")
    return matrix


def _pair(value: Any, bound: bounds.Whole) -> tuple[int, int]:
    """An int for both axes, or a pair (rows, columns), each within ``bound``."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return bound.check(value[0]), bound.check(value[1])
    whole = bound.check(value)
    return whole, whole


def _window_origins(out_shape: tuple, stride: tuple) -> np.ndarray:
    """(o1, o2, 2) top-left corner (row, column) of every window: ``(i·s1, j·s2)``."""
    rows, cols = np.indices(out_shape)
    return np.stack([rows * stride[0], cols * stride[1]], axis=-1)


# ---------------------------------------------------------------- 2-D convolution
def conv2d_breakdown(
    X: Sequence, W: Sequence, p: IntPair = 0, s: IntPair = 1, flip: bool = True,
) -> Breakdown:
    """Output and per-output products of a 2-D convolution (or, ``flip=False``,
    cross-correlation), for the step-through widget.

    ``Y[i, j] = Σ_{k1, k2} X^p[i·s1 + k1, j·s2 + k2] · K[k1, k2]`` where ``K`` is the
    kernel as it slides: ``W[::-1, ::-1]`` for convolution, ``W`` for cross-correlation.

    Returns
    -------
    dict
        ``padded`` (n1 + 2p1, n2 + 2p2): the zero-padded input;
        ``kernel`` (m1, m2): ``K``;
        ``output`` (o1, o2): ``signal.conv2d`` (or ``signal.correlate2d``) of X and W;
        ``origins`` (o1, o2, 2): top-left (row, column) in ``padded`` of each window;
        ``products`` (o1, o2, m1, m2): the window times ``K``, element by element, so
        ``products.sum((2, 3)) == output``;
        ``padding`` [p1, p2] and ``stride`` [s1, s2].

    >>> b = conv2d_breakdown([[1, 2], [3, 4]], [[1, 0], [0, 2]], p=0)
    >>> b["kernel"].tolist(), b["products"][0, 0].tolist(), b["output"].tolist()
    ([[2.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 4.0]], [[6.0]])
    """
    padding, stride = _pair(p, bounds.PADDING_2D), _pair(s, bounds.STRIDE_2D)
    X, W = bounds.MATRIX_X.check(X), bounds.MATRIX_W.check(W)
    operation = signal.conv2d if flip else signal.correlate2d
    output = operation(X, W, p=padding, s=stride)  # checks the shapes, raises ValueError
    W = np.asarray(W, dtype=float)
    kernel = W[::-1, ::-1] if flip else W
    padded = signal.pad2d(X, padding)
    origins = _window_origins(output.shape, stride)
    m1, m2 = kernel.shape
    products = np.array([
        [padded[r:r + m1, c:c + m2] * kernel for r, c in row] for row in origins
    ]).reshape(output.shape + kernel.shape)
    return {
        "padded": padded, "kernel": kernel.copy(), "output": output, "origins": origins,
        "products": products, "padding": list(padding), "stride": list(stride),
    }


# ---------------------------------------------------------------- pooling
def pool_breakdown(
    X: Sequence, size: IntPair = 2, stride: IntPair | None = None, mode: str = "max",
) -> Breakdown:
    """Max or mean pooling of one matrix, with the window of every output.

    ``Y[i, j] = max (or mean) of X[i·s1 : i·s1 + k1, j·s2 : j·s2 + k2]``, computed by
    ``layers.max_pool2d`` / ``layers.avg_pool2d``; ``stride`` defaults to ``size``
    (non-overlapping windows).

    Returns
    -------
    dict
        ``output`` (o1, o2); ``origins`` (o1, o2, 2) top-left corner of each window;
        ``size`` [k1, k2]; ``stride`` [s1, s2];
        ``winners`` (o1, o2, 2): where in X each window's maximum sits (first one if
        tied; max pooling only, else absent);
        ``coverage`` (n1, n2): in how many windows each input element is (0: pooling
        never looks at it; more than 1: windows overlap); ``unused``: how many
        elements no window reads; ``most_windows``: the largest coverage.

    >>> b = pool_breakdown([[1, 5, 2], [3, 4, 0]], size=2, stride=1)
    >>> b["output"].tolist(), b["winners"].tolist(), b["coverage"].tolist()
    ([[5.0, 5.0]], [[[0, 1], [0, 1]]], [[1, 2, 1], [1, 2, 1]])
    """
    pools = {"max": layers.max_pool2d, "mean": layers.avg_pool2d}
    if mode not in pools:
        raise ValueError(f"mode: expected 'max' or 'mean', got {mode!r}")
    X = layers.check_array(np.asarray(X, dtype=float), 2, "X", "(rows, columns)")
    kernel = _pair(size, bounds.POOL_SIZE)
    steps = kernel if stride is None else _pair(stride, bounds.POOL_STRIDE)
    output = pools[mode](X[None, None], kernel, steps)[0, 0]
    origins = _window_origins(output.shape, steps)
    coverage = np.zeros(X.shape, dtype=int)
    winners = np.zeros((*output.shape, 2), dtype=int)
    for i, j in np.ndindex(*output.shape):
        r, c = origins[i, j]
        window = X[r:r + kernel[0], c:c + kernel[1]]
        coverage[r:r + kernel[0], c:c + kernel[1]] += 1
        u, v = np.unravel_index(np.argmax(window), window.shape)
        winners[i, j] = (r + u, c + v)
    result = {"output": output, "origins": origins, "size": list(kernel),
              "stride": list(steps), "coverage": coverage,
              "unused": int(np.sum(coverage == 0)), "most_windows": int(coverage.max())}
    if mode == "max":
        result["winners"] = winners
    return result


# ---------------------------------------------------------------- channels and parameters
def channel_shapes(
    c_in: int, c_out: int, k: int, n: int, padding: int = 0, stride: int = 1,
) -> Breakdown:
    """Shapes of a convolution layer, measured by running ``layers.conv2d`` on a random
    (1, C_in, n, n) input with a (C_out, C_in, k, k) weight and a (C_out,) bias.

    >>> shapes = channel_shapes(3, 5, 3, 8, padding=1)
    >>> shapes["weight_shape"], shapes["output_shape"], shapes["parameters"]
    ([5, 3, 3, 3], [1, 5, 8, 8], 140)
    """
    c_in, c_out = bounds.CHANNELS_IN.check(c_in), bounds.CHANNELS_OUT.check(c_out)
    k, n = bounds.CHANNEL_KERNEL.check(k), bounds.CHANNEL_IMAGE.check(n)
    padding = bounds.CHANNEL_PADDING.check(padding)
    stride = bounds.CHANNEL_STRIDE.check(stride)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, c_in, n, n))
    weight = rng.standard_normal((c_out, c_in, k, k))
    bias = rng.standard_normal(c_out)
    out = layers.conv2d(x, weight, bias, stride=stride, padding=padding)
    return {
        "input_shape": list(x.shape), "weight_shape": list(weight.shape),
        "bias_shape": list(bias.shape), "output_shape": list(out.shape),
        "parameters": int(weight.size + bias.size),
    }


def parameter_comparison(n1: int, n2: int, m1: int, m2: int, c_in: int, c_out: int) -> Breakdown:
    """Parameters of a conv layer and of a fully connected layer doing the same mapping.

    The conv layer has an m1 × m2 kernel per (input, output) channel pair and one bias
    per output channel: ``m1·m2·C_in·C_out + C_out``. With "same" padding (stride 1) it
    maps an n1 × n2 × C_in input to n1 × n2 × C_out. A fully connected layer from those
    ``n1·n2·C_in`` inputs to those ``n1·n2·C_out`` outputs needs one weight per pair and
    one bias per output: ``(n1·n2·C_in)(n1·n2·C_out) + n1·n2·C_out``.

    >>> c = parameter_comparison(28, 28, 5, 5, 3, 5)
    >>> c["conv_total"], c["output_shape"], c["fc_total"]
    (380, [28, 28, 5], 9223760)
    """
    n1, n2 = (bounds.COMPARE_IMAGE.check(n) for n in (n1, n2))
    m1, m2 = (bounds.COMPARE_KERNEL.check(m) for m in (m1, m2))
    c_in, c_out = (bounds.COMPARE_CHANNELS.check(c) for c in (c_in, c_out))
    o1, o2 = (signal.output_size(n, m, p=signal.padding_for("same", m, kernel_flipped=False))
              for n, m in ((n1, m1), (n2, m2)))
    conv_weights, conv_biases = m1 * m2 * c_in * c_out, c_out
    fc_inputs, fc_outputs = n1 * n2 * c_in, o1 * o2 * c_out
    fc_weights, fc_biases = fc_inputs * fc_outputs, fc_outputs
    return {
        "input_shape": [n1, n2, c_in], "kernel_shape": [m1, m2], "output_shape": [o1, o2, c_out],
        "conv_weights": conv_weights, "conv_biases": conv_biases,
        "conv_total": conv_weights + conv_biases,
        "fc_inputs": fc_inputs, "fc_outputs": fc_outputs,
        "fc_weights": fc_weights, "fc_biases": fc_biases, "fc_total": fc_weights + fc_biases,
        "ratio": (fc_weights + fc_biases) / (conv_weights + conv_biases),
    }


# ---------------------------------------------------------------- dropout
def dropout_demo(p: float, seed: int = 0, shape: tuple = (10, 10), masks: int = 1000) -> Breakdown:
    """One dropout mask over a grid of (positive) activations, and what it does to them.

    ``training``: ``layers.dropout(a, p, rng)``, each unit zeroed with probability p and
    the kept ones scaled by ``1 / (1 - p)``; ``inference``: ``layers.dropout(a, p,
    training=False)``, the activations unchanged. ``mean_over_masks`` averages the
    training output over ``masks`` further masks: it approaches ``mean_before``.

    >>> d = dropout_demo(0.5, seed=1, shape=(2, 3))
    >>> d["kept"].tolist(), d["scale"], d["inference"].tolist() == d["activations"].tolist()
    ([[True, True, False], [True, False, False]], 2.0, True)
    """
    p = float(p)
    activations = np.random.default_rng(2024).uniform(0.1, 1.0, size=shape).round(2)
    rng = np.random.default_rng(seed)
    training = layers.dropout(activations, p, rng, training=True)
    inference = layers.dropout(activations, p, training=False)
    repeated = layers.dropout(np.broadcast_to(activations, (masks, *shape)), p, rng)
    return {
        "activations": activations, "training": training, "kept": training != 0,
        "inference": inference, "inference_is_input": bool(np.array_equal(inference, activations)),
        "p": p, "scale": 1 / (1 - p),
        "mean_before": float(activations.mean()), "mean_training": float(training.mean()),
        "mean_over_masks": float(repeated.mean()), "masks": masks,
        "kept_fraction": float(np.mean(training != 0)),
    }


# ---------------------------------------------------------------- Monte-Carlo dropout
def blended_digit(first: int, second: int, mix: float) -> np.ndarray:
    """A digit between two synthetic digits (:func:`cnnlab.digits.draw_digit`):
    ``(1 - mix) · first + mix · second``, a (1, 1, 28, 28) network input that the
    network may well be unsure about.

    >>> x = blended_digit(3, 5, 0.0)
    >>> x.shape, bool((x[0, 0] == digits.draw_digit(3)).all())
    ((1, 1, 28, 28), True)
    """
    first = bounds.whole_number(first, "first digit", 0, 9)
    second = bounds.whole_number(second, "second digit", 0, 9)
    mix = float(mix)
    if not 0 <= mix <= 1:
        raise ValueError(f"mix: expected a number in [0, 1], got {mix}")
    blend = (1 - mix) * digits.draw_digit(first) + mix * digits.draw_digit(second)
    return blend.astype(np.float32).reshape(1, 1, 28, 28)


def mc_dropout(
    x: np.ndarray, params: dict, passes: int = 30, seed: int = 0,
) -> np.ndarray:
    """Class probabilities of ``passes`` forward passes of one digit with dropout on.

    Equal to ``softmax(model.forward(x repeated passes times, params, training=True,
    rng=default_rng(seed)))``, but the layers before dropout run once: they do not
    depend on the mask. Returns (passes, 10).
    """
    passes = bounds.MC_PASSES.check(passes)
    _, acts = model.forward(x, params, return_activations=True)
    hidden = np.repeat(acts["relu3"][:1], passes, axis=0)
    dropped = layers.dropout(hidden, model.DROPOUT_P, np.random.default_rng(seed))
    return layers.softmax(layers.linear(dropped, params["fc2.weight"], params["fc2.bias"]))


def mc_dropout_summary(
    first: int, second: int, mix: float, passes: int = 30, seed: int = 0,
    folder: str = "pretrained",
) -> Breakdown:
    """:func:`mc_dropout` on a :func:`blended_digit` with the pretrained weights.

    Returns the ``image`` (28, 28), the ``probabilities`` (passes, 10), per class the
    ``low``, ``mean`` and ``high`` probability over the passes, the probability at
    ``inference`` (dropout off) and its top class ``inference_class``, and ``votes``: in how
    many passes each class won.
    """
    x = blended_digit(first, second, mix)
    params = explain.pretrained(folder)
    probabilities = mc_dropout(x, params, passes, seed)
    inference = model.predict_proba(x, params)[0]
    return {
        "image": x[0, 0], "probabilities": probabilities,
        "low": probabilities.min(axis=0), "mean": probabilities.mean(axis=0),
        "high": probabilities.max(axis=0), "inference": inference,
        "inference_class": int(inference.argmax()),
        "votes": np.bincount(probabilities.argmax(axis=1), minlength=10),
    }


# ---------------------------------------------------------------- what the widgets call
def conv2d_steps(x: str, w: str, p: IntPair = 0, s: IntPair = 1, flip: bool = True) -> Breakdown:
    """The conv2d-steps widget: :func:`conv2d_breakdown` of the matrices a visitor typed.

    ``x`` and ``w`` are the text areas' contents, read by :func:`parse_matrix` (at most
    ``bounds.MATRIX_X.most`` rows and columns); the result adds ``input_shape`` [n1, n2].

    >>> b = conv2d_steps("1 2\\n3 4", "1 0; 0 2")
    >>> b["output"].tolist(), b["input_shape"]
    ([[6.0]], [2, 2])
    """
    X = parse_matrix(x, "X", max_size=bounds.MATRIX_X.most)
    W = parse_matrix(w, "W", max_size=bounds.MATRIX_W.most)
    return {**conv2d_breakdown(X, W, p=p, s=s, flip=flip), "input_shape": list(X.shape)}


def pooling_comparison(matrices: Sequence, size: IntPair = 2, stride: IntPair | None = None,
                       mode: str = "max") -> Breakdown:
    """The pooling-compare widget: :func:`pool_breakdown` of each matrix, and whether the
    pooled outputs agree.

    Returns
    -------
    dict
        ``results``: one :func:`pool_breakdown` per matrix; ``inputs``: the matrices as float
        arrays; ``same``: every output equals the first; ``differing``: in how many places
        the first and the last output differ.

    >>> c = pooling_comparison([[[1, 5], [3, 4]], [[5, 1], [3, 4]]], size=2)
    >>> c["same"], c["differing"], c["results"][0]["output"].tolist()
    (True, 0, [[5.0]])
    """
    results = [pool_breakdown(X, size=size, stride=stride, mode=mode) for X in matrices]
    outputs = [result["output"] for result in results]
    return {"results": results, "inputs": [np.asarray(X, dtype=float) for X in matrices],
            "same": all(np.array_equal(outputs[0], output) for output in outputs),
            "differing": int(np.sum(outputs[0] != outputs[-1]))}
