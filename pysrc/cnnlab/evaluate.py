"""Evaluate MNIST weights: ``python -m cnnlab.evaluate --data DIR [--weights pretrained]``.

Prints the test accuracy, the per-class accuracy and the confusion matrix, and
checks the figure against the one recorded in the weights' manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import mnist, model


def to_input(images: np.ndarray) -> np.ndarray:
    """MNIST uint8 images (N, 28, 28) -> model input (N, 1, 28, 28) float32 in [0, 1].

    >>> to_input(np.full((1, 28, 28), 255, np.uint8)).max().item()
    1.0
    """
    return (images.astype(np.float32) / 255)[:, None]


def predict(params: dict[str, np.ndarray], images: np.ndarray,
            batch_size: int = 1000) -> np.ndarray:
    """Logits (N, 10) of the model for uint8 images (N, 28, 28), in batches."""
    logits = [model.forward(to_input(images[i:i + batch_size]), params)
              for i in range(0, len(images), batch_size)]
    return np.concatenate(logits)


def evaluate(params: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, per-class accuracy and confusion matrix of ``params`` on a labelled set.

    Returns
    -------
    dict with ``accuracy`` (percent), ``correct``, ``total``, ``per_class_accuracy``
    (percent for digits 0-9), ``confusion`` (10×10 list, rows = true digit,
    columns = predicted digit) and ``predictions`` (N,) array.
    """
    predictions = predict(params, images).argmax(axis=1)
    confusion = np.bincount(labels.astype(int) * 10 + predictions, minlength=100).reshape(10, 10)
    correct = int(np.trace(confusion))
    per_class = 100 * np.diag(confusion) / np.maximum(confusion.sum(axis=1), 1)
    return {
        "accuracy": round(100 * correct / len(labels), 4),
        "correct": correct,
        "total": len(labels),
        "per_class_accuracy": [round(float(a), 4) for a in per_class],
        "confusion": confusion.tolist(),
        "predictions": predictions,
    }


def format_report(result: dict) -> str:
    """The text the command prints: accuracy, per-class accuracy, confusion matrix."""
    lines = [f"test accuracy: {result['accuracy']:.2f}% "
             f"({result['correct']} / {result['total']})", "", "per-class accuracy:"]
    lines += [f"  {digit}: {acc:.2f}%" for digit, acc in enumerate(result["per_class_accuracy"])]
    lines += ["", "confusion matrix (rows: true digit, columns: predicted):",
              "      " + "".join(f"{d:>6}" for d in range(10))]
    lines += [f"  {d:>2}: " + "".join(f"{n:>6}" for n in row)
              for d, row in enumerate(result["confusion"])]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnlab.evaluate", description=__doc__)
    mnist.add_data_arguments(parser)
    parser.add_argument("--weights", default="pretrained",
                        help="weights directory (with manifest.json) or .npz file")
    args = parser.parse_args(argv)
    params = model.load_pretrained(args.weights)
    images, labels = mnist.load_split(mnist.resolve_data_dir(args), "test")
    result = evaluate(params, images, labels)
    print(format_report(result))
    manifest_path = Path(args.weights)
    manifest_path = manifest_path / "manifest.json" if manifest_path.is_dir() else \
        manifest_path.with_name("manifest.json")
    if manifest_path.exists():
        recorded = json.loads(manifest_path.read_text())["test_accuracy"]["compact"]
        same = recorded == result["accuracy"]
        print(f"\nmanifest records {recorded:.2f}%: {'reproduced' if same else 'MISMATCH'}")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
