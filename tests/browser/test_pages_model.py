"""The model pages in headless Chromium: losses, architecture, augmentation, training, home.

For each page: every cell runs in the browser and prints the numbers the build printed, and
each widget shows what ``cnnlab``, run here natively, computes for the same input.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cells_check import FLOAT32

from cnnlab import layout, results, samples, stability

ROOT = Path(__file__).resolve().parents[2]


def wait_done(page, widget) -> None:
    """Wait until the widget's last request to Python has finished without an error."""
    page.wait_for_function("s => s.dataset.state === 'done'",
                           arg=widget.locator('[data-testid="status"]').element_handle(),
                           timeout=60_000)


def wait_error(page, widget, text: str) -> None:
    page.wait_for_function(
        "([s, text]) => s.dataset.state === 'error' && s.textContent.includes(text)",
        arg=[widget.locator('[data-testid="status"]').element_handle(), text], timeout=60_000)


def value(widget, testid: str) -> float:
    return float(widget.locator(f'[data-testid="{testid}"]').get_attribute("data-value"))


# --- every page's cells -----------------------------------------------------------------------

MANIFEST = json.loads((ROOT / "pretrained" / "manifest.json").read_text())
ACCURACY = MANIFEST["test_accuracy"]
# Per page: {cell index: texts its output must contain}, besides matching the build.
CELL_CHECKS = {
    "": {0: ["x * w = [5.0, 14.0, 16.0, 26.0, 24.0, 34.0, 19.0, 22.0]"]},
    "chapter/11-losses/": {
        0: ["BCE from the probability: 0.3711", "BCE from the logit:       0.3711"],
        2: ["CCE from the probabilities: 0.5996", "CCE from the logits:        0.5996",
            "NLLLoss of log_softmax:     0.5996"],
        4: ["inf"], 5: ["inf"], 7: ["nan"], 9: ["log(e + K - 1) - 1 = 0.5514"],
    },
    "chapter/12-architecture/": {
        0: ["conv1    4×32×28×28", "flatten  4×3136", "fc2      4×10"],
        3: ["conv1  [batchsize×28×28×32]", "pool2  [batchsize×7×7×64]"],
    },
    "chapter/13-augmentation/": {0: ["rotation: uniform in [-12.0°, +12.0°]"], 4: ["mirrored"]},
    "chapter/14-training/": {
        3: [f"float32 weights: {ACCURACY['float32']:.2f}%",
            f"compact weights: {ACCURACY['compact']:.2f}%"],
        4: ["matches the manifest: True"],
        5: [MANIFEST["weights"]["sha256"], "matches the manifest: True"],
    },
}


@pytest.mark.parametrize("path", CELL_CHECKS)
def test_every_cell_runs_in_the_browser_as_at_build(open_page, cells_match_the_build, path):
    page = open_page(path)
    outputs = cells_match_the_build(page, **FLOAT32)
    for index, texts in CELL_CHECKS[path].items():
        for text in texts:
            assert text in outputs[index], (index, outputs[index])
    assert "Warning" not in "".join(outputs)  # np.errstate keeps NumPy's warnings out


def test_home_links_every_page_in_navigation_order(open_page):
    page = open_page("")
    nav = page.eval_on_selector_all(
        ".md-sidebar--primary .md-nav__link[href]",
        "links => links.map(a => new URL(a.href).pathname)")
    listed = page.eval_on_selector_all(
        "article a[href]", "links => links.map(a => new URL(a.href).pathname)")
    pages = [path for path in dict.fromkeys(nav) if not path.endswith("/cnn-lab/")]
    assert len(pages) >= 17  # draw, 14 chapter pages, cells, authoring
    assert pages[0].endswith("/draw/")
    # The "All pages" list at the end repeats the navigation, in its order.
    in_article = [path for path in listed if path in pages]
    assert in_article[-len(pages):] == pages


