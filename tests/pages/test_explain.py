"""cnnlab.pages.explain (the widgets' numbers) and cnnlab.digits (synthetic sample digits)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cnnlab import digits, model, signal
from cnnlab.pages import explain

PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"
SEEDS = range(12)


def _case(seed: int) -> tuple:
    """A random 1-D problem: x, w, padding (an int or a pair), stride."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 7))
    n = int(rng.integers(max(1, m - 3), m + 10))
    p = int(rng.integers(0, m)) if seed % 2 else tuple(int(v) for v in rng.integers(0, m, 2))
    s = int(rng.integers(1, 4))
    padding = 2 * p if seed % 2 else sum(p)
    n = max(n, m - padding)  # the kernel must fit in the padded input
    return rng.normal(size=n), rng.normal(size=m), p, s


# ---------------------------------------------------------------- conv1d_steps
@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("seed", SEEDS)
def test_steps_sum_to_the_library_operation_and_read_the_right_window(seed, flip):
    x, w, p, s = _case(seed)
    steps = explain.conv1d_steps(x, w, p, s, flip=flip)
    expected = (signal.conv1d if flip else signal.correlate1d)(x, w, p=p, s=s)
    np.testing.assert_allclose(steps["output"], expected)
    np.testing.assert_allclose(steps["products"].sum(axis=1), expected)
    before, after = (p, p) if np.ndim(p) == 0 else p
    padded = np.concatenate([np.zeros(before), x, np.zeros(after)])
    np.testing.assert_array_equal(steps["padded"], padded)
    m = len(w)
    for i, start in enumerate(steps["starts"]):
        assert start == i * s
        # The book's index: y[i] = sum_k x^p[i*s + m - 1 - k] w[k] (convolution).
        book = [padded[i * s + m - 1 - k] * w[k] for k in range(m)][::-1] if flip else \
            [padded[i * s + k] * w[k] for k in range(m)]
        np.testing.assert_allclose(steps["products"][i], book)


def test_the_books_example_at_i0_multiplies_the_flipped_kernel_and_sums_to_5():
    steps = explain.conv1d_steps([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], p=2)
    assert steps["padding"] == (2, 2)
    assert steps["padded"][:5].tolist() == [0, 0, 1, 3, 2]
    assert steps["kernel"].tolist() == [2, 1, 3, 0, 1]
    assert steps["products"][0].tolist() == [0, 0, 3, 0, 2]
    assert steps["output"].tolist() == np.convolve([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2],
                                                   mode="same").tolist()


@pytest.mark.parametrize(("args", "message"), [
    (([1, 2, 3], [1, 2, 3, 4, 5], 0, 1), "larger than the padded input"),
    (([1, 2, 3], [1, 2], 0, 0), "stride s: enter a whole number between 1 and 10 (got 0)"),
    (([], [1], 0, 1), "x: expected numbers, got nothing"),
    (([1, 2], [], 0, 1), "w: expected numbers, got nothing"),
    (([1, 2], [1], -1, 1), "padding p: enter a whole number between 0 and 10 (got -1)"),
    ((list(range(21)), [1], 0, 1), "x: at most 20 numbers, which fit in the drawing (got 21)"),
    (([1, 2], [1], 11, 1), "padding p ≤ 10 keeps the drawing readable (got 11)"),
])
def test_steps_reject_bad_input_with_the_librarys_message(args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explain.conv1d_steps(*args)


# ---------------------------------------------------------------- input_usage
@pytest.mark.parametrize("seed", SEEDS)
def test_usage_counts_the_windows_covering_each_position(seed):
    x, w, p, s = _case(seed)
    n, m = len(x), len(w)
    counts = explain.input_usage(n, m, p, s)
    o = signal.output_size(n, m, p, s)
    # Independent reference: window starts convolved with a box of length m.
    starts = np.zeros(len(counts))
    starts[np.arange(o) * s] = 1
    np.testing.assert_array_equal(counts, np.convolve(starts, np.ones(m))[: len(counts)])
    assert counts.sum() == o * m


def test_usage_of_the_chapters_example_and_padding_modes():
    assert explain.input_usage(5, 3).tolist() == [1, 2, 3, 2, 1]
    assert explain.input_usage(5, 3, p=signal.padding_for("full", 3)).tolist() == \
        [1, 2, 3, 3, 3, 3, 3, 2, 1]
    # "same" with an even kernel: the extra zero goes before the input (convolution).
    same = explain.input_usage(5, 4, p=signal.padding_for("same", 4))
    assert len(same) == 5 + 3
    assert same.tolist() == [1, 2, 3, 4, 4, 3, 2, 1]


def test_usage_rejects_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="larger than the padded input"):
        explain.input_usage(3, 5, 0)


