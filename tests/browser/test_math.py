"""Math (pymdownx.arithmatex + self-hosted KaTeX, docs/assets/javascripts/math.js) in Chromium."""

from __future__ import annotations

MATH_PAGE = "chapter/05-output-size/"
TEXT_PAGE = "contributing/authoring/"  # no math, no Python
ALL_TYPESET = """() => {
    const formulas = document.querySelectorAll('.arithmatex');
    return formulas.length > 0
        && [...formulas].every(f => f.querySelector('.katex') && !f.textContent.includes('\\\\('));
}"""


def katex_requests(guard) -> list:
    return [url for url in guard.requests if "/katex/" in url]


def test_every_formula_is_typeset(open_page, guard):
    page = open_page(MATH_PAGE)
    page.wait_for_function(ALL_TYPESET)
    assert page.locator(".arithmatex").count() > 20  # the page has many: typeset in batches
    display = page.locator("div.arithmatex .katex-display")
    assert display.count() > 0
    # KaTeX's styles are there: a typeset fraction is laid out, not a row of TeX.
    assert page.evaluate("getComputedStyle(document.querySelector('.katex')).fontFamily"
                         ).startswith("KaTeX_Main")
    assert any(url.endswith("katex.min.css") for url in katex_requests(guard))


def test_a_page_without_math_loads_no_katex_and_instant_navigation_typesets(open_page, guard):
    page = open_page(TEXT_PAGE)
    page.wait_for_load_state("networkidle")
    assert page.locator(".arithmatex").count() == 0
    assert katex_requests(guard) == []
    page.locator(f'a.md-nav__link[href$="{MATH_PAGE}"]').first.click()
    page.wait_for_url(f"**/{MATH_PAGE}")
    page.wait_for_function(ALL_TYPESET)
    assert katex_requests(guard)
