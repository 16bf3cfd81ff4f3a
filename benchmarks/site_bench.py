"""The built site in headless Chromium: start-up, bytes, long tasks and prediction latency.

Used by :mod:`benchmarks.run`. Everything is measured in the page, as a visitor's browser
sees it, by ``probe.js`` (added before the page's own scripts run):

- **start**: from navigation to ``[data-testid="runtime-status"]`` turning ``ready``. A
  *cold* visit uses a fresh browser profile (empty cache, nothing compiled); the *warm* visit
  that follows opens the same page again in the same profile (its disk cache, as a returning
  visitor's). The **baseline** (``baseline/index.html``) is a page that only boots the same
  Pyodide files in a worker and imports NumPy.
- **bytes**: counted by the HTTP server itself (:class:`CountingHandler`): the response bodies
  it sent during a visit, per path (the server does not compress).
- **long tasks**: main-thread tasks over 50 ms (the Long Tasks API reports no shorter ones),
  with the scripts the Long Animation Frames API saw in them.
- **predictions**: digits drawn with the mouse on the draw page, as its tests draw them
  (``tests/browser/test_draw.py``); for each, the time from the last stroke's ``pointerup``
  to the animation frame that shows the probabilities for the whole drawing, and the forward
  pass's own time as the page shows it (``[data-testid="latency-ms"]``).
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browser import test_draw  # the digits the draw page's tests draw, and how

from benchmarks import site_server

HERE = Path(__file__).parent
PROBE = (HERE / "probe.js").read_text(encoding="utf-8")
SITE_FOLDER = site_server.SUB_PATH.strip("/")
BASELINE = "baseline/"  # beside the site; its own worker loads the site's Pyodide files
BASELINE_URL = f"{BASELINE}?pyodide=../{SITE_FOLDER}/assets/pyodide/"
STATUS = '[data-testid="runtime-status"]'
PROBABILITIES = '[data-testid="probabilities"]'
READY_TIMEOUT_MS = 300_000
PREDICTION_TIMEOUT_MS = 60_000
QUIET_S = 0.5  # a visit is over when the server has sent nothing for this long
BYTECODE_CACHE = "cnnlab-bytecode"  # where the worker keeps Python's bytecode (bytecode.js)
KEEP_TIMEOUT_MS = 30_000
# What running Python costs a page: the runtime, cnnlab, the model's files.
RUNTIME_PATHS = ("assets/pyodide/", "assets/runtime/", "pretrained/mnist_cnn")
PACKAGE_FILE = re.compile(r"assets/pyodide/(\w+)\.data$")  # pyodide.asm.data is the core


class CountingHandler(site_server.QuietHandler):
    """Serves files like :class:`QuietHandler` and appends ``(path, bytes sent)`` to a ledger."""

    def __init__(self, *args: Any, ledger: list, **kwargs: Any) -> None:
        self.ledger = ledger
        super().__init__(*args, **kwargs)

    def copyfile(self, source: Any, outputfile: Any) -> None:
        start = source.tell()
        super().copyfile(source, outputfile)
        self.ledger.append((urllib.parse.urlsplit(self.path).path, source.tell() - start))


@dataclass
class Site:
    """The served folder (``cnn-lab/``: the site, ``baseline/``), its origin and a browser."""

    www: Path
    origin: str
    playwright: Any
    ledger: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # console errors, uncaught exceptions, requests
    # to anything but this server: none expected, recorded for the report

    @property
    def folder(self) -> Path:
        """Where the built site goes (or a link to an existing build)."""
        return self.www / SITE_FOLDER

    @property
    def url(self) -> str:
        return self.origin + site_server.SUB_PATH

    def address(self, path: str) -> str:
        """A page of the site (``"draw/"``), or the baseline (:data:`BASELINE_URL`)."""
        if path.startswith(BASELINE):
            return f"{self.origin}/{path}"
        return self.url + path

    def sent_since(self, mark: int) -> dict:
        """``{path relative to the site: bytes}`` that the server sent since ``len(ledger)`` was
        ``mark``, once it has been quiet for :data:`QUIET_S`."""
        while True:
            count = len(self.ledger)
            time.sleep(QUIET_S)
            if len(self.ledger) == count:
                break
        files: dict = {}
        for path, size in self.ledger[mark:]:
            name = path[len(site_server.SUB_PATH):] if path.startswith(site_server.SUB_PATH) \
                else path.lstrip("/")
            files[name] = files.get(name, 0) + size
        return files


@contextlib.contextmanager
def served() -> Iterator[Site]:
    """A temporary folder served on 127.0.0.1 with the baseline page in it, and Playwright.

    Build the site into :attr:`Site.folder` (or link a build there) before visiting pages.
    """
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cnnlab-bench-") as tmp:
        www = Path(tmp) / "www"
        shutil.copytree(HERE / "baseline", www / BASELINE)
        ledger: list = []
        handler = functools.partial(CountingHandler, ledger=ledger)
        with site_server.serve(www, handler) as origin, sync_playwright() as playwright:
            yield Site(www, origin, playwright, ledger)


@contextlib.contextmanager
def fresh_profile(site: Site) -> Iterator[Any]:
    """A browser with a new, empty profile (its own disk cache), with the probe installed."""
    with tempfile.TemporaryDirectory(prefix="profile-", dir=site.www.parent) as profile:
        context = site.playwright.chromium.launch_persistent_context(
            profile, **site_server.chromium_options())
        try:
            context.add_init_script(PROBE)
            context.on("page", lambda page: watch(site, page))
            context.on("request", lambda request: request.url.startswith(
                (site.origin + "/", "blob:", "data:")) or site.errors.append(
                f"request to another origin: {request.url}"))
            yield context
        finally:
            context.close()


def watch(site: Site, page: Any) -> None:
    page.on("console", lambda message: message.type == "error"
            and site.errors.append(f"{page.url}: console: {message.text}"))
    page.on("pageerror", lambda error: site.errors.append(f"{page.url}: uncaught: {error}"))


def browser_version(context: Any) -> str:
    page = context.new_page()
    try:
        return page.context.new_cdp_session(page).send("Browser.getVersion")["product"]
    finally:
        page.close()


# --- one visit ----------------------------------------------------------------------------------

def wait_ready(page: Any) -> None:
    """Until the page's Python is ready; raises RuntimeError with the page's message on error."""
    page.wait_for_function(
        f"""() => window.__bench.ready !== null
                || document.querySelector('{STATUS}')?.dataset.state === 'error'""",
        timeout=READY_TIMEOUT_MS)
    status = page.locator(STATUS)
    if status.get_attribute("data-state") == "error":
        raise RuntimeError(f"{page.url}: Python failed to load: {status.inner_text()}")


def visit(site: Site, context: Any, path: str) -> dict:
    """Open ``path`` in a new tab of ``context``; wait until its Python is ready (if it runs
    any) and the server is quiet. Returns what was measured; the tab stays open."""
    mark = len(site.ledger)
    page = context.new_page()
    page.goto(site.address(path))
    runs_python = page.locator(STATUS).count() > 0
    if runs_python:
        wait_ready(page)
    files = site.sent_since(mark)
    measured = page.evaluate("""() => ({
        ready: window.__bench.ready,
        timings: (window.CNNLab && CNNLab.runtime && CNNLab.runtime.timings)
                 || (window.baseline && window.baseline.timings) || {},
        versions: (window.CNNLab && CNNLab.runtime && CNNLab.runtime.versions)
                  || (window.baseline && window.baseline.versions) || null,
        longTasks: window.__bench.longTasks(),
    })""")
    return {
        "page": path, "tab": page, "runs_python": runs_python,
        "ready_ms": measured["ready"],
        "stages_ms": {name: round(t, 1) for name, t in measured["timings"].items()},
        "versions": measured["versions"],
        "long_tasks": [rounded_task(task) for task in measured["longTasks"]],
        "files": files, "bytes": sum(files.values()),
    }


def wait_bytecode_kept(page: Any) -> bool:
    """Until the page has kept Python's bytecode for the next visit, which its worker does in
    the background after ready (bytecode.js): a visitor who stays more than a few seconds lets it
    finish. False if it did not within :data:`KEEP_TIMEOUT_MS`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """async (name) => self.caches
                && (await (await caches.open(name)).keys()).length > 0""",
            arg=BYTECODE_CACHE, polling=100, timeout=KEEP_TIMEOUT_MS)
    except PlaywrightTimeout:
        return False
    return True


