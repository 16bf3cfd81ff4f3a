"""Neural-network layers with PyTorch's layouts and semantics.

Tensors are NCHW (batch, channels, height, width); convolution weights are
``(C_out, C_in, kH, kW)`` and linear weights ``(out, in)``, so a state dict of the
book's PyTorch model can be used as it is. Like ``torch.nn.functional.conv2d``,
:func:`conv2d` computes a cross-correlation (the kernel is not flipped).

Each vectorized layer has a loop version beside it (``*_naive``) that reads like
the formula; the tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.lib.stride_tricks import as_strided

IntPair = int | tuple[int, int]


# ---------------------------------------------------------------- checks
def as_pair(value: IntPair, name: str) -> tuple[int, int]:
    """Return ``(value, value)`` for an int, or the pair itself, as ints."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or any(int(v) != v for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def check_array(
    x: np.ndarray, ndim: int, name: str, layout: str, finite: bool = True,
) -> np.ndarray:
    """Return ``x`` as an array after checking its rank and (unless ``finite=False``) that it
    is finite."""
    x = np.asarray(x)
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}, got shape {x.shape}")
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if finite:
        check_finite(x, name)
    return x


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise a ValueError if the array ``x`` holds a NaN or an infinity."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite, got NaN or infinity")


def window_geometry(
    height: int, width: int, kernel: tuple[int, int], stride: tuple[int, int],
    padding: tuple[int, int],
) -> tuple[int, int]:
    """Output height and width ``floor((n + 2p - k) / s) + 1``, checked.

    >>> window_geometry(28, 28, (5, 5), (1, 1), (2, 2))
    (28, 28)
    """
    # The kernel first: pooling's stride defaults to the kernel size.
    if min(kernel) < 1:
        raise ValueError(f"kernel size must be at least 1, got {kernel}")
    if min(stride) < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if min(padding) < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    padded = (height + 2 * padding[0], width + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(
            f"kernel {kernel} is larger than the padded input {padded} "
            f"(input {(height, width)}, padding {padding})"
        )
    return (padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1


def windows(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
) -> np.ndarray:
    """A read-only view of every kernel-sized window of ``x``.

    Parameters
    ----------
    x : (N, C, H, W) array
    kernel, stride, padding : pairs of ints

    Returns
    -------
    (N, C, H_out, W_out, kH, kW) view; no data is copied beyond the padding.
    """
    n, c, h, w = x.shape
    h_out, w_out = window_geometry(h, w, kernel, stride, padding)
    if padding != (0, 0):
        pads = ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2)
        x = np.pad(x, pads)
    sn, sc, sh, sw = x.strides
    return as_strided(
        x,
        shape=(n, c, h_out, w_out, kernel[0], kernel[1]),
        strides=(sn, sc, sh * stride[0], sw * stride[1], sh, sw),
        writeable=False,
    )


# ---------------------------------------------------------------- convolution
def conv2d(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
    stride: IntPair = 1, padding: IntPair = 0,
) -> np.ndarray:
    """2-D cross-correlation of a batch, as ``torch.nn.functional.conv2d``.

    ``out[n, o, i, j] = bias[o] + Σ_c Σ_u Σ_v x_pad[n, c, i·s + u, j·s + v] · weight[o, c, u, v]``

    Parameters
    ----------
    x : (N, C_in, H, W) array
    weight : (C_out, C_in, kH, kW) array
    bias : (C_out,) array or None
    stride, padding : int or pair of ints (zero padding on both sides)

    Returns
    -------
    (N, C_out, H_out, W_out) array, ``H_out = floor((H + 2p - kH) / s) + 1``.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2).tolist()
    [[[[10.0, 18.0], [42.0, 50.0]]]]
    """
    x, weight, bias, stride, padding = check_conv_args(x, weight, bias, stride, padding)
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = window_geometry(h, w, (kh, kw), stride, padding)
    cols = im2col(x, (kh, kw), stride, padding)  # (N·Ho·Wo, kH·kW·C_in)
    # The weight's rows in the same (u, v, c) order. Both operands are row-major with the
    # summed axis last, so every dot product of the product runs over contiguous memory.
    out = cols @ weight.transpose(0, 2, 3, 1).reshape(c_out, kh * kw * c_in).T
    if bias is not None:
        out += bias
    return np.ascontiguousarray(out.reshape(n, h_out, w_out, c_out).transpose(0, 3, 1, 2))


def im2col(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
    channels_last: bool = False,
) -> np.ndarray:
    """Every kernel-sized window of ``x`` as one row of a matrix, channels last.

    Row ``(n·H_out + i)·W_out + j`` holds the window of output ``(i, j)`` of image ``n``,
    ``x_pad[n, c, i·s + u, j·s + v]`` in ``(u, v, c)`` order. The rows are copied from a
    channels-last (NHWC) copy of the padded input, in runs of C contiguous values: several
    times faster than gathering NCHW windows element by element, which matters where NumPy
    has no optimised BLAS (in the browser).

    Parameters
    ----------
    x : (N, C, H, W) array, or (N, H, W, C) with ``channels_last=True`` (the trainer's layout)
    kernel, stride, padding : pairs of ints

    Returns
    -------
    (N·H_out·W_out, kH·kW·C) array

    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)  # channel 0: 0..3, channel 1: 4..7
    >>> im2col(x, (1, 2), (1, 1), (0, 0)).tolist()
    [[0.0, 4.0, 1.0, 5.0], [2.0, 6.0, 3.0, 7.0]]
    """
    if channels_last:
        x = x.transpose(0, 3, 1, 2)  # an NCHW view, turned back below without a copy
    n, c, h, w = x.shape
    h_out, w_out = window_geometry(h, w, kernel, stride, padding)
    (ph, pw), (kh, kw) = padding, kernel
    x_nhwc = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    x_nhwc[:, ph:ph + h, pw:pw + w] = x.transpose(0, 2, 3, 1)
    # NCHW windows of channels-last memory, a view; reordered (u, v, c) and copied by reshape.
    patches = windows(x_nhwc.transpose(0, 3, 1, 2), kernel, stride, (0, 0))
    return patches.transpose(0, 2, 3, 4, 5, 1).reshape(n * h_out * w_out, kh * kw * c)


def conv2d_naive(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
    stride: IntPair = 1, padding: IntPair = 0,
) -> np.ndarray:
    """Loop version of :func:`conv2d`: one dot product per output element.

    >>> conv2d_naive(np.ones((1, 1, 3, 3)), np.ones((2, 1, 3, 3)), padding=1)[0, :, 1, 1].tolist()
    [9.0, 9.0]
    """
    x, weight, bias, stride, padding = check_conv_args(x, weight, bias, stride, padding)
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = window_geometry(h, w, (kh, kw), stride, padding)
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    out = np.zeros((n, c_out, h_out, w_out), dtype=x.dtype)
    for b in range(n):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * stride[0], j * stride[1]
                    patch = x_pad[b, :, top:top + kh, left:left + kw]
                    out[b, o, i, j] = np.sum(patch * weight[o])
            if bias is not None:
                out[b, o] += bias[o]
    return out


def check_conv_args(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: IntPair,
    padding: IntPair,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int]]:
    """Validate and normalise the arguments shared by the convolutions.

    Integer inputs are converted to floating point: products of uint8 pixels would wrap.
    """
    x = check_array(x, 4, "input", "(N, C_in, H, W)")
    weight = check_array(weight, 4, "weight", "(C_out, C_in, kH, kW)")
    dtype = np.result_type(x, weight, np.float32)
    x, weight = x.astype(dtype, copy=False), weight.astype(dtype, copy=False)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"weight expects {weight.shape[1]} input channels (weight shape {weight.shape}), "
            f"but the input has {x.shape[1]} (input shape {x.shape})"
        )
    if bias is not None:
        bias = check_array(bias, 1, "bias", "(C_out,)")
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(
                f"bias must have {weight.shape[0]} entries (C_out), got shape {bias.shape}"
            )
    return x, weight, bias, as_pair(stride, "stride"), as_pair(padding, "padding")


