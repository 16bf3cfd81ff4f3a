"""The trainer (cnnlab.train.trainer, ``python -m cnnlab.train``) end to end on tiny synthetic
MNIST files, and the pieces it uses: augmentation (cnnlab.augment) and evaluation
(cnnlab.train.evaluate)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from cnnlab import augment, model
from cnnlab.train import evaluate, trainer

TIMINGS = ("seconds", "images_per_second")  # the only history entries that may differ
OPTIONS = ["--limit", "64", "--valid-size", "32", "--epochs", "2", "--batch-size", "16",
           "--no-progress"]  # 32 training images, 32 validation images: 2 steps an epoch


# ---------------------------------------------------------------- synthetic MNIST
def write_idx(path: Path, array: np.ndarray) -> None:
    """A gzip-compressed IDX file of unsigned bytes: magic 0x0000 08 ndim, sizes, data."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def bar_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k is a vertical bar 3 px wide at column 2 + 2.4 k, at a random height."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 10, size=n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for image, label in zip(images, labels):
        top, left = rng.randint(3, 7), 2 + round(2.4 * int(label))
        image[top:top + 18, left:left + 3] = rng.randint(180, 256)
    return images, labels


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """600 training and 100 test digits in the four standard files."""
    directory = tmp_path_factory.mktemp("mnist")
    for prefix, n, seed in [("train", 600, 0), ("t10k", 100, 1)]:
        images, labels = bar_digits(n, seed)
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return directory


def run_argv(data_dir: Path, root: Path, *extra: str) -> list:
    return ["--data", str(data_dir), *OPTIONS, "--out", str(root / "out"),
            "--checkpoint-dir", str(root / "ck"), *extra]


def checkpoint_state(directory: Path) -> tuple[dict, list]:
    """Parameters and history saved in a checkpoint directory."""
    with np.load(directory / trainer.CHECKPOINT) as data:
        params = {k[len("param."):]: data[k] for k in data.files if k.startswith("param.")}
        return params, json.loads(str(data["history"]))


def without_timings(history: list) -> list:
    return [{k: v for k, v in row.items() if k not in TIMINGS} for row in history]


@pytest.fixture(scope="module")
def straight_run(data_dir, tmp_path_factory) -> dict:
    """One uninterrupted run through ``main``: its argv, output directory, final state."""
    root = tmp_path_factory.mktemp("straight")
    argv = run_argv(data_dir, root)
    assert trainer.main(argv) == 0
    params, history = checkpoint_state(root / "ck")
    return {"argv": argv, "out": root / "out", "ck": root / "ck", "params": params,
            "history": history}


# ---------------------------------------------------------------- training
def test_loss_falls(straight_run):
    first, second = straight_run["history"]
    assert second["train_loss"] < first["train_loss"]
    assert second["valid_loss"] < first["valid_loss"]
    assert [row["epoch"] for row in straight_run["history"]] == [1, 2]


def test_same_seed_same_result(straight_run, data_dir, tmp_path):
    params, history, _ = trainer.train(trainer.parse_args(run_argv(data_dir, tmp_path)))
    assert without_timings(history) == without_timings(straight_run["history"])
    for name, value in straight_run["params"].items():
        np.testing.assert_array_equal(params[name], value, err_msg=name)


