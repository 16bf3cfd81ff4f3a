"""Checks of counting exercises on the chapter's MNIST network: its parameters, the features
entering its first fully connected layer, the minibatches of an epoch.

The right numbers come from the network's one definition (:data:`cnnlab.model.PARAM_SHAPES`),
and so do the named mistakes (the biases left out, a pooling layer forgotten).
"""

from __future__ import annotations

import math

import numpy as np

from .. import model
from .compare import check_array
from .feedback import passed
from .learner import value


def network_parameters(namespace: dict, name: str = "total") -> dict:
    """A by-hand count of all trainable parameters of the chapter's network."""
    shapes = model.PARAM_SHAPES
    expected = model.parameter_count()
    counts = {key: int(np.prod(shape)) for key, shape in shapes.items()}
    weights_only = sum(count for key, count in counts.items() if key.endswith(".weight"))
    conv2 = shapes["conv2.weight"]
    variants = [
        (
            "bias",
            f"The biases are missing: every layer has one per output "
            f"({expected - weights_only:,} in all).",
            weights_only,
        ),
        (
            "channels",
            f"conv2 has {conv2[0]} kernels of {conv2[2]}×{conv2[3]} for each of its "
            f"{conv2[1]} input channels: C_out·C_in·kH·kW weights.",
            expected - counts["conv2.weight"] + conv2[0] * conv2[2] * conv2[3],
        ),
        (
            "layers",
            "Only the convolution layers are counted: the fully connected ones hold most "
            "of the parameters.",
            sum(c for k, c in counts.items() if k.startswith("conv")),
        ),
    ]
    check_array(value(namespace, name), expected, f"`{name}`", variants)
    lines = ", ".join(
        f"{key.split('.')[0]} {counts[key] + counts[key.replace('weight', 'bias')]:,}"
        for key in shapes
        if key.endswith(".weight")
    )
    return passed(f"Right: {expected:,} parameters ({lines}).")


def flattened_features(namespace: dict, name: str = "features") -> dict:
    """A by-hand count of the features ``Flatten`` hands to ``fc1``: C·H·W after pool2."""
    expected = model.PARAM_SHAPES["fc1.weight"][1]
    channels = model.PARAM_SHAPES["conv2.weight"][0]
    side = round(math.sqrt(expected / channels))
    variants = [
        (
            "pooling",
            f"One pooling layer is missing: each 2×2 pooling halves the side, 28 → 14 → {side}.",
            channels * (2 * side) ** 2,
        ),
        (
            "pooling",
            f"Both poolings are missing: each 2×2 pooling halves the side, 28 → 14 → {side}.",
            channels * (4 * side) ** 2,
        ),
        (
            "channels",
            f"The channels: conv2 has {channels} output channels, so C·H·W = "
            f"{channels}·{side}·{side}.",
            side * side,
        ),
        (
            "channels",
            f"conv2's output has {channels} channels, not {model.PARAM_SHAPES['conv1.weight'][0]}.",
            model.PARAM_SHAPES["conv1.weight"][0] * side * side,
        ),
    ]
    check_array(value(namespace, name), expected, f"`{name}`", variants)
    return passed(f"Right: {channels}·{side}·{side} = {expected:,}.")


def minibatches(namespace: dict, name: str, n: int, batch_size: int) -> dict:
    """A by-hand count of the minibatches in an epoch of ``n`` images: ``ceil(n / batch)``."""
    expected = math.ceil(n / batch_size)
    rest = n - (expected - 1) * batch_size
    variants = [
        (
            "no-floor",
            f"{n:,}/{batch_size} = {n / batch_size:g} is not a whole number of "
            "minibatches: how many does an epoch take?",
            n / batch_size,
        ),
        (
            "last-batch",
            f"The last, smaller batch counts too: {n:,} = {expected - 1}·{batch_size} "
            f"+ {rest}, and those {rest} images make a batch of their own "
            "(PyTorch's DataLoader keeps it unless drop_last=True).",
            n // batch_size,
        ),
    ]
    check_array(value(namespace, name), expected, f"`{name}`", variants)
    return passed(
        f"Right: ceil({n:,}/{batch_size}) = {expected}; the last batch has {rest} images."
    )
