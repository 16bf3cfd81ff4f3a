"""Browser tests: the built site, served under a sub-path on 127.0.0.1, driven by Chromium.

The site is built once per session (``mkdocs build --strict``) and served from
``http://127.0.0.1:<port>/cnn-lab/``. Fixtures for page tests:

- ``site_url`` -> ``"http://127.0.0.1:<port>/cnn-lab/"``
- ``open_page(path, **context_options) -> Page``: a fresh browser context (own storage and
  cache) with the page at ``site_url + path`` loaded
- ``new_context(**context_options) -> BrowserContext``: for several pages or no JavaScript
- ``wait_ready(page)``: waits for ``[data-testid=runtime-status]`` to be ``ready`` (fails at
  once, with the message, if it turns ``error``)
- ``run_cell(page, index) -> str``: clicks the cell's Run and returns its output text
- ``cell_output(page, index) -> str``, ``set_code(page, index, code)``,
  ``open_editor(page, index) -> Locator``: clicks the cell's code; its editor, focused
- ``cells_match_the_build(page, rel=1e-6, abs=0.0, min_cells=1) -> list[str]``: runs every
  cell of the page in order; each prints the numbers the build printed (``cells_check.py``)
- ``server`` -> ``(folder, origin)``: what the server serves; ``build_site(folder, url, **env)``
- ``guard``: what every test is checked for, after it ran: no console errors, no uncaught
  exceptions, and no request to anything but 127.0.0.1. ``guard.allow_console(regex)`` lets a
  test expect an error message (a 404 it provoked).

Every test here is marked ``browser``. Chromium: ``/usr/bin/chromium`` when present, else
Playwright's own; never a download. If it cannot start: the tests fail under ``CI=true``
and are skipped, saying why, elsewhere. ``CNNLAB_TEST_SITE=<dir>`` serves an existing build
instead of building (for quick iterations on tests only). Building, serving and launching
Chromium are ``benchmarks/site_server.py``'s, shared with the benchmarks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks import site_server
from benchmarks.site_server import SUB_PATH
from cells_check import check_output

READY_TIMEOUT_MS = 120_000
RUN_TIMEOUT_MS = 60_000
CELL = '[data-testid="code-cell"]'
STATUS = '[data-testid="runtime-status"]'


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --- the site ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A threaded HTTP server on 127.0.0.1 serving a folder whose ``cnn-lab/`` is the site."""
    www = tmp_path_factory.mktemp("www")
    with site_server.serve(www) as origin:
        yield www, origin


def _build_site(target: Path, url: str, **env: str) -> None:
    """``mkdocs build --strict`` into ``target``, for the site's address ``url``."""
    try:
        site_server.build_site(target, url, **env)
    except site_server.BuildError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def build_site() -> Callable[..., None]:
    return _build_site


@pytest.fixture(scope="session")
def site_url(server: tuple) -> str:
    www, origin = server
    url = origin + SUB_PATH
    target = www / SUB_PATH.strip("/")
    existing = os.environ.get("CNNLAB_TEST_SITE")
    if existing:
        target.symlink_to(Path(existing).resolve(), target_is_directory=True)
    else:
        _build_site(target, url)
    return url


# --- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
    except Exception as error:
        _cannot_start(error)
    try:
        chromium = site_server.launch_chromium(playwright)
    except Exception as error:
        playwright.stop()
        _cannot_start(error)
    yield chromium
    chromium.close()
    playwright.stop()


