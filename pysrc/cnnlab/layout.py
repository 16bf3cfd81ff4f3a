"""Tensor layouts: NCHW (PyTorch, this site) and NHWC (TensorFlow/Keras, the chapter's notes).

A batch of images is a 4-D array. PyTorch orders its axes (batch N, channels C, height H,
width W); TensorFlow and Keras default to (N, H, W, C). The numbers are the same, the
order in memory is not: converting between them is a transpose, and a flattened
feature map lists its values in a different order, which matters when fully connected
weights move from one framework to the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import bounds, model

LAYOUTS = ("NCHW", "NHWC")

# What each layer of cnnlab.model.forward does (its hyperparameters are in that function).
OPERATIONS = {
    "input": "a batch of 28×28 grey images, one channel",
    "conv1": "32 kernels 5×5 (cross-correlation), stride 1, padding 2",
    "relu1": "max(x, 0), element-wise",
    "pool1": "max pooling 2×2, stride 2",
    "conv2": "64 kernels 5×5×32 (cross-correlation), stride 1, padding 2",
    "relu2": "max(x, 0), element-wise",
    "pool2": "max pooling 2×2, stride 2 (pooling layer 2)",
    "flatten": "64 × 7 × 7 = 3136 values per image, in (C, H, W) order",
    "fc1": "fully connected, 3136 → 1024",
    "relu3": "max(x, 0), element-wise",
    "dropout": "drops units with p = 0.5 while training; identity at inference",
    "fc2": "fully connected, 1024 → 10: the logits",
}


def to_nhwc(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C).

    >>> to_nhwc(np.zeros((2, 32, 28, 28))).shape
    (2, 28, 28, 32)
    """
    return np.transpose(check_rank4(x), (0, 2, 3, 1))


def to_nchw(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, C, H, W), the inverse of :func:`to_nhwc`.

    >>> to_nchw(np.zeros((2, 28, 28, 32))).shape
    (2, 32, 28, 28)
    """
    return np.transpose(check_rank4(x), (0, 3, 1, 2))


def nhwc_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """An NCHW shape in NHWC order; shapes of other ranks (N, features) stay as they are.

    >>> nhwc_shape((64, 32, 28, 28)), nhwc_shape((64, 1024))
    ((64, 28, 28, 32), (64, 1024))
    """
    shape = tuple(int(n) for n in shape)
    return (shape[0], *shape[2:], shape[1]) if len(shape) == 4 else shape


def architecture(batch_size: int) -> list[dict]:
    """The model's layers for a batch: output shapes in both layouts, sizes, parameters.

    The shapes come from :func:`cnnlab.model.layer_table`, which runs the network; the
    first row is the input. Each row: ``layer``, ``nchw`` and ``nhwc`` (shapes), ``values``
    (numbers in the output), ``bytes`` (as float32) and ``parameters``.

    >>> rows = architecture(4)
    >>> [(r["layer"], r["nchw"], r["nhwc"]) for r in rows if r["layer"] in ("pool2", "fc1")]
    [('pool2', (4, 64, 7, 7), (4, 7, 7, 64)), ('fc1', (4, 1024), (4, 1024))]
    """
    batch = bounds.BATCH.check(batch_size)
    table = [{"layer": "input", "output_shape": (batch, *model.INPUT_SHAPE), "parameters": 0}]
    rows = []
    for row in table + model.layer_table(batch):
        shape = tuple(row["output_shape"])
        values = int(np.prod(shape))
        rows.append({"layer": row["layer"], "operation": OPERATIONS[row["layer"]],
                     "nchw": shape, "nhwc": nhwc_shape(shape),
                     "values": values, "bytes": 4 * values, "parameters": row["parameters"]})
    return rows


def check_rank4(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"expected a 4-D batch of images, got shape {x.shape}")
    return x
