"""Training speed: images per second of one full training step at batch 64, float32.

    python -m benchmarks.train_speed [--repeats 5] [--steps 10] [--out FILE]
                                     [--manifest pretrained/manifest.json]

A step is what the trainer does per batch: forward, backward and an Adam update,
with dropout on. For cnnlab that is :func:`cnnlab.backprop.loss_and_gradients`
followed by :meth:`cnnlab.optim.Adam.step`; for PyTorch (CPU, measured only when
``torch`` is importable) the same network as the book's ``nn.Sequential``, started
from the same parameters, with ``torch.optim.Adam`` and as many threads as cores.
Data loading and augmentation are left out of both.

The two are measured in the same run, interleaved: after a warm-up, each repeat
times ``--steps`` steps of cnnlab, then ``--steps`` steps of PyTorch, so both see
the same load on the machine. The report gives the median, minimum and maximum
over the repeats and the ratio of the medians (cnnlab / PyTorch), plus the latency
of :func:`cnnlab.model.forward` on a single image (what classifying one drawing
costs natively), and the machine's load average before and after, since anything
else running on the machine lowers every figure. ``--manifest`` records the result
(images/s of both, their ratio against the 0.5 target, machine, load) under
``training_speed`` in the pretrained model's manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab import backprop, model
from cnnlab.optim import Adam
from cnnlab.train import machine_description

Step = Callable[[], None]


def import_torch() -> Any:
    """The ``torch`` module, or None when it is not installed (it is optional)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def cnnlab_step(params: dict, images: np.ndarray, labels: np.ndarray, seed: int) -> Step:
    """One training step of cnnlab on a fixed batch, as the trainer runs it."""
    optimiser = Adam(params, lr=1e-3)
    rng = np.random.default_rng(seed)

    def step() -> None:
        _, _, grads = backprop.loss_and_gradients(params, images, labels, rng)
        optimiser.step(grads)

    return step


def torch_step(torch: Any, params: dict, images: np.ndarray, labels: np.ndarray) -> Step:
    """The same step in PyTorch: the book's nn.Sequential, loaded with ``params``."""
    nn = torch.nn
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    network = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 32, kernel_size=5, padding=2)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(32, 64, kernel_size=5, padding=2)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(3136, 1024)), ("relu3", nn.ReLU()), ("dropout", nn.Dropout(0.5)),
        ("fc2", nn.Linear(1024, 10)),
    ]))
    network.load_state_dict({name: torch.from_numpy(value.copy())
                             for name, value in params.items()})
    network.train()
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    x, y = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))

    def step() -> None:
        optimiser.zero_grad()
        nn.functional.cross_entropy(network(x), y).backward()
        optimiser.step()

    return step


def images_per_second(step: Step, steps: int, batch_size: int) -> float:
    """Throughput of ``steps`` consecutive calls of ``step``."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch_size / (time.perf_counter() - start)


def summary(values: Sequence[float], digits: int = 1) -> dict:
    """Median, minimum, maximum and every value, rounded."""
    return {"median": round(statistics.median(values), digits),
            "min": round(min(values), digits), "max": round(max(values), digits),
            "runs": [round(v, digits) for v in values]}


def forward_latency_ms(params: dict, image: np.ndarray, runs: int) -> dict:
    """Milliseconds of :func:`cnnlab.model.forward` on one image (after one warm-up call)."""
    model.forward(image, params)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.forward(image, params)
        times.append(1000 * (time.perf_counter() - start))
    return summary(times, digits=2)


def environment(torch: Any) -> dict:
    """Machine and library versions, for the record."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {
        "machine": machine_description(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": f"{blas.get('name')} {blas.get('version')}",
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
    }


def run(repeats: int, steps: int, warmup: int, batch_size: int, latency_runs: int,
        seed: int = 0) -> dict:
    """Measure everything the module describes; returns the report."""
    torch = import_torch()
    rng = np.random.default_rng(seed)
    params = model.init_params(rng)
    images = rng.uniform(0, 1, size=(batch_size, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, size=batch_size)
    steppers = {"cnnlab": cnnlab_step({k: v.copy() for k, v in params.items()}, images, labels,
                                      seed)}
    if torch is not None:
        steppers["torch"] = torch_step(torch, params, images, labels)
    load_before = os.getloadavg()
    started = time.perf_counter()
    for step in steppers.values():
        for _ in range(warmup):
            step()
    rates: dict = {name: [] for name in steppers}
    for _ in range(repeats):
        for name, step in steppers.items():  # interleaved: both see the same load
            rates[name].append(images_per_second(step, steps, batch_size))
    latency = forward_latency_ms(params, images[:1], latency_runs)
    report = {
        "benchmark": "training step (forward + backward + Adam), float32",
        "batch_size": batch_size, "steps_per_repeat": steps, "repeats": repeats,
        "warmup_steps": warmup,
        "images_per_second": {name: summary(values) for name, values in rates.items()},
        "ratio_cnnlab_to_torch": None,
        "single_image_forward_ms": latency,
        "load_average": {"before": [round(v, 2) for v in load_before],
                         "after": [round(v, 2) for v in os.getloadavg()]},
        "seconds": round(time.perf_counter() - started, 1),
        "environment": environment(torch),
    }
    if torch is not None:
        report["ratio_cnnlab_to_torch"] = round(
            statistics.median(rates["cnnlab"]) / statistics.median(rates["torch"]), 3)
    return report


TARGET_RATIO = 0.5  # the trainer's target: at least half of PyTorch CPU's throughput


def record_in_manifest(report: dict, manifest_path: Path, command: str) -> None:
    """Write the figures of ``report`` under ``training_speed`` in the manifest."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    rates = report["images_per_second"]
    manifest["training_speed"] = {
        "command": command,
        "measured": time.strftime("%Y-%m-%d"),
        "images_per_second": {name: rate["median"] for name, rate in rates.items()},
        "ratio_cnnlab_to_torch": report["ratio_cnnlab_to_torch"],
        "target_ratio": TARGET_RATIO,
        "batch_size": report["batch_size"],
        "repeats": report["repeats"],
        "machine": report["environment"]["machine"],
        "load_average_before": report["load_average"]["before"],
        "numpy": report["environment"]["numpy"], "torch": report["environment"]["torch"],
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_speed",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of each")
    parser.add_argument("--steps", type=int, default=10, help="training steps per repeat")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latency-runs", type=int, default=50,
                        help="timed single-image forward passes")
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    parser.add_argument("--manifest", type=Path,
                        help="record the result in this manifest.json (training_speed)")
    args = parser.parse_args(argv)
    if min(args.repeats, args.steps, args.batch_size, args.latency_runs) < 1 or args.warmup < 0:
        parser.error("--repeats, --steps, --batch-size and --latency-runs must be positive")
    report = run(args.repeats, args.steps, args.warmup, args.batch_size, args.latency_runs)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    if args.manifest:
        command = " ".join(["python -m benchmarks.train_speed", *(argv or sys.argv[1:])])
        record_in_manifest(report, args.manifest, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
