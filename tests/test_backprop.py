"""cnnlab.backprop and cnnlab.optim: gradients against central finite differences (float64),
the forward passes against cnnlab.layers, Adam against the formula (and PyTorch if present)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest

from cnnlab import backprop, layers, model
from cnnlab.optim import Adam

EPS = 1e-6


def numerical_gradient(loss: Callable[[], float], array: np.ndarray, indices) -> np.ndarray:
    """Central differences ``(L(w + ε) - L(w - ε)) / 2ε`` of ``loss`` at ``array[index]``,
    changing ``array`` in place and restoring it."""
    grads = []
    for index in indices:
        saved = array[index]
        array[index] = saved + EPS
        plus = loss()
        array[index] = saved - EPS
        minus = loss()
        array[index] = saved
        grads.append((plus - minus) / (2 * EPS))
    return np.array(grads)


def every_index(array: np.ndarray) -> list:
    return list(np.ndindex(*array.shape))


def channels_last(x: np.ndarray) -> np.ndarray:
    """NCHW -> NHWC, the trainer's layout."""
    return x.transpose(0, 2, 3, 1)


def channels_first(x: np.ndarray) -> np.ndarray:
    """NHWC -> NCHW, cnnlab.layers' layout."""
    return x.transpose(0, 3, 1, 2)


def conv_case(seed: int) -> dict:
    """Small random float64 convolution with a square kernel and padding 0-2."""
    rng = np.random.RandomState(seed)
    k, padding = int(rng.randint(1, 5)), int(rng.randint(0, 3))
    h, w = rng.randint(max(1, k - 2 * padding), 7, size=2)
    n, c_in, c_out = rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 4)
    return {
        "x": rng.standard_normal((n, c_in, h, w)),
        "weight": rng.standard_normal((c_out, c_in, k, k)),
        "bias": rng.standard_normal(c_out),
        "padding": padding,
    }


def conv_forward(case: dict) -> tuple:
    """backprop.conv2d_forward on an NCHW case, in the trainer's channels-last layout."""
    return backprop.conv2d_forward(channels_last(case["x"]), case["weight"], case["bias"],
                                   case["padding"])