def rounded_task(task: dict) -> dict:
    return {"start_ms": round(task["start"], 1), "duration_ms": round(task["duration"], 1),
            "scripts": task["scripts"][:3], "rendering_ms": task["rendering"]}


def tasks_in(tasks: list, start: float, end: float) -> list:
    """The tasks that began in [start, end)."""
    return [t for t in tasks if start <= t["start_ms"] < end]


def longest(tasks: list) -> float | None:
    return max((t["duration_ms"] for t in tasks), default=None)


def culprit(task: dict) -> str:
    """What a long task ran: its longest script, or the rendering, as far as the browser says."""
    if task["scripts"]:
        script = task["scripts"][0]
        invoker = script["invoker"]  # a script's URL when the browser ran it as a whole
        invoker = "evaluation" if invoker.startswith("http") else invoker
        return f"{script['name'] or 'a script'} ({invoker}, {script['duration']} ms)"
    if task["rendering_ms"]:
        return f"style, layout and paint ({task['rendering_ms']} ms)"
    return "no script or rendering attributed"


def load_windows(measured: dict) -> dict:
    """A start visit's long tasks: before the page starts its runtime (HTML, theme, math),
    and while the runtime loads (runtime start -> ready)."""
    start = measured["stages_ms"].get("start", 0.0)
    return {"page_start": tasks_in(measured["long_tasks"], 0.0, start),
            "runtime_load": tasks_in(measured["long_tasks"], start, measured["ready_ms"])}


