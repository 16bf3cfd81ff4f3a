"""Synthetic handwritten-looking digits, drawn with NumPy.

MNIST is not shipped with the site, so pages that need a sample digit draw one:
each digit 0-9 is a few pen strokes (polylines in a unit square, ``(x, y)`` with
``y`` pointing down), rendered as anti-aliased lines of a given width and then
put through :func:`cnnlab.preprocess.preprocess`, exactly like a drawing on the
draw page. ``slant`` shears the strokes (``x += slant · (0.5 - y)``), so a page
can show a few variants of each digit.

>>> x = draw_digit(3)
>>> x.shape, str(x.dtype), round(float(x.max()), 2)
((28, 28), 'float32', 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .preprocess import preprocess

CANVAS = 64
"""Side of the square canvas the strokes are rendered on, in pixels, before preprocessing scales
the digit to 20 px: enough for smooth anti-aliased edges, small enough to draw in milliseconds."""

PEN_WIDTH = 0.1
"""Default pen width, as a fraction of the unit square."""


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
         points: int = 24) -> np.ndarray:
    """Points of an elliptic arc from angle ``start`` to ``stop`` (degrees, counter-clockwise
    on screen, 0 = right), shape ``(points, 2)``."""
    t = np.radians(np.linspace(start, stop, points))
    return np.stack([cx + rx * np.cos(t), cy - ry * np.sin(t)], axis=1)


def _line(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=float)


# Each digit: a list of strokes, each an (n, 2) array of (x, y) points in [0, 1]².
STROKES: dict[int, list[np.ndarray]] = {
    0: [_arc(0.5, 0.5, 0.3, 0.45, 0, 360, 40)],
    1: [_line((0.56, 0.05), (0.46, 0.95))],
    2: [np.vstack([_arc(0.5, 0.3, 0.3, 0.25, 160, -30, 20),
                   _line((0.72, 0.45), (0.2, 0.95), (0.85, 0.95))])],
    3: [_arc(0.47, 0.28, 0.28, 0.23, 150, -90, 20), _arc(0.47, 0.73, 0.32, 0.22, 90, -160, 20)],
    4: [_line((0.6, 0.95), (0.6, 0.05), (0.15, 0.7), (0.85, 0.7))],
    5: [np.vstack([_line((0.8, 0.05), (0.3, 0.05), (0.25, 0.45)),
                   _arc(0.5, 0.68, 0.32, 0.27, 130, -150, 24)])],
    6: [np.vstack([_arc(0.75, 0.5, 0.5, 0.45, 110, 180, 10),
                   _arc(0.5, 0.7, 0.27, 0.25, 180, 540, 30)])],
    7: [_line((0.15, 0.05), (0.85, 0.05), (0.4, 0.95))],
    8: [_arc(0.5, 0.27, 0.22, 0.22, -90, 270, 30), _arc(0.5, 0.72, 0.28, 0.23, 90, 450, 30)],
    9: [np.vstack([_arc(0.5, 0.3, 0.27, 0.25, 0, 360, 30), _line((0.77, 0.3), (0.7, 0.95))])],
}


def render_strokes(strokes: Sequence[np.ndarray], size: int = CANVAS,
                   width: float = PEN_WIDTH) -> np.ndarray:
    """Anti-aliased ink of polylines on a ``(size, size)`` canvas, float in [0, 1].

    A pixel's ink is ``clip(width/2 - d + 1/2, 0, 1)`` with ``d`` its distance (in
    pixels) to the nearest segment: 1 inside the pen, 0 outside, a one-pixel ramp at
    the edge. The unit square fills the canvas with a margin of 10% on each side.

    A horizontal line 2 px wide (10 px per unit here) through the canvas centre:

    >>> ink = render_strokes([_line((0.0, 0.5), (1.0, 0.5))], size=12, width=0.2)
    >>> ink[:, 6].tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    span = 1.2  # the unit square plus 10% margins
    rows, cols = np.mgrid[0:size, 0:size]
    centres = np.stack([cols.ravel() + 0.5, rows.ravel() + 0.5], axis=1) * (span / size) - 0.1
    distance = np.full(len(centres), np.inf)
    for stroke in strokes:
        start, step = stroke[:-1], stroke[1:] - stroke[:-1]  # segments start + t·step, t in [0, 1]
        to_pixel = centres[:, None, :] - start[None]
        t = (to_pixel * step).sum(-1) / np.maximum((step * step).sum(-1), 1e-12)
        nearest = start[None] + np.clip(t, 0, 1)[..., None] * step[None]
        gap = np.sqrt(((centres[:, None] - nearest) ** 2).sum(-1)).min(axis=1)
        distance = np.minimum(distance, gap)
    pixels_per_unit = size / span
    ink = np.clip((width / 2 - distance) * pixels_per_unit + 0.5, 0, 1)
    return ink.reshape(size, size)


def draw_digit(digit: int, slant: float = 0.0, width: float = PEN_WIDTH) -> np.ndarray:
    """The 28×28 network input (white on black, float32 in [0, 1]) of a synthetic digit.

    Parameters
    ----------
    digit : int, 0-9
    slant : float
        Shear of the strokes: ``x += slant · (0.5 - y)``; positive leans right.
    width : float
        Pen width as a fraction of the unit square, ``> 0``.

    >>> draw_digit(1, slant=0.2).shape
    (28, 28)
    """
    if not isinstance(digit, (int, np.integer)) or isinstance(digit, bool) or not 0 <= digit <= 9:
        raise ValueError(f"digit: expected an integer 0-9, got {digit!r}")
    if not width > 0:
        raise ValueError(f"width: expected a pen width > 0, got {width!r}")
    strokes = [_sheared(stroke, slant) for stroke in STROKES[int(digit)]]
    return preprocess(render_strokes(strokes, width=width))[0, 0]


def _sheared(stroke: np.ndarray, slant: float) -> np.ndarray:
    sheared = stroke.copy()
    sheared[:, 0] += slant * (0.5 - stroke[:, 1])
    return sheared


def digit_batch(digits: Iterable[int] = range(10),
                slants: Iterable[float] = (0.0,)) -> tuple[np.ndarray, np.ndarray]:
    """Every digit in ``digits`` drawn with every slant in ``slants``.

    Returns
    -------
    images : float32 array, shape (N, 1, 28, 28), N = len(digits) · len(slants)
    labels : int array, shape (N,)

    >>> images, labels = digit_batch(range(3), slants=(-0.2, 0.2))
    >>> images.shape, labels.tolist()
    ((6, 1, 28, 28), [0, 0, 1, 1, 2, 2])
    """
    pairs = [(digit, slant) for digit in digits for slant in slants]
    images = np.stack([draw_digit(digit, slant)[None] for digit, slant in pairs])
    return images, np.array([digit for digit, _ in pairs])
