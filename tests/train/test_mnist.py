"""cnnlab.train.mnist: IDX reading, every corrupt-file case, the real data, and downloads
from a local HTTP server (never the internet)."""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import http.server
import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnlab.train import mnist

SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file written independently of the reader: magic, sizes, data."""
    array = np.asarray(array, dtype=np.uint8)
    return (
        bytes([0, 0, 8, array.ndim])
        + struct.pack(f">{array.ndim}I", *array.shape)
        + array.tobytes()
    )


def write_split(directory: Path, split: str, n: int, seed: int, compress: bool) -> tuple:
    """Random images and labels of a split, written as IDX files; returns the arrays."""
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, size=n).astype(np.uint8)
    for name, array in zip(mnist.SPLITS[split], (images, labels)):
        data = idx_bytes(array)
        if compress:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return images, labels


# ---------------------------------------------------------------- round trips
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    "shape", [(7,), (3, 28, 28), (2, 3, 4, 5), (0,), (0, 28, 28)], ids=str
)
@pytest.mark.parametrize("seed", range(3))
def test_read_idx_round_trip(tmp_path, seed, shape, compress):
    array = np.random.RandomState(seed).randint(0, 256, size=shape).astype(np.uint8)
    data = idx_bytes(array)
    path = tmp_path / "file-idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    got = mnist.read_idx(path)
    assert got.dtype == np.uint8
    assert got.shape == shape
    np.testing.assert_array_equal(got, array)
    got[...] = 0  # writable, and a copy


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("split,n", [("train", 9), ("test", 4)])
def test_load_split_round_trip(tmp_path, split, n, compress):
    images, labels = write_split(tmp_path, split, n, seed=n, compress=compress)
    got_images, got_labels = mnist.load_split(tmp_path, split)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    (tmp_path / "plain.gz").write_bytes(idx_bytes(array))
    (tmp_path / "packed").write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "plain.gz"), array)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "packed"), array)


# ---------------------------------------------------------------- corrupt files
GOOD = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
ANNOUNCED = "the header announces 2 x 3 x 4 = 24 data bytes"

# case -> (file content, the literal part of the message that follows "PATH: ")
CORRUPT_FILES = {
    "truncated": (GOOD[:-1], f"truncated: {ANNOUNCED}, the file holds 23"),
    "trailing": (GOOD + b"\0\0", f"2 trailing bytes: {ANNOUNCED}, the file holds 26"),
    "bad magic": (b"\x01" + GOOD[1:], "bad magic number 16779267 (0x01000803): expected"),
    "float type": (GOOD[:2] + b"\x0d" + GOOD[3:], "bad magic number 3331 (0x00000D03)"),
    "zero dimensions": (bytes([0, 0, 8, 0]) + b"\1\2", "bad magic number 2048 (0x00000800)"),
    "too short": (b"\0\0", "2 bytes is too short for an IDX file"),
    "empty": (b"", "0 bytes is too short for an IDX file"),
    "truncated header": (
        GOOD[:10], "truncated header: 3 dimensions need 16 header bytes, the file holds 10"
    ),
    "truncated gzip": (gzip.compress(GOOD)[:-9], "corrupt gzip data"),
    "corrupt gzip": (gzip.compress(GOOD)[:12] + b"\xff" * 20, "corrupt gzip data"),
    "gzip crc": (
        gzip.compress(GOOD)[:-8] + b"\0\0\0\0" + gzip.compress(GOOD)[-4:], "corrupt gzip data"
    ),
    "truncated inside gzip": (gzip.compress(GOOD[:-3]), "truncated: "),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_FILES))
def test_corrupt_file_is_named_with_its_problem(tmp_path, case):
    data, message = CORRUPT_FILES[case]
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(ValueError) as caught:
        mnist.read_idx(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def make_split_dir(tmp_path: Path, **replace: bytes) -> Path:
    """A valid test split (3 samples), with some files' bytes replaced."""
    write_split(tmp_path, "test", 3, seed=0, compress=False)
    for name, data in replace.items():
        (tmp_path / name.replace("_", "-")).write_bytes(data)
    return tmp_path


def test_images_of_wrong_size(tmp_path):
    make_split_dir(tmp_path, t10k_images_idx3_ubyte=idx_bytes(np.zeros((3, 27, 28))))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte: expected images of shape "
                       r"\(N, 28, 28\) \(magic 2051\), got shape \(3, 27, 28\)"):
        mnist.load_split(tmp_path, "test")


