"""Tests of cnnlab.preprocess: drawn canvas -> the 28×28 MNIST-like input.

References are independent of the module: SciPy's centre of mass and grey
morphology, block means for area averaging, strokes rendered here by their
exact distance field, and real MNIST digits.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from cnnlab import preprocess as pp
from cnnlab.train import mnist

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
needs_real_mnist = pytest.mark.skipif(
    not SHARED_MNIST.is_dir() and not os.environ.get("CI"),
    reason=f"MNIST not at {SHARED_MNIST} (in CI it must be, so there this fails instead)",
)
SIZE = 280


# ---------------------------------------------------------------- drawing helpers
def polyline_ink(points, width: float, shape=(SIZE, SIZE)) -> np.ndarray:
    """Anti-aliased ink of a round-capped polyline: coverage ``clip(w/2 + 1/2 - distance)``."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    distance = np.full(shape, np.inf)
    for (y0, x0), (y1, x1) in zip(points[:-1], points[1:]):
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / max(dy * dy + dx * dx, 1e-12), 0, 1)
        distance = np.minimum(distance, np.hypot(ys - y0 - t * dy, xs - x0 - t * dx))
    return np.clip(width / 2 + 0.5 - distance, 0, 1)


def as_rgba(ink: np.ndarray, rgb=(0, 0, 0)) -> np.ndarray:
    """A transparent canvas with ink of colour ``rgb``, as the page's ImageData."""
    canvas = np.zeros((*ink.shape, 4), np.uint8)
    canvas[..., :3] = rgb
    canvas[..., 3] = np.round(ink * 255)
    return canvas


