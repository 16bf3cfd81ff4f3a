"""Sample images drawn with NumPy, for pages that need a picture but have no MNIST.

- :func:`digit` draws a digit 0–9 as pen strokes in MNIST's format: 28 × 28, white on
  black, values in [0, 1], the strokes inside the central 20 × 20 box;
- :func:`scene` paints a small colour image (sky, sun, hill, house), (3, H, W) in [0, 1];
- :func:`text_image` prints a grey image as characters, for cell outputs;
- :func:`augmentation_gallery` applies the chapter's augmentations to both, for the
  augmentation page's widget.
"""

from __future__ import annotations

import numpy as np

from . import augment

# Each digit is a list of strokes; a stroke is a list of (x, y) points in the unit box
# (x to the right, y down), or an arc ("arc", cx, cy, rx, ry, start°, end°) with angles
# measured clockwise from the x axis (y points down).
STROKES: dict = {
    0: [("arc", 0.5, 0.5, 0.3, 0.46, 0, 360)],
    1: [[(0.35, 0.18), (0.55, 0.03), (0.55, 0.97)]],
    2: [("arc", 0.5, 0.3, 0.3, 0.26, 190, 390), [(0.77, 0.43), (0.15, 0.95), (0.88, 0.95)]],
    3: [("arc", 0.48, 0.27, 0.28, 0.23, 200, 450), ("arc", 0.48, 0.72, 0.32, 0.25, 270, 520)],
    4: [[(0.66, 0.97), (0.66, 0.03), (0.1, 0.68), (0.9, 0.68)]],
    5: [[(0.82, 0.04), (0.3, 0.04), (0.25, 0.44)], ("arc", 0.5, 0.67, 0.32, 0.29, 225, 520)],
    6: [[(0.72, 0.03), (0.26, 0.62)], ("arc", 0.5, 0.7, 0.27, 0.26, 0, 360)],
    7: [[(0.12, 0.05), (0.88, 0.05), (0.4, 0.97)]],
    8: [("arc", 0.5, 0.26, 0.23, 0.22, 0, 360), ("arc", 0.5, 0.72, 0.28, 0.25, 0, 360)],
    9: [("arc", 0.5, 0.3, 0.28, 0.26, 0, 360), [(0.78, 0.3), (0.7, 0.97)]],
}


def stroke_points(stroke: list | tuple, steps: int = 48) -> np.ndarray:
    """The (K, 2) points of a stroke in the unit box (an arc becomes ``steps`` segments).

    >>> stroke_points(("arc", 0.5, 0.5, 0.5, 0.5, 0, 90), steps=2).round(3).tolist()
    [[1.0, 0.5], [0.854, 0.854], [0.5, 1.0]]
    """
    if isinstance(stroke, tuple) and stroke[0] == "arc":
        _, cx, cy, rx, ry, start, end = stroke
        angles = np.radians(np.linspace(start, end, steps + 1))
        return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)
    return np.array(stroke, dtype=float)


def digit(value: int, size: int = 28, pen: float = 2.4) -> np.ndarray:
    """A digit drawn with a round pen ``pen`` pixels wide, white on black, (size, size).

    Each pixel's ink is ``clip(pen / 2 + 0.5 - d, 0, 1)`` with ``d`` its distance to the
    nearest stroke: full inside the pen, a one-pixel soft edge outside. The strokes fill
    the central ``20/28`` of the image, as MNIST's digits do.

    >>> seven = digit(7)
    >>> seven.shape, seven.dtype.name, float(seven.max()), float(seven[:3].max())
    ((28, 28), 'float32', 1.0, 0.0)
    """
    if isinstance(value, bool) or value not in STROKES:
        raise ValueError(f"digit must be an integer from 0 to 9, got {value!r}")
    if size < 8 or pen <= 0:
        raise ValueError(f"size must be at least 8 and pen positive, got {size} and {pen}")
    margin, box = size / 7, size * 5 / 7  # 4 and 20 pixels of a 28-pixel image
    segments = []
    for stroke in STROKES[value]:
        points = margin + box * stroke_points(stroke)
        segments.append(np.stack([points[:-1], points[1:]], axis=1))
    a, b = np.concatenate(segments)[:, 0], np.concatenate(segments)[:, 1]  # (S, 2) each
    yy, xx = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    p = np.stack([xx.ravel(), yy.ravel()], axis=1)[:, None, :]  # (P, 1, 2)
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    distance = np.sqrt((((a + t[..., None] * ab) - p) ** 2).sum(-1)).min(axis=1)
    ink = np.clip(pen / 2 + 0.5 - distance, 0, 1)
    return ink.reshape(size, size).astype(np.float32)


