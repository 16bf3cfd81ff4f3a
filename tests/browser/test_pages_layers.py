"""The layer pages in headless Chromium: 2-D convolution, pooling, channels, parameter counting,
regularisation.

Per page: every cell runs in the browser and prints the numbers the build printed, and each
widget shows what ``cnnlab``, run here natively, computes for the same input — including
Python's own error message for invalid input. Only the 2-D convolution page loads SciPy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cells_check import FLOAT32, numbers
from tests.chapter_examples import BOOK_W, BOOK_X, NOTES_X1, NOTES_X2

from cnnlab import layer_demos, layers, model, signal

PRETRAINED = str(Path(__file__).resolve().parents[2] / "pretrained")
WIDGET = '[data-testid="widget"]'
CONV2D, POOLING, CHANNELS, PARAMETERS, REGULARISATION = (
    f"chapter/{slug}/" for slug in ("06-convolution-2d", "07-pooling", "08-channels",
                                    "09-parameters", "10-regularisation"))
# Each layer page has four or more cells; their numbers match the build's to float32 rounding.
LAYER_CELLS = {**FLOAT32, "min_cells": 4}


# --- helpers ---------------------------------------------------------------------------------

def settled(page, widget) -> str:
    """Wait for the widget's latest request to Python to finish; its state: done or error."""
    page.wait_for_function("w => ['done', 'error'].includes(w.dataset.state)",
                           arg=widget.element_handle(), timeout=60_000)
    return widget.get_attribute("data-state")


def change(page, widget, testid: str, value) -> str:
    """Set a control as a visitor would (typing, picking, sliding); wait for the result."""
    control = widget.locator(f'[data-testid="{testid}"]')
    kind = control.evaluate("c => c.tagName === 'SELECT' ? 'select' : c.type")
    if kind == "select":
        control.select_option(str(value))
    elif kind == "range":
        control.evaluate(
            "(c, v) => { c.value = v; c.dispatchEvent(new Event('input', {bubbles: true})); }",
            str(value))
    elif kind == "checkbox":
        control.set_checked(bool(value))
    else:
        control.fill(str(value))
    return settled(page, widget)


def shows_error(page, widget, message: str) -> None:
    assert settled(page, widget) == "error"
    shown = widget.locator('[data-testid="message"]')
    assert shown.is_visible()
    assert shown.inner_text() == message


def values(widget, testid: str, attribute: str = "data-value") -> list:
    cells = widget.locator(f'[data-testid="{testid}"]')
    found = cells.evaluate_all("(cs, a) => cs.map(c => c.getAttribute(a))", attribute)
    return [float(v) for v in found]


def grid(widget, container: str, cell: str) -> np.ndarray:
    """A drawn matrix: its cells' values in the shape their data-row/data-col give."""
    cells = widget.locator(f'[data-testid="{container}"] [data-testid="{cell}"]').evaluate_all(
        "cs => cs.map(c => [+c.dataset.row, +c.dataset.col, +c.dataset.value])")
    rows, cols = max(r for r, _, _ in cells) + 1, max(c for _, c, _ in cells) + 1
    matrix = np.full((rows, cols), np.nan)
    for r, c, v in cells:
        matrix[r, c] = v
    return matrix


def marked(widget, selector: str) -> set:
    return set(map(tuple, widget.locator(selector).evaluate_all(
        "cs => cs.map(c => [+c.dataset.row, +c.dataset.col])")))


def native_error(function, *args, **kwargs) -> str:
    with pytest.raises(ValueError) as error:
        function(*args, **kwargs)
    return str(error.value)


def requested_scipy(guard) -> bool:
    return any("scipy" in url.lower() for url in guard.requests)


# --- 2-D convolution --------------------------------------------------------------------------