def _cannot_start(error: Exception) -> None:
    message = f"Chromium could not be launched: {error}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Guard:
    """Watches contexts: console errors, uncaught exceptions, requests to other hosts."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.requests: list = []
        self.foreign: list = []
        self.errors: list = []
        self.allowed: list = []

    def allow_console(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def watch(self, context: Any) -> Any:
        context.route("**/*", self._route)
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("page", self._watch_page)
        return context

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def _watch_page(self, page: Any) -> None:
        page.on("console", lambda message: message.type == "error"
                and self.errors.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def check(self) -> None:
        local = (self.origin + "/", "blob:", "data:")
        outside = [url for url in self.requests if not url.startswith(local)]
        assert not self.foreign + outside, f"requests left 127.0.0.1: {self.foreign + outside}"
        unexpected = [e for e in self.errors if not any(p.search(e) for p in self.allowed)]
        assert not unexpected, f"errors in the browser: {unexpected}"


@pytest.fixture(autouse=True)
def guard(server: tuple) -> Iterator[Guard]:
    watcher = Guard(server[1])
    yield watcher
    watcher.check()


@pytest.fixture
def new_context(browser: Any, guard: Guard) -> Iterator[Callable[..., Any]]:
    contexts: list = []

    def make(**options: Any) -> Any:
        context = guard.watch(browser.new_context(**options))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def open_page(site_url: str, new_context: Callable[..., Any]) -> Callable[..., Any]:
    def open_(path: str = "", **options: Any) -> Any:
        page = new_context(**options).new_page()
        page.goto(site_url + path)
        return page

    return open_


# --- page helpers -----------------------------------------------------------------------------

def _wait_ready(page: Any, timeout_ms: int = READY_TIMEOUT_MS) -> None:
    page.wait_for_function(
        f"""() => {{
            const s = document.querySelector('{STATUS}');
            return s && ['ready', 'error'].includes(s.dataset.state);
        }}""",
        timeout=timeout_ms,
    )
    status = page.locator(STATUS)
    if status.get_attribute("data-state") == "error":
        pytest.fail(f"the page's Python failed to load: {status.inner_text()}")


def _reveal(page: Any, index: int) -> Any:
    """The cell, made visible: its tab selected, its collapsible block opened."""
    cell = page.locator(CELL).nth(index)
    cell.evaluate("""cell => {
        for (let node = cell; node; node = node.parentElement) {
            if (node.tagName === 'DETAILS') node.open = true;
            if (node.classList.contains('tabbed-block')) {
                const i = [...node.parentElement.children].indexOf(node);
                const set = node.closest('.tabbed-set');
                const input = set.querySelectorAll(':scope > input')[i];
                set.querySelector(`label[for="${input.id}"]`).click();
            }
        }
    }""")
    return cell


def _run_cell(page: Any, index: int, timeout_ms: int = RUN_TIMEOUT_MS) -> str:
    cell = _reveal(page, index)
    output = cell.locator('[data-testid="output"]')
    cell.locator('[data-testid="run"]').click()
    output.element_handle().wait_for_element_state("visible")
    page.wait_for_function(
        "o => ['done', 'error'].includes(o.dataset.state)",
        arg=output.element_handle(), timeout=timeout_ms,
    )
    return output.inner_text()


def _cell_output(page: Any, index: int) -> str:
    return _reveal(page, index).locator('[data-testid="output"]').inner_text()


def _open_editor(page: Any, index: int) -> Any:
    """Click the cell's code, as a visitor would: its editor replaces it and has the focus."""
    cell = _reveal(page, index)
    cell.locator('[data-testid="code-editor"]').click()
    editor = cell.locator(".cm-content")
    page.wait_for_function("e => document.activeElement === e", arg=editor.element_handle())
    return editor


def _set_code(page: Any, index: int, code: str) -> None:
    """Replace the cell's code by typing, as a visitor would (select all, then type)."""
    _open_editor(page, index)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    # CodeMirror auto-indents new lines: insert the text itself instead of typing it key by key.
    page.keyboard.insert_text(code)


@pytest.fixture
def wait_ready() -> Callable[..., None]:
    return _wait_ready


@pytest.fixture
def run_cell() -> Callable[..., str]:
    return _run_cell


@pytest.fixture
def cell_output() -> Callable[..., str]:
    return _cell_output


@pytest.fixture
def open_editor() -> Callable[..., Any]:
    return _open_editor


@pytest.fixture
def set_code() -> Callable[..., None]:
    return _set_code


def _cells_match_the_build(page: Any, rel: float = 1e-6, abs: float = 0.0,
                           min_cells: int = 1) -> list:
    """Run the page's ``min_cells`` or more cells in order; each matches its build-time output
    (``cells_check.check_output``) within ``rel``/``abs``. Returns the outputs shown."""
    cells = page.locator(CELL)
    count = cells.count()
    assert count >= min_cells, f"{count} cells, expected at least {min_cells}"
    built = [_cell_output(page, index) for index in range(count)]
    _wait_ready(page)
    shown = []
    for index in range(count):
        text = _run_cell(page, index)
        cell = cells.nth(index)
        state = cell.locator('[data-testid="output"]').get_attribute("data-state")
        raises = cell.get_attribute("data-raises") is not None
        check_output(built[index], text, state, raises, rel=rel, abs=abs)
        shown.append(text)
    return shown


@pytest.fixture
def cells_match_the_build() -> Callable[..., list]:
    return _cells_match_the_build

