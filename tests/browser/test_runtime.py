"""The page's Python runtime: loading, failures and Retry, navigation, the widget API."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

import pyodide_wheels

PAGE = "lab/cells/"
PYODIDE_DIST = Path(__file__).resolve().parents[2] / "node_modules/pyodide"
STATUS = '[data-testid="runtime-status"]'


def test_loading_shows_stages_with_sizes_then_ready(open_page, wait_ready, guard, site_url):
    page = open_page(PAGE)
    status = page.locator(STATUS)
    config = json.loads(status.get_attribute("data-config"))
    labels = [stage["label"] for stage in config["stages"]]
    assert labels == ["Python runtime", "NumPy", "cnnlab", "model weights"]
    sizes = [sum(f["size"] for f in stage["files"]) for stage in config["stages"]]
    assert 10e6 < sizes[0] < 18e6 and 2e6 < sizes[1] < 5e6  # Python 13.8 MB, NumPy 3.1 MB
    stages = status.locator("li")
    page.wait_for_function("s => s.querySelectorAll('li').length === 4",
                           arg=status.element_handle())
    assert stages.nth(0).inner_text().startswith(f"Python runtime {sizes[0] / 1e6:.1f} MB")
    assert stages.nth(1).inner_text().startswith(f"NumPy {sizes[1] / 1e6:.1f} MB")
    wait_ready(page)
    assert status.get_attribute("data-state") == "ready"
    # The page's <head> started the worker with the same files, in its URL.
    (worker,) = [w for w in page.workers if "cnnlab/worker.js" in w.url]
    assert json.loads(unquote(worker.url.split("#", 1)[1])) == config
    # The worker's downloads are seen (and guarded), all of them below the sub-path.
    assert any(url.endswith("/cnn-lab/assets/pyodide/pyodide.asm.wasm") for url in guard.requests)
    assert all(url.startswith(site_url) for url in guard.requests if url.startswith("http"))
    # Only what the page loads: no SciPy anywhere in the requests.
    assert not any("scipy" in url.lower() for url in guard.requests)


def test_page_text_names_the_versions_that_run(open_page, wait_ready):
    page = open_page("")  # the home page's "Python in your browser" note
    wait_ready(page)
    shown = page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('[data-runtime-version]')]
            .map((span) => [span.dataset.runtimeVersion, span.textContent]))""")
    assert set(shown) == {"pyodide", "python", "numpy"}
    reported = python(page, "import sys, numpy, pyodide\n"
                            "print(pyodide.__version__, sys.version.split()[0], numpy.__version__)")
    assert reported["text"].split() == [shown["pyodide"], shown["python"], shown["numpy"]]
    assert page.locator(STATUS).inner_text().startswith(
        f"Python {shown['python']} with NumPy {shown['numpy']} is running in this page")


def test_a_worker_started_without_the_pages_files_says_so(open_page):
    page = open_page("contributing/authoring/")  # no Python of its own
    message = page.evaluate("""() => new Promise((resolve) => {
        const url = new URL("../../assets/javascripts/cnnlab/worker.js", location.href);
        const worker = new Worker(url);
        worker.onmessage = (event) => { resolve(event.data); worker.terminate(); };
    })""")
    assert message["type"] == "error" and message["id"] == 0
    assert message["error"]["message"] == (
        "worker.js was started without the page's files (worker.js#<config>)")