def test_conv2d_cells_run_in_the_browser_with_scipy(open_page, cells_match_the_build, guard):
    page = open_page(CONV2D)
    texts = cells_match_the_build(page, **LAYER_CELLS)
    expected = signal.conv2d(BOOK_X, BOOK_W, p=(1, 1))
    loops = next(t for t in texts if "the middle of the full one" in t)
    assert numbers(loops)[:16] == expected.ravel().tolist()
    scipy_check = next(t for t in texts if "same as ours" in t)
    assert "same as ours: True" in scipy_check
    assert numbers(scipy_check)[:16] == expected.ravel().tolist()
    # Stride 2 keeps every other output (the book's stride slip is shown on the output-size page).
    strided = next(t for t in texts if "every other output of Y" in t)
    assert numbers(strided)[:4] == expected[::2, ::2].ravel().tolist()
    assert all("False" not in text for text in texts)
    assert requested_scipy(guard)


def test_conv2d_widget_shows_each_outputs_window_and_products(open_page, wait_ready):
    page = open_page(CONV2D)
    wait_ready(page)
    widget = page.locator(WIDGET).first
    assert settled(page, widget) == "done"
    expected = layer_demos.conv2d_breakdown(BOOK_X, BOOK_W, p=1)
    np.testing.assert_array_equal(grid(widget, "output", "output-cell"), expected["output"])
    np.testing.assert_array_equal(grid(widget, "padded", "padded-cell"), expected["padded"])
    np.testing.assert_array_equal(grid(widget, "kernel", "kernel-cell"), expected["kernel"])
    assert marked(widget, '[data-testid="padded-cell"][data-pad="true"]') == {
        (r, c) for r in range(6) for c in range(6) if r in (0, 5) or c in (0, 5)}
    assert widget.locator('[data-testid="shape"]').get_attribute("data-rows") == "4"

    # Hover: output (1, 2) reads padded rows 1-3, columns 2-4, times the rotated kernel.
    widget.locator('[data-testid="output-cell"][data-row="1"][data-col="2"]').hover()
    assert marked(widget, '[data-testid="padded-cell"][data-in-window="true"]') == {
        (r, c) for r in range(1, 4) for c in range(2, 5)}
    assert values(widget, "product") == expected["products"][1, 2].ravel().tolist()
    assert values(widget, "sum") == [expected["output"][1, 2]]

    # Keyboard: Tab to the first output cell, then the arrow keys move the selection.
    first = widget.locator('[data-testid="output-cell"]').first
    first.focus()
    assert values(widget, "sum") == [expected["output"][0, 0]] == [11]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    assert widget.locator('[data-testid="output-cell"][data-selected="true"]').evaluate(
        "c => [c.dataset.row, c.dataset.col, c === document.activeElement]") == ["1", "1", True]
    assert values(widget, "product") == expected["products"][1, 1].ravel().tolist()

    # Stride 2, then cross-correlation (no flip).
    assert change(page, widget, "input-s", 2) == "done"
    np.testing.assert_array_equal(grid(widget, "output", "output-cell"),
                                  signal.conv2d(BOOK_X, BOOK_W, p=1, s=2))
    assert change(page, widget, "input-flip", False) == "done"
    np.testing.assert_array_equal(grid(widget, "output", "output-cell"),
                                  signal.correlate2d(BOOK_X, BOOK_W, p=1, s=2))
    widget.locator('[data-testid="output-cell"][data-row="1"][data-col="1"]').click()  # a tap
    assert values(widget, "product") == layer_demos.conv2d_breakdown(
        BOOK_X, BOOK_W, p=1, s=2, flip=False)["products"][1, 1].ravel().tolist()

    # Invalid input: Python's message next to the widget, the last result kept.
    change(page, widget, "input-s", 0)
    shows_error(page, widget, native_error(layer_demos.conv2d_breakdown, BOOK_X, BOOK_W, 1, 0))
    assert widget.locator('[data-testid="output-cell"]').count() == 4
    change(page, widget, "input-s", 1)
    change(page, widget, "input-p", 0)
    change(page, widget, "input-X", "1 2\n3 4")
    shows_error(page, widget, native_error(
        layer_demos.conv2d_breakdown, [[1, 2], [3, 4]], BOOK_W, p=0, flip=False))
    change(page, widget, "input-X", "1 2\n3 x")
    shows_error(page, widget, native_error(layer_demos.parse_matrix, "1 2\n3 x", "X", 10))
    assert change(page, widget, "input-X", "1 2 3\n4 5 6\n7 8 9") == "done"
    assert not widget.locator('[data-testid="message"]').is_visible()
    np.testing.assert_array_equal(grid(widget, "output", "output-cell"),
                                  signal.correlate2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], BOOK_W))


