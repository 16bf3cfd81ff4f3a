"""The code cells of the demo page (docs/lab/cells.md) in headless Chromium."""

from __future__ import annotations

import time

import numpy as np
import pytest
from cells_check import numbers

from cnnlab import signal

PAGE = "lab/cells/"
# The demo page's cells, by index.
SETUP, CONV1D, NP_CONVOLVE, SIZE_S1, SIZE_S2, ERROR, FRESH, HUGE, ENDLESS, MODEL = range(10)


def test_cells_run_in_the_browser_and_match_the_build(open_page, wait_ready, run_cell, cell_output):
    page = open_page(PAGE)
    built = [cell_output(page, i) for i in range(MODEL + 1)]
    wait_ready(page)
    assert "NumPy 2.0" in page.locator('[data-testid="runtime-status"]').inner_text()

    # Cell 2 uses x and w from cell 1 (one namespace per page) and calls cnnlab.
    expected = signal.conv1d([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], p=2).tolist()
    assert numbers(built[CONV1D]) == expected
    for index in range(SIZE_S2 + 1):
        text = run_cell(page, index)
        output = page.locator('[data-testid="output"]').nth(index)
        assert output.get_attribute("data-state") == "done", text
        assert numbers(text) == numbers(built[index]), (index, text, built[index])
    assert numbers(cell_output(page, NP_CONVOLVE)) == np.convolve(
        [1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], mode="same").tolist()
    assert cell_output(page, FRESH) != ""  # the build's output, still there
    assert run_cell(page, FRESH).strip() == "False"  # a fresh cell does not see x
    # The pretrained weights, loaded into the page's Python (cwd /home/pyodide/pretrained).
    assert built[MODEL].strip() == "8 tensors, 3274634 parameters"
    assert run_cell(page, MODEL).strip() == built[MODEL].strip()


def test_running_a_later_cell_first_runs_the_shared_cells_above(open_page, wait_ready, run_cell):
    page = open_page(PAGE)
    wait_ready(page)
    text = run_cell(page, NP_CONVOLVE)
    assert numbers(text) == [5, 14, 16, 26, 24, 34, 19, 22]
    for index in (SETUP, CONV1D):
        output = page.locator('[data-testid="output"]').nth(index)
        assert output.get_attribute("data-source") == "browser"
        assert output.get_attribute("data-state") == "done"


def test_an_exception_shows_a_traceback_at_the_visitors_line(open_page, wait_ready, run_cell):
    page = open_page(PAGE)
    wait_ready(page)
    text = run_cell(page, ERROR)
    output = page.locator('[data-testid="output"]').nth(ERROR)
    assert output.get_attribute("data-state") == "error"
    assert text.startswith("Traceback (most recent call last):")
    assert 'File "<cell 6>", line 4, in <module>' in text
    assert "scale([1, 2, 3], 0)" in text
    assert 'File "<cell 6>", line 2, in scale' in text
    assert text.rstrip().endswith("ZeroDivisionError: division by zero")
    for internal in ("labrunner", "pyodide", "_pyodide", "eval_code"):
        assert internal not in text
    # The page keeps working.
    assert run_cell(page, FRESH).strip() == "False"


def test_stop_ends_an_endless_loop_and_python_restarts(open_page, wait_ready, run_cell):
    page = open_page(PAGE)
    wait_ready(page)
    cell = page.locator('[data-testid="code-cell"]').nth(ENDLESS)
    output = cell.locator('[data-testid="output"]')
    cell.locator('[data-testid="run"]').click()
    page.wait_for_function("o => o.dataset.state === 'running'", arg=output.element_handle())
    stop = cell.locator('[data-testid="stop"]')
    assert stop.is_enabled()
    started = time.monotonic()
    stop.click()
    page.wait_for_function("o => o.dataset.state === 'error'", arg=output.element_handle(),
                           timeout=2_000)
    assert time.monotonic() - started < 2
    assert "Stopped" in output.inner_text()
    assert "restarted" in output.inner_text()
    assert not stop.is_enabled()
    wait_ready(page)
    # Python is back, with an empty namespace: running cell 2 reruns cell 1 first.
    text = run_cell(page, CONV1D)
    assert numbers(text) == [5, 14, 16, 26, 24, 34, 19, 22]


def test_printing_megabytes_is_truncated_with_a_note(open_page, wait_ready, run_cell):
    page = open_page(PAGE)
    wait_ready(page)
    text = run_cell(page, HUGE)
    assert "[output truncated: 1,980,001 more characters not shown]" in text
    assert len(text) < 25_000
    assert page.locator('[data-testid="output"]').nth(HUGE).get_attribute("data-state") == "done"


def test_ctrl_enter_runs_the_cell(open_page, wait_ready, open_editor):
    page = open_page(PAGE)
    wait_ready(page)
    open_editor(page, SETUP)
    page.keyboard.press("Control+Enter")
    output = page.locator('[data-testid="output"]').nth(SETUP)
    page.wait_for_function("o => o.dataset.state === 'done'", arg=output.element_handle())
    assert output.inner_text().strip() == "x has 8 elements; w has 5"
    # Escape, then Tab, leaves the editor for the cell's buttons (keyboard only).
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "run"


def editor_requested(page) -> bool:
    return page.evaluate(
        "performance.getEntriesByType('resource').some(e => e.name.includes('codemirror'))")


