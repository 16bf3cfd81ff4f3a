"""cnnlab.train.convert: the book's PyTorch model (state dict or pickled Sequential) into the
compact weights file, and its command line. Needs PyTorch (skipped without it)."""

from __future__ import annotations

import json
import sys
from collections import OrderedDict

import numpy as np
import pytest
from tests.test_weights import within_half_step

from cnnlab import weights
from cnnlab.model import PARAM_SHAPES
from cnnlab.train import convert


def test_from_torch_without_torch(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match="from_torch needs PyTorch, an optional extra"):
        convert.from_torch(tmp_path / "model.pt")


# ---------------------------------------------------------------- from PyTorch (optional)
def book_model(torch, fc1_out: int = 1024):
    """The book's nn.Sequential, with its module names."""
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 32, 5, padding=2)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(32, 64, 5, padding=2)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(3136, fc1_out)), ("relu3", nn.ReLU()), ("dropout", nn.Dropout(0.5)),
        ("fc2", nn.Linear(fc1_out, 10)),
    ]))


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def saved_forms(torch, model):
    """Ways a reader may have saved the book's model: name -> object for torch.save."""
    state = model.state_dict()
    numbered = torch.nn.Sequential(*model.children()).state_dict()
    return {
        "state_dict": state,
        "whole model": model,
        "module. prefix": OrderedDict(("module." + k, v) for k, v in state.items()),
        "model. prefix": OrderedDict(("model." + k, v) for k, v in state.items()),
        "numbered Sequential": numbered,
    }


@pytest.mark.parametrize("form", ["state_dict", "whole model", "module. prefix",
                                  "model. prefix", "numbered Sequential"])
def test_from_torch(tmp_path, torch, form):
    model = book_model(torch)
    torch.save(saved_forms(torch, model)[form], tmp_path / "model.pt")
    params = convert.from_torch(tmp_path / "model.pt")
    assert list(params) == list(PARAM_SHAPES)
    for name, tensor in model.state_dict().items():
        assert params[name].dtype == np.float32
        np.testing.assert_array_equal(params[name], tensor.numpy())


@pytest.mark.parametrize(
    "content,message",
    [
        ("narrow", r"fc1.weight must have shape \(1024, 3136\), got \(512, 3136\)"),
        ("extra", r"extra \['fc3.weight'\]"),
        ("not a tensor", "fc2.bias is a float, not a tensor"),
        ("garbage", "not a state dict or a pickled nn.Sequential"),
        ("list", "expected a state dict or a model, got list"),
    ],
)
def test_from_torch_rejects(tmp_path, torch, content, message):
    path = tmp_path / "model.pt"
    state = book_model(torch).state_dict()
    if content == "garbage":
        path.write_bytes(b"definitely not a torch file")
    else:
        torch.save({
            "narrow": lambda: book_model(torch, fc1_out=512).state_dict(),
            "extra": lambda: OrderedDict(state, **{"fc3.weight": torch.zeros(2)}),
            "not a tensor": lambda: OrderedDict(state, **{"fc2.bias": 0.5}),
            "list": lambda: [1, 2],
        }[content](), path)
    with pytest.raises(ValueError, match=message):
        convert.from_torch(path)


def test_from_torch_refuses_other_pickled_classes(tmp_path, torch):
    # A whole model is unpickled only if it is made of the book's layers; others could run code.
    torch.save(torch.nn.ModuleDict({"fc1": torch.nn.Linear(2, 2)}), tmp_path / "model.pt")
    with pytest.raises(ValueError, match=r"save model\.state_dict\(\) instead"):
        convert.from_torch(tmp_path / "model.pt")


def test_cli_from_torch(tmp_path, torch, capsys):
    model = book_model(torch)
    torch.save(model, tmp_path / "model.pt")
    out = tmp_path / "site-weights"
    assert convert.main(["from-torch", str(tmp_path / "model.pt"), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["weights"]["sha256"] == weights.sha256_file(out / "mnist_cnn.npz")
    assert manifest["source"] == {"converted_from": "model.pt",
                                  "sha256": weights.sha256_file(tmp_path / "model.pt")}
    loaded = weights.load_pretrained(out)
    original = convert.from_torch(tmp_path / "model.pt")
    assert all(within_half_step(original[name], loaded[name]) for name in PARAM_SHAPES)


def test_cli_keeps_existing_files(tmp_path, torch, capsys):
    torch.save(book_model(torch).state_dict(), tmp_path / "model.pt")
    (tmp_path / "manifest.json").write_text("{}")
    argv = ["from-torch", str(tmp_path / "model.pt"), "--out", str(tmp_path)]
    with pytest.raises(SystemExit):
        convert.main(argv)
    assert "manifest.json exist; pass --force to replace them" in capsys.readouterr().err
    assert (tmp_path / "manifest.json").read_text() == "{}"
    assert convert.main([*argv, "--force"]) == 0
    assert weights.load_pretrained(tmp_path)["fc2.bias"].shape == (10,)


def test_cli_reports_a_missing_model(tmp_path, torch, capsys):
    with pytest.raises(SystemExit):
        convert.main(["from-torch", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")])
    assert "no PyTorch file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
