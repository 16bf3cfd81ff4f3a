"""cnnlab.inside: receptive fields, and the draw page's one call against the model run directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnlab import inside, layers, model, preprocess

WEIGHTS = str(Path(__file__).resolve().parents[1] / "pretrained")


# ---------------------------------------------------------------- receptive fields
@pytest.fixture(scope="module")
def reach() -> dict:
    """For every layer, which input pixels reach each cell: an independent reference.

    One image per input pixel (a 1 on 0s) goes through a one-channel copy of the network
    with all-ones kernels and zero bias. Every sum is of non-negative terms, so a cell
    turns positive exactly when its window, through all layers, holds that pixel.
    """
    n = inside.INPUT_SIZE
    x = np.eye(n * n).reshape(n * n, 1, n, n)
    maps = {}
    for name, (kernel, stride, padding) in inside.GEOMETRY.items():
        if name.startswith("conv"):
            x = layers.conv2d(x, np.ones((1, 1, kernel, kernel)), stride=stride, padding=padding)
        elif name.startswith("relu"):
            x = layers.relu(x)
        else:
            x = layers.max_pool2d(x, kernel, stride)
        maps[name] = x[:, 0] > 0  # (pixels, H, W)
    return maps


@pytest.mark.parametrize("layer", list(inside.GEOMETRY))
def test_receptive_field_is_where_the_input_reaches(reach, layer):
    size = inside.INPUT_SIZE
    hits = reach[layer]
    assert hits.shape[1] == inside.map_sizes()[layer]
    fields = inside.receptive_fields(layer)
    for i in range(hits.shape[1]):
        for j in range(hits.shape[2]):
            top, bottom, left, right = fields[i, j]
            expected = np.zeros((size, size), bool)
            expected[top:bottom + 1, left:right + 1] = True
            np.testing.assert_array_equal(hits[:, i, j].reshape(size, size), expected,
                                          err_msg=f"{layer} cell ({i}, {j})")


@pytest.mark.parametrize("i", range(14))
def test_conv2_sees_rows_2i_minus_6_to_2i_plus_7(i):
    top, bottom, left, right = inside.receptive_field("conv2", i, 13 - i)
    assert (top, bottom) == (max(2 * i - 6, 0), min(2 * i + 7, 27))
    assert (left, right) == (max(2 * (13 - i) - 6, 0), min(2 * (13 - i) + 7, 27))


def test_an_inner_conv2_cell_sees_14_by_14_pixels():
    top, bottom, left, right = inside.receptive_field("relu2", 7, 4)
    assert (bottom - top + 1, right - left + 1) == (14, 14)


@pytest.mark.parametrize("args, message", [
    (("fc1", 0, 0), r"layer must be one of \['conv1', .*'pool2'\], got 'fc1'"),
    (("conv2", 14, 0), r"i must be an integer in \[0, 14\) for conv2, got 14"),
    (("pool2", 0, -1), r"j must be an integer in \[0, 7\) for pool2, got -1"),
    (("conv1", 1.5, 0), r"i must be an integer in \[0, 28\) for conv1, got 1.5"),
])
def test_receptive_field_rejects_bad_cells(args, message):
    with pytest.raises(ValueError, match=message):
        inside.receptive_field(*args)


def test_receptive_fields_of_an_unknown_layer():
    with pytest.raises(ValueError, match=r"layer must be one of"):
        inside.receptive_fields("flatten")


# ---------------------------------------------------------------- the page's call
@pytest.fixture(scope="module")
def params() -> dict:
    return model.load_pretrained(WEIGHTS)


def digit_input(seed: int) -> np.ndarray:
    """A 28×28 input: random strokes (the values need not look like a digit)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((28, 28), np.float32)
    rows, columns = rng.integers(4, 24, size=(2, 40))
    x[rows, columns] = rng.uniform(0.3, 1.0, size=40)
    return x


