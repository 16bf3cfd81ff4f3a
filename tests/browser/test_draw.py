"""The draw page (docs/draw.md, widget digit-draw) in headless Chromium.

Digits are drawn as polylines of mouse moves (and touches, and keys); what the page shows is
compared with cnnlab run natively on the same input.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnnlab import inside, layers, model, preprocess

PAGE = "draw/"
PAGE_CELLS = 2  # the receptive field, inspect_drawing on a synthetic zero
WEIGHTS = str(Path(__file__).resolve().parents[2] / "pretrained")
WIDGET = '.cnnlab-widget[data-widget="digit-draw"]'
CANVAS = '[data-testid="digit-canvas"]'
RESULT_TIMEOUT_MS = 60_000
TARGET_ACCURACY = 0.95
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")


# --- digits as strokes --------------------------------------------------------------------------
def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, n: int) -> list:
    """Points on an ellipse from angle ``start`` to ``stop`` (degrees; 0 is right, 90 down)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, stop, n)]


# Each digit: strokes of (x, y) points in the unit square, y downwards, as a person draws them.
DIGITS = {
    0: [arc(0.5, 0.5, 0.36, 0.46, -90, 275, 28)],
    1: [[(0.58, 0.05), (0.5, 0.5), (0.44, 0.95)]],
    2: [[*arc(0.5, 0.3, 0.34, 0.25, 200, 370, 12), (0.6, 0.6), (0.15, 0.95), (0.9, 0.93)]],
    3: [arc(0.48, 0.27, 0.33, 0.23, 210, 450, 14)[:-1] + arc(0.48, 0.72, 0.38, 0.25, -90, 150, 14)],
    4: [[(0.55, 0.03), (0.1, 0.65), (0.95, 0.65)], [(0.68, 0.3), (0.68, 0.97)]],
    5: [[(0.85, 0.05), (0.3, 0.05), (0.24, 0.45), *arc(0.5, 0.68, 0.36, 0.28, -125, 150, 14)]],
    6: [[(0.75, 0.05), (0.45, 0.25), (0.22, 0.55), *arc(0.5, 0.7, 0.3, 0.27, 180, 540, 20)]],
    7: [[(0.1, 0.06), (0.9, 0.06), (0.65, 0.45), (0.4, 0.97)]],
    8: [[(0.5 + 0.32 * math.sin(2 * t) * (1.12 if t > math.pi else 1.0), 0.5 - 0.47 * math.cos(t))
         for t in np.linspace(0, 2 * math.pi, 36)]],
    9: [[*arc(0.48, 0.3, 0.32, 0.26, 10, 375, 20), (0.78, 0.5), (0.7, 0.97)]],
}

# How each digit is drawn: height (of the canvas), centre (x, y), slant, width / usual width.
STYLES = {
    "large, upright": (0.72, (0.50, 0.50), 0.0, 1.0),
    "small, top left": (0.36, (0.28, 0.28), 0.0, 1.0),
    "slanted right": (0.55, (0.60, 0.58), 0.25, 1.0),
    "wide, slanted left": (0.62, (0.45, 0.52), -0.12, 1.25),
    "tiny, bottom right": (0.26, (0.80, 0.80), 0.10, 0.9),
}


def place(strokes: list, style: tuple, side: float) -> list:
    """The strokes in canvas CSS pixels, for a canvas ``side`` pixels wide, drawn in ``style``."""
    height, (cx, cy), slant, aspect = style
    h = height * side
    w = h * 0.62 * aspect
    return [[(cx * side + (x - 0.5) * w + slant * (0.5 - y) * h, cy * side + (y - 0.5) * h)
             for x, y in stroke] for stroke in strokes]


# --- page helpers -------------------------------------------------------------------------------
def draw(page: Any, strokes: list) -> None:
    """Draw ``strokes`` (canvas CSS pixels) with the mouse, one press per stroke."""
    box = page.locator(CANVAS).bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
        page.mouse.up()


