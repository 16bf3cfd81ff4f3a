"""The compact weights file of the pretrained model, and a converter from PyTorch.

Format ``int8-per-channel-v1``: one ``.npz`` archive (a zip of ``.npy`` files,
stored uncompressed) that plain NumPy reads, in the browser too. It holds

- ``format``: the string ``"int8-per-channel-v1"``;
- for each weight ``W`` of shape ``(C_out, ...)`` (convolution and linear):
  ``<name>.int8``, int8 of the same shape, and ``<name>.scale``, float32 ``(C_out,)``;
- for each bias: ``<name>``, float32.

Quantization is symmetric, per output channel ``c``::

    scale_c = max |W_c| / 127        q = round(W_c / scale_c)  in [-127, 127]
    W_c ≈ q * scale_c                with |W_c - q * scale_c| <= scale_c / 2

For the chapter's model that is 3.29 MB instead of 13.1 MB of float32. Uncompressed,
because deflate saves only 10-20 % on int8 weights but makes loading 20-50 times
slower (measured with ``np.load`` on random normal and Laplace weights).

A manifest (JSON) next to the file describes it::

    {"weights": {"file": "mnist_cnn.npz", "format": "int8-per-channel-v1",
                 "sha256": "...", "bytes": 3285746},
     "parameters": {"conv1.weight": [32, 1, 5, 5], ...}, ...}

This module imports only NumPy and the standard library (PyTorch only inside
:func:`from_torch`): it is how the browser loads the model.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import pickle
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

PathLike = str | os.PathLike
Source = PathLike | bytes | bytearray | memoryview

FORMAT = "int8-per-channel-v1"
WEIGHTS_FILE = "mnist_cnn.npz"
MANIFEST_FILE = "manifest.json"
QMAX = 127

#: Positions of the parametrised layers in the book's nn.Sequential, for a state dict
#: saved from a Sequential built without names ("0.weight" ... "10.bias").
SEQUENTIAL_INDEX = {"0": "conv1", "3": "conv2", "7": "fc1", "10": "fc2"}
_ZIP_MAGIC = b"PK\x03\x04"


# ---------------------------------------------------------------- quantization
def _per_channel(scale: np.ndarray, ndim: int) -> np.ndarray:
    """``scale`` (C_out,) reshaped to broadcast against a weight of ``ndim`` dimensions."""
    return scale.reshape((-1,) + (1,) * (ndim - 1))


def quantize(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 quantization with one scale per output channel (axis 0).

    Parameters
    ----------
    weight : float array (C_out, ...)

    Returns
    -------
    q : int8 array (C_out, ...), ``round(weight / scale_c)`` in [-127, 127]
    scale : float32 array (C_out,), ``max |weight_c| / 127`` (0 for an all-zero channel)

    >>> q, scale = quantize(np.array([[0.5, -1.27, 0.0], [0.0, 0.0, 0.0]]))
    >>> q.tolist(), np.round(scale, 4).tolist()
    ([[50, -127, 0], [0, 0, 0]], [0.01, 0.0])
    """
    weight = np.asarray(weight, dtype=np.float64)
    scale = (np.abs(weight.reshape(len(weight), -1)).max(axis=1) / QMAX).astype(np.float32)
    # Divide by the stored float32 scale, so that q * scale is the nearest grid point.
    divisor = _per_channel(np.where(scale > 0, scale, 1).astype(np.float64), weight.ndim)
    q = np.clip(np.round(weight / divisor), -QMAX, QMAX).astype(np.int8)
    return q, scale


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32 ``q * scale_c``, the inverse of :func:`quantize` up to scale_c / 2.

    >>> dequantize(np.array([[50, -127]], np.int8), np.array([0.01], np.float32)).tolist()
    [[0.5, -1.2699999809265137]]
    """
    return q.astype(np.float32) * _per_channel(np.asarray(scale, np.float32), q.ndim)


# ---------------------------------------------------------------- hashing
def sha256_bytes(data: bytes) -> str:
    """SHA-256 of ``data``, as 64 hex digits.

    >>> sha256_bytes(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: PathLike) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- encoding
def _entries() -> dict[str, tuple[str, tuple[int, ...]]]:
    """Every archive entry but ``format``: key -> (dtype, shape), in the model's order."""
    from .model import PARAM_SHAPES  # imported here so that model.py may import this module

    entries = {}
    for name, shape in PARAM_SHAPES.items():
        if len(shape) > 1:
            entries[name + ".int8"] = ("int8", shape)
            entries[name + ".scale"] = ("float32", shape[:1])
        else:
            entries[name] = ("float32", shape)
    return entries


