"""The site's build hooks and the Python side of cells and widgets (natively)."""

from __future__ import annotations

import json
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

from mkdocs.exceptions import PluginError  # noqa: E402

import code_cells  # noqa: E402
import search_worker  # noqa: E402
import site_build  # noqa: E402
import weights_files  # noqa: E402
from labrunner import bridge, worker  # noqa: E402
from labrunner.cells import OUTPUT_LIMIT, run_cell  # noqa: E402
from strict_build import strict_build  # noqa: E402


def text_of(result: dict, kind: str) -> str:
    return "".join(text for k, text in result["segments"] if k == kind)


# --- labrunner.cells --------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "segments"), [
    ("print(1)\nprint(2)", [["out", "1\n2\n"]]),
    ("x = 3\nx * 2", [["value", "6\n"]]),
    ("None", []),
    ("import sys\nsys.stderr.write('careful\\n')\nprint('done')",
     [["err", "careful\n"], ["out", "done\n"]]),
    ("import numpy as np\nnp.float64(1.5)", [["value", "1.5\n"]]),  # NumPy 1.x repr, as in Pyodide
])
def test_run_cell_collects_output_in_order(code, segments):
    assert run_cell(code, {})["segments"] == segments


def test_cells_share_a_namespace_and_underscore_holds_the_last_value():
    namespace: dict = {}
    run_cell("a = 20", namespace)
    run_cell("a + 1", namespace)
    assert run_cell("print(_ * 2)", namespace)["segments"] == [["out", "42\n"]]


def test_traceback_starts_at_the_cell_and_shows_library_frames_by_short_path():
    result = run_cell("from cnnlab import signal\n\nsignal.output_size(3, 5)", {}, "<cell 4>")
    assert (result["ok"], result["error"]) == (False, "ValueError")
    trace = text_of(result, "error")
    lines = trace.splitlines()
    assert lines[:3] == ["Traceback (most recent call last):",
                         '  File "<cell 4>", line 3, in <module>',
                         "    signal.output_size(3, 5)"]
    assert '  File "cnnlab/signal.py", line' in trace
    assert lines[-1].startswith("ValueError: the kernel (m=5) is larger than the padded input")
    assert "labrunner" not in trace and str(ROOT) not in trace


@pytest.mark.parametrize(("code", "error", "fragment"), [
    ("x = (1,\ny = 2", "SyntaxError", '"<cell>", line 1'),
    ("raise SystemExit(3)", "SystemExit", "SystemExit: 3"),
    ("undefined_name", "NameError", "name 'undefined_name' is not defined"),
])
def test_errors_become_output(code, error, fragment):
    result = run_cell(code, {})
    assert result["error"] == error
    assert fragment in text_of(result, "error")


@pytest.mark.parametrize("extra", [1, 12_345, 2_000_000])
def test_long_output_is_cut_with_a_count_of_what_was_left_out(extra):
    result = run_cell(f"print('a' * {OUTPUT_LIMIT + extra - 1})", {})
    assert len(text_of(result, "out")) == OUTPUT_LIMIT
    assert text_of(result, "note") == f"\n[output truncated: {extra:,} more characters not shown]\n"


# --- labrunner.bridge -------------------------------------------------------------------------

@pytest.mark.parametrize(("array", "dtype", "data_dtype"), [
    (np.arange(6, dtype=np.float32).reshape(2, 3), "float32", np.float32),
    (np.arange(3, dtype=np.int64), "int64", np.int32),
    (np.array([2**40, 1]), "int64", np.float64),
    (np.array([True, False]), "bool", np.uint8),
    (np.zeros((2, 0)), "float64", np.float64),
])
def test_arrays_go_to_the_page_as_flat_typed_data_with_shape(array, dtype, data_dtype):
    sent = bridge.to_js(array)
    assert (sent["__ndarray__"], sent["shape"]) == (dtype, list(array.shape))
    assert sent["data"].dtype == data_dtype and sent["data"].ndim == 1
    np.testing.assert_array_equal(sent["data"], array.reshape(-1))


