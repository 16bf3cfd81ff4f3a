"""MNIST from its four IDX files: reading, checking, and fetching them.

An IDX file is big-endian: two zero bytes, a type byte (``0x08``: unsigned byte,
the only type MNIST uses), the number of dimensions ``d``, then ``d`` uint32 sizes,
then the ``prod(sizes)`` data bytes in C order. So the image files have magic
number ``0x00000803`` = 2051 (N × 28 × 28) and the label files ``0x00000801`` = 2049
(N). Files may be gzip-compressed; that is recognised by content, not by name.

Nothing here needs more than NumPy and the standard library.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import os
import shutil
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

PathLike = str | os.PathLike

#: The two files of each split: (images, labels), by their standard names.
SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FILE_NAMES = SPLITS["train"] + SPLITS["test"]
IMAGE_SIZE = 28

#: SHA-256 of the decompressed files of the canonical MNIST distribution (a mirror may
#: recompress the .gz files, so the decompressed content is what is compared).
CANONICAL_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
#: The project's copy (``../shared/data/mnist``, see its README): canonical except the
#: training images, rebuilt from a PNG export (every pixel within ±1 grey level).
PROJECT_COPY_SHA256 = {
    **CANONICAL_SHA256,
    "train-images-idx3-ubyte": "374ba378bee06c633f4800ac6a495f71d1b80b0e82bf763acbfa4c7e9c379f75",
}

#: The mirror torchvision downloads from; it serves the canonical .gz files.
DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
DEFAULT_CACHE = Path("~/.cache/cnnlab/mnist")

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08


# ---------------------------------------------------------------- reading
def decompressed(data: bytes, source: str = "<bytes>") -> bytes:
    """``data`` gunzipped if it starts with the gzip magic bytes, else ``data`` itself.

    >>> decompressed(gzip.compress(b"idx")), decompressed(b"idx")
    (b'idx', b'idx')
    """
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{source}: corrupt gzip data ({err})") from None


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file of unsigned bytes (gzip-compressed or not).

    Parameters
    ----------
    data : the file's bytes
    source : the file's name, for error messages

    Returns
    -------
    uint8 array of the shape the header announces, e.g. (N, 28, 28) or (N,)

    >>> parse_idx(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])).tolist()
    [[1, 2, 3], [4, 5, 6]]
    """
    data = decompressed(data, source)
    if len(data) < 4:
        raise ValueError(
            f"{source}: {len(data)} bytes is too short for an IDX file, "
            "which starts with a 4-byte magic number"
        )
    magic = int.from_bytes(data[:4], "big")
    ndim = data[3]
    if data[:2] != b"\0\0" or data[2] != _UBYTE or ndim == 0:
        raise ValueError(
            f"{source}: bad magic number {magic} (0x{magic:08X}): expected 0x000008NN, "
            "unsigned bytes in NN >= 1 dimensions (2049 for labels, 2051 for images)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{source}: truncated header: {ndim} dimensions need {header} header bytes, "
            f"the file holds {len(data)}"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    got = len(data) - header
    if got != expected:
        problem = "truncated" if got < expected else f"{got - expected} trailing bytes"
        raise ValueError(
            f"{source}: {problem}: the header announces {' x '.join(map(str, dims))} "
            f"= {expected} data bytes, the file holds {got}"
        )
    # A copy, so that the caller gets a writable array that does not pin the file's bytes.
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims).copy()


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file of unsigned bytes, gzip-compressed or not (see :func:`parse_idx`).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp, "tiny-labels-idx1-ubyte")
    ...     _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    ...     read_idx(path).tolist()
    [7, 2, 1]
    """
    return parse_idx(Path(path).read_bytes(), str(path))


def find_idx_file(data_dir: PathLike, name: str) -> Path:
    """The path of the IDX file ``name`` or ``name.gz`` in ``data_dir``.

    A missing file, or both versions at once, is a ``ValueError`` that lists what
    was expected and what the directory holds.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    ...     find_idx_file(tmp, "t10k-labels-idx1-ubyte").name
    't10k-labels-idx1-ubyte.gz'
    """
    directory = Path(data_dir)
    if not directory.is_dir():
        raise ValueError(f"MNIST directory {directory} does not exist or is not a directory")
    candidates = [path for path in (directory / name, directory / (name + ".gz")) if path.exists()]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ValueError(
            f"both {name} and {name}.gz are in {directory}: keep one, so it is clear which is read"
        )
    held = ", ".join(sorted(path.name for path in directory.iterdir())) or "nothing"
    raise ValueError(f"no {name} or {name}.gz in {directory}; it holds: {held}")


def load_split(data_dir: PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of the MNIST ``"train"`` or ``"test"`` split.

    Returns
    -------
    images : uint8 array (N, 28, 28), white digit on black, 0..255
    labels : uint8 array (N,), digits 0..9

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     header = bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28])
    ...     _ = Path(tmp, "t10k-images-idx3-ubyte").write_bytes(header + bytes(784))
    ...     _ = Path(tmp, "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 7]))
    ...     images, labels = load_split(tmp, "test")
    ...     images.shape, labels.tolist()
    ((1, 28, 28), [7])
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    images_path, labels_path = (find_idx_file(data_dir, name) for name in SPLITS[split])
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"{images_path}: expected images of shape (N, 28, 28) (magic 2051), "
            f"got shape {images.shape} (magic {0x800 + images.ndim})"
        )
    if labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected labels of shape (N,) (magic 2049), "
            f"got shape {labels.shape} (magic {0x800 + labels.ndim})"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be digits 0..9, found {int(labels.max())}")
    return images, labels


def content_sha256(path: PathLike) -> str:
    """SHA-256 (hex) of a file's content, decompressed first if it is gzip."""
    return hashlib.sha256(decompressed(Path(path).read_bytes(), str(path))).hexdigest()


