"""Backpropagation for the layers of the MNIST network, vectorized.

Every ``*_forward`` returns the output and a cache; the matching ``*_backward``
takes the gradient of the loss with respect to that output and returns the
gradients with respect to the inputs and parameters.

Inside the trainer, activations are **channels last**, (N, H, W, C): the rows of
im2col's matrix and of a convolution's output are then already in memory order, so
no layer transposes a whole activation (only the flatten before ``fc1`` does, to
keep PyTorch's (C, H, W) order for the weights). Parameters keep PyTorch's layouts.
Convolution uses im2col: the windows become rows of a matrix (a strided view, copied
once by reshape), so forward and backward are matrix products. The gradient of the
input is added back with one product and one contiguous slab per kernel offset (25
for a 5×5 kernel), never a loop over pixels.

All functions keep the dtype they are given: float32 for training, float64 for
gradient checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import layers
from .architecture import CHAPTER, Network

Cache = Any


def conv2d_nhwc_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                   padding: int) -> tuple[np.ndarray, Cache]:
    """Stride-1 convolution (cross-correlation) with zero padding, channels last.

    ``out[n, i, j, o] = b[o] + Σ_{u,v,c} x_pad[n, i + u, j + v, c] · w[o, c, u, v]``,
    computed as ``cols · Wᵀ`` with :func:`cnnlab.layers.im2col`'s matrix
    ``cols`` (N·H_out·W_out, k·k·C_in), kept for the weight gradient.

    Parameters
    ----------
    x : (N, H, W, C_in); weight : (C_out, C_in, k, k); bias : (C_out,)

    Returns
    -------
    out : (N, H_out, W_out, C_out) and the cache for :func:`conv2d_nhwc_backward`

    >>> out, _ = conv2d_nhwc_forward(np.ones((1, 3, 3, 1)), np.ones((1, 1, 3, 3)), np.zeros(1), 1)
    >>> out[0, :, :, 0].tolist()
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    n, h, w, _ = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    cols = layers.im2col(x, (kh, kw), (1, 1), (padding, padding), channels_last=True)
    out = cols @ weight.transpose(0, 2, 3, 1).reshape(c_out, -1).T  # rows in (u, v, c) order
    out += bias
    return out.reshape(n, h_out, w_out, c_out), (x.shape, cols, weight, padding)