def test_values_a_page_cannot_receive_are_refused_with_a_message():
    with pytest.raises(TypeError, match="cannot send a NumPy array of dtype complex128"):
        bridge.to_js(np.ones(2, complex))
    with pytest.raises(TypeError, match="cannot send a set"):
        bridge.to_js({1, 2})


def test_memoryviews_from_typed_arrays_become_arrays_of_their_type():
    received = bridge.from_js([memoryview(np.array([1.5, 2], np.float32)), {"k": 1}])
    assert received[0].dtype == np.float32 and received[0].tolist() == [1.5, 2.0]
    assert received[1] == {"k": 1}


def test_call_and_evaluate_run_cnnlab_by_name():
    assert bridge.call("cnnlab.signal.output_size", [8, 5], {"p": 2}) == 8
    assert bridge.evaluate("from cnnlab import signal\nsignal.output_size(n, 3)", {"n": 5}) == 3
    with pytest.raises(ValueError, match="expected a dotted name"):
        bridge.call("print")


# --- labrunner.worker -------------------------------------------------------------------------

def test_requests_come_back_as_values_or_as_the_error_with_its_traceback():
    assert worker.guarded(worker.call, "cnnlab.signal.output_size", [28, 5],
                          {"p": 2}) == {"ok": True, "value": 28}
    assert set(worker.guarded(worker.versions)["value"]) == {"python", "numpy"}  # natively
    failed = worker.guarded(worker.evaluate, "undefined_name + 1", {})
    assert failed["ok"] is False and failed["error"]["name"] == "NameError"
    assert "undefined_name" in failed["error"]["message"]
    assert "NameError" in failed["error"]["traceback"]


def test_cells_share_the_page_namespace_unless_fresh():
    worker.run("shared_value = 41", "<cell 1>", False)
    assert text_of(worker.run("shared_value + 1", "<cell 2>", False), "value") == "42\n"
    assert worker.run("shared_value", "<cell 3>", True)["error"] == "NameError"


# --- the build hooks --------------------------------------------------------------------------

def test_pages_name_the_sites_search_worker_with_the_themes_behind_it():
    theme = {"base": "..", "search": "../assets/javascripts/workers/search.1234.min.js",
             "translations": {"search.result.none": "No <em>matching</em> documents"}}
    page = ('<p>text</p><script id="__config" type="application/json">'
            f'{json.dumps(theme)}</script><script src="bundle.js"></script>')
    built = search_worker.on_post_page(page, None, None)
    match = search_worker.THEME_CONFIG.search(built)
    assert json.loads(match.group(1)) == {**theme, "search": (
        "../assets/javascripts/cnnlab/search-worker.js#../workers/search.1234.min.js")}
    assert built.startswith("<p>text</p>") and built.endswith('<script src="bundle.js"></script>')
    assert search_worker.on_post_page("<p>no theme</p>", None, None) == "<p>no theme</p>"
    with pytest.raises(ValueError, match="expected the theme's search worker under"):
        search_worker.search_worker_url("search.js")


def cells(*specs: tuple) -> list:
    return [code_cells.Cell(code, frozenset(options)) for code, *options in specs]


def test_page_cells_run_in_order_sharing_a_namespace_unless_fresh(caplog):
    outputs = code_cells.run_page_cells(cells(
        ("x = 2\nx",),
        ("x + 1", "fresh", "raises"),
        ("x * 10",),
        ("while True: pass", "nobuild"),
    ), "page.md")
    assert outputs[0] == [["value", "2\n"]]
    assert "NameError" in outputs[1][0][1]
    assert outputs[2] == [["value", "20\n"]]
    assert outputs[3] == [["note", code_cells.NOBUILD_NOTE]]
    assert not caplog.records