@pytest.mark.parametrize("seed", range(4))
def test_inspect_input_is_the_model_run_directly(params, seed):
    x = digit_input(seed)
    result = inside.inspect_input(x.reshape(-1), WEIGHTS)
    logits, acts = model.forward(x.reshape(1, 1, 28, 28), params, return_activations=True)
    np.testing.assert_array_equal(result["input"], x)
    np.testing.assert_allclose(result["logits"], logits[0], rtol=1e-6, atol=1e-6)
    probabilities = result["probabilities"]
    np.testing.assert_allclose(probabilities, layers.softmax(logits.astype(np.float64))[0],
                               atol=1e-6)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert result["prediction"] == int(np.argmax(logits))
    for name, shape in [("relu1", (32, 28, 28)), ("pool1", (32, 14, 14)),
                        ("relu2", (64, 14, 14)), ("pool2", (64, 7, 7))]:
        assert result["feature_maps"][name].shape == shape
        np.testing.assert_allclose(result["feature_maps"][name], acts[name][0], atol=1e-5)
    np.testing.assert_allclose(result["fc1"], acts["relu3"][0], atol=1e-5)
    assert {a.dtype for a in result["feature_maps"].values()} == {np.dtype(np.float32)}
    assert result["forward_ms"] > 0


def test_inspect_input_wants_784_values():
    message = r"expected 784 values \(a 28×28 input\), got shape \(27, 28\)"
    with pytest.raises(ValueError, match=message):
        inside.inspect_input(np.zeros((27, 28)), WEIGHTS)


def canvas_with(draw) -> np.ndarray:
    canvas = np.zeros((280, 280, 4), np.uint8)
    draw(canvas[:, :, 3])
    return canvas


DRAWINGS = {
    "bar": lambda a: a.__setitem__((slice(40, 240), slice(125, 150)), 255),
    "line at the very edge": lambda a: a.__setitem__((slice(0, 280), slice(0, 3)), 255),
    "whole canvas": lambda a: a.__setitem__((slice(None), slice(None)), 255),
}
TOO_SMALL = {  # preprocessing would blow these up into a blob the network reads confidently
    "dot": lambda a: a.__setitem__((slice(139, 141), slice(139, 141)), 255),
    "tiny digit in a corner": lambda a: a.__setitem__((slice(272, 280), slice(276, 278)), 200),
    "bold dot": lambda a: a.__setitem__((slice(130, 160), slice(130, 160)), 255),
}


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_inspect_drawing_preprocesses_then_runs_the_model(name):
    canvas = canvas_with(DRAWINGS[name])
    result = inside.inspect_drawing(canvas.reshape(-1), shape=list(canvas.shape), weights=WEIGHTS)
    assert result["empty"] is False
    stages = preprocess.preprocess_stages(canvas)
    assert list(result["stages"]) == list(stages)
    for stage, image in stages.items():
        np.testing.assert_array_equal(result["stages"][stage], image)
    np.testing.assert_array_equal(result["input"], preprocess.preprocess(canvas)[0, 0])
    assert np.isfinite(result["probabilities"]).all()
    assert result["probabilities"].sum() == pytest.approx(1.0, abs=1e-5)
    assert result["preprocess_ms"] > 0 and result["forward_ms"] > 0


@pytest.mark.parametrize("alpha", [0, 20])  # nothing, or ink below the noise threshold
def test_an_empty_canvas_gives_no_prediction(alpha):
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[100:150, 100:150, 3] = alpha
    result = inside.inspect_drawing(canvas, weights=WEIGHTS)
    assert result["empty"] is True
    assert set(result) == {"empty", "preprocess_ms"}


def test_inspect_drawing_checks_the_shape():
    with pytest.raises(ValueError, match=r"expected 313600 values for a canvas of shape "
                                         r"\(280, 280, 4\), got 1000"):
        inside.inspect_drawing(np.zeros(1000, np.uint8), shape=(280, 280, 4), weights=WEIGHTS)


def test_overview_has_conv1_kernels_and_receptive_fields(params):
    result = inside.overview(WEIGHTS)
    np.testing.assert_array_equal(result["kernels"], params["conv1.weight"][:, 0])
    np.testing.assert_array_equal(result["kernel_bias"], params["conv1.bias"])
    assert {name: table.shape for name, table in result["receptive_fields"].items()} == {
        "relu1": (28, 28, 4), "pool1": (14, 14, 4), "relu2": (14, 14, 4), "pool2": (7, 7, 4)}


@pytest.mark.parametrize("name", list(TOO_SMALL))
def test_too_little_ink_asks_for_a_bigger_digit_instead_of_guessing(name):
    canvas = canvas_with(TOO_SMALL[name])
    result = inside.inspect_drawing(canvas, weights=WEIGHTS)
    assert result["empty"] is True and "prediction" not in result
    assert result["message"].startswith("Draw a bigger digit")