def random_blob(seed: int) -> np.ndarray:
    """A few overlapping discs and ellipses of random size at a random place."""
    rng = np.random.default_rng(seed)
    extent = rng.uniform(60, 250)
    corner = rng.uniform(5, SIZE - 5 - extent, 2)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    ink = np.zeros((SIZE, SIZE))
    for _ in range(rng.integers(2, 5)):
        cy, cx = corner + extent * rng.uniform(0.3, 0.7, 2)
        ry, rx = extent * rng.uniform(0.1, 0.3, 2)
        ink = np.maximum(ink, np.clip((1 - np.hypot((ys - cy) / ry, (xs - cx) / rx)) * ry, 0, 1))
    return ink


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the box of the non-zero pixels."""
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def check_input(x: np.ndarray) -> None:
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    assert x.max() > 0.5  # the drawing is visible


# ---------------------------------------------------------------- centring and scaling
@pytest.mark.parametrize("seed", range(40))
def test_centre_of_mass_is_at_the_centre(seed):
    x = pp.preprocess(as_rgba(random_blob(seed)))
    check_input(x)
    centre = np.array(ndimage.center_of_mass(x[0, 0]))
    assert np.abs(centre - pp.CENTRE).max() <= 0.5


@pytest.mark.parametrize("seed", range(20))
def test_longer_side_is_20_pixels(seed):
    stages = pp.preprocess_stages(as_rgba(random_blob(seed)))
    assert max(stages["scaled_20"].shape) == pp.BOX
    assert max(ink_extent(stages["centred_28"])) == pp.BOX


def test_top_heavy_digit_stays_whole_in_the_frame():
    # A "7" has its mass near the top: centring it exactly would push its foot out.
    seven = polyline_ink([(30, 40), (30, 240), (250, 110)], 20)
    stages = pp.preprocess_stages(seven)
    assert stages["centred_28"].sum() == pytest.approx(stages["scaled_20"].sum(), rel=1e-6)
    assert stages["centred_28"][-1].any()  # its foot reaches the bottom row


@pytest.mark.parametrize("pen", [16, 24])
def test_aspect_ratio_of_a_two_to_one_rectangle_is_kept(pen):
    # Outline of a 160 × 80 rectangle, a pen whose width needs no normalisation.
    top, left, bottom, right = 60 + pen / 2, 100 + pen / 2, 220 - pen / 2, 180 - pen / 2
    ink = polyline_ink([(top, left), (top, right), (bottom, right), (bottom, left), (top, left)],
                       pen)
    stages = pp.preprocess_stages(ink)
    assert stages["scaled_20"].shape == (20, 10)
    assert ink_extent(stages["centred_28"]) == (20, 10)


def test_aspect_ratio_survives_stroke_normalisation():
    # A thin pen is thickened to t ≈ 2 px, which adds t to both sides of the 2:1 outline:
    # 20 × (9 + t), and the last column may be partly covered.
    ink = polyline_ink([(40, 80), (40, 180), (240, 180), (240, 80), (40, 80)], 2)
    height, width = pp.preprocess_stages(ink)["scaled_20"].shape
    assert height == 20 and 10 <= width <= 12


# ---------------------------------------------------------------- input forms
@pytest.mark.parametrize("seed", range(5))
def test_rgba_uses_alpha_and_matches_grey_input(seed):
    rng = np.random.default_rng(seed)
    ink = random_blob(seed)
    canvas = as_rgba(ink)
    canvas[..., :3] = rng.integers(0, 256, (*canvas.shape[:2], 3))  # any colour, any theme
    alpha = canvas[..., 3]
    expected = pp.preprocess(alpha)
    np.testing.assert_array_equal(pp.preprocess(canvas), expected)
    np.testing.assert_allclose(pp.preprocess(alpha / 255.0), expected, atol=1e-6)


def test_white_ink_on_black_comes_out_white_on_black():
    ink = polyline_ink([(40, 140), (240, 140)], 20)  # a "1"
    x = pp.preprocess(ink)[0, 0]
    assert x[:, 14].max() > 0.9  # the stroke is bright ...
    assert x[:, :10].max() == 0 and x[:, 19:].max() == 0  # ... on a black field
    assert 0.02 < x.mean() < 0.2  # like MNIST: mostly background


def test_stages_are_ordered_2d_float32_and_preprocess_returns_the_last():
    canvas = as_rgba(random_blob(0))
    stages = pp.preprocess_stages(canvas)
    assert list(stages) == ["ink", "cropped", "stroke_normalised", "scaled_20", "centred_28"]
    assert all(image.ndim == 2 and image.dtype == np.float32 for image in stages.values())
    assert stages["ink"].shape == (SIZE, SIZE) and stages["centred_28"].shape == (28, 28)
    np.testing.assert_array_equal(pp.preprocess(canvas)[0, 0], stages["centred_28"])


@pytest.mark.parametrize("canvas", [
    np.zeros((SIZE, SIZE, 4), np.uint8),
    np.zeros((SIZE, SIZE), np.uint8),
    np.zeros((SIZE, SIZE)),
    np.full((SIZE, SIZE), 0.05),  # faint noise below the threshold
    as_rgba(np.zeros((SIZE, SIZE)), rgb=(255, 255, 255)),  # colour without alpha is no ink
], ids=["rgba", "grey-uint8", "grey-float", "faint-noise", "colour-only"])
def test_empty_canvas_gives_none(canvas):
    assert pp.is_empty(canvas)
    assert pp.preprocess(canvas) is None
    assert pp.preprocess_stages(canvas) is None


def test_a_single_stroke_is_not_empty():
    assert not pp.is_empty(as_rgba(polyline_ink([(100, 100), (100, 101)], 3)))


@pytest.mark.parametrize("canvas, message", [
    (np.zeros((SIZE, SIZE, 3), np.uint8), "got shape (280, 280, 3)"),
    (np.zeros((SIZE, SIZE, 4), np.float32), "dtype float32"),
    (np.zeros((SIZE, SIZE), np.int64), "dtype int64"),
    (np.zeros((SIZE, SIZE), bool), "dtype bool"),
    (np.zeros(SIZE, np.uint8), "got shape (280,)"),
    (np.zeros((0, SIZE), np.uint8), "empty shape"),
    (np.full((4, 4), 2.0), "outside [0, 1]"),
    (np.full((4, 4), -0.5), "outside [0, 1]"),
    (np.full((4, 4), np.nan), "outside [0, 1]"),
])
def test_bad_input_is_a_value_error_naming_what_was_expected(canvas, message):
    with pytest.raises(ValueError, match="expected an RGBA uint8 array") as error:
        pp.preprocess(canvas)
    assert message in str(error.value)


# ---------------------------------------------------------------- edge cases
def single_pixel():
    ink = np.zeros((SIZE, SIZE))
    ink[137, 52] = 1
    return ink


EDGE_CASES = {
    "single pixel": single_pixel(),
    "dot": polyline_ink([(140, 140), (140, 140)], 18),
    "line along the top edge": polyline_ink([(0, 0), (0, SIZE)], 10),
    "line along the right edge": polyline_ink([(0, SIZE - 1), (SIZE, SIZE - 1)], 1),
    "1-px vertical line": polyline_ink([(20, 100), (260, 100)], 1),
    "1-px diagonal line": polyline_ink([(20, 20), (260, 260)], 1),
    "tiny digit in a corner": polyline_ink([(265, 262), (265, 272), (277, 266)], 3),
    "bold tiny digit in a corner": polyline_ink([(3, 3), (3, 15), (20, 8)], 16),
    "full-canvas blob": np.ones((SIZE, SIZE)),
    "soft blob": np.exp(-np.hypot(*(np.mgrid[0:SIZE, 0:SIZE] - 140)) ** 2 / 3000),
    "1×1 canvas": np.ones((1, 1)),
    "wide canvas": polyline_ink([(20, 30), (90, 400)], 8, shape=(120, 500)),
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_cases_give_a_valid_input(name):
    x = pp.preprocess(as_rgba(EDGE_CASES[name]))
    check_input(x)
    assert max(ink_extent(x[0, 0])) == pp.BOX


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("noise", ["speckle", "sparse dots"])
def test_noise_gives_a_valid_input(noise, seed):
    # Not strokes: thinning must not erase it all (and it comes out faint).
    uniform = np.random.default_rng(seed).random((SIZE, SIZE))
    x = pp.preprocess(as_rgba(uniform**8 if noise == "speckle" else uniform > 0.995))
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32
    assert 0 < x.max() <= 1 and x.min() >= 0


# ---------------------------------------------------------------- area averaging
def area_matrix_loop(n_in: int, scale: float) -> np.ndarray:
    """The area-averaging matrix entry by entry: overlap of input and output pixels."""
    matrix = np.zeros((int(np.ceil(n_in * scale - 1e-6)), n_in))
    for j in range(len(matrix)):
        low, high = j / scale, (j + 1) / scale
        for i in range(n_in):
            matrix[j, i] = max(0.0, min(i + 1, high) - max(i, low)) * scale
    return matrix


RESAMPLINGS = [(280, 20 / 280), (97, 20 / 97), (13, 20 / 13), (80, 0.25), (7, 3.0),
               (1, 20.0), (50, 0.33), (280, 80 / 280), (61, 20 / 97)]


@pytest.mark.parametrize("n_in, scale", RESAMPLINGS)
def test_area_matrix_matches_the_loop_version(n_in, scale):
    np.testing.assert_allclose(pp.area_resample_matrix(n_in, scale),
                               area_matrix_loop(n_in, scale), atol=1e-12)


@pytest.mark.parametrize("n_in, scale", RESAMPLINGS)
@pytest.mark.parametrize("seed", range(3))
def test_area_resample_is_the_matrix_product(n_in, scale, seed):
    rng = np.random.default_rng(seed)
    image = rng.random((n_in, int(rng.integers(1, 120))))
    rows = pp.area_resample_matrix(image.shape[0], scale)
    columns = pp.area_resample_matrix(image.shape[1], scale)
    np.testing.assert_allclose(pp.area_resample(image, scale), rows @ image @ columns.T,
                               atol=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_area_matrix_preserves_mean_ink(seed):
    rng = np.random.default_rng(seed)
    n_in, scale = int(rng.integers(1, 300)), rng.uniform(0.05, 4)
    matrix = pp.area_resample_matrix(n_in, scale)
    row = rng.random(n_in)
    # Each input pixel spreads weight ``scale``; a full output pixel averages (rows sum to 1).
    assert matrix @ row @ np.ones(len(matrix)) == pytest.approx(scale * row.sum())
    np.testing.assert_allclose(matrix.sum(axis=1)[:-1], 1)
    assert 0 < matrix.sum(axis=1)[-1] <= 1 + 1e-12


@pytest.mark.parametrize("shape", [(280, 280), (97, 61), (20, 3)])
def test_a_constant_block_stays_constant(shape):
    scale = pp.BOX / max(shape)
    out = pp.area_resample(np.full(shape, 0.7), scale)
    assert max(out.shape) == pp.BOX
    np.testing.assert_allclose(out[:-1, :-1], 0.7)  # the last row/column may be partly covered


@pytest.mark.parametrize("seed", range(5))
def test_integer_downscale_is_the_block_mean(seed):
    image = np.random.default_rng(seed).random((280, 140))
    block_mean = image.reshape(20, 14, 10, 14).mean(axis=(1, 3))
    np.testing.assert_allclose(pp.area_resample(image, 1 / 14), block_mean, atol=1e-12)


def test_integer_upscale_repeats_pixels():
    image = np.random.default_rng(0).random((5, 3))
    np.testing.assert_allclose(pp.area_resample(image, 4), np.kron(image, np.ones((4, 4))))


# ---------------------------------------------------------------- morphology and stroke width
def disc(radius: int) -> np.ndarray:
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return dy * dy + dx * dx <= radius * radius


@pytest.mark.parametrize("radius", range(7))
@pytest.mark.parametrize("seed", range(3))
def test_dilation_and_erosion_match_scipy(radius, seed):
    image = np.random.default_rng(seed).random((23, 31))
    np.testing.assert_allclose(
        pp.morph_stroke(image, radius),
        ndimage.grey_dilation(image, footprint=disc(radius), mode="constant", cval=0.0))
    np.testing.assert_allclose(
        pp.morph_stroke(image, -radius),
        ndimage.grey_erosion(image, footprint=disc(radius), mode="constant", cval=0.0))


@pytest.mark.parametrize("radius", [0.3, 1.3, 2.5, -0.7, -2.2])
def test_fractional_radius_moves_a_straight_edge_by_that_much(radius):
    bar = np.zeros((40, 30))
    bar[15:25] = 1.0  # 10 px tall, full width
    column = pp.morph_stroke(bar, radius)[:, 15]
    assert column.sum() == pytest.approx(10 + 2 * radius)


@pytest.mark.parametrize("width", [3, 4, 8, 16, 24])
@pytest.mark.parametrize("angle", [0.0, 0.2, 0.4, 0.785, 1.3])
def test_stroke_width_of_a_drawn_line(width, angle):
    length = 200
    dy, dx = np.sin(angle) * length / 2, np.cos(angle) * length / 2
    ink = polyline_ink([(140 - dy, 140 - dx), (140 + dy, 140 + dx)], width)
    # 2 · area / perimeter of the capsule (a rectangle with two half-disc caps)
    area, perimeter = length * width + np.pi * width**2 / 4, 2 * length + np.pi * width
    assert pp.stroke_width(ink) == pytest.approx(2 * area / perimeter, rel=0.02)


DIGIT_SHAPES = {  # polylines in a unit box: a "7", a "4" and a "z"
    "seven": [(0, 0), (0, 1), (1, 0.45)],
    "four": [(0, 0.6), (0.65, 0), (0.65, 1), (0.65, 0.75), (0, 0.75), (1, 0.75)],
    "zed": [(0, 0.1), (0, 0.9), (1, 0.1), (1, 0.9)],
}


@pytest.mark.parametrize("shape", DIGIT_SHAPES)
@pytest.mark.parametrize("extent, pen", [(80, 4), (80, 16), (120, 24), (200, 6), (270, 4),
                                         (270, 30), (150, 16)])
def test_stroke_width_is_normalised_whatever_the_pen_and_size(shape, extent, pen):
    points = [(10 + pen / 2 + y * (extent - pen), 10 + pen / 2 + x * 0.8 * (extent - pen))
              for y, x in DIGIT_SHAPES[shape]]
    natural = pen * pp.BOX / extent
    stages = pp.preprocess_stages(polyline_ink(points, pen))
    width = pp.stroke_width(stages["scaled_20"])
    low, high = pp.STROKE_RANGE
    if low <= natural <= high:
        assert width == pytest.approx(natural, rel=0.15)  # left alone
    else:
        assert low - 0.2 <= width <= high + 0.3, f"{pen}-px pen: {natural:.1f} -> {width:.2f}"


# ---------------------------------------------------------------- MNIST round trip
@pytest.fixture(scope="module")
def mnist_digits_of_typical_width():
    """MNIST test digits whose stroke width needs no normalisation (80 % of them)."""
    images = mnist.load_split(SHARED_MNIST, "test")[0]
    low, high = pp.STROKE_RANGE
    return [image for image in images[:2000] if low < pp.stroke_width(image / 255.0) < high]


@needs_real_mnist
@pytest.mark.parametrize("seed", range(30))
def test_mnist_digit_upscaled_to_the_canvas_comes_back(mnist_digits_of_typical_width, seed):
    digits = mnist_digits_of_typical_width
    digit = digits[np.random.default_rng(seed).integers(len(digits))]
    original = digit / 255.0
    canvas = np.kron(digit, np.ones((10, 10), np.uint8))  # 280 × 280, each pixel a 10 × 10 block
    x = pp.preprocess(canvas)[0, 0]
    assert np.corrcoef(x.ravel(), original.ravel())[0, 1] > 0.9
