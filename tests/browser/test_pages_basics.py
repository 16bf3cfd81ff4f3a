"""Chapter pages 1-5 in headless Chromium: feature hierarchies, 1-D convolution,
cross-correlation, padding and output size.

Per page (one page load per test): every cell runs in the browser and prints what the build
printed, and each widget shows what ``cnnlab``, run here natively, computes for the same input,
including its message for invalid input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cells_check import numbers

from cnnlab import digits, model, signal
from cnnlab.pages import explain

ROOT = Path(__file__).resolve().parents[2]
BOOK_X, BOOK_W = [1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2]
WIDGET_TIMEOUT_MS = 60_000
# Absolute slack for the numbers the pretrained network computes in float32 (NumPy 1.17 in the
# browser, 2.x at build time: the last printed digit may differ).
NETWORK_PRINTED = 0.011


def widget(page, name: str, nth: int = 0):
    return page.locator(f'[data-widget="{name}"]').nth(nth)


def wait_state(page, element, state: str = "done", message: str = "") -> None:
    """Wait for a widget (or a widget's element) to reach ``state`` showing ``message``."""
    page.wait_for_function(
        "([node, state, text]) => node.dataset.state === state"
        " && node.closest('[data-widget]').textContent.includes(text)",
        arg=[element.element_handle(), state, message], timeout=WIDGET_TIMEOUT_MS)


def attribute_values(locator, name: str, cast=float) -> list:
    return [cast(v) for v in locator.evaluate_all(f"nodes => nodes.map(n => n.dataset.{name})")]


@pytest.fixture(scope="module")
def params() -> dict:
    return model.load_pretrained(ROOT / "pretrained")


# ---------------------------------------------------------------- 1. feature hierarchies
def test_feature_hierarchies(open_page, cells_match_the_build, params):
    page = open_page("chapter/01-feature-hierarchies/")
    texts = cells_match_the_build(page, abs=NETWORK_PRINTED)
    assert "832 parameters" in texts[1]
    assert numbers(texts[2])[-1] == 0.0  # conv1 moved exactly with the digit

    maps = widget(page, "feature-maps")
    wait_state(page, maps)
    expected = explain.digit_feature_maps(3, folder=str(ROOT / "pretrained"))
    prediction = maps.locator('[data-testid="prediction"]')
    assert int(prediction.get_attribute("data-digit")) == expected["prediction"] == 3
    for testid, key, count in [("kernel", "kernels", 32), ("conv1-map", "conv1", 32),
                               ("conv2-map", "conv2", 64)]:
        canvases = maps.locator(f'[data-testid="{testid}"]')
        assert canvases.count() == count
        low, high = attribute_values(canvases, "min"), attribute_values(canvases, "max")
        np.testing.assert_allclose(low, expected[key].min(axis=(1, 2)), atol=2e-3)
        np.testing.assert_allclose(high, expected[key].max(axis=(1, 2)), atol=2e-3)
    # Another digit, chosen with the keyboard.
    maps.locator('[data-testid="digit-7"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_function("p => p.dataset.digit === '7'", arg=prediction.element_handle(),
                           timeout=WIDGET_TIMEOUT_MS)
    assert maps.locator('[data-testid="digit-7"]').get_attribute("aria-pressed") == "true"
    seven = explain.digit_feature_maps(7, folder=str(ROOT / "pretrained"))
    shown = float(prediction.get_attribute("data-probability"))
    assert shown == pytest.approx(seven["probabilities"][7], abs=1e-3)

    shift = widget(page, "shift-equivariance")
    wait_state(page, shift)
    shift.locator('[data-testid="dx"]').focus()
    page.keyboard.press("ArrowRight")  # dx 1 -> 2
    page.wait_for_function("s => s.dataset.state === 'done' && s.textContent.includes('(0, 2)')",
                           arg=shift.element_handle(), timeout=WIDGET_TIMEOUT_MS)
    response = explain.shift_response(digits.draw_digit(4), params, 0, 2, 0)
    assert float(shift.locator('[data-testid="gap"]').get_attribute("data-value")) < 1e-4
    for layer, change in response["change"].items():
        shown = float(shift.locator(f'[data-testid="change-{layer}"]').get_attribute("data-value"))
        assert shown == pytest.approx(change, rel=1e-3, abs=1e-4), layer
    moved = shift.locator('[data-testid="conv1-moved"]')
    assert float(moved.get_attribute("data-max")) == pytest.approx(
        response["conv1_moved"].max(), abs=2e-3)
    shift.locator('[data-testid="channel"]').fill("40")
    wait_state(page, shift, "error", "channel ≤ 31 (conv1 has 32 channels) (got 40)")
    assert shift.locator('[data-testid="message"]').is_visible()


# ---------------------------------------------------------------- 2. 1-D convolution
def stepper_state(stepper) -> dict:
    """What the stepper shows: kernel, its labels, products, window, sum, outputs."""
    def cells(testid: str):
        return stepper.locator(f'[data-testid="{testid}"]')

    window = cells("padded-cell").evaluate_all(
        "nodes => nodes.filter(n => n.dataset.window === 'true').map(n => Number(n.dataset.index))")
    return {
        "kernel": attribute_values(cells("kernel-cell"), "value"),
        "labels": attribute_values(cells("kernel-cell"), "label", str),
        "products": attribute_values(cells("product-cell"), "value"),
        "window": window,
        "sum": float(cells("sum").inner_text()),
        "outputs": attribute_values(cells("output-cell"), "value"),
    }


def test_convolution_1d(open_page, cells_match_the_build):
    page = open_page("chapter/02-convolution-1d/")
    texts = cells_match_the_build(page)
    assert numbers(texts[0].splitlines()[0]) == np.convolve(BOOK_X, BOOK_W).tolist()
    assert "def conv1d_loop(" in texts[2]

    stepper = widget(page, "conv1d-stepper")
    wait_state(page, stepper)
    steps = explain.conv1d_steps(BOOK_X, BOOK_W, p=2)
    shown = stepper_state(stepper)
    # The chapter's example at i = 0: the flipped kernel under x^p[0..4], products, sum 5.
    assert shown["kernel"] == [2, 1, 3, 0, 1]
    assert shown["labels"] == ["w[4]", "w[3]", "w[2]", "w[1]", "w[0]"]
    assert shown["products"] == [0, 0, 3, 0, 2]
    assert shown["window"] == [0, 1, 2, 3, 4]
    assert shown["sum"] == 5
    assert shown["outputs"] == steps["output"].tolist()
    # Keyboard: the slider's arrow keys step i.
    stepper.locator('[data-testid="index"]').focus()
    page.keyboard.press("ArrowRight")
    shown = stepper_state(stepper)
    assert shown["products"] == steps["products"][1].tolist()
    assert shown["window"] == [1, 2, 3, 4, 5]
    assert shown["sum"] == 14
    stepper.locator('[data-testid="output-cell"]').nth(7).click()
    assert stepper_state(stepper)["sum"] == 22
    assert stepper.locator('[data-testid="next"]').is_disabled()

    # The visitor's own x, w, p, s.
    stepper.locator('[data-testid="input-x"]').fill("1 2 3 4 5 6 7")
    stepper.locator('[data-testid="input-w"]').fill("1, -1, 2")
    stepper.locator('[data-testid="input-p"]').fill("1")
    stepper.locator('[data-testid="input-s"]').fill("2")
    expected = signal.conv1d([1, 2, 3, 4, 5, 6, 7], [1, -1, 2], p=1, s=2)
    page.wait_for_function(
        "([node, n]) => node.dataset.state === 'done'"
        " && node.querySelectorAll('[data-testid=output-cell]').length === n",
        arg=[stepper.element_handle(), len(expected)], timeout=WIDGET_TIMEOUT_MS)
    shown = stepper_state(stepper)
    assert shown["outputs"] == expected.tolist()
    index = int(stepper.locator('[data-testid="index"]').input_value())
    assert shown["window"] == [2 * index + j for j in range(3)]
    assert shown["sum"] == expected[index]

    # One bad field at a time: bad_input.CASES (test_bad_input.py). Here: fields at odds.
    for name, text in {"w": "1 1 1 1 1", "x": "1, 2", "p": "1"}.items():
        stepper.locator(f'[data-testid="input-{name}"]').fill(text)
    wait_state(page, stepper, "error", "the kernel (m=5) is larger than the padded input")
    assert stepper.locator('[data-testid="message"]').is_visible()


# ---------------------------------------------------------------- 3. cross-correlation
def test_cross_correlation(open_page, cells_match_the_build):
    page = open_page("chapter/03-cross-correlation/")
    texts = cells_match_the_build(page, abs=NETWORK_PRINTED)
    assert "in 100 of 100 random cases" in texts[1]
    assert len(texts[4].splitlines()) == 4  # as trained, conv1 / conv2 / both flipped
    assert texts[5].strip().endswith("True")

    stepper = widget(page, "conv1d-stepper")
    wait_state(page, stepper)
    flip = stepper.locator('[data-testid="flip"]')
    assert not flip.is_checked()
    shown = stepper_state(stepper)
    assert shown["kernel"] == BOOK_W
    assert shown["labels"] == ["w[0]", "w[1]", "w[2]", "w[3]", "w[4]"]
    assert shown["outputs"] == signal.correlate1d(BOOK_X, BOOK_W, p=2).tolist()
    assert shown["sum"] == 10
    flip.focus()
    page.keyboard.press("Space")
    page.wait_for_function("s => s.dataset.flip === 'true'",
                           arg=stepper.locator('[data-testid="strip"]').element_handle(),
                           timeout=WIDGET_TIMEOUT_MS)
    shown = stepper_state(stepper)
    assert shown["kernel"] == BOOK_W[::-1]
    assert shown["outputs"] == signal.conv1d(BOOK_X, BOOK_W, p=2).tolist()
    assert shown["sum"] == 5


# ---------------------------------------------------------------- 4. padding
def usage_state(usage) -> tuple:
    cells = usage.locator('[data-testid="usage-cell"]')
    padding = [flag == "true" for flag in attribute_values(cells, "padding", str)]
    return attribute_values(cells, "count", int), padding


def test_padding(open_page, cells_match_the_build):
    page = open_page("chapter/04-padding/")
    texts = cells_match_the_build(page)
    assert numbers(texts[0].splitlines()[0]) == [5, 3, 1, 2, 3, 2, 1]

    usage = widget(page, "usage-count")
    wait_state(page, usage)
    counts, padding = usage_state(usage)
    assert counts == [1, 2, 3, 2, 1]  # x[0] once, x[1] twice, x[2] three times
    assert not any(padding)
    for n, m, mode in [(5, 3, "same"), (6, 4, "same"), (6, 4, "full"), (7, 2, "valid")]:
        usage.locator('[data-testid="input-n"]').fill(str(n))
        usage.locator('[data-testid="input-m"]').fill(str(m))
        usage.locator('[data-testid="mode"]').select_option(mode)
        before, after = signal.padding_for(mode, m)
        expected = explain.input_usage(n, m, (before, after)).tolist()
        page.wait_for_function(
            "([node, n]) => node.dataset.state === 'done'"
            " && node.querySelectorAll('[data-testid=usage-cell]').length === n",
            arg=[usage.element_handle(), len(expected)], timeout=WIDGET_TIMEOUT_MS)
        counts, padding = usage_state(usage)
        assert counts == expected, (n, m, mode)
        assert padding == [True] * before + [False] * n + [True] * after
        o = signal.output_size(n, m, (before, after))
        assert int(usage.locator('[data-testid="output-count"]').inner_text()) == o
        assert usage.locator('[data-testid="window"]').count() == o
    usage.locator('[data-testid="mode"]').select_option("valid")
    usage.locator('[data-testid="input-n"]').fill("3")
    usage.locator('[data-testid="input-m"]').fill("5")
    wait_state(page, usage, "error", "larger than the padded input")


# ---------------------------------------------------------------- 5. output size
def test_output_size(open_page, cells_match_the_build):
    page = open_page("chapter/05-output-size/")
    texts = cells_match_the_build(page)
    assert "ValueError" in texts[1]
    assert numbers(texts[3].splitlines()[0]) == [0]
    assert numbers(texts[3].splitlines()[1]) == [0, 2]

    calculator = widget(page, "output-size")
    result = calculator.locator('[data-testid="result"]')

    def shows(n: int, m: int, p: int, s: int) -> None:
        for name, value in zip("nmps", (n, m, p, s)):
            calculator.locator(f'[data-testid="input-{name}"]').fill(str(value))
        o = signal.output_size(n, m, p, s)
        y = signal.conv1d(np.arange(1.0, n + 1), np.ones(m), p=p, s=s)
        page.wait_for_function(
            "([r, o, shape]) => r.dataset.state === 'done' && r.textContent.endsWith(`= ${o}`)"
            " && r.closest('[data-widget]').querySelector('[data-testid=shape]').textContent"
            " === shape",
            arg=[result.element_handle(), o, f"({len(y)},)"], timeout=WIDGET_TIMEOUT_MS)
        assert calculator.locator('[data-testid="match"]').get_attribute("data-match") == "true"
        values = numbers(calculator.locator('[data-testid="values"]').inner_text())
        assert values == y[:12].tolist()
        starts = numbers(calculator.locator('[data-testid="windows"]').inner_text())
        assert starts == [i * s for i in range(min(o, 12))]

    wait_state(page, result)
    assert result.inner_text() == "o = ⌊(8 + 2·2 − 5) / 1⌋ + 1 = 8"
    shows(8, 5, 2, 1)
    shows(5, 3, 0, 2)  # the stride example: two outputs, windows at 0 and 2
    shows(30, 4, 1, 3)
    # One bad field at a time: bad_input.CASES (test_bad_input.py). Here: fields at odds.
    for name, value in {"n": 3, "m": 5, "p": 0, "s": 1}.items():
        calculator.locator(f'[data-testid="input-{name}"]').fill(str(value))
    wait_state(page, result, "error", "the kernel (m=5) is larger than the padded input")


# ---------------------------------------------------------------- without JavaScript
def test_static_readers_see_outputs_and_fallbacks(new_context, site_url):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site_url + "chapter/02-convolution-1d/")
    assert "at i = 0 the window [0, 0, 1, 3, 2]" in page.locator('[data-widget]').inner_text()
    outputs = page.locator('[data-testid="output"]')
    conv1d_line = outputs.nth(1).inner_text().splitlines()[2]  # "conv1d : [5.0, 14.0, …]"
    assert numbers(conv1d_line.partition(":")[2]) == signal.conv1d(
        BOOK_X, BOOK_W, p=2).tolist()