@pytest.mark.parametrize(("spec", "warning"), [
    (("1 / 0",), "cell 1 raised ZeroDivisionError"),
    (("1 / 1", "raises"), "cell 1 is marked 'raises' but ran without an exception"),
])
def test_unexpected_outcomes_are_warnings(caplog, spec, warning):
    code_cells.run_page_cells(cells(spec), "page.md")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert warning in caplog.records[0].getMessage()


def test_an_endless_cell_is_interrupted_at_build_time(monkeypatch, caplog):
    monkeypatch.setattr(code_cells, "BUILD_TIMEOUT_S", 0.2)
    output = code_cells.run_page_cells(cells(("while True: pass",)), "page.md")
    assert "CellTimeout: the cell ran longer than 0.2 s" in output[0][0][1]


def test_pyodide_packages_come_with_their_dependencies():
    assert site_build.package_closure(["scipy"]) == ["numpy", "openblas", "scipy"]
    with pytest.raises(PluginError, match="no package 'tensorflow'"):
        site_build.package_closure(["tensorflow"])


def test_the_python_zip_holds_cnnlab_and_labrunner_and_is_reproducible():
    first, second = site_build.python_zip(), site_build.python_zip()
    assert first == second
    names = zipfile.ZipFile(BytesIO(first)).namelist()
    assert {"cnnlab/__init__.py", "cnnlab/signal.py", "labrunner/cells.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.startswith("cnnlab/train/")]


def test_the_build_checks_that_the_weights_load(tmp_path):
    weights_files.check_weights(ROOT / "pretrained")  # the committed ones load
    for path in (ROOT / "pretrained").glob("*.*"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    weights_file = tmp_path / "mnist_cnn.npz"
    weights_file.write_bytes(weights_file.read_bytes()[:-100])
    with pytest.raises(PluginError, match=r"pages load the model weights but .* does not load"):
        weights_files.check_weights(tmp_path)


@pytest.mark.parametrize(("configured", "override", "expected"), [
    ("assets/pyodide/", None, ("assets/pyodide/", True)),
    ("assets/pyodide", "", ("assets/pyodide/", True)),
    ("assets/pyodide/", "http://127.0.0.1:9/p", ("http://127.0.0.1:9/p/", False)),
    (None, "//cdn.example/pyodide/", ("//cdn.example/pyodide/", False)),
])
def test_where_pyodide_comes_from(configured, override, expected):
    assert site_build.pyodide_source(configured, override) == expected


def test_a_relative_pyodide_url_other_than_the_shipped_copy_is_refused():
    with pytest.raises(PluginError, match="pyodide_url must be 'assets/pyodide/'"):
        site_build.pyodide_source("vendor/pyodide/", None)


@pytest.mark.parametrize("runtime", [
    {"packages": "scipy"}, {"weights": True, "extra": 1}, ["scipy"],
])
def test_bad_runtime_front_matter_is_refused(runtime):
    with pytest.raises(PluginError, match="runtime"):
        site_build.page_runtime({"runtime": runtime}, "page.md")


@pytest.mark.parametrize(("fence", "fails"), [
    ("```pyodide\nprint(1 / 2)\n```", False),
    ("```pyodide\nprint(1 / 0)\n```", True),
    ("```pyodide raises\nprint(1 / 0)\n```", False),
    ("```pyodide raises\nprint(1)\n```", True),
    ("```pyodide fresh nobuild\nwhile True: pass\n```", False),
    ("```pyodide frsh\nprint(1)\n```", True),
    ("```widget\nname: no-such-widget\n```", True),
])
def test_strict_build_fails_on_unexpected_cell_outcomes(tmp_path, fence, fails):
    failed, errors, page = strict_build(tmp_path, f"# Page\n\n{fence}\n", "code_cells.py",
                                        "pymdownx.superfences")
    assert failed == fails, errors
    if not fails:
        assert "cnnlab-cell__output" in page
