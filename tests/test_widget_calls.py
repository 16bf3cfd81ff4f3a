"""Every Python name a widget calls exists: the ``"cnnlab.<module>.<function>"`` strings of
the widget scripts, imported and checked to be functions with a docstring.

A renamed or moved function then fails here, natively, instead of only in the browser.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "docs" / "assets" / "javascripts"
NAME = re.compile(r"[\"'`](cnnlab(?:\.[A-Za-z_]\w*)+)[\"'`]")  # a quoted dotted name


def called_names() -> list[str]:
    """The dotted names quoted in the widget scripts, sorted, each once."""
    return sorted({name for path in SCRIPTS.rglob("*.js")
                   for name in NAME.findall(path.read_text(encoding="utf-8"))})


def test_the_widgets_call_python_by_name():
    assert "cnnlab.pages.inside.inspect_drawing" in called_names()


@pytest.mark.parametrize("name", called_names())
def test_every_called_name_exists(name):
    module_name, _, function = name.rpartition(".")
    assert not module_name.startswith("cnnlab.train"), "the browser has no cnnlab.train"
    function = getattr(importlib.import_module(module_name), function, None)
    assert callable(function), f"{name} is not a function of {module_name}"
    assert (function.__doc__ or "").strip(), f"{name} has no docstring"
