"""Random affine data augmentation for 28×28 digits.

Hand-drawn digits arrive shifted, tilted, a little larger or smaller and slanted,
so the shipped model is trained on MNIST digits perturbed the same way. Each image
gets its own transform, applied by inverse mapping with bilinear interpolation,
vectorized over the batch.

The chapter's other augmentations — crops, flips, brightness, contrast and saturation — are
here too, for the augmentation page; the trainer does not use them.
"""

from __future__ import annotations

import numpy as np

# Documented ranges (also written to the manifest by the trainer).
AUGMENTATION = {
    "rotation_degrees": 12.0,   # uniform in [-12°, +12°]
    "scale": (0.85, 1.15),      # uniform zoom factor
    "shear_degrees": 10.0,      # uniform horizontal shear (slant) in [-10°, +10°]
    "shift_pixels": 3.0,        # uniform shift in [-3, +3] px along each axis
}


def random_affine(images: np.ndarray, rng: np.random.Generator,
                  ranges: dict | None = None) -> np.ndarray:
    """Apply a random rotation, scale, shear and shift to each image.

    Parameters
    ----------
    images : (N, H, W) array, white digit on black
    rng : random generator
    ranges : the limits, default :data:`AUGMENTATION`

    Returns
    -------
    (N, H, W) array of the same dtype; pixels mapped from outside the image are 0.

    >>> out = random_affine(np.ones((2, 28, 28), np.float32), np.random.default_rng(0))
    >>> out.shape, out.dtype.name, float(out[:, 14, 14].min())
    ((2, 28, 28), 'float32', 1.0)
    """
    r = AUGMENTATION if ranges is None else ranges
    n, h, w = images.shape
    angle = np.radians(rng.uniform(-r["rotation_degrees"], r["rotation_degrees"], n))
    scale = rng.uniform(r["scale"][0], r["scale"][1], n)
    shear = np.tan(np.radians(rng.uniform(-r["shear_degrees"], r["shear_degrees"], n)))
    shift = rng.uniform(-r["shift_pixels"], r["shift_pixels"], (n, 2))
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    # Inverse map: output pixel (y, x) relative to the centre -> input position.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    dy = yy[None] - cy - shift[:, 0, None, None]
    dx = xx[None] - cx - shift[:, 1, None, None]
    c, s, k = cos[:, None, None], sin[:, None, None], shear[:, None, None]
    src_y = c * dy - s * dx + cy
    src_x = s * dy + c * dx + k * dy + cx
    return bilinear_sample(images, src_y, src_x).astype(images.dtype, copy=False)