# ---------------------------------------------------------------- shift
@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (1, 0), (0, -2), (-3, 4), (5, 5), (9, -9)])
def test_shift_matches_a_padded_crop(dy, dx):
    image = np.random.default_rng(abs(dy * 31 + dx)).normal(size=(2, 6, 7))
    padded = np.pad(image, ((0, 0), (9, 9), (9, 9)))
    expected = padded[:, 9 - dy: 9 - dy + 6, 9 - dx: 9 - dx + 7]
    np.testing.assert_array_equal(explain.shift(image, dy, dx), expected)


def test_a_shift_by_the_whole_frame_leaves_nothing():
    assert not explain.shift(np.ones((4, 4)), 0, -4).any()


# ---------------------------------------------------------------- shift_response
@pytest.fixture(scope="module")
def random_params() -> dict:
    return model.init_params(np.random.default_rng(3))


@pytest.mark.parametrize(("digit", "dy", "dx"), [(0, 0, 1), (3, -2, 2), (7, -3, 0), (8, 1, -3)])
def test_convolution_moves_with_the_input(random_params, digit, dy, dx):
    result = explain.shift_response(digits.draw_digit(digit), random_params, dy, dx, channel=5)
    assert result["equivariance_gap"] < 1e-5
    assert result["change"]["fc2"] > 0  # ... the moved digit is a different input
    image = digits.draw_digit(digit)
    conv1 = model.forward(explain.shift(image, dy, dx)[None, None], random_params,
                          return_activations=True)[1]["conv1"][0, 5]
    np.testing.assert_allclose(result["conv1_moved"], conv1, rtol=1e-6)


def test_ink_leaving_the_frame_breaks_the_comparison(random_params):
    result = explain.shift_response(digits.draw_digit(0), random_params, 0, 12)
    assert result["equivariance_gap"] > 1e-2