# ---------------------------------------------------------------- convolution
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_conv2d_forward_equals_layers_conv2d(seed, dtype):
    case = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v
            for k, v in conv_case(seed).items()}
    out, _ = conv_forward(case)
    assert out.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(channels_first(out), layers.conv2d(**case), rtol=tolerance,
                               atol=tolerance)


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_backward_equals_finite_differences(seed):
    case = conv_case(seed)
    out, cache = conv_forward(case)
    upstream = np.random.RandomState(100 + seed).standard_normal(channels_first(out).shape)
    dx, dweight, dbias = backprop.conv2d_backward(channels_last(upstream), cache)
    dx = channels_first(dx)

    def loss() -> float:  # L = Σ out · upstream, so dL/dout = upstream
        return float(np.sum(layers.conv2d(**case) * upstream))

    for name, grad in [("x", dx), ("weight", dweight), ("bias", dbias)]:
        assert grad.shape == case[name].shape
        expected = numerical_gradient(loss, case[name], every_index(case[name]))
        np.testing.assert_allclose(grad.ravel(), expected, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("seed", range(3))
def test_conv2d_backward_without_dx(seed):
    case = conv_case(seed)
    out, cache = conv_forward(case)
    upstream = np.random.RandomState(seed).standard_normal(out.shape)
    dx, dweight, dbias = backprop.conv2d_backward(upstream, cache, need_dx=False)
    _, full_dweight, full_dbias = backprop.conv2d_backward(upstream, cache)
    assert dx is None
    np.testing.assert_array_equal(dweight, full_dweight)
    np.testing.assert_array_equal(dbias, full_dbias)


# ---------------------------------------------------------------- max pooling
@pytest.mark.parametrize(("seed", "size", "shape"), [
    (0, 2, (2, 3, 4, 6)), (1, 2, (1, 2, 8, 8)), (2, 3, (2, 2, 6, 9)), (3, 3, (1, 1, 3, 3)),
    (4, 1, (1, 2, 3, 2)),
])
def test_max_pool_backward_equals_finite_differences(seed, size, shape):
    x = np.random.RandomState(seed).standard_normal(shape)
    out, cache = backprop.max_pool_forward(channels_last(x), size)
    np.testing.assert_array_equal(channels_first(out), layers.max_pool2d(x, size))
    upstream = np.random.RandomState(50 + seed).standard_normal(channels_first(out).shape)
    dx = channels_first(backprop.max_pool_backward(channels_last(upstream), cache))
    assert dx.shape == x.shape

    def loss() -> float:
        return float(np.sum(layers.max_pool2d(x, size) * upstream))

    expected = numerical_gradient(loss, x, every_index(x))
    np.testing.assert_allclose(dx.ravel(), expected, rtol=1e-6, atol=1e-8)


def test_max_pool_backward_sends_ties_to_first_maximum():
    x = np.ones((1, 2, 4, 1))  # every window is a tie, like a blank region of a digit
    _, cache = backprop.max_pool_forward(x, 2)
    dx = backprop.max_pool_backward(np.array([[[[3.0], [5.0]]]]), cache)
    assert dx[0, :, :, 0].tolist() == [[3.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0]]


def test_max_pool_forward_needs_divisible_size():
    with pytest.raises(ValueError, match=r"H and W divisible by 2, got \(5, 4\)"):
        backprop.max_pool_forward(np.ones((1, 5, 4, 1)), 2)


# ---------------------------------------------------------------- softmax cross-entropy
@pytest.mark.parametrize("seed", range(5))
def test_softmax_cross_entropy_gradient(seed):
    rng = np.random.RandomState(seed)
    logits = rng.uniform(-5, 5, size=(4, 7))
    targets = rng.randint(0, 7, size=4)
    loss, dlogits = backprop.softmax_cross_entropy(logits, targets)
    assert loss == pytest.approx(layers.cross_entropy(logits, targets), rel=1e-12)
    expected = numerical_gradient(lambda: layers.cross_entropy(logits, targets), logits,
                                  every_index(logits))
    np.testing.assert_allclose(dlogits.ravel(), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dlogits.sum(axis=1), 0, atol=1e-15)  # rows of p - onehot


# ---------------------------------------------------------------- the whole network
DROPOUT_SEED = 5


@pytest.fixture(scope="module")
def network():
    """float64 parameters, two images and their targets."""
    rng = np.random.default_rng(11)
    params = model.init_params(rng, dtype=np.float64)
    x = rng.uniform(0, 1, size=(2, 1, 28, 28))
    return params, x, np.array([3, 8])


def dropout_rng(training: bool):
    """A fresh generator for each evaluation, so that every one draws the same mask."""
    return np.random.default_rng(DROPOUT_SEED) if training else None


@pytest.fixture(scope="module", params=[False, True], ids=["inference", "dropout"])
def backward(request, network):
    """(training, loss, logits, grads) of backprop.loss_and_gradients."""
    params, x, targets = network
    training = request.param
    loss, logits, grads = backprop.loss_and_gradients(
        params, x, targets, np.random.default_rng(DROPOUT_SEED), training=training)
    return training, loss, logits, grads


def test_loss_and_logits_equal_model_forward(network, backward):
    params, x, targets = network
    training, loss, logits, grads = backward
    expected = model.forward(x, params, training=training, rng=dropout_rng(training))
    np.testing.assert_allclose(logits, expected, rtol=1e-12, atol=1e-12)
    assert loss == pytest.approx(layers.cross_entropy(expected, targets), rel=1e-12)
    assert list(grads) == list(model.PARAM_SHAPES)
    assert all(grads[k].shape == params[k].shape and grads[k].dtype == np.float64 for k in grads)


@pytest.mark.parametrize("name", list(model.PARAM_SHAPES))
def test_loss_and_gradients_equal_finite_differences(network, backward, name):
    """A few single entries of each parameter, and its whole gradient along a random
    direction d: ∇L · d against (L(w + εd) - L(w - εd)) / 2ε."""
    params, x, targets = network
    training, _, _, grads = backward

    def reference_loss() -> float:  # through cnnlab.model and cnnlab.layers, not backprop
        logits = model.forward(x, params, training=training, rng=dropout_rng(training))
        return layers.cross_entropy(logits, targets)

    weight, grad = params[name], grads[name]
    rng = np.random.RandomState(len(name))
    picks = rng.choice(weight.size, 3, replace=False)
    indices = [np.unravel_index(i, weight.shape) for i in picks]
    np.testing.assert_allclose([grad[i] for i in indices],
                               numerical_gradient(reference_loss, weight, indices),
                               rtol=1e-5, atol=1e-9)
    direction = rng.standard_normal(weight.shape)
    saved = weight.copy()
    weight += EPS * direction
    plus = reference_loss()
    weight[...] = saved - EPS * direction
    minus = reference_loss()
    weight[...] = saved
    assert np.sum(grad * direction) == pytest.approx((plus - minus) / (2 * EPS), rel=1e-6)


def test_loss_and_gradients_float32(network):
    params64, x, targets = network
    params32 = {k: v.astype(np.float32) for k, v in params64.items()}
    loss32, _, grads32 = backprop.loss_and_gradients(params32, x.astype(np.float32), targets,
                                                     training=False)
    loss64, _, grads64 = backprop.loss_and_gradients(params64, x, targets, training=False)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name, grad in grads32.items():
        assert grad.dtype == np.float32
        scale = np.abs(grads64[name]).max()
        np.testing.assert_allclose(grad, grads64[name], rtol=0, atol=1e-4 * scale, err_msg=name)


# ---------------------------------------------------------------- Adam
def reference_adam(w: np.ndarray, grads: list, lr: float, betas: tuple, eps: float) -> list:
    """Adam as Kingma & Ba write it, with PyTorch's ε: w -= lr · m̂ / (sqrt(v̂) + ε)."""
    beta1, beta2 = betas
    m = v = np.zeros_like(w)
    trajectory = []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(w)
    return trajectory


ADAM_CASES = [  # (lr, betas, gradient scale): a tiny gradient makes ε's place matter
    (1e-3, (0.9, 0.999), 1.0), (0.1, (0.9, 0.999), 1.0), (1e-2, (0.5, 0.9), 3.0),
    (1e-3, (0.9, 0.999), 1e-8),
]


def gradient_sequence(seed: int, scale: float, steps: int = 7) -> list:
    rng = np.random.RandomState(seed)
    return [{"a": rng.standard_normal((3, 4)) * scale, "b": rng.standard_normal(5) * scale}
            for _ in range(steps)]


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize(("lr", "betas", "scale"), ADAM_CASES)
def test_adam_equals_formula(lr, betas, scale, seed):
    rng = np.random.RandomState(seed)
    start = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    params = {k: v.copy() for k, v in start.items()}
    optimiser = Adam(params, lr=lr, betas=betas)
    sequence = gradient_sequence(seed, scale)
    trajectories = {name: reference_adam(start[name], [g[name] for g in sequence], lr, betas,
                                         1e-8) for name in params}
    for step, grads in enumerate(sequence):
        optimiser.step(grads)
        for name in params:
            np.testing.assert_allclose(params[name], trajectories[name][step], rtol=1e-12,
                                       atol=1e-15)
    assert optimiser.steps == len(sequence)


@pytest.mark.parametrize(("lr", "betas", "scale"), ADAM_CASES)
def test_adam_equals_torch(lr, betas, scale):
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    params = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    tensors = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    ours = Adam(params, lr=lr, betas=betas)
    theirs = torch.optim.Adam(list(tensors.values()), lr=lr, betas=betas)
    for grads in gradient_sequence(1, scale):
        ours.step(grads)
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name])
        theirs.step()
    for name, tensor in tensors.items():
        np.testing.assert_allclose(params[name], tensor.detach().numpy(), rtol=1e-12,
                                   atol=1e-15)


