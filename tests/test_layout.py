"""cnnlab.layout: NCHW <-> NHWC, and the architecture table measured by running the model."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import layout, model


@pytest.mark.parametrize("seed", range(5))
def test_nhwc_holds_the_same_values_in_another_order(seed):
    rng = np.random.default_rng(seed)
    n, c, h, w = rng.integers(1, 6, 4)
    x = rng.random((n, c, h, w))
    y = layout.to_nhwc(x)
    assert y.shape == (n, h, w, c) == layout.nhwc_shape(x.shape)
    i = tuple(rng.integers(0, [n, c, h, w]))
    assert y[i[0], i[2], i[3], i[1]] == x[i]
    np.testing.assert_array_equal(layout.to_nchw(y), x)


def test_to_nhwc_needs_a_batch_of_images():
    with pytest.raises(ValueError, match="4-D batch"):
        layout.to_nhwc(np.zeros((28, 28)))


@pytest.mark.parametrize("batch", [1, 3, 64])
def test_architecture_matches_a_forward_pass(batch):
    params = model.init_params(np.random.default_rng(batch))
    x = np.random.default_rng(0).random((batch, 1, 28, 28)).astype(np.float32)
    _, acts = model.forward(x, params, return_activations=True)
    rows = layout.architecture(batch)
    assert [r["layer"] for r in rows] == ["input", *acts]
    assert rows[0]["nchw"] == x.shape
    for row in rows[1:]:
        assert row["nchw"] == acts[row["layer"]].shape
        assert row["values"] == acts[row["layer"]].size and row["bytes"] == 4 * row["values"]
    assert sum(r["parameters"] for r in rows) == model.parameter_count()
    assert set(layout.OPERATIONS) == {r["layer"] for r in rows}


@pytest.mark.parametrize("batch", [0, 65, 2.5, True, "four", float("nan")])
def test_architecture_rejects_bad_batch_sizes(batch):
    expected = "batch size(: enter a whole number between 1 and 64| ≤ 64)"
    with pytest.raises(ValueError, match=expected):
        layout.architecture(batch)