# ---------------------------------------------------------------- pooling
def max_pool2d(x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None) -> np.ndarray:
    """Max pooling, as ``torch.nn.functional.max_pool2d`` (no padding).

    ``out[n, c, i, j] = max_{u < kH, v < kW} x[n, c, i·s + u, j·s + v]``; stride
    defaults to the kernel size (non-overlapping pooling).

    Parameters
    ----------
    x : (N, C, H, W) array
    kernel_size, stride : int or pair of ints

    Returns
    -------
    (N, C, floor((H - kH) / s) + 1, floor((W - kW) / s) + 1) array

    >>> max_pool2d(np.arange(16).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5, 7], [13, 15]]]]
    """
    return pool_windows(x, kernel_size, stride).max(axis=(4, 5))


def avg_pool2d(x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None) -> np.ndarray:
    """Mean (average) pooling, as ``torch.nn.functional.avg_pool2d`` (no padding).

    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return pool_windows(x, kernel_size, stride).mean(axis=(4, 5))


def pool_windows(x: np.ndarray, kernel_size: IntPair, stride: IntPair | None) -> np.ndarray:
    """The (N, C, H_out, W_out, kH, kW) windows a pooling layer reduces."""
    x = check_array(x, 4, "input", "(N, C, H, W)")
    kernel = as_pair(kernel_size, "kernel_size")
    steps = kernel if stride is None else as_pair(stride, "stride")
    return windows(x, kernel, steps, (0, 0))


def pool2d_naive(
    x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None, reduce=np.max,
) -> np.ndarray:
    """Loop version of the pooling layers; ``reduce`` is ``np.max`` or ``np.mean``.

    >>> pool2d_naive(np.arange(16).reshape(1, 1, 4, 4), 2, reduce=np.max).tolist()
    [[[[5, 7], [13, 15]]]]
    """
    x = check_array(x, 4, "input", "(N, C, H, W)")
    kh, kw = as_pair(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None else as_pair(stride, "stride")
    n, c, h, w = x.shape
    h_out, w_out = window_geometry(h, w, (kh, kw), (sh, sw), (0, 0))
    out = np.zeros((n, c, h_out, w_out), dtype=np.result_type(reduce(x[..., :1, :1])))
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = reduce(patch, axis=(2, 3))
    return out


# ---------------------------------------------------------------- dense layers
def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """Fully connected layer ``y = x Wᵀ + b``, as ``torch.nn.functional.linear``.

    Parameters
    ----------
    x : (N, in) array
    weight : (out, in) array
    bias : (out,) array or None

    >>> linear(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([0.5, 0.0]))
    array([[3.5, 2. ]])
    """
    x = check_array(x, 2, "input", "(N, in_features)")
    # Scanning a large weight for NaN costs as much as the product (fc1's 3.2 million, in the
    # browser), so it is done only when the result shows one: a NaN or infinity in the weight
    # makes every output that uses it NaN or infinite.
    weight = check_array(weight, 2, "weight", "(out_features, in_features)", finite=False)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"weight expects {weight.shape[1]} input features (weight shape {weight.shape}), "
            f"got input shape {x.shape}"
        )
    out = x @ weight.T
    if out.size == 0 or not np.isfinite(out).all():
        check_finite(weight, "weight")
    if bias is None:
        return out
    bias = check_array(bias, 1, "bias", "(out_features,)")
    if bias.shape[0] != weight.shape[0]:
        raise ValueError(
            f"bias must have {weight.shape[0]} entries (out_features), got shape {bias.shape}"
        )
    return out + bias


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)``, element-wise.

    >>> relu(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """
    return np.maximum(x, 0)