def test_no_move_changes_nothing(random_params):
    result = explain.shift_response(digits.draw_digit(5), random_params, 0, 0)
    assert set(result["change"]) == set(explain.SHIFT_LAYERS)
    assert all(change == 0 for change in result["change"].values())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"channel": 32}, r"channel ≤ 31 \(conv1 has 32 channels\) \(got 32\)"),
    ({"channel": None}, "channel: enter a whole number between 0 and 31"),
    ({"channel": 1.5}, "channel"),
    ({"dy": 28}, "less than 28"),
])
def test_shift_response_rejects_bad_input(random_params, kwargs, message):
    args = {"dy": 0, "dx": 1, "channel": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        explain.shift_response(digits.draw_digit(1), random_params, **args)


def test_shift_response_rejects_a_blank_image(random_params):
    with pytest.raises(ValueError, match="some ink"):
        explain.shift_response(np.zeros((28, 28)), random_params, 0, 1)


# ---------------------------------------------------------------- digits
def loop_render(strokes: list, size: int, width: float) -> np.ndarray:
    """Reference for ``digits.render_strokes``: each pixel centre's distance to each segment,
    one at a time; the unit square spans the canvas less a 10% margin on each side."""
    pixels_per_unit = size / 1.2
    image = np.zeros((size, size))
    for row in range(size):
        for col in range(size):
            centre = np.array([col + 0.5, row + 0.5]) / pixels_per_unit - 0.1
            nearest = np.inf
            for stroke in strokes:
                for a, b in zip(stroke[:-1], stroke[1:]):
                    t = np.dot(centre - a, b - a) / max(np.dot(b - a, b - a), 1e-12)
                    point = a + min(max(t, 0), 1) * (b - a)
                    nearest = min(nearest, float(np.linalg.norm(centre - point)))
            image[row, col] = min(max((width / 2 - nearest) * pixels_per_unit + 0.5, 0), 1)
    return image


@pytest.mark.parametrize("digit", range(10))
def test_render_strokes_matches_the_loop_rendering(digit):
    width = 0.06 + 0.01 * digit
    ink = digits.render_strokes(digits.STROKES[digit], size=20, width=width)
    np.testing.assert_allclose(ink, loop_render(digits.STROKES[digit], 20, width), atol=1e-9)


@pytest.mark.parametrize("width", [0.05, 0.1, 0.15])
def test_pen_width_sets_the_stroke_width(width):
    ink = digits.render_strokes([np.array([[0.37, 0.0], [0.37, 1.0]])], width=width)
    # Full ink within width / 2 and a one-pixel linear edge: the ink across a line sums to
    # the width in pixels.
    assert ink[digits.CANVAS // 2].sum() == pytest.approx(width * digits.CANVAS / 1.2, abs=1e-6)


@pytest.mark.parametrize("digit", range(10))
def test_synthetic_digits_are_in_mnists_format(digit):
    image = digits.draw_digit(digit)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() == 0 and image.max() == pytest.approx(1)
    rows, cols = np.nonzero(image)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 == 20  # the longer side
    centre = [(image.sum(axis=1) @ np.arange(28)), (image.sum(axis=0) @ np.arange(28))]
    np.testing.assert_allclose(np.array(centre) / image.sum(), 14, atol=0.5 + 1e-5)
    assert 0.03 < image.mean() < 0.35  # a stroke, not a blob nor nothing


def test_pen_width_and_slant():
    upright, slanted = digits.draw_digit(1), digits.draw_digit(1, slant=0.4)
    columns = np.arange(28)

    def lean(image):  # mean ink column of the top rows minus that of the bottom rows
        top, bottom = image[4:10], image[18:24]
        return (top.sum(0) @ columns) / top.sum() - (bottom.sum(0) @ columns) / bottom.sum()

    assert lean(slanted) > lean(upright) + 1
    assert upright.min() >= 0 and upright.max() <= 1


@pytest.mark.parametrize(("args", "message"), [((10,), "0-9"), ((True,), "0-9"),
                                                ((2, 0.0, 0.0), "width")])
def test_draw_digit_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        digits.draw_digit(*args)


def _pretrained() -> dict:
    if not (PRETRAINED / "manifest.json").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PRETRAINED} is missing")
        pytest.skip(f"{PRETRAINED} does not exist yet")
    return model.load_pretrained(PRETRAINED)


def test_the_pretrained_network_reads_every_synthetic_digit():
    images, labels = digits.digit_batch(slants=(-0.25, 0.0, 0.25))
    predictions = model.predict_proba(images, _pretrained()).argmax(axis=1)
    assert predictions.tolist() == labels.tolist()


def test_digit_feature_maps_are_the_networks_activations():
    params = _pretrained()
    result = explain.digit_feature_maps(6, folder=str(PRETRAINED))
    _, acts = model.forward(digits.draw_digit(6)[None, None], params, return_activations=True)
    np.testing.assert_array_equal(result["conv1"], acts["conv1"][0])
    np.testing.assert_array_equal(result["conv2"], acts["conv2"][0])
    np.testing.assert_array_equal(result["kernels"], params["conv1.weight"][:, 0])
    assert result["prediction"] == 6
    assert abs(result["probabilities"].sum() - 1) < 1e-5


# ---------------------------------------------------------------- parse_numbers
@pytest.mark.parametrize(("text", "expected"), [
    ("1,3,2", [1, 3, 2]), (" 1 3\t2 ", [1, 3, 2]), ("-1.5, 2e3", [-1.5, 2000]), ("7", [7]),
])
def test_parse_numbers_reads_commas_and_spaces(text, expected):
    assert explain.parse_numbers(text, "x") == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "at least one number"), (" , ", "at least one number"), ("1, a", "got 'a'"),
    ("1;2", "got '1;2'"),
])
def test_parse_numbers_rejects_what_is_not_a_number(text, message):
    with pytest.raises(ValueError, match=f"w: expected .*{message}"):
        explain.parse_numbers(text, "w")