def start_visit(measured: dict) -> dict:
    """A start visit's record: what was measured, and its longest task in each window."""
    windows = load_windows(measured)
    return {**public(measured),
            "longest_task_ms": {name: longest(tasks) for name, tasks in windows.items()}}


def public(measured: dict) -> dict:
    """A visit's record for the JSON (without the open tab)."""
    return {key: value for key, value in measured.items() if key != "tab"}


# --- start-up: cold and warm, against the baseline ----------------------------------------------

def start_runs(site: Site, page: str, repeats: int) -> list:
    """``repeats`` pairs of (page, baseline), interleaved in alternating order so that both
    see the same load on the machine. Each: a cold visit (of the page: until it kept its
    bytecode), then a warm one in the same profile."""
    runs = []
    for i in range(repeats):
        order = [page, BASELINE_URL] if i % 2 else [BASELINE_URL, page]
        run: dict = {"order": ["page" if p == page else "baseline" for p in order]}
        for path in order:
            with fresh_profile(site) as context:
                cold = visit(site, context, path)
                if path == page:
                    cold["bytecode_kept"] = wait_bytecode_kept(cold["tab"])
                cold["tab"].close()  # the visitor leaves; the worker ends
                warm = visit(site, context, path)
            run["page" if path == page else "baseline"] = {"cold": start_visit(cold),
                                                           "warm": start_visit(warm)}
        runs.append(run)
    return runs


def text_page_runs(site: Site, page: str, repeats: int) -> list:
    """Cold visits of a page that runs no Python."""
    runs = []
    for _ in range(repeats):
        with fresh_profile(site) as context:
            runs.append(public(visit(site, context, page)))
    return runs


def runtime_files(files: dict) -> list:
    return sorted(name for name in files if name.startswith(RUNTIME_PATHS))


def packages_fetched(files: dict) -> list:
    """Pyodide packages whose files were fetched (``numpy``, ``scipy``, ...)."""
    return sorted({m.group(1) for name in files if (m := PACKAGE_FILE.match(name))})


