"""cnnlab.pages.results: figures recomputed from a confusion matrix, and the shipped manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cnnlab.pages import results

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("seed", range(6))
def test_confusion_summary_against_loops(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 11))
    confusion = rng.integers(0, 50, (k, k)) + np.diag(rng.integers(100, 1000, k))
    s = results.confusion_summary(confusion.tolist(), top=3)
    for i in range(k):
        row = sum(confusion[i])
        assert s["totals"][i] == row and s["correct"][i] == confusion[i][i]
        assert s["errors"][i] == row - confusion[i][i]
        assert s["per_class_accuracy"][i] == pytest.approx(100 * confusion[i][i] / row, abs=5e-5)
        for j in range(k):
            assert s["row_percent"][i][j] == pytest.approx(100 * confusion[i][j] / row, abs=5e-3)
    assert s["accuracy"] == pytest.approx(100 * np.trace(confusion) / confusion.sum(), abs=5e-5)
    off = sorted(((confusion[i][j], i, j) for i in range(k) for j in range(k) if i != j),
                 key=lambda item: -item[0])
    assert [m["count"] for m in s["mistakes"]] == [c for c, _, _ in off[:3]]
    for m in s["mistakes"]:
        assert confusion[m["true"]][m["predicted"]] == m["count"] and m["true"] != m["predicted"]


def test_a_perfect_classifier_has_no_mistakes():
    s = results.confusion_summary(np.diag([5, 7]))
    assert s["mistakes"] == [] and s["accuracy"] == 100.0 and s["errors"] == [0, 0]


@pytest.mark.parametrize("confusion", [[[1, 2]], [[1.5, 0], [0, 1]], [[-1, 0], [0, 1]], []])
def test_bad_matrices_are_rejected(confusion):
    with pytest.raises(ValueError, match="square matrix of counts"):
        results.confusion_summary(confusion)


def test_the_shipped_manifest_is_consistent():
    manifest = json.loads((ROOT / "pretrained" / "manifest.json").read_text())
    loaded = results.load_results(ROOT / "pretrained")
    assert loaded["per_class_accuracy"] == manifest["per_class_accuracy"]
    assert loaded["accuracy"] == manifest["test_accuracy"]["compact"]
    assert sum(loaded["correct"]) == manifest["test_correct"]["compact"]


def test_a_folder_without_a_manifest(tmp_path):
    with pytest.raises(ValueError, match=r"no manifest\.json"):
        results.load_results(tmp_path)