def test_the_code_is_shown_as_built_and_the_editor_loads_on_the_first_click(open_page, wait_ready):
    page = open_page(PAGE)
    wait_ready(page)
    cell = page.locator('[data-testid="code-cell"]').nth(SETUP)
    view = cell.locator('[data-testid="code-view"]')
    # The build's rendering: the author's code, coloured, with line numbers that are not text.
    lines = view.locator(".cnnlab-code__line").all_text_contents()
    assert lines[:3] == ["import numpy as np", "", "x = np.array([1, 3, 2, 4, 5, 6, 1, 3])"]
    assert view.locator(".cnnlab-hl-keyword").first.inner_text() == "import"
    assert page.locator(".cm-content").count() == 0
    assert not editor_requested(page)
    host = cell.locator('[data-testid="code-editor"]')
    before = host.bounding_box()
    # A click on "as" in "import numpy as np" puts the editor's cursor there.
    word = view.locator(".cnnlab-hl-keyword").nth(1)
    assert word.inner_text() == "as"
    box = word.bounding_box()
    page.mouse.click(box["x"] + 1, box["y"] + box["height"] / 2)
    editor = cell.locator(".cm-content")
    page.wait_for_function("e => document.activeElement === e", arg=editor.element_handle())
    assert editor_requested(page)
    assert view.count() == 0
    page.keyboard.type("Z")
    assert editor.inner_text().startswith("import numpy Zas np")
    after = host.bounding_box()
    assert abs(after["height"] - before["height"]) < 0.5  # the editor takes the code's place


def test_tabbing_into_the_code_opens_the_editor(open_page):
    page = open_page(PAGE)
    view = page.locator('[data-testid="code-view"]').nth(CONV1D)
    assert view.get_attribute("role") == "textbox"
    assert view.get_attribute("aria-label").startswith(f"Python code, cell {CONV1D + 1}.")
    # Tab from the Run button of the cell above lands on the code (its Reset and Stop are off).
    page.locator('[data-testid="run"]').nth(SETUP).focus()
    page.keyboard.press("Tab")
    editor = page.locator('[data-testid="code-cell"]').nth(CONV1D).locator(".cm-content")
    page.wait_for_function("e => document.activeElement === e", arg=editor.element_handle())
    assert editor.locator(".cm-line").all_text_contents() == [
        "from cnnlab import signal", "", "print(signal.conv1d(x, w, p=2))"]


def test_edits_persist_across_reload_and_reset_restores(open_page, wait_ready, run_cell, set_code):
    page = open_page(PAGE)
    set_code(page, SETUP, 'print("edited", 6 * 7)')
    page.reload()
    # A cell with kept edits gets its editor as the page opens, to show them.
    page.wait_for_selector(".cm-content")
    cell = page.locator('[data-testid="code-cell"]').nth(SETUP)
    assert cell.locator(".cm-content").inner_text() == 'print("edited", 6 * 7)'
    wait_ready(page)
    assert run_cell(page, SETUP).strip() == "edited 42"
    reset = cell.locator('[data-testid="reset"]')
    assert reset.is_enabled()
    reset.click()
    assert cell.locator(".cm-content").inner_text().startswith("import numpy as np")
    assert not reset.is_enabled()
    page.reload()
    page.wait_for_selector('[data-testid="run"]')
    assert cell.locator(".cnnlab-code__line").first.inner_text() == "import numpy as np"
    assert page.locator(".cm-content").count() == 0
    stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('cnnlab:cell:'))")
    assert stored == []


def test_without_javascript_the_build_outputs_are_shown(new_context, site_url, guard):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site_url + PAGE)
    outputs = page.locator('[data-testid="output"]')
    expected = signal.conv1d([1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2], p=2).tolist()
    assert numbers(outputs.nth(CONV1D).inner_text()) == expected
    assert "ZeroDivisionError" in outputs.nth(ERROR).inner_text()
    assert "computed when the site was built" in page.locator(
        '[data-testid="runtime-status"]').inner_text()
    assert page.locator('[data-testid="run"]').count() == 0
    assert not any("pyodide" in url for url in guard.requests)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"n": "8", "m": "5", "p": "2", "s": "1"}, signal.output_size(8, 5, p=2, s=1)),
    ({"n": "8", "m": "5", "p": "2", "s": "2"}, signal.output_size(8, 5, p=2, s=2)),
    ({"n": "3", "m": "5", "p": "0", "s": "1"}, "larger than the padded input"),
    ({"n": "8", "m": "3", "p": "0", "s": "0"}, "s (stride)"),
])
def test_output_size_widget_calls_cnnlab(open_page, wait_ready, fields, expected):
    page = open_page(PAGE)
    widget = page.locator('[data-widget="output-size"]')
    result = widget.locator('[data-testid="result"]')
    wait_ready(page)
    page.wait_for_function("r => r.dataset.state === 'done'", arg=result.element_handle())
    assert result.inner_text().endswith("= 8")
    for name, value in fields.items():
        widget.locator(f'[data-testid="input-{name}"]').fill(value)
    state, text = ("done", f"= {expected}") if isinstance(expected, int) else ("error", expected)
    page.wait_for_function(
        "([r, state, text]) => r.dataset.state === state && r.textContent.includes(text)",
        arg=[result.element_handle(), state, text],
    )