def flip_one_byte(route):
    response = route.fetch()
    body = bytearray(response.body())
    body[len(body) // 2] ^= 0xFF
    route.fulfill(response=response, body=bytes(body))


@pytest.mark.parametrize(("target", "fault", "message"), [
    ("pyodide.asm.wasm", lambda route: route.fulfill(status=404, body="not found"),
     "Python runtime: pyodide.asm.wasm could not be downloaded (HTTP 404)"),
    ("python_stdlib.zip", flip_one_byte,
     "Python runtime: python_stdlib.zip is corrupt (checksum mismatch)"),
    ("numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl", flip_one_byte,
     "NumPy: numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl is corrupt (checksum mismatch)"),
    ("python.zip", lambda route: route.fulfill(status=200, body=b"short"),
     "cnnlab: python.zip has 5 bytes, expected"),
    ("mnist_cnn.npz", flip_one_byte, "model weights: mnist_cnn.npz is corrupt (checksum mismatch)"),
    ("manifest.json", lambda route: route.fulfill(status=404, body="not found"),
     "model weights: manifest.json could not be downloaded (HTTP 404)"),
    ("worker.js", lambda route: route.fulfill(status=404, body="not found"),
     "worker.js could not be downloaded or started"),
])
def test_a_failed_load_says_what_failed_and_retry_recovers(new_context, wait_ready, guard, site_url,
                                                           target, fault, message):
    guard.allow_console(r"Failed to load resource: the server responded with a status of 404")
    context = new_context()
    context.route(f"**/{target}*", fault)
    page = context.new_page()
    page.goto(site_url + PAGE)
    status = page.locator(STATUS)
    cell = page.locator('[data-testid="code-cell"]').first
    output = cell.locator('[data-testid="output"]')
    widget = page.locator('[data-widget="output-size"]')
    cell.locator('[data-testid="run"]').click()  # waits for Python
    page.wait_for_function("s => s.dataset.state === 'error'", arg=status.element_handle(),
                           timeout=120_000)
    assert message in status.inner_text()
    retry = status.locator('[data-testid="retry"]')
    assert retry.is_visible()
    # One truth: the cell and the widget say what the status says; nothing looks as if it
    # were still loading, and there is nothing to Stop.
    assert status.locator('li[data-state="loading"]').count() == 0
    assert message in output.inner_text() and "Retry" in output.inner_text()
    assert cell.locator('[data-testid="stop"]').is_disabled()
    line = widget.locator('[data-testid="widget-runtime"]')
    assert line.is_visible() and message in line.inner_text()
    context.unroute(f"**/{target}*")
    retry.click()
    wait_ready(page)
    assert not retry.is_visible()
    # After Retry, both carry on: the cell runs, the widget computes.
    page.wait_for_function("o => o.dataset.state === 'done'", arg=output.element_handle(),
                           timeout=60_000)
    assert output.inner_text().strip() == "x has 8 elements; w has 5"
    page.wait_for_function("w => w.dataset.state === 'done'", arg=widget.element_handle(),
                           timeout=60_000)
    assert not line.is_visible()


def go_to(page, path: str) -> None:
    """Instant navigation: click the page's link in the navigation, as a visitor would."""
    page.evaluate("() => { window.samePageLoad = true; }")
    page.locator(f'a.md-nav__link[href$="{path}"]').first.click()
    page.wait_for_url(f"**/{path}")
    page.wait_for_function("path => window.CNNLab && CNNLab.page && CNNLab.page.path === path",
                           arg=path)
    # (A build for another address than the one served gets no instant navigation.)
    assert page.evaluate("() => window.samePageLoad"), "the page was loaded anew"


def python(page, code: str) -> dict:
    """Run ``code`` as the page's next cell (runtime.run): ``{ok, error, text}``."""
    return page.evaluate("""async (code) => {
        const result = await CNNLab.runtime.run(code, {label: "<test>"});
        return {ok: result.ok, error: result.error,
                text: result.segments.map(([kind, text]) => text).join("")};
    }""", code)


def test_one_python_for_the_whole_visit(new_context, wait_ready, guard, site_url):
    """Instant navigation keeps the worker: the next page gets an empty namespace, not a new
    boot, and the packages it lacks on top; a Stop or a reload gives a fresh Python."""
    page = new_context().new_page()
    page.goto(site_url + "contributing/authoring/")  # a page without Python starts none
    assert page.locator(STATUS).count() == 0
    assert not [w for w in page.workers if "cnnlab/worker.js" in w.url]
    go_to(page, "chapter/05-output-size/")
    wait_ready(page)
    page.evaluate("() => { window.firstWorker = CNNLab.runtime.worker; }")
    assert python(page, "import sys\nsys.cnnlab_visit = 1\nleft_behind = 2")["ok"]

    # The 2-D convolution page: the same worker, SciPy loaded on top, the cells' names gone.
    go_to(page, "chapter/06-convolution-2d/")
    wait_ready(page)
    assert page.evaluate("() => CNNLab.runtime.worker === window.firstWorker")
    assert sum("cnnlab/worker.js" in w.url for w in page.workers) == 1
    assert sum(url.endswith("/pyodide.asm.wasm") for url in guard.requests) == 1
    assert any("/scipy-" in url for url in guard.requests)
    assert python(page, "import sys\nprint(sys.cnnlab_visit)")["text"] == "1\n"  # same Python
    assert python(page, "left_behind")["error"] == "NameError"
    shown = python(page, "import scipy.signal\nprint(scipy.signal.correlate2d([[1]], [[2]]))")
    assert shown["text"] == "[[2]]\n"

    # Stop (what the cells' Stop button does) during an endless loop, and leave at once.
    page.evaluate("""() => {
        CNNLab.runtime.run("while True:\\n    pass").catch(() => {});
        return new Promise((resolve) => setTimeout(resolve, 500))
            .then(() => CNNLab.runtime.restart("stopped by the test"));
    }""")
    go_to(page, "chapter/07-pooling/")
    wait_ready(page)
    assert not page.evaluate("() => CNNLab.runtime.worker === window.firstWorker")
    assert python(page, "import sys\nprint(hasattr(sys, 'cnnlab_visit'), 6 * 7)")["text"] == (
        "False 42\n")

    # A full reload boots a fresh Python.
    assert python(page, "import sys\nsys.cnnlab_visit = 3")["ok"]
    page.reload()
    wait_ready(page)
    assert page.evaluate("() => window.firstWorker === undefined")
    assert python(page, "import sys\nprint(hasattr(sys, 'cnnlab_visit'))")["text"] == "False\n"


def test_a_package_that_fails_on_arrival_says_which_and_retry_recovers(new_context, wait_ready,
                                                                      site_url):
    """The kept worker loads SciPy on top when the visitor arrives: a corrupt wheel is named."""
    context = new_context()
    page = context.new_page()
    page.goto(site_url + "chapter/05-output-size/")
    wait_ready(page)
    context.route("**/scipy-*", flip_one_byte)
    go_to(page, "chapter/06-convolution-2d/")
    status = page.locator(STATUS)
    page.wait_for_function("s => s.dataset.state === 'error'", arg=status.element_handle(),
                           timeout=120_000)
    assert ("SciPy: scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl is corrupt (checksum "
            "mismatch)") in status.inner_text()
    context.unroute("**/scipy-*")
    status.locator('[data-testid="retry"]').click()
    wait_ready(page)
    assert python(page, "import scipy\nprint(scipy.__version__)")["text"] == "1.14.1\n"


def test_widget_api_round_trips_typed_arrays_and_rejects_bad_input(open_page, wait_ready):
    page = open_page(PAGE)
    wait_ready(page)
    result = page.evaluate("""async () => {
        const rt = CNNLab.runtime;
        const a = new Float32Array([1, 2.5, 3]);
        const doubled = await rt.eval("(a * 2).astype('float32')", {a});
        const pixels = await rt.eval("[str(p.dtype), p.shape[0], int(p.sum())]",
                                     {p: new Uint8ClampedArray([250, 5, 1])});
        const x = [1, 3, 2, 4, 5, 6, 1, 3];
        const conv = await rt.call("cnnlab.signal.conv1d", [x, [1, 0, 3, 1, 2]], {p: 2});
        const grid = await rt.eval("np.arange(6).reshape(2, 3)", {np: null}).catch(e => e.name);
        const matrix = await rt.eval("import numpy as np\\nnp.arange(6.0).reshape(2, 3)");
        let error = null;
        try { await rt.call("cnnlab.signal.output_size", [3, 5], {p: 0}); }
        catch (e) { error = [e.name, e.message]; }
        const unknown = await rt.request({type: "bogus"}).catch(e => [e.name, e.message]);
        const special = await rt.eval("[float('nan'), float('inf'), None, (1, 2), {'k': True}]");
        return {
            doubled: [doubled.dtype, doubled.data.constructor.name, Array.from(doubled.data)],
            pixels, conv: [conv.dtype, conv.shape, conv.tolist()], grid,
            matrix: [matrix.shape, matrix.get(1, 2), matrix.tolist()], error, unknown,
            special: [String(special[0]), String(special[1]), special[2], special[3], special[4]],
        };
    }""")
    assert result["doubled"] == ["float32", "Float32Array", [2, 5, 6]]
    assert result["pixels"] == ["uint8", 3, 256]
    assert result["conv"] == ["float64", [8], [5, 14, 16, 26, 24, 34, 19, 22]]
    assert result["grid"] == "AttributeError"
    assert result["matrix"] == [[2, 3], 5, [[0, 1, 2], [3, 4, 5]]]
    assert result["error"][0] == "ValueError"
    assert "larger than the padded input" in result["error"][1]
    assert result["unknown"] == ["ProtocolError", 'unknown message type "bogus"']
    assert result["special"] == ["NaN", "Infinity", None, [1, 2], {"k": True}]


def test_latest_drops_waiting_requests_with_the_same_key(open_page, wait_ready):
    page = open_page(PAGE)
    wait_ready(page)
    outcomes = page.evaluate("""async () => {
        const rt = CNNLab.runtime;
        const slow = "import time\\ntime.sleep(0.3)\\nv";
        const requests = [1, 2, 3, 4].map(v => rt.eval(slow, {v}, {latest: "k"})
            .then(value => ["ok", value], e => [e.name]));
        return Promise.all(requests);
    }""")
    assert outcomes == [["ok", 1], ["SupersededError"], ["SupersededError"], ["ok", 4]]


def test_the_runtime_can_come_from_another_copy(server, build_site, new_context, wait_ready,
                                                  guard):
    www, origin = server
    copy = www / "pyodide-copy"  # a full copy: the core, and the packages beside it
    copy.mkdir()
    for path in [*PYODIDE_DIST.iterdir(), *pyodide_wheels.CACHE.glob("*.wh[l]"),
                 *pyodide_wheels.CACHE.glob("openblas-*.zip")]:
        (copy / path.name).symlink_to(path)
    site = www / "other"
    build_site(site, f"{origin}/other/", CNNLAB_PYODIDE_URL=f"{origin}/pyodide-copy/")
    assert not (site / "assets/pyodide").exists()  # nothing of Pyodide is shipped
    page = new_context().new_page()
    page.goto(f"{origin}/other/{PAGE}")
    wait_ready(page)
    assert f"{origin}/pyodide-copy/pyodide.asm.wasm" in guard.requests
    assert not [url for url in guard.requests if "/other/assets/pyodide/" in url]
