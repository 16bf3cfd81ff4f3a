"""cnnlab.weights: int8 per-channel quantization, the compact file, its manifest checks,
and every corruption case (the PyTorch converter: tests/train/test_convert.py)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnlab import weights
from cnnlab.model import PARAM_SHAPES

MAX_BYTES = 3_500_000
FORMAT = "int8-per-channel-v1"


def random_params(seed: int, std: float = 0.05) -> dict:
    """Full-size parameters, normal like trained ones, each channel with its own spread."""
    rng = np.random.RandomState(seed)
    params = {}
    for name, shape in PARAM_SHAPES.items():
        spread = std * 10 ** rng.uniform(-1, 1, size=(shape[0],) + (1,) * (len(shape) - 1))
        params[name] = (rng.standard_normal(shape) * spread).astype(np.float32)
    return params


def within_half_step(original: np.ndarray, restored: np.ndarray) -> bool:
    """|w - deq(w)| <= scale_c / 2 per output channel, scale_c = max|w_c| / 127 computed
    here; the 1e-5 allows for float32 rounding of q * scale (|q| <= 127)."""
    scale = np.abs(original.reshape(len(original), -1)).max(axis=1) / 127
    error = np.abs(original - restored).reshape(len(original), -1).max(axis=1)
    return bool((error <= scale * (0.5 + 1e-5)).all())


@pytest.fixture(scope="module")
def params() -> dict:
    return random_params(0)


@pytest.fixture(scope="module")
def compact(params) -> bytes:
    return weights.encode_compact(params)


# ---------------------------------------------------------------- quantization
@pytest.mark.parametrize("shape", [(4, 3), (8, 2, 3, 3), (1, 7), (16, 1, 5, 5)], ids=str)
@pytest.mark.parametrize("seed", range(5))
def test_quantize_per_output_channel(seed, shape):
    rng = np.random.RandomState(seed)
    spread = 10 ** rng.uniform(-3, 1, size=(shape[0],) + (1,) * (len(shape) - 1))
    weight = (rng.standard_normal(shape) * spread).astype(np.float32)
    q, scale = weights.quantize(weight)
    assert q.dtype == np.int8 and q.shape == shape
    assert scale.dtype == np.float32 and scale.shape == shape[:1]
    reference = np.array([np.abs(channel).max() / 127 for channel in weight], np.float32)
    np.testing.assert_array_equal(scale, reference)
    # The largest entry of each channel lands on the end of the grid, ±127.
    assert np.abs(q.reshape(len(q), -1).astype(int)).max(axis=1).tolist() == [127] * shape[0]
    assert within_half_step(weight, weights.dequantize(q, scale))


@pytest.mark.parametrize("seed", range(5))
def test_values_on_the_grid_survive_exactly(seed):
    rng = np.random.RandomState(seed)
    q = rng.randint(-127, 128, size=(6, 3, 2, 2)).astype(np.int8)
    q[:, 0, 0, 0] = rng.choice([-127, 127], size=6)  # so that each channel's scale is recovered
    scale = rng.uniform(1e-4, 1, size=6).astype(np.float32)
    q_again, scale_again = weights.quantize(weights.dequantize(q, scale))
    np.testing.assert_array_equal(q_again, q)
    np.testing.assert_allclose(scale_again, scale, rtol=1e-6)


def test_zero_channel_quantizes_to_zero():
    weight = np.array([[0.0, 0.0], [0.3, -0.6]], np.float32)
    q, scale = weights.quantize(weight)
    assert q.tolist() == [[0, 0], [64, -127]]
    assert scale[0] == 0
    assert weights.dequantize(q, scale)[0].tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- the compact file
@pytest.mark.parametrize("seed", range(3))
def test_round_trip_through_a_file(tmp_path, seed):
    original = random_params(seed)
    path = tmp_path / "w.npz"
    weights.save_compact(original, path)
    loaded = weights.load_pretrained(path)
    assert list(loaded) == list(PARAM_SHAPES)
    for name, value in loaded.items():
        assert value.dtype == np.float32 and value.shape == PARAM_SHAPES[name]
        if value.ndim == 1:
            np.testing.assert_array_equal(value, original[name])  # biases stay float32
        else:
            assert within_half_step(original[name], value), name
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]  # no temporary left


def test_save_returns_the_files_sha256(tmp_path, params, compact):
    path = tmp_path / "w.npz"
    digest = weights.save_compact(params, path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest() == weights.sha256_file(path)
    assert path.read_bytes() == compact


def test_full_model_fits_the_size_budget(compact):
    int8_bytes = sum(int(np.prod(s)) for s in PARAM_SHAPES.values() if len(s) > 1)
    assert int8_bytes <= len(compact) <= MAX_BYTES


def test_same_parameters_same_bytes(params, compact):
    assert weights.encode_compact(dict(params)) == compact
    changed = dict(params, **{"fc2.bias": params["fc2.bias"] + 1})
    assert weights.encode_compact(changed) != compact


def test_plain_numpy_reads_the_archive(compact):
    with np.load(io.BytesIO(compact), allow_pickle=False) as archive:
        assert str(archive["format"]) == FORMAT
        assert archive["fc1.weight.int8"].dtype == np.int8
        assert archive["fc1.weight.scale"].shape == (1024,)
        assert archive["fc1.bias"].dtype == np.float32


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bytes_source(compact, kind):
    loaded = weights.load_pretrained(kind(compact))
    expected = weights.decode_compact(compact)
    assert all(np.array_equal(loaded[name], expected[name]) for name in PARAM_SHAPES)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"fc2.bias": None}, r"parameters do not match the model: missing \['fc2.bias'\]"),
        ({"fc3.bias": np.zeros(3)}, r"extra \['fc3.bias'\]"),
        ({"conv1.bias": np.zeros(31)}, r"conv1.bias must have shape \(32,\), got \(31,\)"),
        ({"fc2.weight": np.full((10, 1024), np.nan)}, "fc2.weight must be finite"),
    ],
    ids=["missing", "extra", "shape", "nan"],
)
def test_save_rejects_bad_parameters(tmp_path, params, change, message):
    bad = {k: v for k, v in dict(params, **change).items() if v is not None}
    with pytest.raises(ValueError, match=message):
        weights.save_compact(bad, tmp_path / "w.npz")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- corruption
def archive(arrays: dict) -> bytes:
    """An .npz written by plain np.savez, independent of the module's writer."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def entries(compact: bytes) -> dict:
    with np.load(io.BytesIO(compact)) as loaded:
        return {key: loaded[key] for key in loaded.files}


