"""Checks of exercises on images: flipping and cropping a batch (augmentation) and the
centre of mass that the draw page's preprocessing centres a digit by.
"""

from __future__ import annotations

import numpy as np

from .. import preprocess
from ..digits import draw_digit
from .compare import check_array
from .feedback import grid_picture, passed
from .learner import call, function

SEED = 14


def flip_function(namespace: dict, name: str = "flip_horizontal") -> dict:
    """The learner's ``flip_horizontal(X)`` of an NCHW batch: the columns (axis W) reversed."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    X = rng.integers(0, 10, (2, 3, 4, 5)).astype(float)
    variants = [
        (
            "axis",
            "That flips the images upside down (axis H, the rows): a horizontal flip "
            "reverses the columns, the last axis W of NCHW.",
            X[:, :, ::-1, :],
        ),
        (
            "axis",
            "That reverses the order of the channels (axis C): a horizontal flip reverses "
            "the columns, the last axis W of NCHW.",
            X[:, ::-1],
        ),
        (
            "axis",
            "That reverses the order of the images in the batch (axis N): a horizontal "
            "flip reverses the columns, the last axis W of NCHW.",
            X[::-1],
        ),
    ]
    check_array(
        call(learner, name, X.copy()),
        X[..., ::-1],
        f"`{name}(X)` for X of shape {X.shape}",
        variants,
        shape_formula="a flip keeps the shape (N, C, H, W)",
    )
    return passed("Right: X[..., ::-1] reverses the last axis, W.")


def crop_function(namespace: dict, name: str = "crop") -> dict:
    """The learner's ``crop(X, top, left, height, width)`` of a 2-D image."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for _ in range(5):
        X = rng.integers(0, 10, tuple(int(v) for v in rng.integers(6, 10, 2))).astype(float)
        height, width = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        top, left = (
            int(rng.integers(1, X.shape[0] - height)),
            int(rng.integers(1, X.shape[1] - width)),
        )
        expected = X[top : top + height, left : left + width]
        variants = [
            (
                "slice",
                "X[top:height] stops at row `height`: the crop ends at top + height "
                "(and at left + width for the columns).",
                X[top:height, left:width],
            ),
            (
                "axis",
                "Rows first: top counts rows (axis 0), left counts columns (axis 1).",
                X[left : left + width, top : top + height],
            ),
            (
                "off-by-one",
                "One row and column too many: a slice's end is not included, "
                "X[top:top + height] already has `height` rows.",
                X[top : top + height + 1, left : left + width + 1],
            ),
        ]
        check_array(
            call(learner, name, X.copy(), top, left, height, width),
            expected,
            f"`{name}(X, top={top}, left={left}, height={height}, width={width})`",
            variants,
            shape_formula="(height, width)",
            picture=lambda actual, e=expected: grid_picture(e, actual),
        )
    return passed("Right: X[top:top + height, left:left + width].")


def centre_of_mass_function(namespace: dict, name: str = "centre_of_mass") -> dict:
    """The learner's ``centre_of_mass(image)`` -> ``(row, column)``, weighted by intensity,
    as the draw page's preprocessing computes it before moving the digit to the centre."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    images = [draw_digit(7)[:, 3:], draw_digit(2)[4:, :], rng.uniform(0, 1, (6, 9))]
    for image in images:
        expected = np.array(preprocess.centre_of_mass(image))
        rows, columns = np.nonzero(image)
        variants = [
            (
                "axis",
                "Row and column are swapped: (row, column) = (y, x), rows first as in "
                "image[row, column].",
                expected[::-1],
            ),
            (
                "normalise",
                "Divide by the total intensity Σ u: the centre is a weighted mean.",
                expected * float(image.sum()),
            ),
            (
                "weights",
                "Every inked pixel counts the same here: weight each by its intensity u.",
                np.array([rows.mean(), columns.mean()]),
            ),
        ]
        check_array(
            call(learner, name, image.copy()),
            expected,
            f"`{name}(image)` for an image of shape {image.shape}",
            variants,
            shape_formula="two numbers, (row, column)",
        )
    moved = images[0]
    return passed(
        f"Right. This 7, cut off on the left, has its centre at "
        f"({expected_text(moved)}); the preprocessing shifts it so that the centre "
        f"lands on ({preprocess.CENTRE:g}, {preprocess.CENTRE:g}) of the 28×28 frame."
    )


def expected_text(image: np.ndarray) -> str:
    return ", ".join(f"{c:.1f}" for c in preprocess.centre_of_mass(image))
