"""Checks of convolution exercises: 1-D and 2-D convolution and cross-correlation, padding,
output sizes, pooling, several channels.

Each check takes the namespace the learner's code ran in and the exercise's arguments, tries
the learner's function on seeded random inputs (the learner has not seen them, so hard-coding
the page's example fails) and raises a :class:`~cnnlab.practice.feedback.Mistake` naming what
went wrong: a flipped kernel, an output size off by one or without the floor, a stride taken
as ``range(0, o, s)``, a missing bias... The mistakes are computed by the library's own
functions (:mod:`cnnlab.signal`, :mod:`cnnlab.layers`), never written out twice.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import layers, signal
from .compare import Variant, check_array, named_variant
from .feedback import grid_picture, passed
from .learner import call, function, value

SEED = 14  # the chapter's number: cases are the same at build time and in every browser

FLIPPED = (
    "flipped",
    "These are the numbers of cross-correlation: convolution flips the kernel "
    "(it slides w[::-1] over the input).",
)
UNFLIPPED = (
    "flipped",
    "These are the numbers of convolution: cross-correlation slides the kernel "
    "as it is, without flipping it.",
)


def _operations(correlate: bool, ndim: int) -> tuple:
    """(the right operation, the other one, the message for having computed the other one)."""
    conv, corr = (
        (signal.conv1d, signal.correlate1d) if ndim == 1 else (signal.conv2d, signal.correlate2d)
    )
    return (corr, conv, UNFLIPPED) if correlate else (conv, corr, FLIPPED)


def size_formula(n: int, m: int, p: int, s: int) -> str:
    """``o = floor((n + 2p − m)/s) + 1`` with the numbers put in.

    >>> size_formula(7, 3, 1, 2)
    'o = floor((n + 2p − m)/s) + 1 = floor((7 + 2·1 − 3)/2) + 1 = 4'
    """
    return (
        f"o = floor((n + 2p − m)/s) + 1 = floor(({n} + 2·{p} − {m})/{s}) + 1 = "
        f"{signal.output_size(n, m, p, s)}"
    )


def size_variants(n: int, m: int, p: int, s: int) -> list[Variant]:
    """What the usual mistakes in the output-size formula give, for one case."""
    padded = n + 2 * p - m
    return [
        (
            "off-by-one",
            f"Off by one: the + 1 is missing. (n + 2p − m)/s counts the steps "
            f"between windows; the first window adds one: {size_formula(n, m, p, s)}.",
            padded // s,
        ),
        (
            "off-by-one",
            f"Off by one: there is one window too many. {size_formula(n, m, p, s)}.",
            padded // s + 2,
        ),
        (
            "no-floor",
            f"Without the floor: (n + 2p − m)/s + 1 = {padded / s + 1:g} is not a "
            "whole number of windows. A window that does not fit in the padded "
            f"input is not counted, so round down: {size_formula(n, m, p, s)}.",
            padded / s + 1,
        ),
        (
            "no-floor",
            "Rounded up: a last window that does not fit in the padded input is not "
            f"counted, so round down (floor), not up: {size_formula(n, m, p, s)}.",
            math.ceil(padded / s) + 1,
        ),
        (
            "padding",
            f"The padding counts on both sides: 2p = {2 * p} zeros, not p. "
            f"{size_formula(n, m, p, s)}.",
            (n + p - m) // s + 1,
        ),
        (
            "stride",
            f"The stride is missing: with s = {s} the windows start every {s} "
            f"positions. {size_formula(n, m, p, s)}.",
            padded + 1,
        ),
    ]


def _random_signal(rng: np.random.Generator, size: Any) -> np.ndarray:
    # Small integers: a wrong number is easy to recompute by hand from the picture.
    return rng.integers(-3, 5, size=size).astype(float)


def conv1d_entry(
    namespace: dict,
    name: str,
    x: list,
    w: list,
    index: int,
    p: int = 0,
    s: int = 1,
    correlate: bool = False,
) -> dict:
    """A by-hand output ``y[index]`` of ``conv1d(x, w, p, s)`` (or the cross-correlation).

    >>> x, w = [1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2]
    >>> conv1d_entry({"y1": 14.0}, "y1", x, w, 1, p=2)["passed"]
    True
    """
    right, other, flipped = _operations(correlate, 1)
    y, y_other = right(x, w, p, s), other(x, w, p, s)
    answer = value(namespace, name)
    variants = [(flipped[0], flipped[1], y_other[index])]
    variants += [
        (
            "index",
            f"That is y[{i}]: outputs are counted from y[0], so y[{index}] is "
            f"output number {index + 1}.",
            y[i],
        )
        for i in (index - 1, index + 1)
        if 0 <= i < len(y)
    ]
    check_array(answer, y[index], f"`{name}`", variants)
    return passed(f"Right: y[{index}] = {y[index]:g}.")


def output_size_value(namespace: dict, name: str, n: int, m: int, p: int = 0, s: int = 1) -> dict:
    """A by-hand output size ``o`` for input ``n``, kernel ``m``, padding ``p``, stride ``s``."""
    o = signal.output_size(n, m, p, s)
    check_array(value(namespace, name), o, f"`{name}`", size_variants(n, m, p, s))
    return passed(f"Right: {size_formula(n, m, p, s)}.")


def output_size_function(namespace: dict, name: str = "output_size") -> dict:
    """The learner's ``output_size(n, m, p, s)`` on seeded random sizes."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    cases = [(7, 3, 1, 2), (10, 4, 0, 3)] + [
        (int(n), int(m), int(p), int(s))
        for n, m, p, s in zip(
            rng.integers(5, 40, 20),
            rng.integers(1, 6, 20),
            rng.integers(0, 3, 20),
            rng.integers(1, 4, 20),
        )
    ]
    for n, m, p, s in cases:
        got = call(learner, name, n, m, p, s)
        check_array(
            got,
            signal.output_size(n, m, p, s),
            f"`{name}({n}, {m}, {p}, {s})`",
            size_variants(n, m, p, s),
        )
    return passed(f"Right on all {len(cases)} cases, e.g. {size_formula(*cases[0])}.")


