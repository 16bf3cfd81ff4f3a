"""Inside the network: everything the draw page shows for one drawing, in one call.

The page hands over its canvas (RGBA ``ImageData``, the ink in the alpha channel);
:func:`inspect_drawing` preprocesses it (:mod:`cnnlab.preprocess`), runs the
pretrained model with every activation (:func:`cnnlab.model.forward`) and returns
the lot: the preprocessing stages, the 28×28 input, the feature maps, the fc1
activations, the logits and probabilities, and how long the forward pass took.
:func:`overview` gives what does not depend on the drawing (conv1's kernels and
the receptive field of every feature-map cell).

Receptive fields
----------------
A unit of a feature map sees a window of the input. Going back one layer with
kernel ``k``, stride ``s`` and padding ``p``, output rows ``a … b`` read input
rows ``a·s - p … b·s - p + k - 1`` (padding rows are not units, so the range is
clipped to the layer's input). For the chapter's network a conv2 output at
``(i, j)`` (14×14) sees pool1 rows ``i - 2 … i + 2``, which pool relu1 rows
``2i - 4 … 2i + 5``, which conv1 computed from input rows ``2i - 6 … 2i + 7``:
a 14×14 window of the 28×28 input, clipped at its edges.
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict

import numpy as np

from . import layers, model, preprocess

GEOMETRY = OrderedDict(
    [  # (kernel, stride, padding) of each layer of the convolutional part, in order
        ("conv1", (5, 1, 2)),
        ("relu1", (1, 1, 0)),
        ("pool1", (2, 2, 0)),
        ("conv2", (5, 1, 2)),
        ("relu2", (1, 1, 0)),
        ("pool2", (2, 2, 0)),
    ]
)
"""Window geometry of the layers of :mod:`cnnlab.model` up to pool2 (square kernels)."""

FEATURE_MAPS = ("relu1", "pool1", "relu2", "pool2")
"""The feature maps the page shows: conv1's and conv2's, after ReLU and after pooling."""

INPUT_SIZE = model.INPUT_SHAPE[1]


# ---------------------------------------------------------------- receptive fields
def receptive_field(layer: str, i: int, j: int) -> tuple[int, int, int, int]:
    """Input pixels that feature-map cell ``(i, j)`` of ``layer`` depends on.

    Parameters
    ----------
    layer : a name in :data:`GEOMETRY` (``"conv2"``, ``"pool2"``, ...)
    i, j : row and column of the cell in that layer's map

    Returns
    -------
    ``(top, bottom, left, right)``, inclusive pixel indices of the 28×28 input.

    >>> receptive_field("conv2", 5, 5)   # rows and columns 2i - 6 ... 2i + 7
    (4, 17, 4, 17)
    >>> receptive_field("conv2", 0, 13)  # clipped at the edges
    (0, 7, 20, 27)
    >>> receptive_field("conv1", 0, 0)
    (0, 2, 0, 2)
    """
    rows, columns = [_input_range(layer, index, name) for index, name in ((i, "i"), (j, "j"))]
    return rows[0], rows[1], columns[0], columns[1]


def _input_range(layer: str, index: int, name: str) -> tuple[int, int]:
    """Rows (or columns) ``first … last`` of the input behind row ``index`` of ``layer``."""
    sizes = map_sizes()
    if layer not in sizes:
        raise ValueError(f"layer must be one of {list(sizes)}, got {layer!r}")
    if int(index) != index or not 0 <= index < sizes[layer]:
        raise ValueError(f"{name} must be an integer in [0, {sizes[layer]}) for {layer}, "
                         f"got {index!r}")
    names = list(GEOMETRY)[:list(GEOMETRY).index(layer) + 1]
    input_sizes = [INPUT_SIZE] + [sizes[n] for n in names[:-1]]
    first = last = int(index)
    for n in reversed(range(len(names))):  # back through the layers, to the input
        kernel, stride, padding = GEOMETRY[names[n]]
        first = max(first * stride - padding, 0)
        last = min(last * stride - padding + kernel - 1, input_sizes[n] - 1)
    return first, last


def receptive_fields(layer: str) -> np.ndarray:
    """:func:`receptive_field` of every cell of ``layer``'s map, shape (H, W, 4), int32.

    >>> receptive_fields("pool2").shape
    (7, 7, 4)
    >>> receptive_fields("conv2")[5, 5].tolist()
    [4, 17, 4, 17]
    """
    size = map_sizes().get(layer, 1)  # an unknown layer: receptive_field says so
    return np.array([[receptive_field(layer, i, j) for j in range(size)] for i in range(size)],
                    dtype=np.int32)


def map_sizes() -> dict[str, int]:
    """Height (= width) of each layer's map in :data:`GEOMETRY` for a 28×28 input.

    ``floor((n + 2p - k) / s) + 1`` layer after layer.

    >>> [map_sizes()[name] for name in FEATURE_MAPS]
    [28, 14, 14, 7]
    """
    sizes, size = OrderedDict(), INPUT_SIZE
    for name, (kernel, stride, padding) in GEOMETRY.items():
        size = (size + 2 * padding - kernel) // stride + 1
        sizes[name] = size
    return sizes


# ---------------------------------------------------------------- the model
@functools.cache
def pretrained_params(folder: str = "pretrained") -> dict[str, np.ndarray]:
    """The pretrained float32 parameters from ``folder``, loaded once per folder."""
    return model.load_pretrained(folder)


def overview(weights: str = "pretrained") -> dict:
    """What the page shows whatever is drawn.

    Returns
    -------
    dict with ``kernels`` (32, 5, 5) and ``kernel_bias`` (32,): conv1's weights;
    ``receptive_fields``: for each layer of :data:`FEATURE_MAPS`, :func:`receptive_fields`.
    """
    params = pretrained_params(weights)
    return {
        "kernels": params["conv1.weight"][:, 0],
        "kernel_bias": params["conv1.bias"],
        "receptive_fields": OrderedDict((name, receptive_fields(name)) for name in FEATURE_MAPS),
    }


def inspect_input(x: np.ndarray, weights: str = "pretrained") -> dict:
    """Run one 28×28 input through the pretrained network, keeping what the page shows.

    Parameters
    ----------
    x : 784 values in [0, 1] in any shape (28×28, (1, 1, 28, 28), or flat, as a page sends
        them), a white digit on black
    weights : folder of the pretrained files

    Returns
    -------
    dict with ``empty`` False; ``input`` (28, 28) float32; ``logits`` and ``probabilities``
    (10,); ``prediction`` (int); ``feature_maps``: ``relu1`` (32, 28, 28), ``pool1``
    (32, 14, 14), ``relu2`` (64, 14, 14), ``pool2`` (64, 7, 7); ``fc1`` (1024,) after its
    ReLU; ``forward_ms``: the time of :func:`cnnlab.model.forward` (``time.perf_counter``).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size != INPUT_SIZE * INPUT_SIZE:
        raise ValueError(f"expected 784 values (a 28×28 input), got shape {x.shape}")
    x = x.reshape(1, 1, INPUT_SIZE, INPUT_SIZE)
    params = pretrained_params(weights)
    started = time.perf_counter()
    logits, acts = model.forward(x, params, return_activations=True)
    forward_ms = (time.perf_counter() - started) * 1000
    probabilities = layers.softmax(logits)[0]
    return {
        "empty": False,
        "input": x[0, 0],
        "logits": logits[0],
        "probabilities": probabilities,
        "prediction": int(np.argmax(probabilities)),
        "feature_maps": OrderedDict((name, acts[name][0]) for name in FEATURE_MAPS),
        "fc1": acts["relu3"][0],
        "forward_ms": forward_ms,
    }


