"""Adam, the optimiser the book trains with (``torch.optim.Adam`` defaults), and one
training step: the offline trainer (:mod:`cnnlab.train`) and a page that trains in the
browser both call :func:`train_step`."""

from __future__ import annotations

import math

import numpy as np

from . import backprop
from .architecture import CHAPTER, Network


class Adam:
    """Adam (Kingma & Ba, 2015) with PyTorch's defaults.

    ``m ← β₁m + (1-β₁)g``, ``v ← β₂v + (1-β₂)g²``,
    ``w ← w - lr · m̂ / (sqrt(v̂) + ε)`` with the bias-corrected ``m̂ = m / (1-β₁ᵗ)``,
    ``v̂ = v / (1-β₂ᵗ)``. Parameters are updated in place.

    >>> w = {"w": np.array([1.0])}
    >>> opt = Adam(w, lr=0.1)
    >>> opt.step({"w": np.array([2.0])})
    >>> w["w"].round(6).tolist()
    [0.9]
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.params = params
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.steps = 0
        self.m = {name: np.zeros_like(w) for name, w in params.items()}
        self.v = {name: np.zeros_like(w) for name, w in params.items()}
        # One scratch array per parameter: the update then allocates nothing, which
        # matters for fc1's 3.2 M weights (each temporary costs a pass over 13 MB).
        self.scratch = {name: np.empty_like(w) for name, w in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Apply one update from ``grads`` (named like the parameters)."""
        self.steps += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1 ** self.steps)
        root_correction = math.sqrt(1 - beta2 ** self.steps)  # Python floats keep float32 math
        for name, w in self.params.items():
            g, m, v, t = grads[name], self.m[name], self.v[name], self.scratch[name]
            m *= beta1
            m += np.multiply(g, 1 - beta1, out=t)
            v *= beta2
            np.square(g, out=t)
            v += np.multiply(t, 1 - beta2, out=t)
            # PyTorch's form: eps is added to sqrt(v̂), i.e. sqrt(v)/sqrt(1-β₂ᵗ) + eps,
            # and the step is step_size · (m / that), in this order.
            np.sqrt(v, out=t)
            t /= root_correction
            t += self.eps
            np.divide(m, t, out=t)
            w -= np.multiply(t, step_size, out=t)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Moments and step count as flat arrays, for checkpoints."""
        state = {"steps": np.array(self.steps), "lr": np.array(self.lr)}
        state.update({"m." + k: v for k, v in self.m.items()})
        state.update({"v." + k: v for k, v in self.v.items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved."""
        self.steps = int(state["steps"])
        self.lr = float(state["lr"])
        for name in self.params:
            self.m[name][...] = state["m." + name]
            self.v[name][...] = state["v." + name]


def train_step(params: dict[str, np.ndarray], optimiser: Adam, x: np.ndarray,
               targets: np.ndarray, rng: np.random.Generator,
               network: Network = CHAPTER) -> tuple[float, np.ndarray]:
    """One step of minibatch training: forward, backward, one Adam update of ``params``.

    Parameters
    ----------
    params : the parameters ``optimiser`` updates in place
    x : (N, 1, 28, 28) images in [0, 1]; targets : (N,) class indices
    rng : random generator for dropout
    network : the architecture of ``params``

    Returns
    -------
    loss : the batch's mean cross-entropy before the update; logits : (N, 10)

    >>> from cnnlab import model
    >>> params = model.init_params(np.random.default_rng(0))
    >>> x, t = np.zeros((2, 1, 28, 28), np.float32), np.array([3, 7])
    >>> loss, logits = train_step(params, Adam(params), x, t, np.random.default_rng(1))
    >>> round(loss, 2), logits.shape
    (2.3, (2, 10))
    """
    loss, logits, grads = backprop.loss_and_gradients(params, x, targets, rng, network=network)
    optimiser.step(grads)
    return loss, logits