def bilinear_sample(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Sample ``images[n]`` at real coordinates ``(ys[n], xs[n])``; zero outside.

    >>> img = np.arange(4.0).reshape(1, 2, 2)
    >>> bilinear_sample(img, np.array([[[0.5]]]), np.array([[[0.5]]])).tolist()
    [[[1.5]]]
    """
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=np.float64)  # a zero border makes outside 0
    padded[:, 1:-1, 1:-1] = images
    ys = np.clip(ys + 1, 0, h)
    xs = np.clip(xs + 1, 0, w)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h + 1), np.minimum(x0 + 1, w + 1)
    fy, fx = ys - y0, xs - x0
    idx = np.arange(n)[:, None, None]
    top = padded[idx, y0, x0] * (1 - fx) + padded[idx, y0, x1] * fx
    bottom = padded[idx, y1, x0] * (1 - fx) + padded[idx, y1, x1] * fx
    return top * (1 - fy) + bottom * fy


# ---------------------------------------------------------------- crops, flips and colour
# The chapter's other augmentations, for the augmentation page (the trainer uses only
# random_affine). Images here are NCHW floats in [0, 1]: (N, 1, H, W) digits or
# (N, 3, H, W) colour images; each image of a batch gets its own random draw.

def crop(images: np.ndarray, top: np.ndarray, left: np.ndarray, size: int) -> np.ndarray:
    """Cut the ``size`` × ``size`` window at ``(top[n], left[n])`` out of image ``n``.

    Parameters
    ----------
    images : (N, C, H, W) array
    top, left : (N,) integer offsets, ``0 <= top <= H - size``, ``0 <= left <= W - size``
    size : side of the window

    Returns
    -------
    (N, C, size, size) array

    >>> x = np.arange(16).reshape(1, 1, 4, 4)
    >>> crop(x, np.array([1]), np.array([2]), 2).tolist()
    [[[[6, 7], [10, 11]]]]
    """
    images = check_images(images)
    n, _, h, w = images.shape
    top = np.asarray(top, dtype=int).reshape(-1)
    left = np.asarray(left, dtype=int).reshape(-1)
    if not 1 <= size <= min(h, w):
        raise ValueError(f"crop size must be from 1 to {min(h, w)} for {h}×{w} images, got {size}")
    if top.shape != (n,) or left.shape != (n,):
        raise ValueError(f"top and left need one offset per image ({n}), "
                         f"got {top.size} and {left.size}")
    if top.min() < 0 or left.min() < 0 or top.max() > h - size or left.max() > w - size:
        raise ValueError(f"offsets must keep the {size}×{size} window inside the {h}×{w} image, "
                         f"got top {top.tolist()} and left {left.tolist()}")
    rows = top[:, None] + np.arange(size)  # (N, size)
    cols = left[:, None] + np.arange(size)
    index = np.arange(n)[:, None, None]
    # Fancy indexing puts the advanced axes first: (N, size, size, C) -> NCHW.
    return images.transpose(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]] \
        .transpose(0, 3, 1, 2)


def random_crop(images: np.ndarray, rng: np.random.Generator, size: int,
                padding: int = 0) -> np.ndarray:
    """Zero-pad by ``padding`` pixels, then cut a uniformly placed ``size`` × ``size`` window.

    Like ``torchvision.transforms.RandomCrop(size, padding)``. With ``size = H`` and
    ``padding = k`` it shifts each image by up to ``k`` pixels, filling with black.

    >>> x = np.ones((3, 1, 28, 28))
    >>> out = random_crop(x, np.random.default_rng(0), 28, padding=4)
    >>> out.shape, float(out.max()), bool(out.sum() <= x.sum())
    ((3, 1, 28, 28), 1.0, True)
    """
    images = check_images(images)
    if padding < 0:
        raise ValueError(f"padding must be 0 or more, got {padding}")
    padded = np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)), "constant")
    n, _, h, w = padded.shape
    if not 1 <= size <= min(h, w):
        raise ValueError(f"crop size must be from 1 to {min(h, w)} for {h}×{w} padded "
                         f"images, got {size}")
    top = rng.integers(0, h - size + 1, n)
    left = rng.integers(0, w - size + 1, n)
    return crop(padded, top, left, size)


def random_hflip(images: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """Mirror each image left-right with probability ``p``.

    >>> x = np.arange(3.0).reshape(1, 1, 1, 3)
    >>> random_hflip(x, np.random.default_rng(0), p=1.0).tolist()
    [[[[2.0, 1.0, 0.0]]]]
    """
    images = check_images(images)
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    flip = rng.random(len(images)) < p
    return np.where(flip[:, None, None, None], images[..., ::-1], images)


def grayscale(images: np.ndarray) -> np.ndarray:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` of RGB images, (N, 3, H, W) -> (N, 1, H, W).

    The ITU-R 601 weights that ``torchvision`` uses; a one-channel image is returned as is.

    >>> grayscale(np.ones((1, 3, 1, 1))).round(6).tolist()
    [[[[1.0]]]]
    """
    images = check_images(images)
    if images.shape[1] == 1:
        return images
    if images.shape[1] != 3:
        raise ValueError(f"expected 1 or 3 channels, got {images.shape[1]}")
    luma = np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)
    return (images * luma).sum(axis=1, keepdims=True)