# --- pooling ----------------------------------------------------------------------------------

def test_pooling_cells_and_widget(open_page, cells_match_the_build, guard):
    page = open_page(POOLING)
    texts = cells_match_the_build(page, **LAYER_CELLS)
    assert "identical: True" in texts[1]
    pooled = [[255, 125, 170], [255, 150, 150], [70, 200, 95]]
    assert numbers(texts[1])[:18] == np.ravel([pooled, pooled]).tolist()

    widget = page.locator(WIDGET).first
    assert settled(page, widget) == "done"
    verdict = widget.locator('[data-testid="verdict"]')
    assert verdict.get_attribute("data-same") == "true"
    assert "same 3 × 3" in verdict.inner_text()
    panels = widget.locator('[data-testid="pool-panel"]')
    for index, X in enumerate((NOTES_X1, NOTES_X2)):
        panel = panels.nth(index)
        assert grid(panel, "pool-output", "out-cell").tolist() == pooled
        assert grid(panel, "pool-input", "in-cell").tolist() == X

    # Pointing at output (2, 1) marks its 2 × 2 window and the maximum in both matrices.
    widget.locator('[data-testid="out-cell"][data-row="2"][data-col="1"]').first.hover()
    for index, X in enumerate((NOTES_X1, NOTES_X2)):
        panel = panels.nth(index)
        assert marked(panel, '[data-in-window="true"]') == {(4, 2), (4, 3), (5, 2), (5, 3)}
        winner = layer_demos.pool_breakdown(X, size=2)["winners"][2, 1]
        assert marked(panel, '[data-winner="true"]') == {tuple(winner)}

    # Overlapping 3 × 3 windows with stride 1: the outputs differ, as natively.
    change(page, widget, "input-size", 3)
    assert change(page, widget, "input-stride", 1) == "done"
    first, second = (layer_demos.pool_breakdown(X, size=3, stride=1) for X in (NOTES_X1, NOTES_X2))
    assert grid(panels.nth(0), "pool-output", "out-cell").tolist() == first["output"].tolist()
    assert verdict.get_attribute("data-same") == "false"
    assert int(verdict.get_attribute("data-differing")) == int(
        np.sum(first["output"] != second["output"]))
    assert widget.locator('[data-testid="windows"]').get_attribute("data-most-windows") == "9"
    assert values(panels.nth(0), "in-cell", "data-coverage") == first["coverage"].ravel().tolist()

    # Mean pooling, and a stride that skips elements.
    change(page, widget, "input-size", 2)
    change(page, widget, "input-stride", 3)
    assert change(page, widget, "input-mode", "mean") == "done"
    mean = layer_demos.pool_breakdown(NOTES_X2, size=2, stride=3, mode="mean")
    assert grid(panels.nth(1), "pool-output", "out-cell").tolist() == mean["output"].tolist()
    windows = widget.locator('[data-testid="windows"]')
    assert windows.get_attribute("data-unused") == str(mean["unused"])
    assert widget.locator('[data-winner="true"]').count() == 0

    change(page, widget, "input-stride", 0)
    shows_error(page, widget, native_error(layer_demos.pool_breakdown, NOTES_X1, 2, 0))
    change(page, widget, "input-stride", 2)
    change(page, widget, "input-size", 7)
    shows_error(page, widget, native_error(layer_demos.pool_breakdown, NOTES_X1, 7, 2))
    assert not requested_scipy(guard)


# --- channels ---------------------------------------------------------------------------------

