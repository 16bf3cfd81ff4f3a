"""Smoke test of benchmarks/train_speed.py: it runs and reports; no time is asserted."""

from __future__ import annotations

import json

import numpy as np
from benchmarks import train_speed

from cnnlab import backprop, model

QUICK = ["--repeats", "1", "--steps", "2", "--warmup", "0", "--latency-runs", "2"]


def test_train_speed_smoke(tmp_path, capsys):
    out = tmp_path / "results" / "train_speed.json"
    assert train_speed.main([*QUICK, "--batch-size", "8", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == report
    assert report["batch_size"] == 8 and report["repeats"] == 1
    rates = report["images_per_second"]
    assert len(rates["cnnlab"]["runs"]) == 1 and rates["cnnlab"]["median"] > 0
    assert report["single_image_forward_ms"]["median"] > 0
    assert report["environment"]["cores"] >= 1
    if train_speed.import_torch() is None:
        assert report["ratio_cnnlab_to_torch"] is None and "torch" not in rates
    else:
        assert report["ratio_cnnlab_to_torch"] > 0 and rates["torch"]["median"] > 0


def test_records_the_result_in_a_manifest(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"model": "kept as it was"}))
    assert train_speed.main([*QUICK, "--batch-size", "4", "--manifest", str(manifest)]) == 0
    recorded = json.loads(manifest.read_text())
    assert recorded["model"] == "kept as it was"
    speed = recorded["training_speed"]
    assert speed["command"].startswith("python -m benchmarks.train_speed --repeats 1")
    assert speed["batch_size"] == 4 and speed["target_ratio"] == 0.5
    assert speed["images_per_second"]["cnnlab"] > 0


def test_without_torch(monkeypatch, capsys):
    monkeypatch.setattr(train_speed, "import_torch", lambda: None)
    assert train_speed.main([*QUICK, "--batch-size", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["images_per_second"]) == ["cnnlab"]
    assert report["ratio_cnnlab_to_torch"] is None
    assert report["environment"]["torch"] is None


def test_cnnlab_step_trains():
    """The timed step really updates the parameters (no empty loop is being timed)."""
    rng = np.random.default_rng(0)
    params = model.init_params(rng)
    images = rng.uniform(0, 1, size=(4, 1, 28, 28)).astype(np.float32)
    labels = np.arange(4)
    before = backprop.loss_and_gradients(params, images, labels, training=False)[0]
    start = params["fc2.weight"].copy()
    step = train_speed.cnnlab_step(params, images, labels, seed=0)
    for _ in range(3):
        step()
    assert not np.array_equal(params["fc2.weight"], start)
    assert backprop.loss_and_gradients(params, images, labels, training=False)[0] < before