def site_pages(folder: Path) -> list:
    """Every page of a built site, as paths relative to it (``""``, ``"draw/"``, ...)."""
    pages = [p.parent.relative_to(folder).as_posix() for p in folder.rglob("index.html")]
    return sorted("" if p == "." else p + "/" for p in pages)


def survey(site: Site, pages: list) -> dict:
    """One cold visit of each page: what it fetched (bytes, runtime files, Pyodide packages)."""
    result = {}
    for page in pages:
        with fresh_profile(site) as context:
            measured = visit(site, context, page)
        result[page] = {"runs_python": measured["runs_python"], "bytes": measured["bytes"],
                        "runtime_files": runtime_files(measured["files"]),
                        "packages": packages_fetched(measured["files"])}
    return result


# --- predictions on the draw page ---------------------------------------------------------------

def drawings(count: int) -> list:
    """``count`` drawings as ``(digit, style, strokes in the unit square)``: the draw page's
    tests' ten digits in their five styles (50), the same again if more are asked for."""
    every = [(digit, style, strokes) for style in test_draw.STYLES
             for digit, strokes in test_draw.DIGITS.items()]
    return [every[i % len(every)] for i in range(count)]


def number(text: str) -> float | None:
    match = re.search(r"\d+(?:\.\d+)?", text)
    return float(match.group()) if match else None


def predictions(site: Site, page_path: str, count: int) -> dict:
    """Draw ``count`` digits on the draw page with the mouse (:func:`drawings`), waiting for
    each one's prediction; clear the canvas in between."""
    with fresh_profile(site) as context:
        measured = visit(site, context, page_path)
        page = measured["tab"]
        canvas = page.locator(test_draw.CANVAS)
        canvas.scroll_into_view_if_needed()
        side = canvas.bounding_box()["width"]
        # The widget's state (digit-draw.js): "empty" once it is ready for a drawing.
        page.wait_for_function(f"() => document.querySelector('{test_draw.WIDGET}')"
                               ".dataset.state === 'empty'", timeout=PREDICTION_TIMEOUT_MS)
        page.evaluate("widget => window.__bench.watchPredictions(widget)", test_draw.WIDGET)
        began = page.evaluate("() => performance.now()")
        samples = []
        for digit, style, strokes in drawings(count):
            test_draw.draw(page, test_draw.place(strokes, test_draw.STYLES[style], side))
            page.wait_for_function(
                "() => { const p = window.__bench.prediction;"
                "        return p && p.frame !== null && p.latency !== null; }",
                timeout=PREDICTION_TIMEOUT_MS)
            shown = page.evaluate(f"""() => ({{
                ...window.__bench.prediction,
                latencyText: document.querySelector('[data-testid="latency-ms"]').textContent,
                prediction: document.querySelector('[data-testid="prediction"]').textContent,
                strokeMs: document.querySelector('{test_draw.WIDGET}').dataset.strokeMs,
                p: [...document.querySelectorAll('{PROBABILITIES} [data-digit]')]
                     .map(e => [Number(e.dataset.digit), Number(e.dataset.p)]),
            }})""")
            samples.append({
                "digit": digit, "style": style, "strokes": len(strokes),
                "predicted": max(shown["p"], key=lambda dp: dp[1])[0] if shown["p"] else None,
                "probability_sum": round(sum(p for _, p in shown["p"]), 6),
                "forward_ms": number(shown["latencyText"]),
                "end_to_end_ms": round(shown["frame"] - shown["up"], 1),
                "to_dom_ms": round(shown["dom"] - shown["up"], 1),
                "page_stroke_ms": number(shown["strokeMs"] or ""),  # the widget's own clock
                "prediction_text": shown["prediction"].strip(),
            })
            page.click('[data-testid="clear"]')
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"prediction\"]').textContent.trim()",
                timeout=PREDICTION_TIMEOUT_MS)
        ended = page.evaluate("() => performance.now()")
        tasks = [rounded_task(t) for t in page.evaluate("() => window.__bench.longTasks()")]
    during = tasks_in(tasks, began, ended)
    return {"page": page_path, "drawings": samples, "long_tasks": during,
            "longest_task_ms": longest(during)}