def test_channels_cells_and_widget(open_page, cells_match_the_build, guard):
    page = open_page(CHANNELS)
    texts = cells_match_the_build(page, **LAYER_CELLS)
    assert texts[2].count("equals conv2d: True") == 2
    assert "(32, 1, 5, 5)" in texts[3] and "(64, 32, 5, 5)" in texts[3]

    widget = page.locator(WIDGET).first
    assert settled(page, widget) == "done"

    def shown(testid: str) -> list:
        return [int(v) for v in widget.locator(f'[data-testid="{testid}"]').get_attribute(
            "data-value").strip("[]").split(",")]

    def layer_output(c_in, c_out, k, n, padding, stride) -> list:
        x = np.zeros((1, c_in, n, n))
        return list(layers.conv2d(x, np.zeros((c_out, c_in, k, k)), stride=stride,
                                  padding=padding).shape)

    assert shown("weight-shape") == [2, 3, 3, 3]
    assert shown("output-shape") == layer_output(3, 2, 3, 8, 1, 1)
    assert shown("parameters") == [2 * 3 * 3 * 3 + 2]
    assert widget.locator('[data-testid="drawing"] rect').count() == 3 + 2 * 3 + 2
    # conv2 of the MNIST network.
    for testid, value in [("input-c_in", 32), ("input-c_out", 64), ("input-k", 5),
                          ("input-n", 14), ("input-padding", 2)]:
        change(page, widget, testid, value)
    assert settled(page, widget) == "done"
    assert shown("weight-shape") == list(model.PARAM_SHAPES["conv2.weight"])
    assert shown("output-shape") == layer_output(32, 64, 5, 14, 2, 1) == [1, 64, 14, 14]
    assert shown("parameters") == [51264]
    assert change(page, widget, "input-stride", 2) == "done"
    assert shown("output-shape") == layer_output(32, 64, 5, 14, 2, 2)

    change(page, widget, "input-c_in", 0)
    shows_error(page, widget, native_error(layer_demos.channel_shapes, 0, 64, 5, 14, 2, 2))
    change(page, widget, "input-c_in", 1)
    change(page, widget, "input-k", 40)
    shows_error(page, widget, native_error(layer_demos.channel_shapes, 1, 64, 40, 14, 2, 2))
    change(page, widget, "input-k", "")
    shows_error(page, widget, native_error(layer_demos.channel_shapes, 1, 64, "", 14, 2, 2))
    assert not requested_scipy(guard)


# --- parameter counting -----------------------------------------------------------------------

def test_parameter_cells_and_calculator(open_page, cells_match_the_build, guard):
    page = open_page(PARAMETERS)
    texts = cells_match_the_build(page, **LAYER_CELLS)
    table = next(t for t in texts if "share" in t)
    for row in model.layer_table():
        assert f"{row['parameters']:,}" in table
    fc1 = sum(int(np.prod(model.PARAM_SHAPES[f"fc1.{p}"])) for p in ("weight", "bias"))
    share = next(t for t in texts if "share of all" in t)
    assert f"{100 * fc1 / model.parameter_count():.1f}%" in share
    assert "3,274,634" in share

    widget = page.locator(WIDGET).first
    assert settled(page, widget) == "done"
    expected = layer_demos.parameter_comparison(28, 28, 5, 5, 3, 5)
    assert values(widget, "conv-total") == [expected["conv_total"]] == [380]
    assert values(widget, "fc-total") == [expected["fc_total"]]
    assert values(widget, "ratio")[0] == pytest.approx(expected["ratio"])
    assert "9,223,760" in widget.locator('[data-testid="fc-total"]').inner_text()
    for testid, value in [("input-n1", 14), ("input-n2", 10), ("input-m1", 4), ("input-c_in", 32)]:
        change(page, widget, testid, value)
    assert settled(page, widget) == "done"
    expected = layer_demos.parameter_comparison(14, 10, 4, 5, 32, 5)
    assert values(widget, "conv-total") == [expected["conv_total"]]
    assert values(widget, "fc-total") == [expected["fc_total"]]
    assert "14 × 10 × 5" in widget.locator('[data-testid="output-shape"]').inner_text()

    change(page, widget, "input-c_out", "")
    shows_error(page, widget, native_error(layer_demos.parameter_comparison, 14, 10, 4, 5, 32, ""))
    change(page, widget, "input-c_out", -2)
    shows_error(page, widget, native_error(layer_demos.parameter_comparison, 14, 10, 4, 5, 32, -2))
    assert not requested_scipy(guard)


# --- regularisation ---------------------------------------------------------------------------