def wait_result(page: Any) -> str:
    """Wait until the page shows the result for the drawing as it is now; its state."""
    page.wait_for_function(
        """selector => {
            const widget = document.querySelector(selector);
            return widget.dataset.shownVersion === widget.dataset.version
                && ['done', 'empty', 'error'].includes(widget.dataset.state);
        }""", arg=WIDGET, timeout=RESULT_TIMEOUT_MS)
    return page.locator(WIDGET).get_attribute("data-state")


def shown(page: Any) -> dict:
    """What the page shows: prediction, message, probabilities, logits, latency."""
    return page.evaluate("""() => {
        const all = (selector, key) => [...document.querySelectorAll(selector)]
            .map(e => e.dataset[key] === undefined ? null : Number(e.dataset[key]));
        return {
            prediction: document.querySelector('[data-testid="prediction"]').textContent,
            message: document.querySelector('[data-testid="message"]').textContent,
            digits: all('[data-testid="probabilities"] [data-digit]', 'digit'),
            p: all('[data-testid="probabilities"] [data-digit]', 'p'),
            logits: all('[data-testid="logits"] [data-digit]', 'value'),
            latency: document.querySelector('[data-testid="latency-ms"]').textContent,
        };
    }""")


def ink_pixels(page: Any) -> int:
    return page.evaluate("""selector => {
        const canvas = document.querySelector(selector);
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) inked += data[i] > 0;
        return inked;
    }""", CANVAS)


def assert_probability_vector(result: dict) -> None:
    assert result["digits"] == list(range(10))
    p = np.array(result["p"], dtype=float)
    assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    assert p.sum() == pytest.approx(1.0, abs=1e-5)
    assert result["prediction"] == str(int(np.argmax(p)))
    assert float(result["latency"]) > 0


def open_draw_page(open_page: Any, wait_ready: Any, **options: Any) -> Any:
    page = open_page(PAGE, **options)
    wait_ready(page)
    wait_result(page)
    return page


def numbers(text: str) -> list:
    return [float(n) for n in NUMBER.findall(text)]


# --- tests --------------------------------------------------------------------------------------
def test_mouse_drawn_digits_are_read(open_page, wait_ready):
    page = open_draw_page(open_page, wait_ready)
    side = page.locator(CANVAS).bounding_box()["width"]
    assert side == pytest.approx(280, abs=1)
    outcomes = []
    for digit, strokes in DIGITS.items():
        for name, style in STYLES.items():
            page.click('[data-testid="clear"]')
            draw(page, place(strokes, style, side))
            assert wait_result(page) == "done", (digit, name, shown(page)["message"])
            result = shown(page)
            assert_probability_vector(result)
            outcomes.append((digit, name, int(result["prediction"])))
    wrong = [o for o in outcomes if o[0] != o[2]]
    assert len(outcomes) >= 30
    accuracy = 1 - len(wrong) / len(outcomes)
    assert accuracy >= TARGET_ACCURACY, f"misread (digit, style, read): {wrong}"


