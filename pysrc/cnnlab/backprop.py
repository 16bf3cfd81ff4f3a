"""Backpropagation for the layers of the MNIST network, vectorized.

Every ``*_forward`` returns the output and a cache; the matching ``*_backward``
takes the gradient of the loss with respect to that output and returns the
gradients with respect to the inputs and parameters. Convolution uses im2col:
the windows become rows of a matrix (a strided view, copied once by reshape), so
forward and backward are matrix products; col2im adds the rows back with one
slice per kernel offset (25 for a 5×5 kernel), never a loop over pixels.

All functions keep the dtype they are given: float32 for training, float64 for
gradient checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import layers, model

Cache = Any


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                   padding: int) -> tuple[np.ndarray, Cache]:
    """Stride-1 convolution (cross-correlation) with zero padding, keeping the im2col matrix.

    The matrix is :func:`cnnlab.layers.im2col`'s, channels last: (N·Ho·Wo, kH·kW·C).

    Parameters
    ----------
    x : (N, C_in, H, W); weight : (C_out, C_in, k, k); bias : (C_out,)

    Returns
    -------
    out : (N, C_out, H_out, W_out) and the cache for :func:`conv2d_backward`
    """
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    cols = layers.im2col(x, (kh, kw), (1, 1), (padding, padding))
    weight_rows = weight.transpose(0, 2, 3, 1).reshape(c_out, -1)  # (C_out, kH·kW·C)
    out = (cols @ weight_rows.T + bias).reshape(n, h_out, w_out, c_out)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2)), (x.shape, cols, weight_rows, padding)


def conv2d_backward(dout: np.ndarray, cache: Cache,
                    need_dx: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_forward`: ``(dx, dweight, dbias)``.

    ``dW = doutᵀ · cols``, ``db = Σ dout``, ``dcols = dout · W``, then col2im.
    The first layer does not need ``dx`` (its input is the image): ``need_dx=False``.
    """
    x_shape, cols, weight_rows, padding = cache
    n, c_in, h, w = x_shape
    c_out = weight_rows.shape[0]
    k = round((weight_rows.shape[1] // c_in) ** 0.5)  # square kernels
    h_out, w_out = dout.shape[2:]
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, c_out)
    dweight = (dout_rows.T @ cols).reshape(c_out, k, k, c_in).transpose(0, 3, 1, 2)
    dbias = dout_rows.sum(axis=0)
    if not need_dx:
        return None, np.ascontiguousarray(dweight), dbias
    dcols = (dout_rows @ weight_rows).reshape(n, h_out, w_out, k, k, c_in)
    dx = np.zeros((n, h + 2 * padding, w + 2 * padding, c_in), dtype=dout.dtype)
    for u in range(k):  # col2im: each kernel offset adds one shifted slab
        for v in range(k):
            dx[:, u:u + h_out, v:v + w_out] += dcols[:, :, :, u, v]
    dx = dx[:, padding:padding + h, padding:padding + w].transpose(0, 3, 1, 2)
    return np.ascontiguousarray(dx), np.ascontiguousarray(dweight), dbias


def max_pool_forward(x: np.ndarray, size: int) -> tuple[np.ndarray, Cache]:
    """Non-overlapping ``size × size`` max pooling (stride = size), keeping the argmax.

    Like PyTorch, the gradient goes to the first maximum of each window only.
    """
    n, c, h, w = x.shape
    if h % size or w % size:
        raise ValueError(f"max_pool_forward needs H and W divisible by {size}, got {(h, w)}")
    blocks = x.reshape(n, c, h // size, size, w // size, size).transpose(0, 1, 2, 4, 3, 5)
    blocks = blocks.reshape(n, c, h // size, w // size, size * size)
    argmax = blocks.argmax(axis=-1)
    out = np.take_along_axis(blocks, argmax[..., None], axis=-1)[..., 0]
    return out, (x.shape, argmax, size)


def max_pool_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Route each output gradient back to the input that was the window's maximum."""
    x_shape, argmax, size = cache
    n, c, h, w = x_shape
    dblocks = np.zeros((*argmax.shape, size * size), dtype=dout.dtype)
    np.put_along_axis(dblocks, argmax[..., None], dout[..., None], axis=-1)
    dblocks = dblocks.reshape(n, c, h // size, w // size, size, size).transpose(0, 1, 2, 4, 3, 5)
    return dblocks.reshape(x_shape)


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
    rng: np.random.Generator | None = None, training: bool = True,
) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    """Forward and backward pass of the whole network.

    Parameters
    ----------
    params : the model's parameters (:data:`cnnlab.model.PARAM_SHAPES`)
    x : (N, 1, 28, 28) images; targets : (N,) class indices
    rng : random generator for dropout (needed when ``training``)
    training : apply dropout

    Returns
    -------
    loss : mean cross-entropy; logits : (N, 10); grads : dict named like ``params``
    """
    p = params
    z1, conv1 = conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], padding=2)
    a1 = np.maximum(z1, 0)
    h1, pool1 = max_pool_forward(a1, 2)
    z2, conv2 = conv2d_forward(h1, p["conv2.weight"], p["conv2.bias"], padding=2)
    a2 = np.maximum(z2, 0)
    h2, pool2 = max_pool_forward(a2, 2)
    flat = h2.reshape(len(x), -1)
    z3 = flat @ p["fc1.weight"].T + p["fc1.bias"]
    a3 = np.maximum(z3, 0)
    if training:  # inverted dropout, as layers.dropout, keeping the mask for backward
        keep = rng.random(a3.shape) >= model.DROPOUT_P
        mask = keep.astype(a3.dtype) / a3.dtype.type(1 - model.DROPOUT_P)
        a3 = a3 * mask
    logits = a3 @ p["fc2.weight"].T + p["fc2.bias"]
    loss, dlogits = softmax_cross_entropy(logits, targets)

    grads: dict[str, np.ndarray] = {}
    grads["fc2.weight"] = dlogits.T @ a3
    grads["fc2.bias"] = dlogits.sum(axis=0)
    da3 = dlogits @ p["fc2.weight"]
    if training:
        da3 *= mask
    dz3 = da3 * (z3 > 0)
    grads["fc1.weight"] = dz3.T @ flat
    grads["fc1.bias"] = dz3.sum(axis=0)
    dh2 = (dz3 @ p["fc1.weight"]).reshape(h2.shape)
    dz2 = max_pool_backward(dh2, pool2) * (z2 > 0)
    dh1, grads["conv2.weight"], grads["conv2.bias"] = conv2d_backward(dz2, conv2)
    dz1 = max_pool_backward(dh1, pool1) * (z1 > 0)
    _, grads["conv1.weight"], grads["conv1.bias"] = conv2d_backward(dz1, conv1, need_dx=False)
    return loss, logits, {name: grads[name] for name in model.PARAM_SHAPES}
