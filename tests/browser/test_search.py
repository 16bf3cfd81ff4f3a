"""The site search in headless Chromium. Its index is built when the visitor first searches (or
a few seconds after the page opened), not as the page opens: hooks/search_worker.py and
docs/assets/javascripts/cnnlab/search-worker.js."""

from __future__ import annotations

import re

SEARCH_WORKER = "assets/javascripts/cnnlab/search-worker.js#../workers/search."
BUILD_AFTER_MS = 5000  # search-worker.js
QUERY = '[data-md-component="search-query"]'
RESULTS = ".md-search-result__list > li"


def test_search_builds_its_index_for_the_first_query_and_finds_the_page(open_page, site_url):
    page = open_page("contributing/authoring/")
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(entry => entry.name.includes('/workers/search.'))")
    (worker,) = [w for w in page.workers if w.url.startswith(site_url + SEARCH_WORKER)]
    if worker.evaluate("performance.now()") < BUILD_AFTER_MS:
        assert worker.evaluate("built === null")  # the theme's worker has no index yet

    # Typed key by key: the theme reads the query on keyup (fill sends none).
    page.locator(QUERY).press_sequentially("receptive field")
    page.wait_for_function(f"() => document.querySelectorAll('{RESULTS}').length > 0")
    links = page.locator(f"{RESULTS} a").evaluate_all("nodes => nodes.map(n => n.href)")
    assert any(re.search(r"/draw/(#|$)", link) for link in links), links
    assert worker.evaluate("built !== null")
    assert "matching document" in page.locator(".md-search-result__meta").inner_text()