def conv2d_nhwc_backward(dout: np.ndarray, cache: Cache,
                    need_dx: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_nhwc_forward`: ``(dx, dweight, dbias)``, dx channels last.

    ``dW = doutᵀ · cols`` and ``db = Σ dout``. For ``dx`` each kernel offset (u, v)
    sends ``dout · w[:, :, u, v]`` back to the inputs it read, shifted by (u, v):
    ``dx_pad[n, i + u, j + v] += dout[n, i, j] · w[:, :, u, v]``. On the padded
    image flattened row by row (width W_pad), a shift by (u, v) is a shift by
    ``u·W_pad + v``, so each offset adds one contiguous slab — provided ``dout`` is
    widened to W_pad columns with zeros, so that nothing lands where a row wraps.
    The first layer does not need ``dx`` (its input is the image): ``need_dx=False``.
    """
    x_shape, cols, weight, padding = cache
    n, h, w, c_in = x_shape
    c_out, _, k, _ = weight.shape
    _, h_out, w_out, _ = dout.shape
    dout_rows = dout.reshape(-1, c_out)
    dweight = (dout_rows.T @ cols).reshape(c_out, k, k, c_in).transpose(0, 3, 1, 2)
    dbias = dout_rows.sum(axis=0)
    if not need_dx:
        return None, np.ascontiguousarray(dweight), dbias
    h_pad, w_pad = h + 2 * padding, w + 2 * padding
    wide = np.zeros((n, h_out, w_pad, c_out), dtype=dout.dtype)
    wide[:, :, :w_out] = dout
    wide_rows = wide.reshape(-1, c_out)
    span = h_out * w_pad  # flattened positions of one image's (widened) output
    dx_flat = np.zeros((n, h_pad * w_pad + k - 1, c_in), dtype=dout.dtype)
    for u in range(k):
        for v in range(k):
            shift = u * w_pad + v
            slab = wide_rows @ weight[:, :, u, v]  # (N·span, C_in)
            dx_flat[:, shift:shift + span] += slab.reshape(n, span, c_in)
    dx = dx_flat[:, :h_pad * w_pad].reshape(n, h_pad, w_pad, c_in)
    return (np.ascontiguousarray(dx[:, padding:padding + h, padding:padding + w]),
            np.ascontiguousarray(dweight), dbias)


def max_pool_nhwc_forward(x: np.ndarray, size: int) -> tuple[np.ndarray, Cache]:
    """Non-overlapping ``size × size`` max pooling (stride = size), channels last.

    Parameters
    ----------
    x : (N, H, W, C), H and W divisible by ``size``

    Returns
    -------
    out : (N, H / size, W / size, C) and the cache for :func:`max_pool_nhwc_backward`

    >>> out, _ = max_pool_nhwc_forward(np.arange(16.0).reshape(1, 4, 4, 1), 2)
    >>> out[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    n, h, w, c = x.shape
    if h % size or w % size:
        raise ValueError(f"max_pool_nhwc_forward needs H and W divisible by {size}, got {(h, w)}")
    blocks = x.reshape(n, h // size, size, w // size, size, c)  # a view
    out = blocks[:, :, 0, :, 0].copy()
    for u in range(size):  # one maximum per window offset: faster than .max(axis=(2, 4))
        for v in range(1 if u == 0 else 0, size):  # (0, 0) is where out started
            np.maximum(out, blocks[:, :, u, :, v], out=out)
    return out, (blocks, out)


def max_pool_nhwc_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Route each output gradient back to its window's maximum, channels last.

    Like PyTorch, only the first maximum of a window (in row-major order) gets it:
    the offsets are visited in that order and a window stops taking once served.
    """
    blocks, out = cache
    n, h_blocks, size, w_blocks, _, c = blocks.shape
    dx = np.empty(blocks.shape, dtype=dout.dtype)
    unserved = np.ones(out.shape, dtype=bool)
    for u in range(size):
        for v in range(size):
            first = (blocks[:, :, u, :, v] == out) & unserved
            np.multiply(dout, first, out=dx[:, :, u, :, v])
            unserved &= ~first
    return dx.reshape(n, h_blocks * size, w_blocks * size, c)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy from logits and its gradient ``(softmax(z) - onehot(t)) / N``."""
    log_probs = layers.log_softmax(logits)
    rows = np.arange(len(targets))
    loss = -float(log_probs[rows, targets].mean())
    dlogits = np.exp(log_probs)
    dlogits[rows, targets] -= 1
    return loss, dlogits / len(targets)


def loss_and_gradients(
    params: dict[str, np.ndarray], x: np.ndarray, targets: np.ndarray,
    rng: np.random.Generator | None = None, training: bool = True, network: Network = CHAPTER,
) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    """Forward and backward pass of the whole network, layer by layer of ``network.layers``.

    Parameters
    ----------
    params : the model's parameters (``network.param_shapes``)
    x : (N, 1, 28, 28) images; targets : (N,) class indices
    rng : random generator for dropout (needed when ``training``)
    training : apply dropout
    network : the architecture (default: the book's, :data:`cnnlab.architecture.CHAPTER`)

    Returns
    -------
    loss : mean cross-entropy; logits : (N, 10); grads : dict named like ``params``
    """
    # Channels last (see the module's docstring). ReLU runs after the pooling that follows
    # it: max and ReLU commute, relu(max(z)) = max(relu(z)), and pooled maps have 4× fewer
    # values. The gradients are the same too: a window's first maximum is the same before
    # and after ReLU whenever the maximum is positive, and nothing flows back otherwise.
    steps = list(network.layers)
    for k in range(len(steps) - 1):
        if steps[k].kind == "relu" and steps[k + 1].kind == "max_pool2d":
            steps[k], steps[k + 1] = steps[k + 1], steps[k]
    h = x.transpose(0, 2, 3, 1)
    tape = []  # (layer, what its backward needs), in forward order
    for layer in steps:
        h, saved = _forward_step(layer, h, params, training, rng, first=not tape)
        tape.append((layer, saved))
    loss, dh = softmax_cross_entropy(h, targets)

    grads: dict[str, np.ndarray] = {}
    for k in reversed(range(len(tape))):
        dh = _backward_step(*tape[k], dh, grads)
    return loss, h, {name: grads[name] for name in network.param_shapes}


def _forward_step(layer: Any, h: np.ndarray, params: dict[str, np.ndarray], training: bool,
                  rng: np.random.Generator | None, first: bool) -> tuple[np.ndarray, Cache]:
    """One layer forward, channels last: its output and what its backward step needs."""
    weight, bias = params.get(layer.name + ".weight"), params.get(layer.name + ".bias")
    if layer.kind == "conv2d":
        out, cache = conv2d_nhwc_forward(h, weight, bias, padding=layer.padding)
        return out, (cache, first)
    if layer.kind == "max_pool2d":
        return max_pool_nhwc_forward(h, layer.kernel)
    if layer.kind == "relu":
        return np.maximum(h, 0), h
    if layer.kind == "flatten":  # PyTorch's flatten: (C, H, W) order
        return h.transpose(0, 3, 1, 2).reshape(len(h), -1), h.shape
    if layer.kind == "linear":
        return h @ weight.T + bias, (h, weight)
    if not training:  # dropout at inference: the identity
        return h, None
    # Inverted dropout, as layers.dropout, keeping the mask for backward.
    keep = rng.random(h.shape) >= layer.p
    mask = keep.astype(h.dtype) / h.dtype.type(1 - layer.p)
    return h * mask, mask


def _backward_step(layer: Any, saved: Cache, dout: np.ndarray,
                   grads: dict[str, np.ndarray]) -> np.ndarray | None:
    """One layer backward: the gradient of its input; its parameters' gradients into ``grads``."""
    if layer.kind == "conv2d":
        cache, first = saved  # the first layer's input is the image: no gradient needed
        dx, grads[layer.name + ".weight"], grads[layer.name + ".bias"] = conv2d_nhwc_backward(
            dout, cache, need_dx=not first)
        return dx
    if layer.kind == "max_pool2d":
        return max_pool_nhwc_backward(dout, saved)
    if layer.kind == "relu":
        return dout * (saved > 0)
    if layer.kind == "flatten":
        n, h, w, c = saved
        return dout.reshape(n, c, h, w).transpose(0, 2, 3, 1)
    if layer.kind == "linear":
        h, weight = saved
        grads[layer.name + ".weight"] = dout.T @ h
        grads[layer.name + ".bias"] = dout.sum(axis=0)
        return dout @ weight
    return dout if saved is None else dout * saved  # dropout