def _stride_variants(right: Any, x: np.ndarray, w: np.ndarray, p: Any, s: Any) -> list[Variant]:
    """Stride mistakes: the stride ignored, or ``range(0, o, s)`` (stepping the output index)."""
    full = right(x, w, p, 1)
    o = right(x, w, p, s).shape
    stepped = full[
        tuple(slice(0, size, step) for size, step in zip(o, np.broadcast_to(s, full.ndim)))
    ]
    return [
        (
            "stride",
            "This is the stride-1 output: with stride s only every s-th window counts, "
            "output i starts at x^p[i·s].",
            full,
        ),
        (
            "stride",
            "You stepped the output index through range(0, o, s): i counts outputs "
            "0 … o − 1, one after another, and output i reads the window starting at "
            "x^p[i·s].",
            stepped,
        ),
    ]


def conv1d_function(
    namespace: dict, name: str = "conv1d", padded: bool = True, correlate: bool = False
) -> dict:
    """The learner's ``conv1d(x, w, p, s)`` (``correlate1d`` with ``correlate``), or without
    ``p`` and ``s`` when not ``padded``, on seeded random signals."""
    learner = function(namespace, name)
    right, other, flipped = _operations(correlate, 1)
    rng = np.random.default_rng(SEED)
    cases = 12
    for _ in range(cases):
        n, m = int(rng.integers(5, 10)), int(rng.integers(2, 5))
        p, s = (int(rng.integers(0, 3)), int(rng.integers(1, 4))) if padded else (0, 1)
        x, w = _random_signal(rng, n), _random_signal(rng, m)
        what = f"`{name}(x={x.astype(int).tolist()}, w={w.astype(int).tolist()}" + (
            f", p={p}, s={s})`" if padded else ")`"
        )
        got = call(learner, name, x, w, p, s) if padded else call(learner, name, x, w)
        expected = right(x, w, p, s)
        variants = [(flipped[0], flipped[1], other(x, w, p, s))]
        if padded:
            variants += _stride_variants(right, x, w, p, s)
            variants.append(
                (
                    "padding",
                    f"The input is padded on one side only: p = {p} zeros go before and after it.",
                    right(x, w, (p, 0), s),
                )
            )
        check_array(
            got,
            expected,
            what,
            variants,
            shape_formula=size_formula(n, m, p, s)
            if padded
            else f"o = n − m + 1 = {n} − {m} + 1 = {n - m + 1}",
        )
    return passed(f"Right on {cases} random signals and kernels.")


