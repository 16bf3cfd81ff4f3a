"""cnnlab.model: the chapter's network, its shapes, parameter count, initialisation and
forward pass against a reference built from the loop versions of the layers."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import layers, model

BOOK_SHAPES = {  # output shape per layer for a batch of N, as the chapter lists them
    "conv1": (32, 28, 28), "pool1": (32, 14, 14), "conv2": (64, 14, 14), "pool2": (64, 7, 7),
    "flatten": (3136,), "fc1": (1024,), "fc2": (10,),
}


@pytest.fixture(scope="module")
def params() -> dict:
    return model.init_params(np.random.default_rng(7), dtype=np.float64)


def digits(seed: int, n: int) -> np.ndarray:
    """Random images in [0, 1], shape (n, 1, 28, 28)."""
    return np.random.RandomState(seed).uniform(0, 1, size=(n, 1, 28, 28))


def reference_forward(x: np.ndarray, p: dict) -> np.ndarray:
    """The network written out with the loop layers and explicit formulas."""
    h = np.maximum(layers.conv2d_loop(x, p["conv1.weight"], p["conv1.bias"], padding=2), 0)
    h = layers.pool2d_loop(h, 2, reduce=np.max)
    h = np.maximum(layers.conv2d_loop(h, p["conv2.weight"], p["conv2.bias"], padding=2), 0)
    h = layers.pool2d_loop(h, 2, reduce=np.max)
    n, c, rows, cols = h.shape
    flat = np.empty((n, c * rows * cols))
    for i in range(c):  # torch.flatten order: channel, then row, then column
        for r in range(rows):
            flat[:, (i * rows + r) * cols:(i * rows + r + 1) * cols] = h[:, i, r, :]
    hidden = np.maximum(np.einsum("ni,oi->no", flat, p["fc1.weight"]) + p["fc1.bias"], 0)
    return np.einsum("ni,oi->no", hidden, p["fc2.weight"]) + p["fc2.bias"]


# ---------------------------------------------------------------- size of the model
def test_parameter_count_is_the_books():
    assert model.parameter_count() == 3_274_634
    sizes = [w.size for w in model.init_params(np.random.default_rng(0)).values()]
    assert sum(sizes) == 3_274_634


@pytest.mark.parametrize("batch", [1, 3])
def test_layer_table_shapes(batch):
    table = {row["layer"]: row for row in model.layer_table(batch)}
    assert list(table) == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten",
                           "fc1", "relu3", "dropout", "fc2"]
    for name, shape in BOOK_SHAPES.items():
        assert table[name]["output_shape"] == (batch, *shape)
    assert sum(row["parameters"] for row in table.values()) == 3_274_634
    assert table["conv1"]["parameters"] == 32 * 25 + 32
    assert table["conv2"]["parameters"] == 64 * 32 * 25 + 64
    assert table["fc1"]["parameters"] == 3136 * 1024 + 1024
    assert table["fc1"]["parameters"] / 3_274_634 == pytest.approx(0.981, abs=0.001)
    assert table["pool1"]["parameters"] == table["relu3"]["parameters"] == 0


# ---------------------------------------------------------------- initialisation
@pytest.mark.parametrize("name", list(model.PARAM_SHAPES))
def test_init_params_uniform_bounds(name):
    params = model.init_params(np.random.default_rng(3))
    fan_in = {"conv1": 25, "conv2": 32 * 25, "fc1": 3136, "fc2": 1024}[name.split(".")[0]]
    bound = 1 / np.sqrt(fan_in)
    w = params[name]
    assert w.dtype == np.float32 and w.shape == model.PARAM_SHAPES[name]
    assert np.abs(w).max() <= bound
    if w.size >= 1000:  # U(-b, b): mean 0, standard deviation b / sqrt(3), reaches ±b
        assert abs(w.mean()) < 0.1 * bound
        assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
        assert np.abs(w).max() > 0.99 * bound


def test_init_params_seeded_and_dtype():
    a = model.init_params(np.random.default_rng(5), dtype=np.float64)
    b = model.init_params(np.random.default_rng(5), dtype=np.float64)
    c = model.init_params(np.random.default_rng(6), dtype=np.float64)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["fc1.weight"], c["fc1.weight"])
    assert {w.dtype for w in a.values()} == {np.dtype(np.float64)}


# ---------------------------------------------------------------- forward pass
def test_forward_equals_loop_reference(params):
    x = digits(0, 2)
    np.testing.assert_allclose(model.forward(x, params), reference_forward(x, params),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_flatten_order_is_channel_row_column(params, seed):
    _, acts = model.forward(digits(seed, 2), params, return_activations=True)
    pool2, flat = acts["pool2"], acts["flatten"]
    c, r, q = np.meshgrid(range(64), range(7), range(7), indexing="ij")
    np.testing.assert_array_equal(flat[:, (c * 49 + r * 7 + q).ravel()],
                                  pool2[:, c.ravel(), r.ravel(), q.ravel()])


def test_activations_chain(params):
    logits, acts = model.forward(digits(1, 2), params, return_activations=True)
    np.testing.assert_array_equal(acts["relu1"], np.maximum(acts["conv1"], 0))
    np.testing.assert_array_equal(acts["relu3"], acts["dropout"])  # identity at inference
    np.testing.assert_array_equal(acts["fc2"], logits)
    assert logits.dtype == np.float64


def test_forward_float32_input_float32_params():
    params = model.init_params(np.random.default_rng(0))
    logits = model.forward(digits(0, 2).astype(np.float32), params)
    assert logits.dtype == np.float32
    np.testing.assert_allclose(
        logits, model.forward(digits(0, 2), {k: v.astype(np.float64) for k, v in params.items()}),
        rtol=1e-4, atol=1e-5)


def test_predict_proba_sums_to_one(params):
    probs = model.predict_proba(digits(2, 3), params)
    assert probs.shape == (3, 10) and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_dropout_in_training_only(params):
    x = digits(3, 1)
    inference = model.forward(x, params)
    np.testing.assert_array_equal(model.forward(x, params), inference)  # deterministic
    train_a = model.forward(x, params, training=True, rng=np.random.default_rng(1))
    train_b = model.forward(x, params, training=True, rng=np.random.default_rng(2))
    assert not np.allclose(train_a, inference)
    assert not np.allclose(train_a, train_b)
    np.testing.assert_array_equal(
        train_a, model.forward(x, params, training=True, rng=np.random.default_rng(1)))
    _, acts = model.forward(x, params, return_activations=True, training=True,
                            rng=np.random.default_rng(1))
    dropped = acts["dropout"] == 0
    np.testing.assert_allclose(acts["dropout"][~dropped], 2 * acts["relu3"][~dropped])


# ---------------------------------------------------------------- bad input
def without(params: dict, name: str) -> dict:
    return {k: v for k, v in params.items() if k != name}


BAD_FORWARDS = {
    "rank 3 input": (lambda p: model.forward(np.zeros((2, 28, 28)), p),
                     r"input must have 4 dimensions \(N, 1, 28, 28\), got shape \(2, 28, 28\)"),
    "three channels": (lambda p: model.forward(np.zeros((1, 3, 28, 28)), p),
                       r"input must have shape \(N, 1, 28, 28\), got \(1, 3, 28, 28\)"),
    "wrong size": (lambda p: model.forward(np.zeros((1, 1, 32, 32)), p),
                   r"input must have shape \(N, 1, 28, 28\), got \(1, 1, 32, 32\)"),
    "nan input": (lambda p: model.forward(np.full((1, 1, 28, 28), np.nan), p),
                  r"input must be finite"),
    "missing parameter": (lambda p: model.forward(np.zeros((1, 1, 28, 28)),
                                                  without(p, "fc1.bias")),
                          r"missing \['fc1.bias'\], extra \[\]"),
    "extra parameter": (lambda p: model.forward(np.zeros((1, 1, 28, 28)),
                                                {**p, "fc3.weight": np.zeros(1)}),
                        r"missing \[\], extra \['fc3.weight'\]"),
    "wrong shape": (lambda p: model.forward(np.zeros((1, 1, 28, 28)),
                                            {**p, "conv2.weight": np.zeros((64, 32, 3, 3))}),
                    r"conv2.weight must have shape \(64, 32, 5, 5\), got \(64, 32, 3, 3\)"),
    "training without rng": (lambda p: model.forward(np.zeros((1, 1, 28, 28)), p,
                                                     training=True),
                             r"dropout in training needs rng"),
}


@pytest.mark.parametrize("name", list(BAD_FORWARDS))
def test_forward_rejects_bad_input(params, name):
    call, message = BAD_FORWARDS[name]
    with pytest.raises(ValueError, match=message):
        call(params)