def test_other_seed_other_result(straight_run, data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(trainer, "save_checkpoint", lambda *args: None)
    args = trainer.parse_args(run_argv(data_dir, tmp_path, "--seed", "2", "--epochs", "1"))
    params, _, _ = trainer.train(args)
    assert not np.array_equal(params["fc2.weight"], straight_run["params"]["fc2.weight"])


class Crash(Exception):
    """Stands for a run killed after an epoch."""


def test_resume_equals_uninterrupted_run(straight_run, data_dir, tmp_path, monkeypatch,
                                         capsys):
    save = trainer.save_checkpoint

    def save_then_crash(directory, params, optimiser, history, args):
        save(directory, params, optimiser, history, args)
        raise Crash(f"killed after epoch {len(history)}")

    argv = run_argv(data_dir, tmp_path, "--resume")
    with monkeypatch.context() as patch:
        patch.setattr(trainer, "save_checkpoint", save_then_crash)
        with pytest.raises(Crash, match="killed after epoch 1"):
            trainer.train(trainer.parse_args(argv))
    assert len(checkpoint_state(tmp_path / "ck")[1]) == 1
    params, history, _ = trainer.train(trainer.parse_args(argv))
    assert "resumed after epoch 1" in capsys.readouterr().out
    assert without_timings(history) == without_timings(straight_run["history"])
    for name, value in straight_run["params"].items():
        np.testing.assert_array_equal(params[name], value, err_msg=name)


@pytest.mark.parametrize("change", [["--lr", "0.002"], ["--seed", "3"], ["--no-augment"],
                                    ["--epochs", "3"], ["--limit", "96"]])
def test_resume_refuses_a_checkpoint_of_other_options(straight_run, data_dir, tmp_path, change):
    argv = run_argv(data_dir, tmp_path, "--resume", *change)
    argv[argv.index("--checkpoint-dir") + 1] = str(straight_run["ck"])
    with pytest.raises(ValueError, match="was made with other options"):
        trainer.train(trainer.parse_args(argv))


def test_split_and_schedule():
    images, labels = np.arange(100), np.arange(100) % 10
    args = trainer.parse_args(["--limit", "60", "--valid-size", "20"])
    train_x, _, valid_x, _ = trainer.split(images, labels, args)
    assert train_x.tolist() == list(range(20, 60)) and valid_x.tolist() == list(range(20))
    final = trainer.split(images, labels, trainer.parse_args(["--final"]))
    assert len(final[0]) == 100 and len(final[2]) == 0
    assert trainer.learning_rate(args, 0.0) == 1e-3
    assert trainer.learning_rate(args, 0.5) == pytest.approx(5e-4)
    assert trainer.learning_rate(args, 0.999) < 1e-8
    constant = trainer.parse_args(["--lr-schedule", "constant", "--lr", "0.01"])
    assert trainer.learning_rate(constant, 0.7) == 0.01


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--batch-size", "0"]])
def test_bad_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        trainer.parse_args(argv)
    assert "--epochs and --batch-size must be positive" in capsys.readouterr().err


# ---------------------------------------------------------------- outputs
def test_outputs_written(straight_run, data_dir):
    out = straight_run["out"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"model", "architecture", "parameters", "parameter_count", "input", "weights",
            "training", "test_accuracy", "test_correct", "per_class_accuracy",
            "confusion"} <= set(manifest)
    training = manifest["training"]
    assert training["command"] == "python -m cnnlab.train " + " ".join(straight_run["argv"])
    assert training["options"] == trainer.run_config(trainer.parse_args(straight_run["argv"]))
    assert training["augmentation"] == json.loads(json.dumps(augment.AUGMENTATION))
    assert set(training["data_sha256"]) == {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
    assert training["data_sha256"]["t10k-labels-idx1-ubyte"] == hashlib.sha256(
        gzip.decompress((data_dir / "t10k-labels-idx1-ubyte.gz").read_bytes())).hexdigest()
    assert manifest["parameter_count"] == 3_274_634
    assert manifest["parameters"]["fc1.weight"] == [1024, 3136]

    weights_file = out / manifest["weights"]["file"]
    assert manifest["weights"]["sha256"] == hashlib.sha256(weights_file.read_bytes()).hexdigest()
    assert manifest["weights"]["bytes"] == weights_file.stat().st_size <= 3_500_000

    history = json.loads((out / "history.json").read_text())
    assert history == straight_run["history"]

    figures = out / "figures"
    assert (figures / "learning-curves.svg").read_text().lstrip().startswith("<?xml")
    assert (figures / "confusion-matrix.svg").read_text().lstrip().startswith("<?xml")
    assert (figures / "misclassified.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    loaded = model.load_pretrained(out)
    for name, value in straight_run["params"].items():
        assert loaded[name].shape == value.shape and loaded[name].dtype == np.float32
        # int8 per output channel: within half a step, max|w_c| / 254, of the float32 weights
        step = np.abs(value.reshape(len(value), -1)).max(axis=1) / 254 if value.ndim > 1 else 0
        error = np.abs(loaded[name] - value).reshape(len(value), -1).max(axis=1)
        assert (error <= step * 1.0001 + 1e-7).all(), name

    images, labels = bar_digits(100, 1)
    result = evaluate.evaluate(loaded, images, labels)
    assert manifest["test_accuracy"]["compact"] == result["accuracy"]
    assert manifest["test_correct"]["compact"] == result["correct"]
    assert manifest["confusion"] == result["confusion"]
    full = evaluate.evaluate(straight_run["params"], images, labels)
    assert manifest["test_accuracy"]["float32"] == full["accuracy"]


# ---------------------------------------------------------------- evaluation
def test_evaluate_main_reproduces_the_manifest(straight_run, data_dir, capsys):
    assert evaluate.main(["--data", str(data_dir), "--weights", str(straight_run["out"])]) == 0
    text = capsys.readouterr().out
    manifest = json.loads((straight_run["out"] / "manifest.json").read_text())
    recorded = manifest["test_accuracy"]["compact"]
    assert f"test accuracy: {recorded:.2f}% ({manifest['test_correct']['compact']} / 100)" in text
    assert "confusion matrix (rows: true digit, columns: predicted):" in text
    assert f"manifest records {recorded:.2f}%: reproduced" in text


def test_evaluate_main_reports_a_mismatch(straight_run, data_dir, tmp_path, capsys):
    weights_dir = tmp_path / "weights"
    shutil.copytree(straight_run["out"], weights_dir)
    manifest = json.loads((weights_dir / "manifest.json").read_text())
    manifest["test_accuracy"]["compact"] += 1
    (weights_dir / "manifest.json").write_text(json.dumps(manifest))
    weights_file = weights_dir / manifest["weights"]["file"]
    assert evaluate.main(["--data", str(data_dir), "--weights", str(weights_file)]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_evaluate_counts(data_dir):
    params = model.init_params(np.random.default_rng(4))
    images, labels = bar_digits(100, 1)
    result = evaluate.evaluate(params, images, labels)
    confusion = np.array(result["confusion"])
    predictions = model.forward(evaluate.to_input(images), params).argmax(axis=1)
    np.testing.assert_array_equal(result["predictions"], predictions)
    assert confusion.shape == (10, 10) and confusion.sum() == result["total"] == 100
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(labels, minlength=10))
    np.testing.assert_array_equal(confusion.sum(axis=0), np.bincount(predictions, minlength=10))
    assert result["correct"] == np.trace(confusion) == int((predictions == labels).sum())
    assert result["accuracy"] == round(100 * result["correct"] / 100, 4)
    for digit in range(10):
        expected = 100 * np.mean(predictions[labels == digit] == digit)
        assert result["per_class_accuracy"][digit] == pytest.approx(expected, abs=1e-4)


def test_evaluate_predicts_in_batches():
    params = model.init_params(np.random.default_rng(2))
    images = bar_digits(7, 3)[0]
    np.testing.assert_allclose(evaluate.predict(params, images, batch_size=3),
                               evaluate.predict(params, images), rtol=1e-5, atol=1e-6)


def test_format_report():
    confusion = np.diag([4, 4, 4, 2, 4, 4, 4, 4, 4, 4])
    confusion[3, 5] = 2
    result = {"accuracy": 95.2381, "correct": 38, "total": 40 + 2,
              "per_class_accuracy": [100.0] * 3 + [50.0] + [100.0] * 6,
              "confusion": confusion.tolist()}
    lines = evaluate.format_report(result).splitlines()
    assert lines[0] == "test accuracy: 95.24% (38 / 42)"
    assert "  3: 50.00%" in lines and "  9: 100.00%" in lines
    header = lines.index("confusion matrix (rows: true digit, columns: predicted):")
    assert lines[header + 1].split() == [str(d) for d in range(10)]
    rows = lines[header + 2:]
    assert len(rows) == 10
    assert rows[3].split() == ["3:", "0", "0", "0", "2", "0", "2", "0", "0", "0", "0"]


# ---------------------------------------------------------------- augmentation
NO_CHANGE = {"rotation_degrees": 0.0, "scale": (1.0, 1.0), "shear_degrees": 0.0,
             "shift_pixels": 0.0}


class UpperBound:
    """Stands in for a generator: each ``uniform`` draw is its upper limit, so that
    :func:`augment.random_affine` applies exactly the transform the ranges name."""

    def uniform(self, low, high, size):
        return np.full(size, float(high))


def blob(n: int, seed: int) -> np.ndarray:
    """Smooth digit-like blobs away from the border, float32 (n, 28, 28)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    centres = rng.uniform(12.5, 14.5, size=(n, 2))
    return np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2)
                  / (2 * 2.0 ** 2)).astype(np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_augment_shape_and_dtype(dtype):
    images = blob(5, 0).astype(dtype)
    out = augment.random_affine(images, np.random.default_rng(0))
    assert out.shape == images.shape and out.dtype == dtype
    assert not np.allclose(out, images)


@pytest.mark.parametrize("seed", range(3))
def test_augment_without_ranges_is_the_identity(seed):
    images = np.random.RandomState(seed).uniform(0, 1, size=(4, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(
        augment.random_affine(images, np.random.default_rng(seed), NO_CHANGE), images)


@pytest.mark.parametrize("seed", range(3))
def test_augment_shift_moves_the_image(seed):
    images = np.random.RandomState(seed).uniform(0, 1, size=(3, 28, 28))
    out = augment.random_affine(images, UpperBound(), {**NO_CHANGE, "shift_pixels": 2.0})
    rolled = np.roll(images, (2, 2), axis=(1, 2))  # down and right by 2 px
    np.testing.assert_allclose(out[:, 2:, 2:], rolled[:, 2:, 2:], atol=1e-12)
    assert not out[:, :2].any() and not out[:, :, :2].any()  # moved in from outside: 0


def test_augment_rotation_by_a_right_angle():
    images = np.random.RandomState(0).uniform(0, 1, size=(2, 28, 28))
    out = augment.random_affine(images, UpperBound(), {**NO_CHANGE, "rotation_degrees": 90.0})
    quarter_turns = [np.rot90(images, k, axes=(1, 2)) for k in (1, -1)]
    assert any(np.allclose(out, turned, atol=1e-9) for turned in quarter_turns)


@pytest.mark.parametrize("seed", range(3))
def test_augment_roughly_preserves_mass(seed):
    images = blob(16, seed)
    moved = augment.random_affine(images, np.random.default_rng(seed),
                                  {**augment.AUGMENTATION, "scale": (1.0, 1.0)})
    ratio = moved.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    np.testing.assert_allclose(ratio, 1, atol=0.03)  # rotation, shear, shift keep the area
    scaled = augment.random_affine(images, np.random.default_rng(seed))
    ratio = scaled.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    low, high = augment.AUGMENTATION["scale"]  # zooming by s scales the area by s²
    assert (ratio > 0.97 * low ** 2).all() and (ratio < 1.03 * high ** 2).all()
