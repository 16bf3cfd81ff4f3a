"""The built site on 127.0.0.1 and the Chromium that visits it.

Shared by the browser tests (``tests/browser/conftest.py``) and the benchmarks
(``benchmarks/run.py``), so both measure and test the same thing the same way:

- :func:`build_site` runs ``mkdocs build --strict`` for a given address;
- :func:`serve` serves a folder on 127.0.0.1 (a free port) with the MIME types the
  runtime needs (``.wasm`` as ``application/wasm``), and no request log;
- :func:`launch_chromium` starts headless Chromium (:func:`chromium_options`): the Debian
  ``chromium`` at :data:`CHROMIUM` when present, else Playwright's own; never a download.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
SUB_PATH = "/cnn-lab/"  # the site lives under a sub-path, as on a project site of a static host
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


class BuildError(RuntimeError):
    """``mkdocs build --strict`` failed; the message holds its output."""


def build_site(target: Path, url: str, **env: str) -> None:
    """``mkdocs build --strict`` into ``target``, for the site's address ``url``.

    ``env`` adds environment variables for the build (``CNNLAB_PYODIDE_URL=...``).
    """
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT, env={**os.environ, "CNNLAB_SITE_URL": url, **env}, capture_output=True,
        text=True,
    )
    if build.returncode:
        raise BuildError(f"mkdocs build --strict failed:\n{build.stdout}\n{build.stderr}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".data": "application/octet-stream",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path, handler: Callable[..., Any] = QuietHandler) -> Iterator[str]:
    """Serve ``folder`` from a threaded HTTP server; yields its origin ``http://127.0.0.1:<port>``.

    ``handler``: the request handler class (a :class:`QuietHandler`), or a partial of one.
    """
    handler = functools.partial(handler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def chromium_options() -> dict:
    """Playwright's launch options for headless Chromium with the project's flags."""
    return {"executable_path": CHROMIUM if Path(CHROMIUM).exists() else None,
            "args": CHROMIUM_ARGS}


def launch_chromium(playwright: Any) -> Any:
    """Headless Chromium from a started ``sync_playwright()``; contexts are incognito-like.

    The benchmarks use ``playwright.chromium.launch_persistent_context(folder,
    **chromium_options())`` instead: a profile folder gives a disk cache, as a visitor's browser
    has (an incognito context keeps only small files in its memory cache).
    """
    return playwright.chromium.launch(**chromium_options())
