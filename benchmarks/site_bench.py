"""The built site in headless Chromium: start-up, bytes, long tasks and prediction latency.

Used by :mod:`benchmarks.run`. Everything is measured in the page, as a visitor's browser
sees it, by ``probe.js`` (added before the page's own scripts run):

- **start**: from navigation to ``[data-testid="runtime-status"]`` turning ``ready``. A
  *cold* visit uses a fresh browser profile (empty cache, nothing compiled); the *warm* visit
  that follows opens the same page again in the same profile (its disk cache, as a returning
  visitor's). The **baseline** (``baseline/index.html``) is a page that only boots the same
  Pyodide files in a worker and imports NumPy.
- **instant navigation**: from the click on a chapter page's link in the navigation to the
  new page's status turning ``ready``, with the worker the first page started (no new boot);
  then every cell of the new page is run, for the main thread's long tasks while cells run.
- **bytes**: counted by the HTTP server itself (:class:`CountingHandler`): the response bodies
  it sent during a visit, per path (the server does not compress).
- **long tasks**: main-thread tasks over 50 ms (the Long Tasks API reports no shorter ones),
  with the scripts the Long Animation Frames API saw in them: the theme's bundle
  (``bundle.*.min.js``, the one script the site does not own) is told apart from the site's
  own (:func:`site_script_ms`, :func:`theme_evaluation_ms`). The **plain page** is the same
  Markdown built with plain mkdocs-material and the same theme settings: no hooks, no
  scripts or styles of the site (:func:`build_plain_site`).
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
import subprocess
import sys
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
PLAIN = "plain/"  # beside the site: its Markdown built with plain mkdocs-material
# What running Python costs a page: the runtime, cnnlab, the model's files.
RUNTIME_PATHS = ("assets/pyodide/", "assets/runtime/", "pretrained/mnist_cnn")
# Pyodide's packages: wheels (numpy-2.0.2-cp312-...whl) and shared libraries (openblas-0.3.26.zip)
PACKAGE_FILE = re.compile(r"assets/pyodide/([A-Za-z0-9_]+)-\d[^/]*\.(?:whl|zip)$")
THEME_BUNDLE = re.compile(r"^bundle\.[0-9a-f]+\.min\.js$")  # mkdocs-material's own script


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
        """A page of the site (``"draw/"``), the baseline (:data:`BASELINE_URL`) or a page of
        the plain site (``"plain/..."``)."""
        if path.startswith((BASELINE, PLAIN)):
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


def rounded_task(task: dict) -> dict:
    return {"start_ms": round(task["start"], 1), "duration_ms": round(task["duration"], 1),
            "scripts": task["scripts"][:5], "rendering_ms": task["rendering"]}


def is_theme(script: dict) -> bool:
    """Whether a script the browser saw is the theme's bundle (the one the site does not own)."""
    return bool(THEME_BUNDLE.match(script["name"]))


def is_site(script: dict) -> bool:
    """Whether a script is the site's own: served from the site (its modules, the pages' inline
    scripts, the editor), not the theme's bundle; not this probe or the benchmark's calls,
    which have no URL."""
    return f"/{SITE_FOLDER}/" in (script.get("source") or "") and not is_theme(script)


def site_script_ms(tasks: list) -> float | None:
    """The longest run of one of the site's own scripts (:func:`is_site`) within the long tasks
    ``tasks``; None when none ran in a task over 50 ms, so none ran that long."""
    return max((script["duration"] for task in tasks for script in task["scripts"]
                if is_site(script)), default=None)


