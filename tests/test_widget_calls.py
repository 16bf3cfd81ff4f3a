"""Every Python name a widget calls exists, and no widget carries Python source: the checks
the build runs (``hooks/widget_calls.py``), natively, one name at a time.

A renamed or moved function then fails here and stops ``mkdocs build``, instead of breaking
only in the browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

import widget_calls


def test_the_widgets_call_python_by_name():
    names = widget_calls.called_names()
    assert "cnnlab.pages.inside.inspect_drawing" in names
    assert "cnnlab.pages.layer_demos.pooling_comparison" in names


@pytest.mark.parametrize("name", widget_calls.called_names())
def test_every_called_name_exists(name):
    assert widget_calls.problem(name) is None


@pytest.mark.parametrize(("name", "says"), [
    ("cnnlab.signal.no_such_function", "is not a function of cnnlab.signal"),
    ("cnnlab.no_such_module.f", "there is no module cnnlab.no_such_module"),
    ("cnnlab.train.trainer.train", "the browser has no cnnlab.train"),
    ("cnnlab.pages.bounds.BATCH", "is not a function"),
])
def test_a_missing_name_is_named(name, says):
    assert says in widget_calls.problem(name)


TESTS = Path(__file__).parent
NATIVE_TESTS = "".join(path.read_text(encoding="utf-8") for path in TESTS.rglob("*.py")
                       if "browser" not in path.parts)


@pytest.mark.parametrize("name", [name for name in widget_calls.called_names()
                                  if name.startswith("cnnlab.pages.")])
def test_every_widget_function_has_a_native_test(name):
    module, _, function = name.rpartition(".")
    assert f"{module.rsplit('.', 1)[1]}.{function}(" in NATIVE_TESTS, f"no native test calls {name}"


def test_no_widget_carries_python_source():
    assert widget_calls.python_sources() == []


def test_a_widget_with_python_source_or_a_lost_name_is_refused(tmp_path):
    script = ('runtime.eval("from cnnlab import signal\\nsignal.pad1d(x, 1)");\n'
              'runtime.call("cnnlab.signal.gone");\n')
    (tmp_path / "bad.js").write_text(script, encoding="utf-8")
    assert widget_calls.problems(tmp_path, tmp_path) == [
        "cnnlab.signal.gone is not a function of cnnlab.signal",
        "bad.js carries Python source: call a named cnnlab.pages function instead",
    ]


def test_the_build_stops_when_a_name_is_lost(monkeypatch):
    monkeypatch.setattr(widget_calls, "problems", lambda: ["cnnlab.signal.gone is not a function"])
    with pytest.raises(PluginError, match=r"widget scripts:\n  cnnlab\.signal\.gone"):
        widget_calls.on_config({})