TOO_LITTLE_INK = "Draw a bigger digit: this is too little ink to read as one."


def inspect_drawing(canvas: np.ndarray, shape: tuple[int, ...] | None = None,
                    weights: str = "pretrained") -> dict:
    """Preprocess a drawing and run it through the network: the draw page's one call.

    Parameters
    ----------
    canvas : the canvas as :func:`cnnlab.preprocess.preprocess` takes it (RGBA uint8
        ``(H, W, 4)`` with the ink in alpha), or its values flat with ``shape``
    shape : the canvas's shape, when ``canvas`` is flat (a page's ``ImageData.data``)
    weights : folder of the pretrained files

    Returns
    -------
    ``{"empty": True, "preprocess_ms"}`` for a canvas without ink, with a ``"message"`` when
    there is ink but too little to read (:func:`cnnlab.preprocess.too_little_ink`): the page
    then asks for a bigger digit instead of showing a guess; otherwise
    :func:`inspect_input`'s dict plus ``stages`` (:func:`cnnlab.preprocess.preprocess_stages`)
    and ``preprocess_ms``.

    >>> canvas = np.zeros((280, 280, 4), np.uint8)
    >>> inspect_drawing(canvas)["empty"]
    True
    >>> canvas[40:240, 120:150, 3] = 255                   # a bar: a one
    >>> result = inspect_drawing(canvas.reshape(-1), shape=(280, 280, 4))
    >>> list(result["stages"]), result["feature_maps"]["pool2"].shape
    (['ink', 'cropped', 'stroke_normalised', 'scaled_20', 'centred_28'], (64, 7, 7))
    """
    canvas = np.asarray(canvas)
    if shape is not None:
        shape = tuple(int(n) for n in shape)
        if int(np.prod(shape)) != canvas.size:
            raise ValueError(f"expected {int(np.prod(shape))} values for a canvas of shape "
                             f"{shape}, got {canvas.size}")
        canvas = canvas.reshape(shape)
    started = time.perf_counter()
    if preprocess.too_little_ink(canvas):
        preprocess_ms = (time.perf_counter() - started) * 1000
        if preprocess.is_empty(canvas):
            return {"empty": True, "preprocess_ms": preprocess_ms}
        return {"empty": True, "preprocess_ms": preprocess_ms, "message": TOO_LITTLE_INK}
    stages = preprocess.preprocess_stages(canvas)
    preprocess_ms = (time.perf_counter() - started) * 1000
    result = inspect_input(stages["centred_28"], weights)
    result.update(stages=stages, preprocess_ms=preprocess_ms)
    return result
