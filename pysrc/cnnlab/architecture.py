"""The chapter's MNIST network, described once: every layer's name, shape and hyperparameters.

The book builds it with PyTorch as::

    nn.Sequential(
        conv1 = Conv2d(1, 32, kernel_size=5, padding=2), relu1 = ReLU(), pool1 = MaxPool2d(2),
        conv2 = Conv2d(32, 64, kernel_size=5, padding=2), relu2 = ReLU(), pool2 = MaxPool2d(2),
        flatten = Flatten(),
        fc1 = Linear(3136, 1024), relu3 = ReLU(), dropout = Dropout(0.5),
        fc2 = Linear(1024, 10),
    )

:class:`Network` describes that family: two "same"-padded convolutions, each followed by
ReLU and 2×2 max pooling, then two fully connected layers with dropout between them. Its
hyperparameters (the channels of the two convolutions, their kernel size, the hidden units
and the dropout probability) default to the book's values, :data:`CHAPTER`. Everything that
needs the architecture derives it from here: the parameter names and shapes
(:mod:`cnnlab.model`, :mod:`cnnlab.weights`), the forward and backward passes, the windows
of the receptive fields and what the pages draw.

A leaf: this module imports nothing from ``cnnlab``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

INPUT_SHAPE = (1, 28, 28)
"""One MNIST image, (C, H, W): a white digit on black, values in [0, 1]."""

CLASSES = 10
POOL_SIZE = 2
"""Max pooling 2×2 with stride 2 after each convolution."""

#: Bounds of the hyperparameters (inclusive), so that a page's form can say what it accepts.
LIMITS = {"conv1_channels": (1, 256), "conv2_channels": (1, 256), "kernel_size": (1, 9),
          "hidden_units": (1, 4096)}


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of the network, as the book's ``nn.Sequential`` holds it.

    ``kind`` is the name of the function of :mod:`cnnlab.layers` that computes it
    (``conv2d``, ``relu``, ``max_pool2d``, ``flatten``, ``linear``, ``dropout``);
    ``index`` its position in the Sequential (the key prefix of an unnamed state dict);
    ``in_shape`` and ``out_shape`` the shape of one image's tensor, (C, H, W) or
    (features,). ``kernel``, ``stride`` and ``padding`` are its window (1, 1, 0 for the
    element-wise layers), ``p`` the dropout probability.
    """

    name: str
    kind: str
    index: int
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    p: float = 0.0

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{"<name>.weight": shape, "<name>.bias": shape}``, PyTorch's layouts; {} if none.

        >>> CHAPTER.layer("conv2").param_shapes
        {'conv2.weight': (64, 32, 5, 5), 'conv2.bias': (64,)}
        """
        if self.kind == "conv2d":
            weight = (self.out_shape[0], self.in_shape[0], self.kernel, self.kernel)
        elif self.kind == "linear":
            weight = (self.out_shape[0], self.in_shape[0])
        else:
            return {}
        return {self.name + ".weight": weight, self.name + ".bias": weight[:1]}


@dataclasses.dataclass(frozen=True)
class Network:
    """A network of the chapter's family; ``Network()`` is the book's (:data:`CHAPTER`).

    Parameters
    ----------
    conv1_channels, conv2_channels : output channels of ``conv1`` and ``conv2``
    kernel_size : side of both convolutions' square kernels, odd, with padding
        ``kernel_size // 2`` so that a convolution keeps the map's size
    hidden_units : outputs of ``fc1``
    dropout : probability ``p`` of dropping a unit of ``fc1``'s output while training

    Each pooling halves the map: 28 → 14 → 7, so ``fc1`` reads
    ``conv2_channels · 7 · 7`` values. A bad value is a ValueError naming the range.

    >>> small = Network(conv1_channels=8, conv2_channels=16, kernel_size=3, hidden_units=64)
    >>> small.layer("flatten").out_shape, small.parameter_count
    ((784,), 52138)
    >>> Network(kernel_size=4)
    Traceback (most recent call last):
    ...
    ValueError: kernel_size must be an odd whole number from 1 to 9, got 4
    """

    conv1_channels: int = 32
    conv2_channels: int = 64
    kernel_size: int = 5
    hidden_units: int = 1024
    dropout: float = 0.5

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            odd = name == "kernel_size"
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not low <= value <= high or (odd and value % 2 == 0):
                kind = "an odd whole number" if odd else "a whole number"
                raise ValueError(f"{name} must be {kind} from {low} to {high}, got {value!r}")
            object.__setattr__(self, name, int(value))
        p = self.dropout
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) \
                or not 0 <= p < 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {p!r}")
        object.__setattr__(self, "dropout", float(p))

    @functools.cached_property  # computed once per network (a frozen dataclass)
    def layers(self) -> tuple[Layer, ...]:
        """Every layer in order, with the shapes of one image's tensors.

        >>> [(layer.name, layer.out_shape) for layer in CHAPTER.layers][4:8]
        [('relu2', (64, 14, 14)), ('pool2', (64, 7, 7)), ('flatten', (3136,)), ('fc1', (1024,))]
        """
        k = self.kernel_size
        result = []
        shape = INPUT_SHAPE

        def add(name: str, kind: str, out_shape: tuple[int, ...], **window: Any) -> None:
            nonlocal shape
            result.append(Layer(name, kind, len(result), shape, out_shape, **window))
            shape = out_shape

        for block, channels in ((1, self.conv1_channels), (2, self.conv2_channels)):
            size = shape[1]  # "same" padding keeps it; the pooling halves it
            add(f"conv{block}", "conv2d", (channels, size, size), kernel=k, padding=k // 2)
            add(f"relu{block}", "relu", shape)
            add(f"pool{block}", "max_pool2d", (channels, size // POOL_SIZE, size // POOL_SIZE),
                kernel=POOL_SIZE, stride=POOL_SIZE)
        add("flatten", "flatten", (int(np.prod(shape)),))
        add("fc1", "linear", (self.hidden_units,))
        add("relu3", "relu", shape)
        add("dropout", "dropout", shape, p=self.dropout)
        add("fc2", "linear", (CLASSES,))
        return tuple(result)

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` (``"conv1"`` ... ``"fc2"``)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"layer must be one of {[la.name for la in self.layers]}, got {name!r}")

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Parameter names (as the book's ``state_dict()``) and shapes, in the model's order.

        >>> list(CHAPTER.param_shapes.items())[:2]
        [('conv1.weight', (32, 1, 5, 5)), ('conv1.bias', (32,))]
        """
        shapes: dict[str, tuple[int, ...]] = OrderedDict()
        for layer in self.layers:
            shapes.update(layer.param_shapes)
        return shapes

    @property
    def parameter_count(self) -> int:
        """Number of trainable parameters.

        >>> CHAPTER.parameter_count
        3274634
        """
        return int(sum(np.prod(shape) for shape in self.param_shapes.values()))

    @property
    def sequential_index(self) -> dict[str, str]:
        """Positions of the parametrised layers in ``nn.Sequential``, as state-dict prefixes.

        A state dict saved from a Sequential built without names says ``"0.weight"``.

        >>> CHAPTER.sequential_index
        {'0': 'conv1', '3': 'conv2', '7': 'fc1', '10': 'fc2'}
        """
        return {str(layer.index): layer.name for layer in self.layers if layer.param_shapes}

    @property
    def geometry(self) -> dict[str, tuple[int, int, int]]:
        """``(kernel, stride, padding)`` of each layer of the convolutional part, in order.

        >>> CHAPTER.geometry["conv2"], CHAPTER.geometry["pool2"]
        ((5, 1, 2), (2, 2, 0))
        """
        convolutional = [layer for layer in self.layers if len(layer.out_shape) == 3]
        return OrderedDict((layer.name, (layer.kernel, layer.stride, layer.padding))
                           for layer in convolutional)

    def check_params(self, params: Mapping[str, Any]) -> None:
        """Raise a ValueError unless ``params`` has exactly this network's names and shapes."""
        shapes = self.param_shapes
        missing = [name for name in shapes if name not in params]
        extra = [name for name in params if name not in shapes]
        if missing or extra:
            raise ValueError(f"parameters do not match the model: missing {missing}, "
                             f"extra {extra}")
        for name, shape in shapes.items():
            if tuple(np.shape(params[name])) != shape:
                raise ValueError(f"{name} must have shape {shape}, got {np.shape(params[name])}")


CHAPTER = Network()
"""The book's network: 32 and 64 channels, 5×5 kernels, 1024 hidden units, dropout 0.5."""
