"""What the page does when Python dies, when a cell interrupts or sleeps, and when the browser
blocks storage. (Bad input: test_bad_input.py; failed loads: test_runtime.py.)"""

from __future__ import annotations

from cells_check import numbers

PAGE = "lab/cells/"
SETUP, NP_CONVOLVE, FRESH = 0, 2, 6  # cells of docs/lab/cells.md, by index
STATUS = '[data-testid="runtime-status"]'
# A timer's delay on the page's main thread, in ms: how long the page takes to answer.
ANSWER = ("() => new Promise(r => { const t = performance.now(); "
          "setTimeout(() => r(performance.now() - t), 0); })")


def test_python_that_dies_is_restarted_and_cells_run_again(open_page, wait_ready, run_cell,
                                                           set_code):
    page = open_page(PAGE)
    wait_ready(page)
    # An interrupt is the cell's error, at the cell's line: no frames of the runner.
    set_code(page, FRESH, "raise KeyboardInterrupt")
    text = run_cell(page, FRESH)
    assert text.startswith("Traceback (most recent call last):")
    assert f'File "<cell {FRESH + 1}>", line 1, in <module>' in text
    assert text.rstrip().endswith("KeyboardInterrupt")
    assert "labrunner" not in text and "pyodide" not in text
    # time.sleep waits in the worker, and the page answers meanwhile.
    set_code(page, FRESH, "import time\nt = time.perf_counter()\ntime.sleep(1)\n"
                          "print(time.perf_counter() - t >= 1)")
    cell = page.locator('[data-testid="code-cell"]').nth(FRESH)
    cell.locator('[data-testid="run"]').click()
    page.wait_for_function("o => o.dataset.state === 'running'",
                           arg=cell.locator('[data-testid="output"]').element_handle())
    assert page.evaluate(ANSWER) < 100
    page.wait_for_function("o => o.dataset.state === 'done'",
                           arg=cell.locator('[data-testid="output"]').element_handle())
    assert cell.locator('[data-testid="output"]').inner_text().strip() == "True"

    # Python dies (os._exit): the cell says so, Python restarts by itself, and the status
    # never says it runs meanwhile.
    run_cell(page, SETUP)
    set_code(page, FRESH, "import os\nos._exit(1)")
    text = run_cell(page, FRESH)
    assert "Python stopped working (Program terminated with exit(1)) and was restarted" in text
    assert cell.locator('[data-testid="stop"]').is_disabled()
    status = page.locator(STATUS)
    assert "Python stopped working" in status.inner_text()
    assert status.get_attribute("data-state") != "ready" or "restarted" in status.inner_text()
    wait_ready(page)
    assert "restarted" in status.inner_text()
    # A cell that needs the shared namespace runs the cells above it again first.
    assert numbers(run_cell(page, NP_CONVOLVE)) == [5, 14, 16, 26, 24, 34, 19, 22]


BLOCK_STORAGE = """
for (const name of ["localStorage", "sessionStorage"]) {
    Object.defineProperty(window, name, {configurable: true, get() {
        throw new DOMException(`access to ${name} is denied`, "SecurityError");
    }});
}
"""


def test_blocked_storage_leaves_no_uncaught_error(new_context, site_url, wait_ready, run_cell):
    context = new_context()
    context.add_init_script(BLOCK_STORAGE)
    page = context.new_page()
    page.goto(site_url + PAGE)  # the theme's inline scripts read settings as the page opens
    page.locator('[data-md-component="palette"] label:visible').first.click()  # and save one
    wait_ready(page)
    assert numbers(run_cell(page, NP_CONVOLVE)) == [5, 14, 16, 26, 24, 34, 19, 22]
    # The guard fails the test on any uncaught error or console error.