def adjust_brightness(images: np.ndarray, factor: np.ndarray | float) -> np.ndarray:
    """``clip(f · x, 0, 1)``: blend with black; ``f = 1`` leaves the image as it is.

    ``factor`` is one number or one per image, at least 0.

    >>> adjust_brightness(np.array([[[[0.2, 0.8]]]]), 1.5).round(6).tolist()
    [[[[0.3, 1.0]]]]
    """
    images, f = check_images(images), check_factor(factor, images)
    return np.clip(f * images, 0, 1)


def adjust_contrast(images: np.ndarray, factor: np.ndarray | float) -> np.ndarray:
    """``clip(m + f · (x - m), 0, 1)`` with ``m`` the image's mean grey level.

    ``f = 0`` gives a flat grey image, ``f > 1`` spreads the values away from the mean.

    >>> adjust_contrast(np.array([[[[0.2, 0.6]]]]), 0.5).round(6).tolist()
    [[[[0.3, 0.5]]]]
    """
    images, f = check_images(images), check_factor(factor, images)
    mean = grayscale(images).mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + f * (images - mean), 0, 1)


def adjust_saturation(images: np.ndarray, factor: np.ndarray | float) -> np.ndarray:
    """``clip(g + f · (x - g), 0, 1)`` with ``g`` each pixel's grey level (:func:`grayscale`).

    ``f = 0`` gives the grey image, ``f > 1`` more vivid colours; grey images do not change.

    >>> adjust_saturation(np.array([[[[1.0]], [[0.0]], [[0.0]]]]), 0.0).round(3).tolist()
    [[[[0.299]], [[0.299]], [[0.299]]]]
    """
    images, f = check_images(images), check_factor(factor, images)
    grey = grayscale(images)
    return np.clip(grey + f * (images - grey), 0, 1)


def jitter_factors(rng: np.random.Generator, n: int, strength: float) -> np.ndarray:
    """``n`` factors uniform in ``[max(0, 1 - strength), 1 + strength]``, as torchvision draws.

    >>> f = jitter_factors(np.random.default_rng(0), 1000, 0.4)
    >>> bool(f.min() >= 0.6 and f.max() <= 1.4)
    True
    """
    if strength < 0:
        raise ValueError(f"jitter strength must be 0 or more, got {strength}")
    return rng.uniform(max(0.0, 1 - strength), 1 + strength, n)


def color_jitter(images: np.ndarray, rng: np.random.Generator, brightness: float = 0.4,
                 contrast: float = 0.4, saturation: float = 0.4) -> np.ndarray:
    """Random brightness, then contrast, then saturation, each factor from :func:`jitter_factors`.

    Like ``torchvision.transforms.ColorJitter(brightness, contrast, saturation)`` in a fixed
    order.

    >>> out = color_jitter(np.full((2, 3, 4, 4), 0.5), np.random.default_rng(0))
    >>> out.shape, bool(out.min() >= 0 and out.max() <= 1)
    ((2, 3, 4, 4), True)
    """
    images = check_images(images)
    n = len(images)
    images = adjust_brightness(images, jitter_factors(rng, n, brightness))
    images = adjust_contrast(images, jitter_factors(rng, n, contrast))
    return adjust_saturation(images, jitter_factors(rng, n, saturation))


def check_images(images: np.ndarray) -> np.ndarray:
    """``images`` as an (N, C, H, W) array, or a ValueError saying what was given."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"expected images of shape (N, C, H, W) with N >= 1, got {images.shape}")
    return images


def check_factor(factor: np.ndarray | float, images: np.ndarray) -> np.ndarray:
    """One factor, or one per image, as an array that broadcasts over (N, C, H, W)."""
    f = np.asarray(factor, dtype=float).reshape(-1)
    if f.size not in (1, len(images)) or not np.isfinite(f).all() or f.min() < 0:
        raise ValueError(f"factor must be one number >= 0 or one per image ({len(images)}), "
                         f"got {np.asarray(factor).tolist()}")
    return f.reshape(-1, 1, 1, 1)