def test_the_page_shows_what_cnnlab_computes(open_page, wait_ready, run_cell, cell_output):
    page = open_page(PAGE)
    built = [cell_output(page, i) for i in range(PAGE_CELLS)]
    wait_ready(page)
    wait_result(page)
    # A fixed 28×28 input (a drawn 3, preprocessed natively), fed through the page.
    side = 280
    canvas = np.zeros((side, side, 4), np.uint8)
    yy, xx = np.mgrid[:side, :side] + 0.5
    for stroke in place(DIGITS[3], STYLES["large, upright"], side):
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            t = np.clip(((xx - x0) * (x1 - x0) + (yy - y0) * (y1 - y0))
                        / max((x1 - x0) ** 2 + (y1 - y0) ** 2, 1e-9), 0, 1)
            near = np.hypot(xx - x0 - t * (x1 - x0), yy - y0 - t * (y1 - y0)) < 11
            canvas[near, 3] = 255
    x = preprocess.preprocess(canvas)
    page.evaluate("""([selector, values]) => document.querySelector(selector).dispatchEvent(
        new CustomEvent('cnnlab-draw-input', {detail: values}))""", [WIDGET, x.ravel().tolist()])
    assert wait_result(page) == "done"
    result = shown(page)
    assert_probability_vector(result)
    params = model.load_pretrained(WEIGHTS)
    logits, acts = model.forward(x, params, return_activations=True)
    assert np.abs(np.array(result["logits"]) - logits[0]).max() <= 1e-4
    np.testing.assert_allclose(result["p"], layers.softmax(logits.astype(np.float64))[0], atol=1e-5)
    assert result["prediction"] == "3"

    # The 28×28 input on screen, grey level by grey level.
    grey = page.evaluate("""() => {
        const canvas = document.querySelector('[data-testid="model-input"]');
        const data = canvas.getContext('2d').getImageData(0, 0, 28, 28).data;
        return Array.from({length: 784}, (_, i) => data[4 * i]);
    }""")
    assert np.abs(np.array(grey) - np.round(x.ravel() * 255)).max() <= 1

    # Feature maps: 32 of conv1 and 64 of conv2, after ReLU and after pooling, at their sizes.
    maps = page.evaluate("""() => [...document.querySelectorAll('[data-testid="map"]')].map(b => {
        const canvas = b.querySelector('canvas');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let lit = 0;
        for (let i = 0; i < data.length; i += 4) lit += data[i] + data[i + 1] + data[i + 2] > 30;
        return [b.dataset.layer, Number(b.dataset.channel), canvas.width, canvas.height, lit];
    })""")
    for layer, count, size in [("relu1", 32, 28), ("pool1", 32, 14), ("relu2", 64, 14),
                               ("pool2", 64, 7)]:
        these = [m for m in maps if m[0] == layer]
        assert [m[1] for m in these] == list(range(count))
        assert {(m[2], m[3]) for m in these} == {(size, size)}
        # A map is lit where its activation is clearly positive, dark where it is 0.
        active = acts[layer][0].reshape(count, -1)
        scale = active.max()
        for m, values in zip(these, active):
            assert (values > 0.05 * scale).sum() <= m[4] <= (values > 0).sum(), (layer, m[1])
    assert page.evaluate("() => { const c = document.querySelector('[data-testid=\"fc1\"]');"
                         "return [c.width, c.height]; }") == [128, 8]

    # A conv1 map shows its 5×5 kernel.
    page.locator('[data-testid="map"][data-layer="relu1"][data-channel="7"]').click()
    kernel = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="kernel"] [data-value]')].map(e => Number(e.dataset.value))""")
    np.testing.assert_allclose(kernel, params["conv1.weight"][7, 0].ravel(), atol=1e-7)

    # A conv2 cell lights up its receptive field on the input; arrow keys move the cell.
    page.locator('[data-testid="map"][data-layer="relu2"][data-channel="10"]').click()
    zoom = page.locator('[data-testid="map-detail"]')
    box = zoom.bounding_box()
    zoom.click(position={"x": 9.5 / 14 * box["width"], "y": 3.5 / 14 * box["height"]})

    def field() -> tuple:
        values = page.evaluate("""() => {
            const d = document.querySelector('[data-testid="map-detail"]').dataset;
            const f = document.querySelector('[data-testid="receptive-field"]').dataset;
            return [d.layer, d.channel, d.i, d.j, f.top, f.bottom, f.left, f.right];
        }""")
        return (values[0], *map(int, values[1:]))

    assert field() == ("relu2", 10, 3, 9, *inside.receptive_field("conv2", 3, 9))
    assert field()[4:] == (0, 2 * 3 + 7, 2 * 9 - 6, 2 * 9 + 7)
    zoom.press("ArrowRight")
    zoom.press("ArrowDown")
    assert field() == ("relu2", 10, 4, 10, *inside.receptive_field("conv2", 4, 10))
    page.locator('[data-testid="map-variant"] [data-layer="pool2"]').click()
    assert field() == ("pool2", 10, 2, 5, *inside.receptive_field("pool2", 2, 5))

    # The page's cells, run in the browser, print what they printed at build time.
    assert page.locator('[data-testid="code-cell"]').count() == PAGE_CELLS
    for index in range(PAGE_CELLS):
        assert numbers(run_cell(page, index)) == pytest.approx(numbers(built[index]), abs=1e-3)