def test_regularisation_cells_with_the_pretrained_weights(open_page, cells_match_the_build,
                                                          guard):
    page = open_page(REGULARISATION)
    texts = cells_match_the_build(page, **LAYER_CELLS)
    params = model.load_pretrained(PRETRAINED)
    l2 = layers.l2_penalty([params["fc2.weight"]], 0.001)
    assert f"{l2:.6f}" in texts[0]
    assert "kept units doubled: True" in texts[-2]
    assert "inference is deterministic: True" in texts[-2]
    assert not requested_scipy(guard)


def test_dropout_mask_widget(open_page, wait_ready, guard):
    page = open_page(REGULARISATION)
    wait_ready(page)
    widget = page.locator(WIDGET).nth(0)
    assert settled(page, widget) == "done"

    def check(p: float, seed: int) -> None:
        expected = layer_demos.dropout_demo(p, seed=seed, shape=(8, 8))
        after = widget.locator('[data-testid="units-after"]')
        assert values(after, "unit") == pytest.approx(expected["training"].ravel().tolist())
        kept = [v == "true" for v in after.locator('[data-testid="unit"]').evaluate_all(
            "cs => cs.map(c => c.dataset.kept)")]
        assert kept == expected["kept"].ravel().tolist()
        for testid, key in [("mean-before", "mean_before"), ("mean-after", "mean_training"),
                            ("mean-masks", "mean_over_masks"), ("scale", "scale")]:
            assert values(widget, testid)[0] == pytest.approx(expected[key]), testid
        assert widget.locator('[data-testid="inference"]').get_attribute("data-value") == "true"

    check(0.5, seed=0)
    widget.locator('[data-testid="reroll"]').click()
    assert settled(page, widget) == "done"
    check(0.5, seed=1)
    widget.locator('[data-testid="reroll"]').press("Enter")  # keyboard
    assert settled(page, widget) == "done"
    check(0.5, seed=2)
    assert change(page, widget, "input-p", 0.2) == "done"
    check(0.2, seed=2)
    assert widget.locator('[data-testid="p-value"]').inner_text() == "0.2"
    assert not requested_scipy(guard)


def test_monte_carlo_dropout_widget(open_page, wait_ready):
    page = open_page(REGULARISATION)
    wait_ready(page)
    widget = page.locator(WIDGET).nth(1)
    assert settled(page, widget) == "done"

    def check(first: int, second: int, mix: float, passes: int, seed: int) -> None:
        expected = layer_demos.mc_dropout_summary(first, second, mix, passes, seed, PRETRAINED)
        rows = widget.locator('[data-testid="class-row"]')
        assert rows.count() == 10
        for key in ("low", "mean", "high", "inference", "votes"):
            shown = [float(v) for v in rows.evaluate_all(f"rs => rs.map(r => r.dataset.{key})")]
            assert shown == pytest.approx(expected[key].tolist(), abs=1e-4), key
        assert widget.locator('[data-testid="digit"]').get_attribute("width") == "28"

    check(3, 5, 0.5, 30, seed=0)
    widget.locator('[data-testid="reroll"]').click()
    assert settled(page, widget) == "done"
    check(3, 5, 0.5, 30, seed=1)
    change(page, widget, "input-second", 8)
    assert change(page, widget, "input-mix", 0.25) == "done"
    check(3, 8, 0.25, 30, seed=1)
    assert change(page, widget, "input-passes", 5) == "done"
    check(3, 8, 0.25, 5, seed=1)
    change(page, widget, "input-passes", 0)
    shows_error(page, widget, native_error(layer_demos.mc_dropout_summary, 3, 8, 0.25, 0,
                                           folder=PRETRAINED))


# --- without JavaScript -----------------------------------------------------------------------

@pytest.mark.parametrize("path", [CONV2D, POOLING, CHANNELS, PARAMETERS, REGULARISATION])
def test_without_javascript_the_code_outputs_and_fallbacks_show(path, new_context, site_url):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site_url + path)
    outputs = page.locator('[data-testid="output"]')
    assert outputs.count() >= 4
    assert all(outputs.nth(i).inner_text().strip() for i in range(outputs.count()))
    for widget in page.locator(WIDGET).all():
        assert "needs JavaScript" in widget.inner_text()