def pad1d_function(namespace: dict, name: str = "pad") -> dict:
    """The learner's ``pad(x, p)``: ``p`` zeros on each side."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for _ in range(8):
        x, p = _random_signal(rng, int(rng.integers(1, 8))), int(rng.integers(0, 4))
        expected = signal.pad1d(x, p)
        check_array(
            call(learner, name, x, p),
            expected,
            f"`{name}({x.astype(int).tolist()}, {p})`",
            [
                (
                    "padding",
                    "Zeros go on both sides: p before and p after x.",
                    signal.pad1d(x, (p, 0)),
                ),
                (
                    "padding",
                    "Zeros go on both sides: p before and p after x.",
                    signal.pad1d(x, (0, p)),
                ),
            ],
            shape_formula=f"n + 2p = {len(x)} + 2·{p} = {len(x) + 2 * p}",
        )
    return passed("Right: p zeros before and p after.")


def conv2d_function(
    namespace: dict, name: str = "conv2d", padded: bool = True, correlate: bool = False
) -> dict:
    """The learner's ``conv2d(X, W, p, s)`` with ``p = (p1, p2)``, ``s = (s1, s2)`` (or without
    them when not ``padded``), on seeded random images; a wrong result comes with a picture."""
    learner = function(namespace, name)
    right, other, flipped = _operations(correlate, 2)
    rng = np.random.default_rng(SEED)
    cases = 8
    for _ in range(cases):
        n, m = (
            tuple(int(v) for v in rng.integers(4, 7, 2)),
            tuple(int(v) for v in rng.integers(2, 4, 2)),
        )
        p = tuple(int(v) for v in rng.integers(0, 2, 2)) if padded else (0, 0)
        s = tuple(int(v) for v in rng.integers(1, 3, 2)) if padded else (1, 1)
        X, W = _random_signal(rng, n), _random_signal(rng, m)
        what = (
            f"`{name}(X, W" + (f", p={p}, s={s})`" if padded else ")`") + f" for a {n[0]}×{n[1]} X"
        )
        got = call(learner, name, X, W, p, s) if padded else call(learner, name, X, W)
        expected = right(X, W, p, s)
        source = signal.pad2d(X, p)
        variants = [(flipped[0], flipped[1], other(X, W, p, s))]
        if padded:
            variants += _stride_variants(right, X, W, p, s)
        rows, columns = (size_formula(*axis) for axis in zip(n, m, p, s))
        check_array(
            got,
            expected,
            what,
            variants,
            shape_formula=f"rows {rows}; columns {columns}",
            picture=lambda actual, e=expected, src=source, m=m, s=s: grid_picture(
                e, actual, src, m, s, "X padded"
            ),
        )
    return passed(f"Right on {cases} random images and kernels.")


def pool2d_function(namespace: dict, name: str = "max_pool2d", kind: str = "max") -> dict:
    """The learner's ``max_pool2d(X, k)`` (or ``avg_pool2d``): non-overlapping k×k windows,
    stride k, on seeded random images."""
    learner = function(namespace, name)
    pools = {"max": layers.max_pool2d, "avg": layers.avg_pool2d}
    if kind not in pools:
        raise ValueError(f"kind must be 'max' or 'avg', got {kind!r}")
    other = "avg" if kind == "max" else "max"
    rng = np.random.default_rng(SEED)
    for _ in range(6):
        k = int(rng.integers(2, 4))
        X = _random_signal(rng, tuple(int(v) for v in rng.integers(k, 4 * k, 2)))

        def pool(which: str, stride: int, X: np.ndarray = X, k: int = k) -> np.ndarray:
            return pools[which](X[None, None], k, stride)[0, 0]

        expected = pool(kind, k)
        variants = [
            (
                "pooling",
                f"These are the windows' {'means' if other == 'avg' else 'maxima'}: "
                f"{'max' if kind == 'max' else 'average'} pooling keeps the "
                f"{'largest value' if kind == 'max' else 'mean'} of each window.",
                pool(other, k),
            ),
            (
                "stride",
                f"Your windows overlap (stride 1): here the stride equals the window, "
                f"s = k = {k}, so each value is pooled once.",
                pool(kind, 1),
            ),
        ]
        check_array(
            call(learner, name, X, k),
            expected,
            f"`{name}(X, {k})` for a {X.shape[0]}×{X.shape[1]} X",
            variants,
            shape_formula=f"floor(n/k) per axis: ({X.shape[0]}//{k}, {X.shape[1]}//{k})",
            picture=lambda actual, e=expected, X=X, k=k: grid_picture(e, actual, X, (k, k), (k, k)),
        )
    return passed("Right on 6 random images and window sizes.")


def conv_channels_function(namespace: dict, name: str = "conv2d") -> dict:
    """The learner's layer ``conv2d(X, W, b)``: X (C_in, H, W), W (C_out, C_in, kH, kW),
    b (C_out,) -> (C_out, H − kH + 1, W − kW + 1), cross-correlation as in PyTorch."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for _ in range(5):
        c_in, c_out = int(rng.integers(2, 4)), int(rng.integers(2, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        X = _random_signal(rng, (c_in, *tuple(int(v) for v in rng.integers(4, 7, 2))))
        W = _random_signal(rng, (c_out, c_in, *k))
        b = _random_signal(rng, c_out)

        def layer(X: np.ndarray = X, W: np.ndarray = W, b: np.ndarray = b) -> np.ndarray:
            return layers.conv2d(X[None], W, b)[0]

        expected = layer()
        variants = [
            (
                "bias",
                "The bias is missing: add b[o] to every value of output channel o.",
                layer(b=np.zeros_like(b)),
            ),
            (
                "flipped",
                "This flips the kernel (convolution): a CNN layer computes "
                "cross-correlation, W[o, c] as it is.",
                layer(W=W[:, :, ::-1, ::-1]),
            ),
            (
                "channels",
                "Only input channel 0 is used: output channel o sums over all input "
                "channels, Y[o] = Σ_c X[c] ⋆ W[o, c] + b[o].",
                layer(X=X[:1], W=W[:, :1]),
            ),
        ]
        shape = f"(C_out, H − kH + 1, W − kW + 1) = {expected.shape}"
        check_array(
            call(learner, name, X, W, b),
            expected,
            f"`{name}(X, W, b)` for X {X.shape}, W {W.shape}",
            variants,
            shape_formula=shape,
        )
    return passed("Right on 5 random layers: every output channel sums over all input channels.")


def conv_params_variants(c_in: int, c_out: int, kh: int, kw: int) -> list[Variant]:
    weights = c_out * c_in * kh * kw
    return [
        ("bias", f"The biases are missing: one per output channel, + {c_out}.", weights),
        (
            "bias",
            f"One bias per output channel (C_out = {c_out}), not per input channel.",
            weights + c_in,
        ),
        (
            "channels",
            f"Each output channel has one {kh}×{kw} kernel per input channel: "
            f"C_out·C_in·kH·kW weights, not C_out·kH·kW.",
            c_out * kh * kw + c_out,
        ),
    ]


def conv_params_value(namespace: dict, name: str, c_in: int, c_out: int, kh: int, kw: int) -> dict:
    """A by-hand parameter count of ``Conv2d(c_in, c_out, (kh, kw))`` with bias."""
    expected = c_out * c_in * kh * kw + c_out
    check_array(
        value(namespace, name), expected, f"`{name}`", conv_params_variants(c_in, c_out, kh, kw)
    )
    return passed(
        f"Right: C_out·C_in·kH·kW + C_out = {c_out}·{c_in}·{kh}·{kw} + {c_out} = {expected}."
    )


def conv_params_function(namespace: dict, name: str = "conv_params") -> dict:
    """The learner's ``conv_params(c_in, c_out, kh, kw)`` on seeded random layers."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for c_in, c_out, kh, kw in rng.integers(1, 65, (10, 4)) % np.array([64, 128, 7, 7]) + 1:
        args = (int(c_in), int(c_out), int(kh), int(kw))
        expected = args[1] * args[0] * args[2] * args[3] + args[1]
        got = call(learner, name, *args)
        named_variant(got, expected, conv_params_variants(*args))
        check_array(got, expected, f"`{name}{args}`")
    return passed("Right on 10 random layers: C_out·C_in·kH·kW + C_out.")
