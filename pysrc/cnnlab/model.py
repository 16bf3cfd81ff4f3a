"""The chapter's MNIST network, in NumPy.

The book builds it with PyTorch as::

    nn.Sequential(
        conv1 = Conv2d(1, 32, kernel_size=5, padding=2), relu1 = ReLU(), pool1 = MaxPool2d(2),
        conv2 = Conv2d(32, 64, kernel_size=5, padding=2), relu2 = ReLU(), pool2 = MaxPool2d(2),
        flatten = Flatten(),
        fc1 = Linear(3136, 1024), relu3 = ReLU(), dropout = Dropout(0.5),
        fc2 = Linear(1024, 10),
    )

Parameters are a dict named like that model's ``state_dict()``, so weights move
between the two. Inputs are NCHW: ``(N, 1, 28, 28)``, a white digit on black in [0, 1].
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import layers

DROPOUT_P = 0.5

PARAM_SHAPES: dict[str, tuple[int, ...]] = OrderedDict(
    [
        ("conv1.weight", (32, 1, 5, 5)),
        ("conv1.bias", (32,)),
        ("conv2.weight", (64, 32, 5, 5)),
        ("conv2.bias", (64,)),
        ("fc1.weight", (1024, 3136)),
        ("fc1.bias", (1024,)),
        ("fc2.weight", (10, 1024)),
        ("fc2.bias", (10,)),
    ]
)

INPUT_SHAPE = (1, 28, 28)


def init_params(rng: np.random.Generator, dtype: Any = np.float32) -> dict[str, np.ndarray]:
    """PyTorch's default initialisation: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    That is what ``nn.Conv2d`` and ``nn.Linear`` use (Kaiming-uniform with a = sqrt(5))
    for both the weights and the biases.

    >>> params = init_params(np.random.default_rng(0))
    >>> params["conv2.weight"].shape, params["conv2.weight"].dtype.name
    ((64, 32, 5, 5), 'float32')
    """
    params = OrderedDict()
    for name, shape in PARAM_SHAPES.items():
        weight_shape = PARAM_SHAPES[name.rsplit(".", 1)[0] + ".weight"]
        bound = 1 / np.sqrt(np.prod(weight_shape[1:]))
        params[name] = rng.uniform(-bound, bound, size=shape).astype(dtype)
    return params


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], *, return_activations: bool = False,
    training: bool = False, rng: np.random.Generator | None = None,
) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logits of the network for a batch of digits.

    Parameters
    ----------
    x : (N, 1, 28, 28) array, white digit on black, values in [0, 1]
    params : dict of arrays with the names and shapes of :data:`PARAM_SHAPES`
    return_activations : also return every intermediate tensor by layer name
        (``conv1``, ``relu1``, ``pool1``, ``conv2``, ``relu2``, ``pool2``,
        ``flatten``, ``fc1``, ``relu3``, ``dropout``, ``fc2``), for visualisation
    training : apply dropout (needs ``rng``); at inference dropout is the identity

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
    check_params(params)
    x = x.astype(params["conv1.weight"].dtype, copy=False)
    acts: dict[str, np.ndarray] = OrderedDict()
    acts["conv1"] = layers.conv2d(x, params["conv1.weight"], params["conv1.bias"], padding=2)
    acts["relu1"] = layers.relu(acts["conv1"])
    acts["pool1"] = layers.max_pool2d(acts["relu1"], 2)
    acts["conv2"] = layers.conv2d(acts["pool1"], params["conv2.weight"], params["conv2.bias"],
                                  padding=2)
    acts["relu2"] = layers.relu(acts["conv2"])
    acts["pool2"] = layers.max_pool2d(acts["relu2"], 2)
    acts["flatten"] = acts["pool2"].reshape(len(x), -1)  # (C, H, W) order, like torch.flatten
    acts["fc1"] = layers.linear(acts["flatten"], params["fc1.weight"], params["fc1.bias"])
    acts["relu3"] = layers.relu(acts["fc1"])
    acts["dropout"] = layers.dropout(acts["relu3"], DROPOUT_P, rng, training)
    acts["fc2"] = layers.linear(acts["dropout"], params["fc2.weight"], params["fc2.bias"])
    return (acts["fc2"], acts) if return_activations else acts["fc2"]


def predict_proba(x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """Class probabilities ``softmax(forward(x))``, shape (N, 10)."""
    return layers.softmax(forward(x, params))


def check_params(params: dict[str, np.ndarray]) -> None:
    """Raise a ValueError unless ``params`` has exactly the model's names and shapes."""
    missing = [name for name in PARAM_SHAPES if name not in params]
    extra = [name for name in params if name not in PARAM_SHAPES]
    if missing or extra:
        raise ValueError(f"parameters do not match the model: missing {missing}, extra {extra}")
    for name, shape in PARAM_SHAPES.items():
        if tuple(np.shape(params[name])) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {np.shape(params[name])}")


def parameter_count() -> int:
    """Number of trainable parameters.

    >>> parameter_count()
    3274634
    """
    return int(sum(np.prod(shape) for shape in PARAM_SHAPES.values()))


def layer_table(batch_size: int = 1) -> list[dict[str, Any]]:
    """Each layer's output shape (N, C, H, W) and parameter count, by running the model.

    The shapes are measured on a zero batch, not typed by hand.

    >>> [(row["layer"], row["output_shape"], row["parameters"]) for row in layer_table()][:3]
    [('conv1', (1, 32, 28, 28), 832), ('relu1', (1, 32, 28, 28), 0), ('pool1', (1, 32, 14, 14), 0)]
    """
    zeros = OrderedDict((name, np.zeros(shape, np.float32)) for name, shape in PARAM_SHAPES.items())
    _, acts = forward(np.zeros((batch_size, *INPUT_SHAPE), np.float32), zeros,
                      return_activations=True)
    return [
        {
            "layer": name,
            "output_shape": tuple(act.shape),
            "parameters": int(sum(np.prod(shape) for key, shape in PARAM_SHAPES.items()
                                  if key.startswith(name + "."))),
        }
        for name, act in acts.items()
    ]


def load_pretrained(
    source: Any = "pretrained", manifest: dict | None = None,
) -> dict[str, np.ndarray]:
    """Load compact pretrained weights as float32 parameters (see :mod:`cnnlab.weights`)."""
    from . import weights  # imported here: weights itself needs PARAM_SHAPES from this module

    return weights.load_pretrained(source, manifest)
