"""MkDocs hook: the site search builds its index when it is needed, not as every page opens.

mkdocs-material's search worker builds the index of the whole site as soon as a page opens:
half a second of CPU on a two-core machine, just when a page starts its Python. Each page names
that worker in its theme configuration (``<script id="__config">``, key ``search``); this hook
names ``assets/javascripts/cnnlab/search-worker.js`` instead, with the theme's worker after
``#``. That script hands the theme's worker its index once the visitor searches, or a few
seconds after the page opened (see its header).
"""

from __future__ import annotations

import json
import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

from site_build import script_json

THEME_CONFIG = re.compile(r'<script id="__config" type="application/json">(.*?)</script>',
                          re.DOTALL)
SCRIPTS = "assets/javascripts/"
SEARCH_WORKER = SCRIPTS + "cnnlab/search-worker.js"


def search_worker_url(theme_worker: str) -> str:
    """The URL of this site's search worker, relative to the page, from the theme's.

    >>> search_worker_url("../assets/javascripts/workers/search.a7633da7.min.js")
    '../assets/javascripts/cnnlab/search-worker.js#../workers/search.a7633da7.min.js'
    """
    site_root, found, theme_path = theme_worker.rpartition(SCRIPTS)
    if not found:
        raise ValueError(f"expected the theme's search worker under {SCRIPTS}, "
                         f"got {theme_worker!r}")
    # After "#": relative to this site's worker, which sits one folder below SCRIPTS too.
    return f"{site_root}{SEARCH_WORKER}#../{theme_path}"


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    match = THEME_CONFIG.search(output)
    if not match:
        return output
    settings = json.loads(match.group(1))
    if not settings.get("search"):
        return output
    settings["search"] = search_worker_url(settings["search"])
    return output[:match.start(1)] + script_json(settings) + output[match.end(1):]
