"""The committed weights in pretrained/: they load, match their manifest, stay within the
size budget, and reproduce the recorded test accuracy on MNIST when the data is present.

Without pretrained/manifest.json these tests are skipped, except in CI (CI=true), where
the missing model is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from cnnlab import model
from cnnlab.train import evaluate, mnist

REPO = Path(__file__).resolve().parents[2]
PRETRAINED = REPO / "pretrained"
MNIST = REPO.parent / "shared" / "data" / "mnist"
MAX_WEIGHT_BYTES = 3_500_000
TARGET_ACCURACY = 99.4  # percent, on the MNIST test set
MAX_COMPACT_LOSS = 0.05  # percentage points lost by the compact weights against float32


def missing(message: str) -> None:
    """Skip, or fail in CI, where nothing may be skipped silently."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def manifest() -> dict:
    path = PRETRAINED / "manifest.json"
    if not path.is_file():
        missing(f"{path} does not exist yet: train with python -m cnnlab.train and commit it")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def weights_path(manifest) -> Path:
    return PRETRAINED / manifest["weights"]["file"]


@pytest.fixture(scope="module")
def params(manifest) -> dict:
    return model.load_pretrained(PRETRAINED)


@pytest.fixture(scope="module")
def test_result(params) -> dict:
    """The compact weights evaluated on the MNIST test set."""
    if not MNIST.is_dir():
        missing(f"no MNIST at {MNIST}")
    images, labels = mnist.load_split(MNIST, "test")
    return evaluate.evaluate(params, images, labels)


def test_weights_load_with_the_model_shapes(manifest, params):
    assert list(params) == list(model.PARAM_SHAPES)
    for name, shape in model.PARAM_SHAPES.items():
        assert params[name].shape == shape and params[name].dtype == np.float32, name
        assert np.isfinite(params[name]).all() and np.abs(params[name]).max() > 0, name
    assert manifest["parameters"] == {k: list(v) for k, v in model.PARAM_SHAPES.items()}
    assert manifest["parameter_count"] == model.parameter_count() == 3_274_634


def test_weights_match_the_manifest_sha256(manifest, weights_path):
    data = weights_path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["weights"]["sha256"]
    assert len(data) == manifest["weights"]["bytes"]


def test_weights_within_size_budget(manifest, weights_path):
    assert weights_path.stat().st_size <= MAX_WEIGHT_BYTES


def test_manifest_records_the_targets(manifest):
    accuracy = manifest["test_accuracy"]
    assert accuracy["compact"] >= TARGET_ACCURACY
    assert accuracy["float32"] - accuracy["compact"] <= MAX_COMPACT_LOSS
    # Measured on the canonical test set, so comparable with published figures.
    digests = manifest["training"]["data_sha256"]
    for name in mnist.SPLITS["test"]:
        assert digests[name] == mnist.CANONICAL_SHA256[name], name


def test_history_and_figures_committed(manifest):
    history = json.loads((PRETRAINED / "history.json").read_text())
    assert len(history) == manifest["training"]["options"]["epochs"]
    assert [row["epoch"] for row in history] == list(range(1, len(history) + 1))
    for figure in ["learning-curves.svg", "confusion-matrix.svg", "misclassified.png"]:
        assert (PRETRAINED / "figures" / figure).stat().st_size > 0, figure


@pytest.mark.slow  # 10,000 digits: about 60 s here beside a training run, 20 s of CPU time
def test_test_accuracy_reproduced(manifest, test_result):
    assert test_result["total"] == 10_000
    assert test_result["accuracy"] == manifest["test_accuracy"]["compact"]
    assert test_result["correct"] == manifest["test_correct"]["compact"]
    assert test_result["accuracy"] >= TARGET_ACCURACY
    assert test_result["per_class_accuracy"] == manifest["per_class_accuracy"]
    assert test_result["confusion"] == manifest["confusion"]