def test_labels_and_images_swapped(tmp_path):
    labels = idx_bytes(np.zeros(3))
    images = idx_bytes(np.zeros((3, 28, 28)))
    make_split_dir(tmp_path, t10k_images_idx3_ubyte=labels, t10k_labels_idx1_ubyte=images)
    with pytest.raises(ValueError, match=r"got shape \(3,\) \(magic 2049\)"):
        mnist.load_split(tmp_path, "test")


def test_labels_of_wrong_rank(tmp_path):
    make_split_dir(tmp_path, t10k_labels_idx1_ubyte=idx_bytes(np.zeros((3, 1))))
    with pytest.raises(ValueError, match=r"labels of shape \(N,\) \(magic 2049\), got shape "
                       r"\(3, 1\) \(magic 2050\)"):
        mnist.load_split(tmp_path, "test")


def test_count_mismatch(tmp_path):
    make_split_dir(tmp_path, t10k_labels_idx1_ubyte=idx_bytes(np.zeros(4)))
    with pytest.raises(ValueError, match=r"holds 3 images but .*t10k-labels-idx1-ubyte holds 4"):
        mnist.load_split(tmp_path, "test")


def test_label_out_of_range(tmp_path):
    make_split_dir(tmp_path, t10k_labels_idx1_ubyte=idx_bytes([1, 10, 2]))
    with pytest.raises(ValueError, match=r"labels must be digits 0\.\.9, found 10"):
        mnist.load_split(tmp_path, "test")


def test_missing_file_lists_the_directory(tmp_path):
    make_split_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").rename(tmp_path / "t10k-labels.idx1-ubyte")
    with pytest.raises(ValueError, match=r"no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte\.gz"
                       r" in .*; it holds: t10k-images-idx3-ubyte, t10k-labels\.idx1-ubyte$"):
        mnist.load_split(tmp_path, "test")


def test_empty_directory(tmp_path):
    with pytest.raises(ValueError, match=r"; it holds: nothing$"):
        mnist.load_split(tmp_path, "train")


def test_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="does not exist or is not a directory"):
        mnist.load_split(tmp_path / "nowhere", "train")


def test_both_compressed_and_raw_is_ambiguous(tmp_path):
    make_split_dir(tmp_path)
    data = (tmp_path / "t10k-images-idx3-ubyte").read_bytes()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(data))
    with pytest.raises(ValueError, match=r"both t10k-images-idx3-ubyte and "
                       r"t10k-images-idx3-ubyte\.gz are in"):
        mnist.load_split(tmp_path, "test")


def test_unknown_split(tmp_path):
    with pytest.raises(ValueError, match=r"split must be one of \['test', 'train'\], got 'val'"):
        mnist.load_split(tmp_path, "val")


# ---------------------------------------------------------------- digests
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_file_digests_hash_the_decompressed_content(tmp_path, compress):
    for split in mnist.SPLITS:
        write_split(tmp_path, split, 2, seed=1, compress=compress)
    expected = {}
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        expected[path.name.replace(".gz", "")] = hashlib.sha256(
            gzip.decompress(data) if compress else data
        ).hexdigest()
    assert mnist.file_digests(tmp_path) == expected
    assert list(mnist.file_digests(tmp_path)) == list(mnist.FILE_NAMES)


def test_project_copy_differs_from_canonical_only_in_training_images():
    differing = [
        name for name in mnist.FILE_NAMES
        if mnist.CANONICAL_SHA256[name] != mnist.PROJECT_COPY_SHA256[name]
    ]
    assert differing == ["train-images-idx3-ubyte"]


# ---------------------------------------------------------------- the real data
needs_real_mnist = pytest.mark.skipif(
    not SHARED_MNIST.is_dir() and not os.environ.get("CI"),
    reason=f"MNIST not at {SHARED_MNIST} (in CI it must be, so there this fails instead)",
)


@needs_real_mnist
@pytest.mark.parametrize("split,n", [("train", 60000), ("test", 10000)])
def test_real_mnist_loads(split, n):
    images, labels = mnist.load_split(SHARED_MNIST, split)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.uint8
    assert sorted(np.unique(labels).tolist()) == list(range(10))
    # White digits on black: the border is mostly black, the centre has ink.
    assert images[:, 0, :].mean() < 1 and images[:, 10:18, 10:18].mean() > 50


@needs_real_mnist
def test_real_mnist_digests():
    assert mnist.file_digests(SHARED_MNIST) == mnist.PROJECT_COPY_SHA256


