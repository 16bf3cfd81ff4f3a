"""The chapter's MNIST network, in NumPy: initialisation, forward pass, pretrained weights.

The layers come from :mod:`cnnlab.architecture` (the book's ``nn.Sequential``, described
once); this module runs them with :mod:`cnnlab.layers`. Parameters are a dict named like
that model's ``state_dict()``, so weights move between the two. Inputs are NCHW:
``(N, 1, 28, 28)``, a white digit on black in [0, 1]. Every function takes the network as
``network`` (default :data:`cnnlab.architecture.CHAPTER`, the book's).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import layers, weights
from .architecture import CHAPTER, INPUT_SHAPE, Network

DROPOUT_P = CHAPTER.dropout
PARAM_SHAPES: dict[str, tuple[int, ...]] = CHAPTER.param_shapes

def init_params(rng: np.random.Generator, dtype: Any = np.float32,
                network: Network = CHAPTER) -> dict[str, np.ndarray]:
    """PyTorch's default initialisation: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    That is what ``nn.Conv2d`` and ``nn.Linear`` use (Kaiming-uniform with a = sqrt(5))
    for both the weights and the biases.

    >>> params = init_params(np.random.default_rng(0))
    >>> params["conv2.weight"].shape, params["conv2.weight"].dtype.name
    ((64, 32, 5, 5), 'float32')
    """
    shapes = network.param_shapes
    params = OrderedDict()
    for name, shape in shapes.items():
        weight_shape = shapes[name.rsplit(".", 1)[0] + ".weight"]
        bound = 1 / np.sqrt(np.prod(weight_shape[1:]))
        params[name] = rng.uniform(-bound, bound, size=shape).astype(dtype)
    return params


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], *, return_activations: bool = False,
    training: bool = False, rng: np.random.Generator | None = None, network: Network = CHAPTER,
) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logits of the network for a batch of digits: its layers applied in order.

    Parameters
    ----------
    x : (N, 1, 28, 28) array, white digit on black, values in [0, 1]
    params : dict of arrays with the names and shapes of ``network.param_shapes``
    return_activations : also return every intermediate tensor by layer name
        (``conv1``, ``relu1``, ``pool1``, ``conv2``, ``relu2``, ``pool2``,
        ``flatten``, ``fc1``, ``relu3``, ``dropout``, ``fc2``), for visualisation
    training : apply dropout (needs ``rng``); at inference dropout is the identity
    network : the architecture (default: the book's)

    Returns
    -------
    logits : (N, 10) array, or ``(logits, activations)``

    >>> params = init_params(np.random.default_rng(0))
    >>> logits, acts = forward(np.zeros((2, 1, 28, 28)), params, return_activations=True)
    >>> logits.shape, acts["pool2"].shape, acts["fc1"].shape
    ((2, 10), (2, 64, 7, 7), (2, 1024))
    """
    x = layers.check_array(x, 4, "input", "(N, 1, 28, 28)")
    if x.shape[1:] != INPUT_SHAPE:
        raise ValueError(f"input must have shape (N, 1, 28, 28), got {x.shape}")
    network.check_params(params)
    x = x.astype(params["conv1.weight"].dtype, copy=False)
    acts: dict[str, np.ndarray] = OrderedDict()
    for layer in network.layers:
        x = acts[layer.name] = _apply(layer, x, params, training, rng)
    return (x, acts) if return_activations else x


def _apply(layer: Any, x: np.ndarray, params: dict[str, np.ndarray], training: bool,
           rng: np.random.Generator | None) -> np.ndarray:
    """One :class:`cnnlab.architecture.Layer` on a batch, with :mod:`cnnlab.layers`."""
    if layer.kind == "conv2d":
        return layers.conv2d(x, params[layer.name + ".weight"], params[layer.name + ".bias"],
                             stride=layer.stride, padding=layer.padding)
    if layer.kind == "linear":
        return layers.linear(x, params[layer.name + ".weight"], params[layer.name + ".bias"])
    if layer.kind == "max_pool2d":
        return layers.max_pool2d(x, layer.kernel, layer.stride)
    if layer.kind == "relu":
        return layers.relu(x)
    if layer.kind == "dropout":
        return layers.dropout(x, layer.p, rng, training)
    return x.reshape(len(x), -1)  # flatten: (C, H, W) order, like torch.flatten


def predict_proba(x: np.ndarray, params: dict[str, np.ndarray],
                  network: Network = CHAPTER) -> np.ndarray:
    """Class probabilities ``softmax(forward(x))``, shape (N, 10)."""
    return layers.softmax(forward(x, params, network=network))


def check_params(params: dict[str, np.ndarray], network: Network = CHAPTER) -> None:
    """Raise a ValueError unless ``params`` has exactly the model's names and shapes."""
    network.check_params(params)


def parameter_count(network: Network = CHAPTER) -> int:
    """Number of trainable parameters.

    >>> parameter_count()
    3274634
    """
    return network.parameter_count


def layer_table(batch_size: int = 1, network: Network = CHAPTER) -> list[dict[str, Any]]:
    """Each layer's output shape (N, C, H, W) and parameter count, by running the model.

    The shapes are measured on a zero batch, not typed by hand.

    >>> [(row["layer"], row["output_shape"], row["parameters"]) for row in layer_table()][:3]
    [('conv1', (1, 32, 28, 28), 832), ('relu1', (1, 32, 28, 28), 0), ('pool1', (1, 32, 14, 14), 0)]
    """
    zeros = OrderedDict((name, np.zeros(shape, np.float32))
                        for name, shape in network.param_shapes.items())
    _, acts = forward(np.zeros((batch_size, *INPUT_SHAPE), np.float32), zeros,
                      return_activations=True, network=network)
    return [
        {
            "layer": layer.name,
            "output_shape": tuple(acts[layer.name].shape),
            "parameters": int(sum(np.prod(shape) for shape in layer.param_shapes.values())),
        }
        for layer in network.layers
    ]


def load_pretrained(
    source: Any = "pretrained", manifest: dict | None = None,
) -> dict[str, np.ndarray]:
    """Load compact pretrained weights as float32 parameters (see :mod:`cnnlab.weights`)."""
    return weights.load_pretrained(source, manifest)
