"""Convert the book's PyTorch model into the site's compact weights file.

``python -m cnnlab.train.convert from-torch MODEL.pt --out DIR [--force]`` reads a
``state_dict()`` (or a pickled ``nn.Sequential``) of the book's network and writes
``mnist_cnn.npz`` and ``manifest.json`` (:mod:`cnnlab.weights`). Offline code: PyTorch is an
optional extra, and the browser never loads this module.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..architecture import CHAPTER
from ..weights import (
    MANIFEST_FILE,
    WEIGHTS_FILE,
    PathLike,
    describe_weights,
    parameter_table,
    save_compact,
    sha256_file,
)

#: Positions of the parametrised layers in the book's nn.Sequential, for a state dict
#: saved from a Sequential built without names ("0.weight" ... "10.bias").
SEQUENTIAL_INDEX = CHAPTER.sequential_index


def _book_name(key: str) -> str:
    """A state-dict key as the book names it: prefixes dropped, Sequential indices named.

    >>> _book_name("module.model.7.weight"), _book_name("fc2.bias")
    ('fc1.weight', 'fc2.bias')
    """
    while key.startswith(("module.", "model.")):
        key = key.split(".", 1)[1]
    layer, _, attribute = key.partition(".")
    return f"{SEQUENTIAL_INDEX.get(layer, layer)}.{attribute}"


def from_torch(path: PathLike) -> dict[str, np.ndarray]:
    """float32 parameters from a PyTorch file of the book's model.

    Accepts ``torch.save(model.state_dict(), path)`` or ``torch.save(model, path)``
    for the book's ``nn.Sequential``, with keys named (``conv1.weight``) or numbered
    (``0.weight``), optionally prefixed by ``model.`` or ``module.``. The file is
    loaded with ``weights_only=True``: no code in it runs. Needs PyTorch >= 2.5.
    """
    try:
        import torch
    except ImportError:
        raise ImportError(
            "from_torch needs PyTorch, an optional extra: pip install torch"
        ) from None
    if not Path(path).is_file():
        raise ValueError(f"no PyTorch file {path}")
    nn = torch.nn
    book_layers = [nn.Sequential, nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear,
                   nn.Dropout]
    try:
        with torch.serialization.safe_globals(book_layers):
            loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        reason = str(err).strip().splitlines()[0]
        raise ValueError(f"{path}: not a state dict or a pickled nn.Sequential of the book's "
                         f"layers ({reason}); save model.state_dict() instead") from None
    state = loaded.state_dict() if isinstance(loaded, nn.Module) else loaded
    if not isinstance(state, Mapping):
        raise ValueError(f"{path}: expected a state dict or a model, got {type(state).__name__}")
    params = {}
    for key, value in state.items():
        name = _book_name(str(key))
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{path}: {key} is a {type(value).__name__}, not a tensor")
        if name in params:
            raise ValueError(f"{path}: two entries map to {name}")
        params[name] = value.detach().cpu().to(torch.float32).numpy()
    try:
        CHAPTER.check_params(params)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return params


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnlab.train.convert from-torch MODEL.pt --out DIR [--force]``."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnlab.train.convert", description="Tools for the compact weights file."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser(
        "from-torch", help="convert a PyTorch state dict or model of the book's network",
    )
    convert.add_argument("model", type=Path, metavar="MODEL.pt")
    convert.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help=f"directory for {WEIGHTS_FILE} and {MANIFEST_FILE}")
    convert.add_argument("--force", action="store_true", help="replace existing files")
    args = parser.parse_args(argv)

    weights_path, manifest_path = args.out / WEIGHTS_FILE, args.out / MANIFEST_FILE
    existing = [str(p) for p in (weights_path, manifest_path) if p.exists()]
    if existing and not args.force:
        parser.error(f"{', '.join(existing)} exist; pass --force to replace them")
    try:
        params = from_torch(args.model)
    except (ValueError, ImportError) as err:
        parser.error(str(err))
    args.out.mkdir(parents=True, exist_ok=True)
    save_compact(params, weights_path)
    manifest = {
        "weights": describe_weights(weights_path),
        "parameters": parameter_table(),
        "source": {"converted_from": args.model.name, "sha256": sha256_file(args.model)},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {weights_path} ({manifest['weights']['bytes']} bytes) and {manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