# ---------------------------------------------------------------- downloads
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep test output clean
        pass


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server over ``tmp_path / "mirror"``; yields (directory, base URL)."""
    root = tmp_path / "mirror"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/mnist"
    server.shutdown()
    server.server_close()
    thread.join()


def publish(root: Path, seed: int = 0) -> dict:
    """Put generated .gz MNIST files under ``root/mnist``; return their content digests."""
    (root / "mnist").mkdir(exist_ok=True)
    for split in mnist.SPLITS:
        write_split(root / "mnist", split, 3, seed=seed, compress=True)
    return {
        name: hashlib.sha256(gzip.decompress((root / "mnist" / (name + ".gz")).read_bytes()))
        .hexdigest()
        for name in mnist.FILE_NAMES
    }


def test_download_verifies_and_loads(tmp_path, mirror):
    root, url = mirror
    digests = publish(root)
    cache = tmp_path / "cache" / "mnist"
    assert mnist.download(cache, mirror=url, expected_sha256=digests) == cache
    assert sorted(p.name for p in cache.iterdir()) == sorted(n + ".gz" for n in mnist.FILE_NAMES)
    assert mnist.file_digests(cache) == digests
    images, _ = mnist.load_split(cache, "train")
    assert images.shape == (3, 28, 28)


def test_download_keeps_verified_files(tmp_path, mirror):
    root, url = mirror
    digests = publish(root)
    cache = tmp_path / "cache"
    mnist.download(cache, mirror=url, expected_sha256=digests)
    for path in (root / "mnist").iterdir():
        path.unlink()  # a second download must not need the server
    mnist.download(cache, mirror=url, expected_sha256=digests)
    assert mnist.file_digests(cache) == digests


def test_download_replaces_a_corrupt_file(tmp_path, mirror):
    root, url = mirror
    digests = publish(root)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    mnist.download(cache, mirror=url, expected_sha256=digests)
    assert mnist.file_digests(cache) == digests


def test_download_checksum_mismatch_leaves_nothing(tmp_path, mirror):
    root, url = mirror
    digests = publish(root)
    digests["t10k-images-idx3-ubyte"] = "0" * 64
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz: SHA-256 of the decompressed "
                       r"content is [0-9a-f]{64}, expected 0{64}; the file was not kept"):
        mnist.download(cache, mirror=url, expected_sha256=digests)
    # The files verified before the bad one stay; nothing of the bad one, not even a temporary.
    assert sorted(p.name for p in cache.iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
    ]


def test_download_http_404(tmp_path, mirror):
    root, url = mirror
    digests = publish(root)
    (root / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"download of http://127\.0\.0\.1:\d+/mnist/"
                       r"train-labels-idx1-ubyte\.gz failed: HTTP 404"):
        mnist.download(cache, mirror=url, expected_sha256=digests)
    assert [p.name for p in cache.iterdir()] == ["train-images-idx3-ubyte.gz"]


def test_download_unreachable_server(tmp_path):
    with pytest.raises(OSError, match=r"download of http://127\.0\.0\.1:9/x\.gz failed"):
        mnist.download(tmp_path, mirror="http://127.0.0.1:9", expected_sha256={"x": "0" * 64})
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- command line
def parse(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    mnist.add_data_arguments(parser)
    return parser.parse_args(argv)


def test_default_cache_and_no_data():
    args = parse([])
    assert args.data is None and not args.download
    assert args.cache == Path("~/.cache/cnnlab/mnist")


def test_data_and_download_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        parse(["--data", "x", "--download"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_resolve_data_dir_explicit(tmp_path):
    assert mnist.resolve_data_dir(parse(["--data", str(tmp_path)])) == tmp_path


def test_resolve_data_dir_downloads_into_cache(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(mnist, "download", lambda cache: calls.append(cache) or cache)
    assert mnist.resolve_data_dir(parse(["--download", "--cache", str(tmp_path)])) == tmp_path
    assert calls == [tmp_path]


def test_resolve_data_dir_uses_a_filled_cache(tmp_path):
    for split in mnist.SPLITS:
        write_split(tmp_path, split, 1, seed=0, compress=True)
    assert mnist.resolve_data_dir(parse(["--cache", str(tmp_path)])) == tmp_path


def test_resolve_data_dir_without_data(tmp_path):
    with pytest.raises(ValueError, match=r"no MNIST data: pass --data DIR .* or --download"):
        mnist.resolve_data_dir(parse(["--cache", str(tmp_path / "empty")]))
