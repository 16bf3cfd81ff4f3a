"""Checks of exercises on the network's units: dropout, the L2 penalty, softmax, the
cross-entropy loss and accuracy.

The mistakes named here are the chapter's: dropout without the 1/(1 − p) scale, softmax
without subtracting the maximum (it overflows), the loss computed from probabilities instead
of logits, a batch summed instead of averaged.
"""

from __future__ import annotations

import numpy as np

from .. import layers
from .compare import check_array, same
from .feedback import Mistake, passed
from .learner import call, function

SEED = 14


def dropout_function(namespace: dict, name: str = "dropout") -> dict:
    """The learner's inverted ``dropout(x, p, rng)`` in training: about a fraction ``p`` of
    the units zeroed, the others scaled by ``1/(1 − p)``."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for p in (0.5, 0.2):
        x = rng.uniform(0.5, 2.0, (100, 60))
        got = call(learner, name, x.copy(), p, np.random.default_rng(SEED))
        check_array(
            np.shape(got) if got is not None else None,
            x.shape,
            f"the shape of `{name}(x, {p}, rng)`",
        )
        got = np.asarray(got, dtype=float)
        dropped = float(np.mean(got == 0))
        kept = got != 0
        if dropped == 0:
            raise Mistake(
                "no-drop",
                f"Nothing was dropped (p = {p}): zero each unit with "
                "probability p, e.g. `rng.random(x.shape) >= p` keeps it.",
            )
        if abs(dropped - (1 - p)) < 0.05 and abs(dropped - p) > 0.05:
            raise Mistake(
                "probability",
                f"About {dropped:.0%} of the units were dropped: p = {p} "
                "is the probability of dropping a unit, not of keeping it.",
            )
        if abs(dropped - p) > 0.05:
            raise Mistake(
                "probability",
                f"{dropped:.0%} of the units were dropped; with p = {p} about {p:.0%} should be.",
            )
        scale = got[kept] / x[kept]
        if same(scale, np.ones_like(scale)):
            raise Mistake(
                "no-scale",
                "The kept units are not scaled: inverted dropout multiplies "
                f"them by 1/(1 − p) = {1 / (1 - p):g}, so that the expected "
                "activation stays x and inference needs no change.",
            )
        if same(scale, np.full_like(scale, 1 - p)):
            raise Mistake(
                "no-scale",
                "The kept units are multiplied by 1 − p: that is the old "
                "rule for inference. Inverted dropout divides them by "
                f"1 − p, × {1 / (1 - p):g}, in training.",
            )
        check_array(
            scale, np.full_like(scale, 1 / (1 - p)), f"the scale of the kept units (p = {p})"
        )
    return passed("Right: about p of the units dropped, the others scaled by 1/(1 − p).")


def l2_penalty_function(namespace: dict, name: str = "l2_penalty") -> dict:
    """The learner's ``l2_penalty(weights, lam)``: ``λ Σ w²`` over a list of arrays."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for _ in range(5):
        weights = [
            rng.normal(size=tuple(rng.integers(1, 5, int(rng.integers(1, 4)))))
            for _ in range(int(rng.integers(1, 4)))
        ]
        lam = float(rng.choice([0.1, 0.01, 0.5]))
        squares = sum(float(np.sum(w**2)) for w in weights)
        variants = [
            (
                "square",
                "Square the weights: the L2 penalty is λ Σ w², not λ Σ |w| (that is L1).",
                lam * sum(float(np.sum(np.abs(w))) for w in weights),
            ),
            (
                "square",
                "This is λ times the norm ‖w‖; the penalty is λ times its square, Σ w².",
                lam * np.sqrt(squares),
            ),
            ("lambda", "λ is missing: multiply the sum of squares by lam.", squares),
            (
                "all-weights",
                "Only the first array counts here: sum over every weight array.",
                lam * float(np.sum(weights[0] ** 2)),
            ),
        ]
        check_array(
            call(learner, name, weights, lam),
            layers.l2_penalty(weights, lam),
            f"`{name}(weights, lam={lam})` for {len(weights)} arrays",
            variants,
        )
    return passed("Right: λ Σ w² over all the weights.")