def scene(size: int = 32) -> np.ndarray:
    """A small colour picture, (3, size, size) in [0, 1]: sky, sun, green hill, red house.

    Nothing in it is symmetric, so flips and crops show.

    >>> img = scene()
    >>> img.shape, img.dtype.name, bool(img.min() >= 0 and img.max() <= 1)
    ((3, 32, 32), 'float64', True)
    """
    if size < 8:
        raise ValueError(f"size must be at least 8, got {size}")
    y, x = (np.mgrid[0:size, 0:size] + 0.5) / size  # coordinates in [0, 1]
    sky = np.stack([0.35 + 0.4 * y, 0.6 + 0.3 * y, np.ones_like(y)])
    image = sky.copy()
    sun = (x - 0.22) ** 2 + (y - 0.2) ** 2 < 0.12 ** 2
    ground = y > 0.62 + 0.08 * np.sin(2 * np.pi * x + 0.5)
    wall = (x > 0.58) & (x < 0.86) & (y > 0.5) & (y < 0.8)
    roof = (y > 0.32) & (y <= 0.5) & (np.abs(x - 0.72) < (y - 0.32) * 1.0)
    door = (x > 0.68) & (x < 0.76) & (y > 0.64) & (y < 0.8)
    for mask, colour in ((sun, (1.0, 0.85, 0.2)), (ground, (0.25, 0.62, 0.22)),
                         (wall, (0.8, 0.2, 0.15)), (roof, (0.35, 0.2, 0.15)),
                         (door, (0.95, 0.9, 0.8))):
        image[:, mask] = np.array(colour)[:, None]
    return image


def text_image(image: np.ndarray, shades: str = " .:-=+*#%@") -> str:
    """A grey image in [0, 1] as characters, dark to light: one per pixel, two rows per line.

    A character is about twice as tall as it is wide, so each line shows the mean of two
    pixel rows; a 28 × 28 digit becomes 14 lines of 28 characters.

    >>> print(text_image(np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])))
     @=
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {image.shape}")
    if len(image) % 2:
        image = np.vstack([image, np.zeros((1, image.shape[1]))])
    pairs = image.reshape(-1, 2, image.shape[1]).mean(axis=1)
    levels = np.clip(np.round(pairs * (len(shades) - 1)), 0, len(shades) - 1).astype(int)
    return "\n".join("".join(shades[v] for v in row).rstrip() for row in levels)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """(C, H, W) floats in [0, 1] -> (H, W) or (H, W, 3) bytes, ready to draw.

    >>> to_uint8(np.array([[[0.0, 0.5, 1.0]]])).tolist()
    [[0, 128, 255]]
    """
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    return pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)


def augmentation_gallery(seed: int, value: int = 7, jitter: float = 0.5) -> dict:
    """The augmentations of the chapter applied to :func:`digit` and :func:`scene`.

    Returns ``{"digit": panels, "colour": panels}``; each panel is a dict with ``name``,
    ``detail`` (the random draw, in words) and ``image`` (uint8, (H, W) or (H, W, 3)).
    The same ``seed`` gives the same panels.

    >>> g = augmentation_gallery(seed=0)
    >>> [p["name"] for p in g["digit"]][:3]
    ['original', 'random crop', 'horizontal flip']
    >>> g["colour"][1]["image"].shape
    (24, 24, 3)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    ink = digit(value)[None, None]  # (1, 1, 28, 28)
    picture = scene()[None]  # (1, 3, 32, 32)
    digit_panels = [panel("original", "the digit as drawn", ink)]
    digit_panels += [shift_panel(ink, rng), flip_panel(ink)]
    affine = augment.random_affine(ink[:, 0], rng)[:, None]
    digit_panels.append(panel("rotation, scale, shear, shift",
                              "a random affine map within the trainer's ranges", affine))
    digit_panels += [jitter_panel(ink, rng, jitter, kind) for kind in ("brightness", "contrast")]

    colour_panels = [panel("original", "the picture as painted", picture),
                     crop_panel(picture, rng, 24), flip_panel(picture)]
    colour_panels += [jitter_panel(picture, rng, jitter, kind)
                      for kind in ("brightness", "contrast", "saturation")]
    combined = augment.color_jitter(augment.random_hflip(
        augment.random_crop(picture, rng, 32, padding=4), rng), rng, jitter, jitter, jitter)
    colour_panels.append(panel("all together",
                               "random crop (padding 4), random flip, colour jitter", combined))
    return {"digit": digit_panels, "colour": colour_panels}


def panel(name: str, detail: str, images: np.ndarray) -> dict:
    return {"name": name, "detail": detail, "image": to_uint8(images[0])}


def shift_panel(images: np.ndarray, rng: np.random.Generator, padding: int = 4) -> dict:
    """A full-size crop of the zero-padded image: a shift by up to ``padding`` pixels."""
    padded = np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)), "constant")
    top, left = rng.integers(0, 2 * padding + 1, 2)
    cropped = augment.crop(padded, np.array([top]), np.array([left]), images.shape[-1])
    right, down = padding - left, padding - top
    moved = (f"{abs(right)} px {'right' if right >= 0 else 'left'}, "
             f"{abs(down)} px {'down' if down >= 0 else 'up'}")
    return panel("random crop", f"padded by {padding} px, window at row {top}, column {left}: "
                 f"the digit moves {moved}", cropped)


def crop_panel(images: np.ndarray, rng: np.random.Generator, size: int) -> dict:
    h, w = images.shape[-2:]
    top, left = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    cropped = augment.crop(images, np.array([top]), np.array([left]), size)
    return panel("random crop", f"{size}×{size} window at row {top}, column {left}", cropped)


def flip_panel(images: np.ndarray) -> dict:
    return panel("horizontal flip", "mirrored left to right", images[..., ::-1])


def jitter_panel(images: np.ndarray, rng: np.random.Generator, strength: float,
                 kind: str) -> dict:
    factor = float(augment.jitter_factors(rng, 1, strength)[0])
    adjust = {"brightness": augment.adjust_brightness, "contrast": augment.adjust_contrast,
              "saturation": augment.adjust_saturation}[kind]
    return panel(kind, f"factor {factor:.2f}", adjust(images, factor))