def parameter_table() -> dict[str, list[int]]:
    """The manifest's ``parameters`` block: name -> shape as a list, in the model's order.

    >>> parameter_table()["conv2.weight"]
    [64, 32, 5, 5]
    """
    from .model import PARAM_SHAPES

    return {name: list(shape) for name, shape in PARAM_SHAPES.items()}


def encode_compact(params: Mapping[str, np.ndarray]) -> bytes:
    """The bytes of the compact file for ``params`` (names and shapes of the model).

    Equal parameters give identical bytes, hence an identical SHA-256: the zip
    entries carry a fixed timestamp instead of the time of writing.

    >>> from cnnlab.model import PARAM_SHAPES
    >>> zeros = {name: np.zeros(shape, np.float32) for name, shape in PARAM_SHAPES.items()}
    >>> data = encode_compact(zeros)
    >>> len(data), data == encode_compact(zeros)
    (3285746, True)
    >>> decode_compact(data)["fc1.weight"].shape
    (1024, 3136)
    """
    from .model import check_params

    check_params(params)
    arrays = {"format": np.array(FORMAT)}
    for name, value in params.items():
        value = np.asarray(value, dtype=np.float32)
        if not np.isfinite(value).all():
            raise ValueError(f"{name} must be finite, got NaN or infinity")
        if value.ndim > 1:
            arrays[name + ".int8"], arrays[name + ".scale"] = quantize(value)
        else:
            arrays[name] = value
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for key in ["format", *_entries()]:
            member = io.BytesIO()
            np.lib.format.write_array(member, arrays[key], allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3  # the same bytes whichever system writes them
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def save_compact(params: Mapping[str, np.ndarray], path: PathLike) -> str:
    """Write ``params`` in the compact format to ``path``; return the file's SHA-256.

    The file is written under a temporary name and renamed, so ``path`` is never
    half-written.
    """
    data = encode_compact(params)
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=str(target.parent), prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the file is published
        os.replace(temporary, str(target))
    except BaseException:
        os.unlink(temporary)
        raise
    return sha256_bytes(data)


def describe_weights(path: PathLike) -> dict[str, Any]:
    """The manifest's ``weights`` block for a compact file (checked to load).

    Returns
    -------
    ``{"file": name, "format": "int8-per-channel-v1", "sha256": hex, "bytes": size}``

    >>> import tempfile
    >>> from cnnlab.model import PARAM_SHAPES
    >>> zeros = {name: np.zeros(shape, np.float32) for name, shape in PARAM_SHAPES.items()}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sha256 = save_compact(zeros, Path(tmp, "mnist_cnn.npz"))
    ...     block = describe_weights(Path(tmp, "mnist_cnn.npz"))
    >>> block["file"], block["bytes"], block["sha256"] == sha256
    ('mnist_cnn.npz', 3285746, True)
    """
    data = Path(path).read_bytes()
    decode_compact(data, str(path))
    return {"file": Path(path).name, "format": FORMAT, "sha256": sha256_bytes(data),
            "bytes": len(data)}


# ---------------------------------------------------------------- decoding
def _read_archive(data: bytes, source: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` given as bytes; any damage is a ValueError.

    Read with zipfile rather than ``np.load``, whose NpzFile (NumPy 1.17) reports an
    error of its own from ``__del__`` when the zip is damaged.
    """
    if data[:4] != _ZIP_MAGIC:
        raise ValueError(f"{source}: not an .npz archive (it does not start with a zip header)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {
                name[: -len(".npy")] if name.endswith(".npy") else name:
                np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
            }
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise ValueError(f"{source}: corrupt .npz archive ({err})") from None


def decode_compact(data: bytes, source: str = "<bytes>") -> dict[str, np.ndarray]:
    """float32 parameters from the bytes of a compact file, every entry checked.

    A damaged archive, another format, a missing or extra entry, a wrong dtype or
    shape, or a scale that is negative or not finite is a ValueError naming it.
    """
    arrays = _read_archive(data, source)
    fmt = arrays.pop("format", None)
    if fmt is None or fmt.shape != () or fmt.dtype.kind != "U" or str(fmt[()]) != FORMAT:
        got = "no format entry" if fmt is None else f"format {fmt!r}"
        raise ValueError(f"{source}: expected format {FORMAT!r}, got {got}")
    entries = _entries()
    missing = [key for key in entries if key not in arrays]
    extra = sorted(key for key in arrays if key not in entries)
    if missing or extra:
        raise ValueError(f"{source}: entries do not match the model: missing {missing}, "
                         f"unexpected {extra}")
    for key, (dtype, shape) in entries.items():
        array = arrays[key]
        if array.dtype != np.dtype(dtype) or array.shape != shape:
            raise ValueError(f"{source}: {key} must be {dtype} of shape {shape}, "
                             f"got {array.dtype} of shape {array.shape}")
        if dtype == "float32" and not np.isfinite(array).all():
            raise ValueError(f"{source}: {key} holds NaN or infinity")
        if key.endswith(".scale") and (array < 0).any():
            raise ValueError(f"{source}: {key} holds a negative scale")
        if dtype == "int8" and (array == -QMAX - 1).any():
            raise ValueError(f"{source}: {key} holds -128, outside the symmetric range ±127")
    params = {}
    for name in parameter_table():
        if name in arrays:
            params[name] = arrays[name]
        else:
            params[name] = dequantize(arrays[name + ".int8"], arrays[name + ".scale"])
    return params


def _read_manifest(path: Path) -> dict[str, Any]:
    """A manifest file parsed, with its ``weights.file`` present."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable JSON manifest ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("weights"), dict):
        raise ValueError(f"{path}: expected a JSON object with a 'weights' object")
    return manifest


def check_manifest(data: bytes, manifest: Mapping[str, Any], source: str = "<bytes>") -> None:
    """Raise a ValueError unless ``data`` is the weights file ``manifest`` describes.

    Checks the format, byte count and SHA-256 of the ``weights`` block, and that the
    ``parameters`` block lists the model's names and shapes.
    """
    block = manifest.get("weights")
    if not isinstance(block, Mapping):
        raise ValueError(f"manifest for {source}: expected a 'weights' object, got {block!r}")
    if block.get("format") != FORMAT:
        raise ValueError(f"manifest for {source}: expected format {FORMAT!r}, "
                         f"got {block.get('format')!r}")
    if block.get("bytes") != len(data) or block.get("sha256") != sha256_bytes(data):
        raise ValueError(
            f"{source}: {len(data)} bytes with SHA-256 {sha256_bytes(data)}, but the manifest "
            f"says {block.get('bytes')} bytes with SHA-256 {block.get('sha256')}: "
            "the file is corrupted or belongs to another manifest"
        )
    if manifest.get("parameters") != parameter_table():
        raise ValueError(f"manifest for {source}: parameters {manifest.get('parameters')} "
                         f"differ from the model's {parameter_table()}")


def load_pretrained(source: Source, manifest: Mapping[str, Any] | None = None,
                    ) -> dict[str, np.ndarray]:
    """Load compact weights as float32 parameters, verified against a manifest if any.

    Parameters
    ----------
    source :
        - a directory holding ``manifest.json`` and the weights file it names
          (verified);
        - a weights file (verified if a ``manifest.json`` beside it names it);
        - the file's bytes (what the browser fetched).
    manifest : a parsed manifest to verify against (overrides one found on disk)

    Returns
    -------
    dict name -> float32 array, with the names and shapes of ``model.PARAM_SHAPES``

    >>> from cnnlab.model import PARAM_SHAPES
    >>> ones = {name: np.ones(shape, np.float32) for name, shape in PARAM_SHAPES.items()}
    >>> params = load_pretrained(encode_compact(ones))
    >>> params["conv1.weight"][0, 0, 0].tolist(), params["fc2.bias"].dtype.name
    ([1.0, 1.0, 1.0, 1.0, 1.0], 'float32')
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "<bytes>"
    else:
        path = Path(source)
        if path.is_dir():
            if manifest is None:
                if not (path / MANIFEST_FILE).is_file():
                    raise ValueError(f"{path}: a weights directory must hold {MANIFEST_FILE}; "
                                     f"it holds {sorted(p.name for p in path.iterdir())}")
                manifest = _read_manifest(path / MANIFEST_FILE)
            path = path / str(manifest["weights"].get("file"))
        elif manifest is None and (path.parent / MANIFEST_FILE).is_file():
            beside = _read_manifest(path.parent / MANIFEST_FILE)
            if beside["weights"].get("file") == path.name:
                manifest = beside
        if not path.is_file():
            raise ValueError(f"no weights file {path}")
        data, name = path.read_bytes(), str(path)
    if manifest is not None:
        check_manifest(data, manifest, name)
    return decode_compact(data, name)


# ---------------------------------------------------------------- from PyTorch
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
    from .model import check_params

    try:
        check_params(params)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return params


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnlab.weights from-torch MODEL.pt --out DIR [--force]``."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnlab.weights", description="Tools for the compact weights file."
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
