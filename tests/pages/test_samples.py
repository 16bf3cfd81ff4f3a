"""cnnlab.pages.samples: the synthetic picture, text rendering of images, the augmentation
gallery."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import digits
from cnnlab.pages import samples


@pytest.mark.parametrize(("call", "message"), [
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
    assert len(samples.text_image(digits.draw_digit(8)).splitlines()) <= 14


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
