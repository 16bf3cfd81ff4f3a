"""Train the chapter's MNIST network: ``python -m cnnlab.train --data DIR --out pretrained/``.

The defaults reproduce the book's protocol: the first 10,000 training images are
the validation set, the other 50,000 are trained on, batch 64, Adam with lr 1e-3,
dropout 0.5, inputs scaled to [0, 1] without normalisation, 20 epochs, a fixed
seed. Two additions are on by default for the shipped model and can be switched
off to reproduce the book exactly (``--no-augment --lr-schedule constant``):
random affine augmentation (:mod:`cnnlab.augment`) and a cosine decay of the
learning rate over the run.

Every epoch writes a checkpoint; ``--resume`` continues an interrupted run with
the same result as an uninterrupted one, because each epoch draws its shuffling,
augmentation and dropout from a generator seeded by ``(seed, epoch)``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import augment, backprop, evaluate, mnist, model, weights
from .optim import Adam

CHECKPOINT = "checkpoint.npz"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cnnlab.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mnist.add_data_arguments(parser)
    parser.add_argument("--out", type=Path, default=Path("pretrained"),
                        help="where the weights, manifest, history and figures go")
    parser.add_argument("--checkpoint-dir", type=Path, default=Path("checkpoints"))
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-schedule", choices=["cosine", "constant"], default="cosine")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--valid-size", type=int, default=10_000)
    parser.add_argument("--no-augment", dest="augment", action="store_false",
                        help="train on the images as they are (the book's protocol)")
    parser.add_argument("--final", action="store_true",
                        help="train on all 60,000 images (no validation set)")
    parser.add_argument("--limit", type=int, default=0,
                        help="use only the first N training images (quick runs, tests)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be positive")
    return args


def learning_rate(args: argparse.Namespace, progress: float) -> float:
    """The learning rate at ``progress`` in [0, 1) of the run (cosine decay or constant)."""
    if args.lr_schedule == "constant":
        return args.lr
    return args.lr * 0.5 * (1 + math.cos(math.pi * progress))


def train_epoch(params: dict, optimiser: Adam, images: np.ndarray, labels: np.ndarray,
                args: argparse.Namespace, epoch: int) -> tuple[float, float]:
    """One pass over the training images; returns mean loss and accuracy (percent)."""
    rng = np.random.default_rng([args.seed, epoch])
    order = rng.permutation(len(images))
    steps = math.ceil(len(images) / args.batch_size)
    bar = progress_bar(len(images), f"epoch {epoch + 1}/{args.epochs}", args.progress)
    total_loss = correct = seen = 0
    for step in range(steps):
        batch = order[step * args.batch_size:(step + 1) * args.batch_size]
        x = images[batch].astype(np.float32) / 255
        if args.augment:
            x = augment.random_affine(x, rng)
        optimiser.lr = learning_rate(args, (epoch + step / steps) / args.epochs)
        loss, logits, grads = backprop.loss_and_gradients(params, x[:, None], labels[batch], rng)
        optimiser.step(grads)
        total_loss += loss * len(batch)
        correct += int((logits.argmax(axis=1) == labels[batch]).sum())
        seen += len(batch)
        if bar is not None:
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{100 * correct / seen:.2f}%")
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return total_loss / seen, 100 * correct / seen


def progress_bar(total: int, description: str, enabled: bool):
    """A tqdm bar counting images (so its rate is images/s), or None."""
    if not enabled:
        return None
    from tqdm import tqdm  # training-only dependency

    return tqdm(total=total, desc=description, unit="img", unit_scale=True, leave=False)


def validate(params: dict, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (percent) without dropout."""
    logits = evaluate.predict(params, images)
    loss, _ = backprop.softmax_cross_entropy(logits, labels.astype(int))
    return loss, 100 * float((logits.argmax(axis=1) == labels).mean())


