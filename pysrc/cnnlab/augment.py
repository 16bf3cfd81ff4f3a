"""Random affine data augmentation for 28×28 digits.

Hand-drawn digits arrive shifted, tilted, a little larger or smaller and slanted,
so the shipped model is trained on MNIST digits perturbed the same way. Each image
gets its own transform, applied by inverse mapping with bilinear interpolation,
vectorized over the batch.
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
