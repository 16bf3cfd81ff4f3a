"""Sample images drawn with NumPy, for pages that need a picture but have no MNIST.

- :func:`scene` paints a small colour image (sky, sun, hill, house), (3, H, W) in [0, 1];
- :func:`text_image` prints a grey image (a digit of :mod:`cnnlab.digits`) as characters,
  for cell outputs;
- :func:`augmentation_gallery` applies the chapter's augmentations to a digit and to the
  scene, for the augmentation page's widget.
"""

from __future__ import annotations

import numpy as np

from .. import augment
from ..digits import draw_digit


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
    """The augmentations of the chapter applied to a digit (:func:`cnnlab.digits.draw_digit`)
    and to :func:`scene`.

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
    ink = draw_digit(value)[None, None]  # (1, 1, 28, 28)
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