# --- 11 loss functions ------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "start"), [("binary", 0.8), ("categorical", 1.5)])
def test_loss_widget_matches_cnnlab_stability(open_page, wait_ready, kind, start):
    page = open_page("chapter/11-losses/")
    widget = page.locator(f'[data-widget="loss-stability"][data-options*="{kind}"]')
    wait_ready(page)
    wait_done(page, widget)
    target = 1 if kind == "binary" else 2
    others = [0.8, 2.1]

    def native(z: float, t: int) -> dict:
        if kind == "binary":
            return stability.binary_losses(z, t)
        return stability.categorical_losses([z, *others], t)

    def check(z: float, t: int) -> None:
        wait_done(page, widget)
        expected = native(z, t)
        for key in ("naive", "stable", *(["clamped", "probability"] if kind == "binary" else [])):
            assert value(widget, key) == pytest.approx(expected[key], rel=1e-12, nan_ok=True), key
        assert "; ".join(expected["problems"]) in widget.locator(
            '[data-testid="problems"]').inner_text()

    check(start, target)  # the book's example: 0.3711 or 0.5996
    assert widget.locator('[data-testid="stable"]').inner_text() == (
        "0.3711" if kind == "binary" else "0.5996")

    # Where the naive formula breaks: exp overflows (binary: e^1000; softmax: e^1000 / inf).
    number = widget.locator('[data-testid="logit"]')
    extreme = -1000 if kind == "binary" else 1000
    number.fill(str(extreme))
    check(extreme, target)
    assert widget.locator('[data-testid="naive"]').inner_text() in ("inf", "nan")
    assert widget.locator('[data-testid="stable"]').inner_text() not in ("inf", "nan")

    widget.locator('[data-testid="preset"][data-value="710"]').click()
    check(710, target)
    widget.locator('[data-testid="target"]').select_option("0")
    check(710, 0)

    # Keyboard: the logarithmic slider moves the logit, and the page recomputes.
    slider = widget.locator('[data-testid="logit-slider"]')
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function("n => n.value === '-1000'", arg=number.element_handle())
    check(-1000, 0)

    number.fill("")
    wait_error(page, widget, "logit must be a finite number")


# --- 12 architecture --------------------------------------------------------------------------

def test_architecture_widget_runs_the_model_for_each_batch_size(open_page, wait_ready):
    page = open_page("chapter/12-architecture/")
    widget = page.locator('[data-widget="architecture"]')
    wait_ready(page)
    wait_done(page, widget)

    def shapes() -> dict:
        layers = widget.locator('[data-testid="layer"]')
        return {layers.nth(i).get_attribute("data-layer"): layers.nth(i).get_attribute("data-shape")
                for i in range(layers.count())}

    def expected(batch: int, key: str) -> dict:
        return {row["layer"]: ",".join(map(str, row[key])) for row in layout.architecture(batch)}

    assert shapes() == expected(4, "nchw")
    widget.locator('[data-testid="batch-size"]').fill("16")
    wait_done(page, widget)
    page.wait_for_function("l => l.dataset.shape.startsWith('16,')",
                           arg=widget.locator('[data-testid="layer"]').first.element_handle())
    assert shapes() == expected(16, "nchw")
    widget.locator('[data-testid="layout"]').select_option("nhwc")
    assert shapes() == expected(16, "nhwc")

    # Keyboard: tab to a layer and press Enter for its details.
    pool2 = widget.locator('[data-testid="layer"][data-layer="pool2"]')
    pool2.focus()
    page.keyboard.press("Enter")
    assert pool2.get_attribute("aria-pressed") == "true"
    details = widget.locator('[data-testid="details"]').inner_text()
    row = next(r for r in layout.architecture(16) if r["layer"] == "pool2")
    assert "pooling layer 2" in details
    assert f"({', '.join(map(str, row['nhwc']))}) = {row['values']:,} values" in details

    for bad in ("0", "65", "2.5"):
        widget.locator('[data-testid="batch-size"]').fill(bad)
        wait_error(page, widget, "batch size must be a whole number from 1 to 64")


# --- 13 augmentation --------------------------------------------------------------------------

def canvas_pixels(canvas) -> np.ndarray:
    """The (H, W, 4) RGBA pixels of a canvas element."""
    data = canvas.evaluate("""c => {
        const image = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        return {w: c.width, h: c.height, data: Array.from(image.data)};
    }""")
    return np.array(data["data"], dtype=np.uint8).reshape(data["h"], data["w"], 4)


