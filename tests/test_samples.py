"""cnnlab.samples: synthetic digits and picture, their text rendering, the augmentation gallery."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import model, samples


def loop_digit(value: int, size: int = 28, pen: float = 2.4) -> np.ndarray:
    """Reference: each pixel's distance to each stroke segment, one at a time."""
    segments = []
    for stroke in samples.STROKES[value]:
        points = size / 7 + size * 5 / 7 * samples.stroke_points(stroke)
        segments += list(zip(points[:-1], points[1:]))
    image = np.zeros((size, size))
    for row in range(size):
        for col in range(size):
            p = np.array([col + 0.5, row + 0.5])
            best = np.inf
            for a, b in segments:
                ab = b - a
                t = min(max(np.dot(p - a, ab) / max(np.dot(ab, ab), 1e-12), 0), 1)
                best = min(best, float(np.linalg.norm(a + t * ab - p)))
            image[row, col] = min(max(pen / 2 + 0.5 - best, 0), 1)
    return image


@pytest.mark.parametrize("value", range(10))
def test_digit_matches_the_loop_rendering_and_mnists_format(value):
    image = samples.digit(value)
    np.testing.assert_allclose(image, loop_digit(value), atol=1e-6)
    assert image.shape == (28, 28) and image.dtype == np.float32
    rows, cols = np.nonzero(image > 0.5)
    assert rows.min() >= 3 and rows.max() <= 24 and cols.min() >= 3 and cols.max() <= 24
    assert 0.05 < image.mean() < 0.35  # a stroke, not a blob nor nothing


def test_the_pretrained_network_reads_the_synthetic_digits():
    params = model.load_pretrained("pretrained")
    digits = np.stack([samples.digit(d) for d in range(10)])[:, None]
    predicted = model.predict_proba(digits, params).argmax(axis=1)
    assert (predicted == np.arange(10)).sum() >= 9, predicted.tolist()


@pytest.mark.parametrize("pen", [1.0, 2.4, 3.0])
def test_pen_width_sets_the_stroke_width(pen):
    row = samples.digit(1, pen=pen)[14]  # across the vertical bar of the 1
    # Full ink within pen / 2 and a one-pixel linear edge: the ink across a line sums to pen.
    assert row.sum() == pytest.approx(pen, abs=0.05)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: samples.digit(10), "integer from 0 to 9"),
    (lambda: samples.digit(True), "integer from 0 to 9"),
    (lambda: samples.digit(3, size=4), "size must be at least 8"),
    (lambda: samples.scene(4), "size must be at least 8"),
    (lambda: samples.text_image(np.zeros((2, 2, 2))), "2-D grey image"),
    (lambda: samples.augmentation_gallery(-1), "seed must be"),
    (lambda: samples.augmentation_gallery(1.5), "seed must be"),
])
def test_bad_input_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_scene_is_a_colour_picture_that_flips_visibly():
    picture = samples.scene()
    assert picture.shape == (3, 32, 32)
    assert picture.min() >= 0 and picture.max() <= 1
    assert np.abs(picture - picture[..., ::-1]).max() > 0.5
    assert picture[:, 6, 7].tolist() == [1.0, 0.85, 0.2]  # the sun, top left
    assert picture[1, 30].mean() > picture[0, 30].mean()  # green ground below


def test_text_image_maps_dark_to_light_two_rows_per_line():
    image = np.array([[0.0, 0.5, 1.0, 1.0], [0.0, 0.5, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    assert samples.text_image(image, shades=" -@") == " -@-\n----"
    assert len(samples.text_image(samples.digit(8)).splitlines()) <= 14


@pytest.mark.parametrize("seed", range(4))
def test_gallery_is_reproducible_and_shows_its_draws(seed):
    gallery = samples.augmentation_gallery(seed, value=4)
    again = samples.augmentation_gallery(seed, value=4)
    other = samples.augmentation_gallery(seed + 10, value=4)
    for group in ("digit", "colour"):
        for a, b in zip(gallery[group], again[group]):
            np.testing.assert_array_equal(a["image"], b["image"])
            assert a["detail"] == b["detail"] and a["image"].dtype == np.uint8
    assert any(a["detail"] != b["detail"] for a, b in zip(gallery["colour"], other["colour"]))
    digit = {p["name"]: p["image"] for p in gallery["digit"]}
    np.testing.assert_array_equal(digit["horizontal flip"], digit["original"][:, ::-1])
    colour = {p["name"]: p for p in gallery["colour"]}
    top, left = (int(n) for n in
                 colour["random crop"]["detail"].split("at row ")[1].split(", column "))
    np.testing.assert_array_equal(colour["random crop"]["image"],
                                  colour["original"]["image"][top:top + 24, left:left + 24])
    factor = float(colour["brightness"]["detail"].split()[-1])
    expected = np.clip(colour["original"]["image"] / 255 * factor, 0, 1) * 255
    assert np.abs(colour["brightness"]["image"] - expected).max() <= 0.5 + 255 * 0.005