def test_adam_keeps_float32_and_updates_in_place():
    weight = np.ones(4, np.float32)
    params = {"w": weight}
    Adam(params, lr=0.01).step({"w": np.array([1.0, -1.0, 2.0, 0.0], np.float32)})
    assert params["w"] is weight and weight.dtype == np.float32
    np.testing.assert_allclose(weight, [0.99, 1.01, 0.99, 1.0], rtol=1e-6)


def test_adam_resumes_from_state_dict():
    sequence = gradient_sequence(3, 1.0, steps=6)
    start = {"a": np.zeros((3, 4)), "b": np.ones(5)}
    straight = {k: v.copy() for k, v in start.items()}
    optimiser = Adam(straight, lr=0.05)
    for grads in sequence:
        optimiser.step(grads)

    first = {k: v.copy() for k, v in start.items()}
    optimiser = Adam(first, lr=0.05)
    for grads in sequence[:3]:
        optimiser.step(grads)
    saved = io.BytesIO()  # through a file, as a checkpoint does
    np.savez(saved, **optimiser.state_dict())
    saved.seek(0)
    resumed = {k: v.copy() for k, v in first.items()}
    optimiser = Adam(resumed, lr=1.0)
    with np.load(saved) as state:
        optimiser.load_state_dict(dict(state))
    assert optimiser.steps == 3 and optimiser.lr == 0.05
    for grads in sequence[3:]:
        optimiser.step(grads)
    for name in start:
        np.testing.assert_array_equal(resumed[name], straight[name])


@pytest.mark.parametrize("lr", [0.0, -1e-3])
def test_adam_rejects_non_positive_learning_rate(lr):
    with pytest.raises(ValueError, match=f"learning rate must be positive, got {lr}"):
        Adam({"w": np.ones(2)}, lr=lr)