def theme_evaluation_ms(tasks: list) -> float | None:
    """How long the theme's bundle took to evaluate (its top-level run as the page opens), as
    seen within the long tasks ``tasks``; None when that was not part of a task over 50 ms."""
    return max((script["duration"] for task in tasks for script in task["scripts"]
                if is_theme(script) and script["type"] == "classic-script"), default=None)


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
    see the same load on the machine. Each: a cold visit, then a warm one in the same
    profile."""
    runs = []
    for i in range(repeats):
        order = [page, BASELINE_URL] if i % 2 else [BASELINE_URL, page]
        run: dict = {"order": ["page" if p == page else "baseline" for p in order]}
        for path in order:
            with fresh_profile(site) as context:
                cold = visit(site, context, path)
                cold["tab"].close()  # the visitor leaves; the worker ends
                warm = visit(site, context, path)
            run["page" if path == page else "baseline"] = {"cold": start_visit(cold),
                                                           "warm": start_visit(warm)}
        runs.append(run)
    return runs


def build_plain_site(site: Site) -> None:
    """The site's Markdown built into ``plain/`` with plain mkdocs-material: the same pages,
    navigation, theme settings and Markdown extensions, without the site's hooks, template
    overrides, scripts and styles: what the theme costs a page on its own."""
    import yaml
    from mkdocs.utils import yaml_load

    config = yaml_load((site_server.ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="plain-") as tmp:
        docs = Path(tmp) / "docs"
        source = site_server.ROOT / "docs"
        for page in source.rglob("*.md"):
            if "assets" not in page.relative_to(source).parts:
                (docs / page.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(page, docs / page.relative_to(source))
        plain = {
            "site_name": config["site_name"], "site_url": site.origin + "/" + PLAIN,
            "docs_dir": str(docs), "site_dir": str(site.www / PLAIN), "nav": config["nav"],
            "theme": {k: v for k, v in config["theme"].items() if k != "custom_dir"},
            "markdown_extensions": config["markdown_extensions"],
        }
        (Path(tmp) / "mkdocs.yml").write_text(yaml.dump(plain), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file",
                        str(Path(tmp) / "mkdocs.yml")], check=True, capture_output=True)


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


# --- instant navigation ---------------------------------------------------------------------------

RUN_CELLS = """async () => {
    let failed = 0;
    const cells = [...document.querySelectorAll('[data-testid="code-cell"]')];
    for (const cell of cells) {
        const output = cell.querySelector('[data-testid="output"]');
        cell.querySelector('[data-testid="run"]').click();
        await new Promise((resolve) => {
            const check = () => (output.dataset.state === "running" ? setTimeout(check, 10)
                                                                     : resolve());
            check();
        });
        if (output.dataset.state !== "done" && !cell.hasAttribute("data-raises")) failed += 1;
    }
    return {count: cells.length, failed};
}"""


def navigations(site: Site, first: str, pages: list) -> dict:
    """Open ``first``, then move to each of ``pages`` in turn through the navigation's links
    (instant navigation), each time once the page's requests to Python were answered. For
    each: click -> the new page's Python ready, whether the first page's worker serves it, and
    then every cell of the page run once."""
    with fresh_profile(site) as context:
        tab = visit(site, context, first)["tab"]
        tab.evaluate("() => { window.__benchWorker = CNNLab.runtime.worker; }")
        samples = []
        for path in pages:
            # A reader moves on once the page has shown what it computes: its widgets' requests
            # answered (a request still in flight would delay the next page's).
            tab.wait_for_function("() => CNNLab.runtime.pending.size === 0"
                                  " && CNNLab.runtime.outbox.length === 0",
                                  timeout=READY_TIMEOUT_MS)
            tab.locator(f'a.md-nav__link[href$="{path}"]').first.click()
            # (A build for another address than the one served loads the page anew.)
            tab.wait_for_function(
                f"""path => window.__bench.readies.some((r) => r.path.endsWith(path))
                         || document.querySelector('{STATUS}')?.dataset.state === 'error'""",
                arg=path, timeout=READY_TIMEOUT_MS)
            arrived = tab.evaluate("""(path) => ({
                click: window.__bench.click,
                ready: window.__bench.readies.find((r) => r.path.endsWith(path)) || null,
                sameWorker: CNNLab.runtime.worker === window.__benchWorker,
                now: performance.now()})""", path)
            if arrived["ready"] is None:
                raise RuntimeError(f"{path}: Python failed to load after instant navigation: "
                                   f"{tab.locator(STATUS).inner_text()}")
            # Loaded anew, the page has no click of its own: its time counts from navigation.
            instant = arrived["click"] is not None
            click = arrived["click"] if instant else 0.0
            cells = tab.evaluate(RUN_CELLS)
            samples.append({
                "page": path, "instant": instant,
                "ready_ms": round(arrived["ready"]["at"] - click, 1),
                "same_worker": arrived["sameWorker"], "cells": cells["count"],
                "cells_failed": cells["failed"],
                "window_ms": [round(click, 1), round(arrived["now"], 1),
                              round(tab.evaluate("() => performance.now()"), 1)],
            })
        tasks = [rounded_task(t) for t in tab.evaluate("() => window.__bench.longTasks()")]
    windows = {"navigation": [], "cells": []}  # long tasks while moving, while running cells
    for sample in samples:
        click, ready, done = sample.pop("window_ms")
        for name, during in (("navigation", tasks_in(tasks, click, ready)),
                             ("cells", tasks_in(tasks, ready, done))):
            windows[name] += during
            sample.setdefault("longest_task_ms", {})[name] = longest(during)
    return {"first": first, "navigations": samples, "long_tasks": windows}


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