# ---------------------------------------------------------------- what the widgets call
@pytest.mark.parametrize("seed", SEEDS[1::2])  # the odd seeds pad both sides alike
def test_conv1d_stepper_reads_the_typed_lists(seed):
    x, w, p, s = _case(seed)
    typed = explain.conv1d_stepper(", ".join(str(float(v)) for v in x),
                                   " ".join(str(float(v)) for v in w), str(p), s,
                                   flip=bool(seed % 3))
    reference = signal.conv1d if seed % 3 else signal.correlate1d
    np.testing.assert_allclose(typed["output"], reference(x, w, p=p, s=s))


def test_conv1d_stepper_names_the_field_it_cannot_read():
    with pytest.raises(ValueError, match="w: expected numbers separated by commas, got 'a'"):
        explain.conv1d_stepper("1 2 3", "1 a")


@pytest.mark.parametrize(("n", "m", "p", "s"),
                         [(8, 3, 0, 1), (7, 2, 3, 2), (1, 1, 0, 5), (10, 10, 1, 3)])
def test_output_size_run_matches_numpy(n, m, p, s):
    result = explain.output_size_run(str(n), m, p, s, shown=4)
    padded = np.pad(np.arange(1.0, n + 1), p)
    full = np.convolve(padded, np.ones(m), mode="valid")[::s]  # independent: NumPy's sums
    assert result["o"] == len(full) == result["run"]["shape"][0]
    np.testing.assert_array_equal(result["run"]["values"], full[:4])
    assert result["run"]["starts"].tolist() == list(range(0, s * len(full), s))[:4]
    assert (result["n"], result["m"], result["p"], result["s"]) == (n, m, p, s)


def test_output_size_run_gives_only_the_formula_for_large_inputs():
    result = explain.output_size_run(10**6, 3, 0, 1)
    assert result["o"] == 10**6 - 2
    assert result["run"] is None
    assert result["most"] == explain.OUTPUT_SIZE_RUN_MOST


@pytest.mark.parametrize(("fields", "message"), [
    ({"n": "", "m": 3}, "input size n: enter a whole number"),
    ({"n": 3, "m": 5}, "kernel"),
    ({"n": 3, "m": 1, "s": 0}, "stride s"),
])
def test_output_size_run_rejects_bad_fields(fields, message):
    with pytest.raises(ValueError, match=message):
        explain.output_size_run(**fields)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize(("n", "m"), [(5, 3), (8, 4), (3, 3), (16, 9)])
def test_usage_count_counts_the_windows(mode, n, m):
    result = explain.usage_count(str(n), m, mode)
    before, after = result["padding"]
    # Independent: a window of m ones slid over the padded input, each position's reads summed.
    o = n + before + after - m + 1
    reads = sum(np.pad(np.ones(m), (i, o - 1 - i)) for i in range(o))
    assert result["counts"].tolist() == reads.astype(int).tolist()
    assert result["output_size"] == o
    assert {"full": o == n + m - 1, "same": o == n, "valid": o == n - m + 1}[mode]


def test_usage_count_rejects_what_the_drawing_cannot_hold():
    with pytest.raises(ValueError, match="input size n ≤ 16"):
        explain.usage_count(17, 3, "same")
    with pytest.raises(ValueError, match="mode"):
        explain.usage_count(5, 3, "wide")


def test_shift_demo_is_shift_response_of_the_synthetic_digit():
    params = _pretrained()
    demo = explain.shift_demo(4, 2, -1, "3", folder=str(PRETRAINED))
    direct = explain.shift_response(digits.draw_digit(4), params, 2, -1, channel=3)
    np.testing.assert_array_equal(demo["conv1_moved"], direct["conv1_moved"])
    assert demo["change"] == direct["change"]