def edited(compact: bytes, change: dict) -> bytes:
    """The archive with entries added or replaced (None removes one)."""
    arrays = dict(entries(compact), **change)
    return archive({key: value for key, value in arrays.items() if value is not None})


def flip_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    return buffer.getvalue()


# case -> (function of the good archive's bytes giving the bad ones, message pattern)
CORRUPTIONS = {
    "empty": (lambda c: b"", r"not an \.npz archive"),
    "not a zip": (lambda c: b"<html>Not found</html>", r"not an \.npz archive"),
    "npy instead of npz": (lambda c: npy_bytes(), r"not an \.npz archive"),
    "truncated": (lambda c: c[: len(c) // 2], r"corrupt \.npz archive"),
    "flipped byte": (lambda c: flip_byte(c, len(c) // 2), r"corrupt \.npz archive \(Bad CRC-32"),
    "object array": (
        lambda c: edited(c, {"format": np.array([FORMAT], dtype=object)}),
        r"corrupt \.npz archive",
    ),
    "no format": (lambda c: edited(c, {"format": None}), "got no format entry"),
    "other format": (
        lambda c: edited(c, {"format": np.array("float16-v1")}), "got format array"
    ),
    "missing bias": (
        lambda c: edited(c, {"conv2.bias": None}), r"missing \['conv2.bias'\], unexpected \[\]"
    ),
    "extra entry": (
        lambda c: edited(c, {"fc3.bias": np.zeros(2, np.float32)}),
        r"missing \[\], unexpected \['fc3.bias'\]",
    ),
    "float32 weight": (
        lambda c: edited(c, {"fc2.weight.int8": None, "fc2.weight.scale": None,
                             "fc2.weight": np.zeros((10, 1024), np.float32)}),
        r"missing \['fc2.weight.int8', 'fc2.weight.scale'\], unexpected \['fc2.weight'\]",
    ),
    "wrong shape": (
        lambda c: edited(c, {"fc2.weight.int8": np.zeros((10, 1023), np.int8)}),
        r"fc2.weight.int8 must be int8 of shape \(10, 1024\), got int8 of shape \(10, 1023\)",
    ),
    "wrong dtype": (
        lambda c: edited(c, {"conv1.weight.int8": np.zeros((32, 1, 5, 5), np.int16)}),
        r"conv1.weight.int8 must be int8 of shape \(32, 1, 5, 5\), got int16",
    ),
    "nan scale": (
        lambda c: edited(c, {"conv2.weight.scale": np.full(64, np.nan, np.float32)}),
        "conv2.weight.scale holds NaN or infinity",
    ),
    "infinite bias": (
        lambda c: edited(c, {"fc1.bias": np.full(1024, np.inf, np.float32)}),
        "fc1.bias holds NaN or infinity",
    ),
    "negative scale": (
        lambda c: edited(c, {"conv1.weight.scale": -np.ones(32, np.float32)}),
        "conv1.weight.scale holds a negative scale",
    ),
    "-128": (
        lambda c: edited(c, {"fc2.weight.int8": np.full((10, 1024), -128, np.int8)}),
        "fc2.weight.int8 holds -128",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupted_file(tmp_path, compact, case):
    corrupt, message = CORRUPTIONS[case]
    path = tmp_path / "w.npz"
    path.write_bytes(corrupt(compact))
    with pytest.raises(ValueError, match=message) as caught:
        weights.load_pretrained(path)
    assert str(caught.value).startswith(f"{path}: ")


# ---------------------------------------------------------------- manifests
def publish(directory: Path, params: dict, name: str = weights.WEIGHTS_FILE) -> dict:
    """Weights plus a manifest in ``directory``, as the trainer writes them."""
    directory.mkdir(exist_ok=True)
    weights.save_compact(params, directory / name)
    manifest = {"weights": weights.describe_weights(directory / name),
                "parameters": weights.parameter_table(), "test_accuracy": 0.99}
    (directory / weights.MANIFEST_FILE).write_text(json.dumps(manifest))
    return manifest


def test_describe_weights(tmp_path, params, compact):
    path = tmp_path / "model.npz"
    path.write_bytes(compact)
    assert weights.describe_weights(path) == {
        "file": "model.npz", "format": "int8-per-channel-v1",
        "sha256": hashlib.sha256(compact).hexdigest(), "bytes": len(compact),
    }


def test_describe_rejects_a_corrupt_file(tmp_path, compact):
    path = tmp_path / "model.npz"
    path.write_bytes(compact[:-10])
    with pytest.raises(ValueError, match=r"corrupt \.npz archive"):
        weights.describe_weights(path)


def test_parameter_table_is_json_of_the_model_shapes():
    table = weights.parameter_table()
    assert json.loads(json.dumps(table)) == table
    assert {name: tuple(shape) for name, shape in table.items()} == dict(PARAM_SHAPES)


@pytest.mark.parametrize("by", ["directory", "file"])
def test_verified_load(tmp_path, params, by):
    publish(tmp_path, params)
    source = tmp_path if by == "directory" else tmp_path / weights.WEIGHTS_FILE
    loaded = weights.load_pretrained(str(source))
    assert within_half_step(params["fc1.weight"], loaded["fc1.weight"])


@pytest.mark.parametrize("by", ["directory", "file"])
def test_manifest_catches_a_substituted_file(tmp_path, params, by):
    publish(tmp_path, params)
    weights.save_compact(random_params(1), tmp_path / weights.WEIGHTS_FILE)  # valid, but not it
    source = tmp_path if by == "directory" else tmp_path / weights.WEIGHTS_FILE
    with pytest.raises(ValueError, match=r"mnist_cnn.npz: \d+ bytes with SHA-256 [0-9a-f]{64}, "
                       r"but the manifest says \d+ bytes with SHA-256 [0-9a-f]{64}"):
        weights.load_pretrained(source)


def test_manifest_beside_another_file_is_not_applied(tmp_path, params):
    publish(tmp_path, params)
    weights.save_compact(random_params(1), tmp_path / "other.npz")
    loaded = weights.load_pretrained(tmp_path / "other.npz")
    assert within_half_step(random_params(1)["conv1.weight"], loaded["conv1.weight"])


def test_directory_without_manifest(tmp_path, params):
    weights.save_compact(params, tmp_path / weights.WEIGHTS_FILE)
    with pytest.raises(ValueError, match=r"must hold manifest.json; it holds \['mnist_cnn.npz'\]"):
        weights.load_pretrained(tmp_path)


def test_manifest_names_a_missing_file(tmp_path, params):
    publish(tmp_path, params)
    (tmp_path / weights.WEIGHTS_FILE).unlink()
    with pytest.raises(ValueError, match=r"no weights file .*mnist_cnn\.npz"):
        weights.load_pretrained(tmp_path)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"weights": "mnist_cnn.npz"}'])
def test_unreadable_manifest(tmp_path, params, text):
    publish(tmp_path, params)
    (tmp_path / weights.MANIFEST_FILE).write_text(text)
    with pytest.raises(ValueError, match=r"manifest\.json: "):
        weights.load_pretrained(tmp_path)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"sha256": "0" * 64}, "but the manifest says .* with SHA-256 0{64}"),
        ({"bytes": 12}, "but the manifest says 12 bytes"),
        ({"format": "float16-v1"}, "expected format 'int8-per-channel-v1', got 'float16-v1'"),
    ],
    ids=["sha256", "bytes", "format"],
)
def test_bytes_checked_against_a_manifest(tmp_path, params, compact, change, message):
    manifest = publish(tmp_path, params)
    manifest["weights"].update(change)
    with pytest.raises(ValueError, match=message):
        weights.load_pretrained(compact, manifest)


def test_manifest_with_other_parameter_shapes(tmp_path, params, compact):
    manifest = publish(tmp_path, params)
    manifest["parameters"]["fc1.weight"] = [512, 3136]
    with pytest.raises(ValueError, match=r"parameters .* differ from the model's"):
        weights.load_pretrained(compact, manifest)


def test_explicit_manifest_overrides_the_one_on_disk(tmp_path, params):
    manifest = publish(tmp_path, params)
    (tmp_path / weights.MANIFEST_FILE).write_text("{broken")
    loaded = weights.load_pretrained(tmp_path / weights.WEIGHTS_FILE, manifest)
    assert loaded["conv1.bias"].tolist() == params["conv1.bias"].tolist()


# ---------------------------------------------------------------- imports
@pytest.mark.skipif(sys.version_info < (3, 10), reason="needs sys.stdlib_module_names")
@pytest.mark.parametrize("module,cnnlab_modules", [
    ("cnnlab.weights", ["cnnlab", "cnnlab.architecture", "cnnlab.weights"]),
    ("cnnlab.train.mnist", ["cnnlab", "cnnlab.train", "cnnlab.train.mnist"]),
])
def test_imports_only_numpy_and_the_standard_library(module, cnnlab_modules):
    """What the browser would have to load: nothing but NumPy, the stdlib and itself."""
    script = (
        f"import sys; before = set(sys.modules); import {module}; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout.split()
    allowed = sys.stdlib_module_names | {"numpy", "cnnlab"}
    assert [name for name in loaded if name.split(".")[0] not in allowed] == []
    assert sorted(name for name in loaded if name.startswith("cnnlab")) == cnnlab_modules
