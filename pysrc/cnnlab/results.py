"""The trained model's record: what ``pretrained/manifest.json`` says, and what follows from it.

The trainer writes the test-set confusion matrix into the manifest; everything else about
the errors (per-class accuracy, the most frequent confusions) can be recomputed from it,
which is how the training page checks the recorded figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .weights import MANIFEST_FILE


def read_manifest(folder: str | Path = "pretrained") -> dict[str, Any]:
    """The manifest the trainer wrote next to the weights, as a dict."""
    path = Path(folder) / MANIFEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no {MANIFEST_FILE} in {folder}: train or convert weights first") \
            from None


def confusion_summary(confusion: Sequence[Sequence[int]], top: int = 5) -> dict[str, Any]:
    """Per-class and overall accuracy, and the most frequent mistakes, from a confusion matrix.

    Parameters
    ----------
    confusion : (K, K) counts; row = true class, column = predicted class
    top : how many of the largest off-diagonal counts to list

    Returns
    -------
    dict with ``totals`` (images per true class), ``correct`` (the diagonal), ``errors``
    (``totals - correct``), ``per_class_accuracy`` (percent, ``correct / totals``),
    ``row_percent`` (each count as a percentage of its row, 2 decimals), ``accuracy``
    (percent) and ``mistakes``: up to ``top`` dicts ``{"true", "predicted", "count"}``,
    largest first.

    >>> s = confusion_summary([[8, 2], [1, 9]], top=1)
    >>> s["per_class_accuracy"], s["errors"], s["accuracy"], s["mistakes"]
    ([80.0, 90.0], [2, 1], 85.0, [{'true': 0, 'predicted': 1, 'count': 2}])
    """
    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.size == 0 \
            or counts.dtype.kind not in "iu" or counts.min() < 0:
        raise ValueError(f"confusion must be a square matrix of counts, got {counts.dtype} "
                         f"array of shape {counts.shape}")
    totals = counts.sum(axis=1)
    correct = np.diag(counts)
    off = counts.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    mistakes = [{"true": int(i), "predicted": int(j), "count": int(off[i, j])}
                for i, j in zip(*np.unravel_index(order, off.shape)) if off[i, j] > 0]
    rows = np.maximum(totals, 1)[:, None]  # an empty class has no percentages to divide
    per_class = 100 * correct / rows[:, 0]
    return {
        "totals": totals.tolist(),
        "correct": correct.tolist(),
        "errors": (totals - correct).tolist(),
        "per_class_accuracy": [round(float(a), 4) for a in per_class],
        "row_percent": np.round(100 * counts / rows, 2).tolist(),
        "accuracy": round(float(100 * correct.sum() / max(totals.sum(), 1)), 4),
        "mistakes": mistakes,
    }


def load_results(folder: str | Path = "pretrained") -> dict[str, Any]:
    """The manifest's test-set figures with :func:`confusion_summary` recomputed from them.

    Returns ``test_accuracy`` and ``test_correct`` (dicts with ``float32`` and ``compact``),
    ``confusion`` and the keys of :func:`confusion_summary`.
    """
    manifest = read_manifest(folder)
    return {
        "test_accuracy": manifest["test_accuracy"],
        "test_correct": manifest["test_correct"],
        "confusion": manifest["confusion"],
        **confusion_summary(manifest["confusion"]),
    }
