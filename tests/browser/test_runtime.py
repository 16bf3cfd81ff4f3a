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
])
def test_a_failed_load_says_what_failed_and_retry_recovers(new_context, wait_ready, guard, site_url,
                                                           target, fault, message):
    guard.allow_console(r"Failed to load resource: the server responded with a status of 404")
    context = new_context()
    context.route(f"**/{target}*", fault)
    page = context.new_page()
    page.goto(site_url + PAGE)
    status = page.locator(STATUS)
    page.wait_for_function("s => s.dataset.state === 'error'", arg=status.element_handle(),
                           timeout=120_000)
    assert message in status.inner_text()
    retry = status.locator('[data-testid="retry"]')
    assert retry.is_visible()
    context.unroute(f"**/{target}*")
    retry.click()
    wait_ready(page)
    assert not retry.is_visible()


def test_instant_navigation_ends_the_previous_pages_worker(open_page, wait_ready, run_cell):
    page = open_page("contributing/authoring/")  # a page without Python
    assert page.locator(STATUS).count() == 0
    assert all("cnnlab/worker.js" not in w.url for w in page.workers)  # the search has one
    page.locator('a.md-nav__link[href$="lab/cells/"]').first.click()
    page.wait_for_url("**/lab/cells/")
    wait_ready(page)
    assert run_cell(page, 0).strip() == "x has 8 elements; w has 5"
    assert sum("cnnlab/worker.js" in w.url for w in page.workers) == 1
    page.locator('a.md-nav__link[href$="contributing/authoring/"]').first.click()
    page.wait_for_url("**/contributing/authoring/")
    page.wait_for_function("() => !document.querySelector('[data-testid=runtime-status]')")
    page.wait_for_function("() => window.CNNLab && window.CNNLab.runtime === null")
    page.go_back()
    page.wait_for_url("**/lab/cells/")
    wait_ready(page)
    assert run_cell(page, 0).strip() == "x has 8 elements; w has 5"


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