def test_empty_canvas_clear_keyboard_and_edge_cases(new_context, site_url, wait_ready):
    # Drawing works before Python is ready (its weights are held back until the digit is
    # drawn); the prediction comes once it is.
    context = new_context()
    held: list = []
    weights = re.compile(r"/pretrained/[^/?]+\.npz")
    context.route(weights, lambda route: held.append(route))
    page = context.new_page()
    with context.expect_event("request", lambda request: weights.search(request.url)):
        page.goto(site_url + PAGE)
        draw(page, place(DIGITS[7], STYLES["large, upright"], 280))
    assert ink_pixels(page) > 1000
    assert page.locator(WIDGET).get_attribute("data-state") == "loading"
    assert "Python is loading" in shown(page)["message"]
    for route in held:
        route.fallback()
    wait_ready(page)
    assert wait_result(page) == "done"
    assert shown(page)["prediction"] == "7"

    # Clear: no ink, no prediction, the message; the same for an empty canvas.
    page.click('[data-testid="clear"]')
    assert wait_result(page) == "empty"
    result = shown(page)
    assert result["prediction"] == "" and result["message"] == "Draw a digit"
    assert result["p"] == [None] * 10 and result["logits"] == [None] * 10
    assert ink_pixels(page) == 0

    # A single dot, a line along the very edge, a tiny digit in a corner: no errors.
    tiny = place(DIGITS[2], (0.08, (0.95, 0.95), 0, 1), 280)
    for strokes in ([[(140, 140)]], [[(1, 2), (1, 278)]], tiny):
        page.click('[data-testid="clear"]')
        draw(page, strokes)
        assert wait_result(page) == "done"
        assert_probability_vector(shown(page))

    # Step by step: the preprocessing stages, with their shapes.
    page.locator('[data-testid="preprocess-stages"] summary').click()
    page.wait_for_selector('[data-testid="preprocess-stages"] [data-stage="centred_28"]')
    stages = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="preprocess-stages"] [data-stage]')]
        .map(f => [f.dataset.stage, f.dataset.shape])""")
    assert [name for name, _ in stages] == list(preprocess.preprocess_stages(np.ones((9, 9))))
    assert stages[0][1] == "280×280" and stages[-1][1] == "28×28"

    # The keyboard: Space puts the pen down, arrows draw, Space lifts it: a vertical bar, a 1.
    page.click('[data-testid="clear"]')
    canvas = page.locator(CANVAS)
    canvas.focus()
    for _ in range(8):
        canvas.press("ArrowUp")
    canvas.press("Space")
    for _ in range(16):
        canvas.press("ArrowDown")
    canvas.press("Space")
    assert wait_result(page) == "done"
    assert shown(page)["prediction"] == "1"
    canvas.press("Delete")
    assert wait_result(page) == "empty" and ink_pixels(page) == 0


def test_touch_drawing_on_a_phone_does_not_scroll(open_page, wait_ready):
    page = open_draw_page(open_page, wait_ready, viewport={"width": 375, "height": 740},
                          has_touch=True, is_mobile=True, device_scale_factor=2)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    canvas = page.locator(CANVAS)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    cdp = page.context.new_cdp_session(page)

    def swipe(points: list) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for point in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    # A 1, drawn downwards with a finger: on the canvas that draws and does not scroll.
    before = page.evaluate("() => window.scrollY")
    x = box["x"] + box["width"] / 2
    swipe([{"x": x, "y": box["y"] + box["height"] * f} for f in np.linspace(0.1, 0.9, 20)])
    assert wait_result(page) == "done"
    assert page.evaluate("() => window.scrollY") == before
    assert ink_pixels(page) > 1000
    assert_probability_vector(shown(page))
    assert shown(page)["prediction"] == "1"

    # A swipe up beside the canvas (the page's margin) scrolls: touches do reach scrolling.
    swipe([{"x": 6, "y": y} for y in np.linspace(600, 200, 20)])
    page.wait_for_function(f"() => window.scrollY > {before}", timeout=10_000)
