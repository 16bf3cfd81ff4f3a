"""Crops, flips and colour changes of cnnlab.augment (the augmentation page's transforms)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import augment

SEEDS = range(6)


def batch(seed: int, channels: int = 3, size: int = 9, n: int = 4) -> np.ndarray:
    """Random NCHW images in [0, 1]."""
    return np.random.default_rng(seed).random((n, channels, size, size))


def mid_range(seed: int, channels: int = 3) -> np.ndarray:
    """Images in [0.3, 0.7]: factors up to 1.5 around any grey level stay inside [0, 1]."""
    return 0.3 + 0.4 * batch(seed, channels)


# ---------------------------------------------------------------- crops
@pytest.mark.parametrize("seed", SEEDS)
def test_crop_cuts_each_images_own_window(seed):
    images = batch(seed)
    rng = np.random.default_rng(seed + 100)
    size = int(rng.integers(1, 10))
    top, left = rng.integers(0, 10 - size, 4), rng.integers(0, 10 - size, 4)
    expected = np.stack([images[n, :, top[n]:top[n] + size, left[n]:left[n] + size]
                         for n in range(4)])
    np.testing.assert_array_equal(augment.crop(images, top, left, size), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_crop_is_a_window_of_the_padded_image(seed):
    images = batch(seed, channels=1, size=6)
    out = augment.random_crop(images, np.random.default_rng(seed), size=6, padding=2)
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for n in range(len(images)):
        windows = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(padded[n, :, i:i + 6, j:j + 6], out[n])]
        assert windows, f"image {n} is no window of its padded image"


def test_random_crop_reaches_every_offset():
    images = np.arange(16.0).reshape(1, 1, 4, 4).repeat(2000, axis=0)
    out = augment.random_crop(images, np.random.default_rng(0), size=2)
    corners = set(out[:, 0, 0, 0].tolist())  # the window's top-left value
    assert corners == {0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0, 9.0, 10.0}


@pytest.mark.parametrize(("call", "message"), [
    (lambda x: augment.crop(x, [0], [0], 10), "crop size must be from 1 to 9"),
    (lambda x: augment.crop(x, [0, 0], [0], 3), "one offset per image"),
    (lambda x: augment.crop(x, [7], [0], 3), "inside the 9×9 image"),
    (lambda x: augment.random_crop(x, np.random.default_rng(0), 14, padding=2),
     "from 1 to 13"),
    (lambda x: augment.random_crop(x, np.random.default_rng(0), 3, padding=-1), "padding"),
    (lambda x: augment.crop(x[0], [0], [0], 3), "(N, C, H, W)"),
])
def test_crop_rejects_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(batch(0, n=1))


# ---------------------------------------------------------------- flips
@pytest.mark.parametrize("seed", SEEDS)
def test_random_hflip_mirrors_some_images_and_keeps_the_rest(seed):
    images = batch(seed, n=50)
    out = augment.random_hflip(images, np.random.default_rng(seed))
    flipped = [np.array_equal(o, np.flip(x, axis=-1)) for o, x in zip(out, images)]
    kept = [np.array_equal(o, x) for o, x in zip(out, images)]
    assert all(f != k for f, k in zip(flipped, kept))  # each image one or the other
    assert 10 <= sum(flipped) <= 40  # p = 0.5 of 50: far outside this is a bug


@pytest.mark.parametrize(("p", "expected"), [(0.0, lambda x: x), (1.0, lambda x: x[..., ::-1])])
def test_random_hflip_extremes(p, expected):
    images = batch(1)
    np.testing.assert_array_equal(
        augment.random_hflip(images, np.random.default_rng(0), p=p), expected(images))


def test_random_hflip_rejects_a_probability_above_one():
    with pytest.raises(ValueError, match="probability"):
        augment.random_hflip(batch(0), np.random.default_rng(0), p=1.5)


# ---------------------------------------------------------------- colour
@pytest.mark.parametrize("seed", SEEDS)
def test_grayscale_is_the_itu_601_luma_per_pixel(seed):
    images = batch(seed)
    grey = augment.grayscale(images)
    n, h, w = np.random.default_rng(seed).integers(0, [4, 9, 9])
    r, g, b = images[n, :, h, w]
    assert grey.shape == (4, 1, 9, 9)
    assert grey[n, 0, h, w] == pytest.approx(0.299 * r + 0.587 * g + 0.114 * b)


@pytest.mark.parametrize("seed", SEEDS)
def test_brightness_scales_and_clips(seed):
    images = batch(seed)
    f = np.random.default_rng(seed).uniform(0, 2, 4)
    expected = np.minimum(images * f[:, None, None, None], 1)
    np.testing.assert_allclose(augment.adjust_brightness(images, f), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_contrast_keeps_the_mean_grey_level(seed):
    images = mid_range(seed)
    f = np.random.default_rng(seed).uniform(0, 1.5)
    out = augment.adjust_contrast(images, f)
    mean_in = augment.grayscale(images).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(augment.grayscale(out).mean(axis=(1, 2, 3)), mean_in)
    # Distances from the mean scale by f.
    np.testing.assert_allclose(out - mean_in[:, None, None, None],
                               f * (images - mean_in[:, None, None, None]), atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_saturation_keeps_each_pixels_grey_level(seed):
    images = mid_range(seed)
    f = np.random.default_rng(seed).uniform(0, 1.5)
    out = augment.adjust_saturation(images, f)
    np.testing.assert_allclose(augment.grayscale(out), augment.grayscale(images))
    # Two saturation changes multiply, as blends with the same grey image do.
    np.testing.assert_allclose(augment.adjust_saturation(out, 0.5),
                               augment.adjust_saturation(images, 0.5 * f))


@pytest.mark.parametrize("adjust", [augment.adjust_brightness, augment.adjust_contrast,
                                    augment.adjust_saturation])
def test_factor_one_changes_nothing_and_factors_apply_per_image(adjust):
    images = batch(3)
    np.testing.assert_allclose(adjust(images, 1.0), images)
    f = np.array([0.5, 1.0, 1.2, 0.0])
    each = np.concatenate([adjust(images[n:n + 1], f[n]) for n in range(4)])
    np.testing.assert_allclose(adjust(images, f), each)


def test_zero_factors_give_black_flat_and_grey_images():
    images = batch(4)
    assert not augment.adjust_brightness(images, 0).any()
    flat = augment.adjust_contrast(images, 0)
    assert np.ptp(flat.reshape(4, -1), axis=1).max() == pytest.approx(0)
    grey = augment.adjust_saturation(images, 0)
    np.testing.assert_allclose(grey, np.repeat(augment.grayscale(images), 3, axis=1))


def test_saturation_leaves_one_channel_images_alone():
    digits = batch(5, channels=1)
    np.testing.assert_array_equal(augment.adjust_saturation(digits, 1.7), digits)


@pytest.mark.parametrize("factor", [-0.5, [1.0, 2.0], float("nan")])
def test_bad_factors_are_rejected(factor):
    with pytest.raises(ValueError, match="factor must be"):
        augment.adjust_brightness(batch(0), factor)


@pytest.mark.parametrize("seed", SEEDS)
def test_color_jitter_applies_the_drawn_factors_in_order(seed):
    images = batch(seed)
    out = augment.color_jitter(images, np.random.default_rng(seed), 0.3, 0.2, 0.1)
    rng = np.random.default_rng(seed)
    fb, fc, fs = (augment.jitter_factors(rng, 4, s) for s in (0.3, 0.2, 0.1))
    expected = augment.adjust_saturation(
        augment.adjust_contrast(augment.adjust_brightness(images, fb), fc), fs)
    np.testing.assert_allclose(out, expected)
    assert fb.min() >= 0.7 and fb.max() <= 1.3 and fs.min() >= 0.9 and fs.max() <= 1.1


def test_jitter_strength_above_one_never_gives_negative_factors():
    f = augment.jitter_factors(np.random.default_rng(0), 10_000, 1.5)
    assert f.min() >= 0 and f.max() <= 2.5 and f.min() < 0.05
