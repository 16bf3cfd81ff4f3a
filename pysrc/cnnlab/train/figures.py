"""Figures made at training time for the docs: learning curves, confusion matrix,
misclassified test digits (matplotlib). Used only offline, never in the browser."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np


def write_all(directory: Path, history: list, result: dict, images: np.ndarray,
              labels: np.ndarray) -> list:
    """Write the three figures into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [
        learning_curves(history, directory / "learning-curves.svg"),
        confusion_matrix(np.array(result["confusion"]), directory / "confusion-matrix.svg"),
        misclassified(images, labels, result["predictions"], directory / "misclassified.png"),
    ]
    plt.close("all")
    return paths


def learning_curves(history: list, path: Path) -> Path:
    """Loss and accuracy per epoch, training and validation."""
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4))
    for split in ("train", "valid"):
        if split + "_loss" in history[0]:
            ax_loss.plot(epochs, [row[split + "_loss"] for row in history], "o-", label=split)
            ax_acc.plot(epochs, [row[split + "_accuracy"] for row in history], "o-", label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})  # no date: the same run gives the same file
    return path


def confusion_matrix(confusion: np.ndarray, path: Path) -> Path:
    """Counts of (true digit, predicted digit) on the test set, off-diagonal highlighted."""
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    off_diagonal = confusion * (1 - np.eye(10, dtype=int))
    ax.imshow(off_diagonal, cmap="Reds")
    for (i, j), count in np.ndenumerate(confusion):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="black" if i != j else "tab:blue")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title="test set confusion matrix")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    return path


def misclassified(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                  path: Path, limit: int = 40) -> Path:
    """A grid of misclassified test digits labelled 'true → predicted'."""
    wrong = np.flatnonzero(predictions != labels)[:limit]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.95, rows * 1.15), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, wrong):
        ax.imshow(images[index], cmap="gray")
        ax.set_title(f"{labels[index]} → {predictions[index]}", fontsize=8)
    fig.suptitle("misclassified test digits (true → predicted)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)  # a raster: 40 small bitmaps make a heavy SVG
    return path