def _naive_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_function(namespace: dict, name: str = "softmax") -> dict:
    """The learner's ``softmax(z)`` over the last axis of an (N, K) array, also for logits
    far from 0 (where exp overflows unless the row's maximum is subtracted first)."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    cases = [
        rng.normal(size=(3, 4)),
        rng.normal(size=(2, 10)) * 3,
        np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]]),
    ]
    for z in cases:
        expected = layers.softmax(z)
        with np.errstate(all="ignore"):
            variants = [
                (
                    "overflow",
                    "exp(1000) overflows to inf and inf/inf is nan: subtract each row's "
                    "maximum first, softmax(z) = softmax(z − max z), so that no exponent "
                    "is above 0.",
                    _naive_softmax(z),
                ),
                (
                    "axis",
                    "Each column sums to 1 here: normalise over the classes, the last "
                    "axis (sum(axis=1, keepdims=True)).",
                    _naive_softmax(z - z.max(), 0),
                ),
            ]
        check_array(
            call(learner, name, z.copy()),
            expected,
            f"`{name}(z)` for z of shape {z.shape}"
            + (" with logits near ±1000" if np.abs(z).max() > 100 else ""),
            variants,
        )
    return passed("Right, and stable: logits near ±1000 give no inf or nan.")


def cross_entropy_function(namespace: dict, name: str = "cross_entropy") -> dict:
    """The learner's ``cross_entropy(logits, targets)``: the batch mean of
    ``−log softmax(z)[t]``, from logits, stable for large logits."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    cases = [
        rng.normal(size=(4, 3)) * 2,
        rng.normal(size=(6, 10)) * 3,
        np.array([[1000.0, 0.0, -1000.0], [0.0, 900.0, 0.0]]),
    ]
    for z in cases:
        t = rng.integers(0, z.shape[1], len(z))
        rows = np.arange(len(z))
        log_p = layers.log_softmax(z)[rows, t]
        with np.errstate(all="ignore"):
            variants = [
                (
                    "probabilities",
                    "This is the loss of softmax(z) fed in as if it were logits: "
                    "softmax applied twice. The loss takes the logits, as PyTorch's "
                    "CrossEntropyLoss does, and applies log-softmax itself.",
                    layers.cross_entropy(layers.softmax(z), t),
                ),
                (
                    "probabilities",
                    "The logits were used as if they were probabilities "
                    "(−log z[t]): apply log-softmax to the logits first.",
                    -np.mean(np.log(z[rows, t])),
                ),
                (
                    "overflow",
                    "exp overflows for large logits: compute log-softmax as "
                    "z − max z − log Σ exp(z − max z) (log-sum-exp), not log(softmax).",
                    -np.mean(np.log(_naive_softmax(z)[rows, t])),
                ),
                (
                    "mean",
                    "The losses are summed: average over the batch (divide by N).",
                    -np.sum(log_p),
                ),
                ("sign", "The sign is wrong: the loss is −log p, which is ≥ 0.", np.mean(log_p)),
            ]
        check_array(
            call(learner, name, z.copy(), t),
            layers.cross_entropy(z, t),
            f"`{name}(logits, targets)` for {z.shape[0]} samples"
            + (" with logits near ±1000" if np.abs(z).max() > 100 else ""),
            variants,
        )
    return passed("Right, from logits and stable.")


def accuracy_function(namespace: dict, name: str = "accuracy") -> dict:
    """The learner's ``accuracy(logits, labels)``: the fraction of rows whose largest logit is
    the label."""
    learner = function(namespace, name)
    rng = np.random.default_rng(SEED)
    for n in (10, 20, 7):
        z, t = rng.normal(size=(n, 10)), rng.integers(0, 10, n)
        t[: n // 3] = z[: n // 3].argmax(axis=1)  # some hits, so that "always 0" cannot pass
        hits = z.argmax(axis=1) == t
        by_columns = z.argmax(axis=0)[:n]
        variants = [
            ("percent", "A fraction in [0, 1], not a percentage.", 100 * hits.mean()),
            (
                "mean",
                "That is the number of right predictions: divide by N for the fraction.",
                hits.sum(),
            ),
            (
                "axis",
                "argmax over axis 0 picks a sample per class: the prediction of each sample "
                "is argmax(axis=1).",
                float(np.mean(by_columns == t[: len(by_columns)])),
            ),
        ]
        check_array(
            call(learner, name, z, t),
            hits.mean(),
            f"`{name}(logits, labels)` for {n} samples",
            variants,
        )
    return passed("Right: the fraction of samples whose largest logit is the label.")