def save_checkpoint(directory: Path, params: dict, optimiser: Adam, history: list,
                    args: argparse.Namespace) -> None:
    """Write the state after an epoch; written to a temporary file, then renamed."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {"param." + k: v for k, v in params.items()}
    arrays.update({"adam." + k: v for k, v in optimiser.state_dict().items()})
    arrays["history"] = np.array(json.dumps(history))
    arrays["config"] = np.array(json.dumps(run_config(args)))
    tmp = directory / (CHECKPOINT + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, directory / CHECKPOINT)


def load_checkpoint(directory: Path, params: dict, optimiser: Adam,
                    args: argparse.Namespace) -> list:
    """Restore parameters and optimiser state in place; return the history so far."""
    with np.load(directory / CHECKPOINT) as data:
        saved = json.loads(str(data["config"]))
        if saved != run_config(args):
            raise ValueError(f"the checkpoint in {directory} was made with other options: "
                             f"{saved} (now {run_config(args)})")
        for name in params:
            params[name][...] = data["param." + name]
        optimiser.load_state_dict({k[5:]: data[k] for k in data.files if k.startswith("adam.")})
        return json.loads(str(data["history"]))


def run_config(args: argparse.Namespace) -> dict:
    """The options that determine the result (a checkpoint only resumes the same run)."""
    keys = ["epochs", "batch_size", "lr", "lr_schedule", "seed", "valid_size", "augment",
            "final", "limit"]
    return {key: getattr(args, key) for key in keys}


def split(images: np.ndarray, labels: np.ndarray, args: argparse.Namespace):
    """(train images, train labels, valid images, valid labels): the first
    ``valid_size`` images validate, unless ``--final`` trains on everything."""
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    if args.final:
        return images, labels, images[:0], labels[:0]
    n = min(args.valid_size, len(images) // 2)
    return images[n:], labels[n:], images[:n], labels[:n]


def train(args: argparse.Namespace) -> tuple[dict, list, float]:
    """Run (or resume) training; returns parameters, history and training seconds."""
    data_dir = mnist.resolve_data_dir(args)
    train_x, train_y, valid_x, valid_y = split(*mnist.load_split(data_dir, "train"), args)
    params = model.init_params(np.random.default_rng(args.seed))
    optimiser = Adam(params, lr=args.lr)
    history: list = []
    if args.resume and (args.checkpoint_dir / CHECKPOINT).exists():
        history = load_checkpoint(args.checkpoint_dir, params, optimiser, args)
        print(f"resumed after epoch {len(history)}", flush=True)
    for epoch in range(len(history), args.epochs):
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(params, optimiser, train_x, train_y, args, epoch)
        training = time.perf_counter() - start  # the rate below: of training alone, unrounded
        row = {"epoch": epoch + 1, "train_loss": round(train_loss, 5),
               "train_accuracy": round(train_acc, 3), "lr": optimiser.lr}
        if len(valid_x):
            valid_loss, valid_acc = validate(params, valid_x, valid_y)
            row.update(valid_loss=round(valid_loss, 5), valid_accuracy=round(valid_acc, 3))
        row["seconds"] = round(time.perf_counter() - start, 1)  # with validation
        row["images_per_second"] = round(len(train_x) / training, 1)
        history.append(row)
        print("  ".join(f"{k} {v}" for k, v in row.items()), flush=True)
        save_checkpoint(args.checkpoint_dir, params, optimiser, history, args)
    return params, history, sum(row["seconds"] for row in history)


def write_outputs(args: argparse.Namespace, params: dict, history: list, seconds: float,
                  argv: Sequence[str] | None = None) -> dict:
    """Weights, manifest, history and figures into ``args.out``; returns the manifest.

    ``argv`` is the command line the run was given (default ``sys.argv[1:]``), recorded
    in the manifest.
    """
    from . import figures  # needs matplotlib, a training-only dependency

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    data_dir = mnist.resolve_data_dir(args)
    test_x, test_y = mnist.load_split(data_dir, "test")
    full = evaluate.evaluate(params, test_x, test_y)
    weights.save_compact(params, out / weights.WEIGHTS_FILE)
    # From the bytes: a manifest left in ``out`` by an earlier run describes other weights.
    compact_params = weights.load_pretrained((out / weights.WEIGHTS_FILE).read_bytes())
    compact = evaluate.evaluate(compact_params, test_x, test_y)
    manifest = {
        "model": "chapter 14 MNIST CNN (PyTorch nn.Sequential names)",
        "architecture": [f"{row['layer']}: {list(row['output_shape'])}"
                         for row in model.layer_table()],
        "parameters": {name: list(shape) for name, shape in model.PARAM_SHAPES.items()},
        "parameter_count": model.parameter_count(),
        "input": {"shape": [1, 1, 28, 28], "layout": "NCHW", "range": [0, 1],
                  "polarity": "white digit on black", "normalisation": "none (x / 255)"},
        "weights": weights.describe_weights(out / weights.WEIGHTS_FILE),
        "training": {
            "command": "python -m cnnlab.train " + " ".join(sys.argv[1:] if argv is None else argv),
            "options": run_config(args),
            "optimiser": "Adam (betas 0.9, 0.999; eps 1e-8)",
            "dropout": model.DROPOUT_P,
            "augmentation": augment.AUGMENTATION if args.augment else None,
            "data_sha256": mnist.file_digests(data_dir),
            "seconds": round(seconds, 1),
            "machine": machine_description(),
            "numpy": np.__version__,
        },
        "test_accuracy": {"float32": full["accuracy"], "compact": compact["accuracy"]},
        "test_correct": {"float32": full["correct"], "compact": compact["correct"]},
        "per_class_accuracy": compact["per_class_accuracy"],
        "confusion": compact["confusion"],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    figures.write_all(out / "figures", history, compact, test_x, test_y)
    return manifest


def machine_description() -> str:
    """CPU model and core count, for the record."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params, history, seconds = train(args)
    manifest = write_outputs(args, params, history, seconds, argv)
    acc = manifest["test_accuracy"]
    print(f"test accuracy: {acc['float32']:.2f}% (float32), {acc['compact']:.2f}% (compact)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
