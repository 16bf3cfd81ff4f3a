"""The layers of ``cnnlab``, read from the imports of its source (ast), never run.

``architecture`` is a leaf; the library (the top-level modules) imports only the library and
``architecture``; ``pages``, ``practice`` and ``train`` sit on the library and import no
other of the three. Nothing the browser runs (everything but ``train/``) imports ``train``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pysrc" / "cnnlab"
TOP = ("pages", "practice", "train")  # the layers above the library, side by side


def module_name(path: Path) -> str:
    """``pysrc/cnnlab/pages/inside.py`` -> ``cnnlab.pages.inside``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every ``cnnlab`` module ``path`` imports, relative imports resolved, lazy ones too."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # `from cnnlab import model` imports cnnlab.model: count the names as modules too.
            found.update([module] + [f"{module}.{alias.name}" for alias in node.names])
    return {m for m in found if m == "cnnlab" or m.startswith("cnnlab.")}


def layer(module: str) -> str:
    """``architecture``, ``library``, or the name of a layer above it."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in TOP:
        return parts[1]
    return "architecture" if parts[1:] == ["architecture"] else "library"


def allowed(importer: str, target: str) -> bool:
    own, other = layer(importer), layer(target)
    if own == "architecture":
        return False
    if own == "library":
        return other in ("architecture", "library")
    return other in ("architecture", "library", own)


SOURCES = sorted(PACKAGE.rglob("*.py"))


def existing(module: str) -> bool:
    """Whether ``module`` is a module of the package (not a name imported from one)."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_no_module_imports_a_layer_above_its_own(path):
    importer = module_name(path)
    wrong = sorted(target for target in imported(path)
                   if existing(target) and target != "cnnlab" and not allowed(importer, target))
    assert wrong == [], f"{importer} ({layer(importer)}) imports {wrong}"


def test_the_rule_catches_what_it_should():
    assert not allowed("cnnlab.architecture", "cnnlab.layers")
    assert not allowed("cnnlab.model", "cnnlab.pages.inside")
    assert not allowed("cnnlab.weights", "cnnlab.train.mnist")
    assert not allowed("cnnlab.pages.inside", "cnnlab.train.evaluate")
    assert not allowed("cnnlab.train.trainer", "cnnlab.pages.explain")
    assert not allowed("cnnlab.practice.images", "cnnlab.pages.explain")
    assert allowed("cnnlab.pages.inside", "cnnlab.model")
    assert allowed("cnnlab.train.trainer", "cnnlab.train.mnist")
    assert allowed("cnnlab.model", "cnnlab.architecture")


def test_the_architecture_is_a_leaf():
    assert imported(PACKAGE / "architecture.py") == set()