def file_digests(data_dir: PathLike) -> dict[str, str]:
    """SHA-256 of the decompressed content of the four MNIST files, by standard name.

    This is what a manifest records: compare with :data:`CANONICAL_SHA256`.
    """
    return {name: content_sha256(find_idx_file(data_dir, name)) for name in FILE_NAMES}


# ---------------------------------------------------------------- downloading
def _holds(path: Path, sha256: str) -> bool:
    """Whether ``path`` exists and its decompressed content has this SHA-256."""
    try:
        return path.is_file() and content_sha256(path) == sha256
    except ValueError:  # a corrupt leftover is fetched again
        return False


def _open_url(url: str, timeout: float) -> http.client.HTTPResponse:
    """``urlopen(url)``, with HTTP and network failures as an ``OSError`` naming the URL."""
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        raise OSError(f"download of {url} failed: HTTP {err.code} {err.reason}") from None
    except urllib.error.URLError as err:
        raise OSError(f"download of {url} failed: {err.reason}") from None


def _fetch_verified(url: str, target: Path, sha256: str, timeout: float) -> None:
    """Download ``url`` to a temporary file beside ``target``, check it, then rename it.

    The rename is atomic, so ``target`` is either absent, the old file, or the
    verified new one: never half-written.
    """
    handle, temporary = tempfile.mkstemp(dir=str(target.parent), prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out, _open_url(url, timeout) as response:
            shutil.copyfileobj(response, out)
        got = content_sha256(temporary)
        if got != sha256:
            raise ValueError(
                f"{url}: SHA-256 of the decompressed content is {got}, expected {sha256}; "
                "the file was not kept"
            )
        os.replace(temporary, str(target))
    except BaseException:
        os.unlink(temporary)
        raise


def download(
    cache_dir: PathLike,
    mirror: str = DEFAULT_MIRROR,
    expected_sha256: Mapping[str, str] = CANONICAL_SHA256,
    timeout: float = 60.0,
) -> Path:
    """Fetch the MNIST ``.gz`` files from ``mirror`` into ``cache_dir``, verified.

    Files already there with the right content are kept; each other file is
    downloaded to a temporary name, its decompressed SHA-256 compared with
    ``expected_sha256[name]``, and only then renamed into place. A mismatch is a
    ``ValueError`` and leaves nothing behind; an HTTP or network failure is an ``OSError``.

    Parameters
    ----------
    cache_dir : directory to fill (created if needed)
    mirror : base URL; the files are ``mirror + name + ".gz"``
    expected_sha256 : name -> SHA-256 of the decompressed file (tests pass their own)
    timeout : seconds to wait for the server

    Returns
    -------
    ``cache_dir`` as a Path, ready for :func:`load_split`

    >>> download(".", expected_sha256={})  # nothing asked, nothing fetched
    PosixPath('.')
    """
    cache = Path(cache_dir).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    base = mirror if mirror.endswith("/") else mirror + "/"
    for name, sha256 in expected_sha256.items():
        target = cache / (name + ".gz")
        if not _holds(target, sha256):
            _fetch_verified(base + name + ".gz", target, sha256, timeout)
    return cache


# ---------------------------------------------------------------- command line
def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--data DIR``, ``--download`` and ``--cache DIR`` (shared by train and evaluate).

    >>> parser = argparse.ArgumentParser()
    >>> add_data_arguments(parser)
    >>> parser.parse_args(["--data", "mnist"]).data.name
    'mnist'
    """
    group = parser.add_argument_group("MNIST data")
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--data", metavar="DIR", type=Path,
        help="directory holding the four MNIST IDX files, gzip-compressed or not "
        "(this project's copy: ../shared/data/mnist)",
    )
    source.add_argument(
        "--download", action="store_true",
        help=f"fetch the files from {DEFAULT_MIRROR} into --cache, verifying their SHA-256",
    )
    group.add_argument(
        "--cache", metavar="DIR", type=Path, default=DEFAULT_CACHE,
        help="where --download puts the files, and where they are looked for when "
        "--data is not given (default: %(default)s)",
    )


def resolve_data_dir(args: argparse.Namespace) -> Path:
    """The MNIST directory the parsed arguments ask for, downloading first if told to.

    Without ``--data`` or ``--download``, the cache is used if it holds the four files.

    >>> resolve_data_dir(argparse.Namespace(data=Path("mnist"), download=False, cache=None))
    PosixPath('mnist')
    """
    if args.download:
        return download(args.cache)
    if args.data is not None:
        return Path(args.data)
    cache = Path(args.cache).expanduser()
    if all((cache / name).exists() or (cache / (name + ".gz")).exists() for name in FILE_NAMES):
        return cache
    raise ValueError(
        f"no MNIST data: pass --data DIR (this project's copy is ../shared/data/mnist), "
        f"or --download to fetch it into {cache}"
    )