def assert_gallery(widget, seed: int, digit: int) -> None:
    gallery = samples.augmentation_gallery(seed, value=digit)
    assert widget.locator('[data-testid="seed"]').inner_text() == str(seed)
    for group, panels in gallery.items():
        figures = widget.locator(f'[data-testid="panel"][data-group="{group}"]')
        assert figures.count() == len(panels)
        for i, panel in enumerate(panels):
            figure = figures.nth(i)
            assert figure.get_attribute("data-name") == panel["name"]
            assert figure.locator('[data-testid="panel-detail"]').inner_text() == panel["detail"]
            rgba = canvas_pixels(figure.locator('[data-testid="panel-canvas"]'))
            image = panel["image"] if panel["image"].ndim == 3 else panel["image"][..., None]
            # Pixels are uint8 from Python; the browser draws them as they are, opaque.
            # The affine map is float math: NumPy 1.17 may round a pixel one step apart.
            assert np.abs(rgba[..., :3].astype(int) - image.astype(int)).max() <= 1, panel["name"]
            assert (rgba[..., 3] == 255).all()


def test_augmentation_widget_rerolls_and_draws_cnnlabs_pixels(open_page, wait_ready):
    page = open_page("chapter/13-augmentation/")
    widget = page.locator('[data-widget="augmentation"]')
    wait_ready(page)
    wait_done(page, widget)
    assert_gallery(widget, seed=0, digit=7)
    widget.locator('[data-testid="reroll"]').click()
    page.wait_for_function("s => s.textContent === '1'",
                           arg=widget.locator('[data-testid="seed"]').element_handle())
    wait_done(page, widget)
    assert_gallery(widget, seed=1, digit=7)
    widget.locator('[data-testid="digit"]').select_option("3")
    wait_done(page, widget)
    assert_gallery(widget, seed=1, digit=3)
    # Keyboard: Enter on the focused button re-rolls.
    widget.locator('[data-testid="reroll"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_function("s => s.textContent === '2'",
                           arg=widget.locator('[data-testid="seed"]').element_handle())
    wait_done(page, widget)
    assert_gallery(widget, seed=2, digit=3)


# --- 14 training ------------------------------------------------------------------------------

def test_training_widget_shows_the_manifests_results(open_page, wait_ready):
    page = open_page("chapter/14-training/")
    widget = page.locator('[data-widget="training-results"]')
    wait_ready(page)
    wait_done(page, widget)
    # The figures are the trainer's files, shipped in the site.
    for name in ("learning-curves.svg", "confusion-matrix.svg", "misclassified.png"):
        image = page.locator(f'article img[src$="pretrained/figures/{name}"]')
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), name
    expected = results.load_results(ROOT / "pretrained")
    text = widget.locator('[data-testid="accuracy"]').inner_text()
    assert f"{expected['test_accuracy']['compact']:.2f}%" in text
    bars = widget.locator('[data-testid="bar"]')
    for digit in range(10):
        bar = bars.nth(digit)
        assert float(bar.get_attribute("data-accuracy")) == expected["per_class_accuracy"][digit]
        assert int(bar.get_attribute("data-errors")) == expected["errors"][digit]
    counts = widget.locator('[data-testid="cell"]').evaluate_all(
        "cells => cells.map(c => Number(c.dataset.count))")
    assert counts == [n for row in expected["confusion"] for n in row]

    # The most frequent mistake is selected first; arrows move, clicks select.
    top = expected["mistakes"][0]
    details = widget.locator('[data-testid="details"]')
    assert details.inner_text().startswith(f"{top['true']} taken for {top['predicted']}: "
                                           f"{top['count']} image")
    cell = widget.locator(f'[data-testid="cell"][data-true="{top["true"]}"]'
                          f'[data-predicted="{top["predicted"]}"]')
    cell.focus()
    page.keyboard.press("ArrowRight" if top["predicted"] < 9 else "ArrowLeft")
    j = top["predicted"] + (1 if top["predicted"] < 9 else -1)
    moved = page.evaluate("() => [document.activeElement.dataset.true, "
                          "document.activeElement.dataset.predicted]")
    assert moved == [str(top["true"]), str(j)]
    widget.locator('[data-testid="cell"][data-true="4"][data-predicted="4"]').click()
    share = expected["row_percent"][4][4]
    assert details.inner_text() == (f"4 recognised as 4: {expected['confusion'][4][4]:,} images, "
                                    f"{share:.2f}% of the {expected['totals'][4]:,} test images "
                                    "of 4.")


def test_training_page_without_javascript(new_context, site_url):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site_url + "chapter/14-training/")
    outputs = page.locator('[data-testid="output"]')
    assert f"{ACCURACY['compact']:.2f}%" in outputs.nth(3).inner_text()
    assert "It needs JavaScript" in page.locator('[data-widget="training-results"]').inner_text()
    assert page.locator('article img[src$="confusion-matrix.svg"]').count() == 1