def dropout(
    x: np.ndarray, p: float, rng: np.random.Generator | None = None, training: bool = True,
) -> np.ndarray:
    """Inverted dropout: drop units (activations), not weights.

    In training each unit is zeroed with probability ``p`` and the kept ones are
    scaled by ``1 / (1 - p)``, so the expected activation is unchanged and
    inference needs no rescaling: at inference this is the identity.

    Parameters
    ----------
    x : array of any shape
    p : probability of dropping a unit, 0 <= p < 1
    rng : ``np.random.default_rng(...)``, needed in training
    training : apply the mask (True) or return ``x`` unchanged (False)

    >>> dropout(np.ones(4), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> sorted(set(dropout(np.ones(1000), 0.5, np.random.default_rng(0)).tolist()))
    [0.0, 2.0]
    """
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    if rng is None:
        raise ValueError("dropout in training needs rng=np.random.default_rng(...)")
    keep = rng.random(np.shape(x)) >= p
    return x * keep * np.asarray(1 / (1 - p), dtype=np.result_type(x, np.float32))


# ---------------------------------------------------------------- probabilities and losses
def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log softmax(z)_k = z_k - log Σ_j exp(z_j)``, stable for huge logits.

    Subtracting the maximum first keeps every exponent <= 0, so nothing overflows.

    >>> log_softmax(np.array([1000.0, 1000.0])).round(4).tolist()
    [-0.6931, -0.6931]
    """
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """``softmax(z)_k = exp(z_k) / Σ_j exp(z_j)``, stable for huge logits.

    >>> softmax(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return np.exp(log_softmax(logits, axis=axis))


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean categorical cross-entropy from logits, as ``torch.nn.functional.cross_entropy``.

    ``L = -1/N Σ_n log softmax(z_n)[t_n]``

    Parameters
    ----------
    logits : (N, K) array of unnormalised scores
    targets : (N,) array of class indices in [0, K)

    >>> round(cross_entropy(np.array([[1.5, 0.8, 2.1]]), np.array([2])), 4)
    0.5996
    """
    logits = check_array(logits, 2, "logits", "(N, classes)")
    targets = np.asarray(targets)
    if targets.shape != (logits.shape[0],) or targets.dtype.kind not in "iu":
        raise ValueError(
            f"targets must be {logits.shape[0]} integer class indices, got {targets.dtype} "
            f"array of shape {targets.shape}"
        )
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError(f"targets must lie in [0, {logits.shape[1]}), got {targets.tolist()}")
    picked = log_softmax(logits)[np.arange(len(targets)), targets]
    return float(-picked.mean())


def binary_cross_entropy(probs: np.ndarray, targets: np.ndarray) -> float:
    """Mean binary cross-entropy from probabilities.

    ``L = -mean(t log p + (1 - t) log(1 - p))``; like PyTorch, each log is clamped
    at -100 so a probability of exactly 0 or 1 gives a large finite loss.

    >>> round(binary_cross_entropy(np.array([0.68997448]), np.array([1.0])), 4)
    0.3711
    """
    probs, targets = check_binary_args(probs, targets, "probs")
    if probs.min() < 0 or probs.max() > 1:
        raise ValueError("probs must lie in [0, 1]; logits go to binary_cross_entropy_with_logits")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(probs), -100)
        log_not_p = np.maximum(np.log1p(-probs), -100)
    return float(-np.mean(targets * log_p + (1 - targets) * log_not_p))


def binary_cross_entropy_with_logits(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean binary cross-entropy from logits ``z``, with ``p = sigmoid(z)``.

    Written as ``max(z, 0) - z t + log(1 + exp(-|z|))``, which never overflows.

    >>> round(binary_cross_entropy_with_logits(np.array([0.8]), np.array([1.0])), 4)
    0.3711
    """
    logits, targets = check_binary_args(logits, targets, "logits")
    loss = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return float(np.mean(loss))


def check_binary_args(
    values: np.ndarray, targets: np.ndarray, name: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate the arguments of the binary losses: same shape, finite, targets in [0, 1]."""
    values = np.asarray(values, dtype=float)
    targets = np.asarray(targets, dtype=float)
    if values.shape != targets.shape or values.size == 0:
        raise ValueError(
            f"{name} and targets must have the same non-empty shape, "
            f"got {values.shape} and {targets.shape}"
        )
    if not (np.isfinite(values).all() and np.isfinite(targets).all()):
        raise ValueError(f"{name} and targets must be finite")
    if targets.min() < 0 or targets.max() > 1:
        raise ValueError("targets must lie in [0, 1]")
    return values, targets


def l2_penalty(params: Iterable[np.ndarray] | Mapping[str, np.ndarray], lam: float) -> float:
    """L2 regularisation term ``λ Σ_w w²`` over all given parameter arrays.

    >>> l2_penalty([np.array([1.0, 2.0]), np.array([[3.0]])], lam=0.1)
    1.4
    """
    arrays = params.values() if isinstance(params, Mapping) else params
    return float(lam * sum(float(np.sum(np.square(w, dtype=float))) for w in arrays))
