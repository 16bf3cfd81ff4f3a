"""Math (pymdownx.arithmatex, typeset by KaTeX at build time: hooks/math_typeset.py) in Chromium."""

from __future__ import annotations

MATH_PAGE = "chapter/05-output-size/"
TEXT_PAGE = "contributing/authoring/"  # no math, no Python
ALL_TYPESET = """() => {
    const formulas = [...document.querySelectorAll('.arithmatex')];
    return formulas.length > 20
        && formulas.every(f => f.querySelector('.katex') && !/\\\\[()[\\]]/.test(f.textContent));
}"""


def test_every_formula_is_typeset_in_the_page_as_served(new_context, site_url, guard):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site_url + MATH_PAGE)
    assert page.evaluate(ALL_TYPESET)
    assert page.locator("div.arithmatex .katex-display").count() > 0
    # KaTeX's styles are there: a formula is set in KaTeX's fonts, not as a row of TeX.
    assert page.evaluate("getComputedStyle(document.querySelector('.katex')).fontFamily"
                         ).startswith("KaTeX_Main")
    assert not [url for url in guard.requests if url.endswith(".js")]


def test_no_page_loads_katex_s_script(open_page, guard):
    page = open_page(TEXT_PAGE)
    page.locator(f'a.md-nav__link[href$="{MATH_PAGE}"]').first.click()  # instant navigation
    page.wait_for_url(f"**/{MATH_PAGE}")
    page.wait_for_function(ALL_TYPESET)
    katex = [url for url in guard.requests if "/katex/" in url]
    assert any(url.endswith("katex.min.css") for url in katex)
    assert not [url for url in katex if url.endswith(".js")]
