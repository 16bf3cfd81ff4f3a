"""Math typeset when the site is built (hooks/math_typeset.py, Node + KaTeX), natively."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

import math_typeset  # noqa: E402
from strict_build import strict_build  # noqa: E402

PAGE = SimpleNamespace(file=SimpleNamespace(src_uri="page.md"))


def typeset(html_text: str) -> str:
    return math_typeset.on_post_page(html_text, PAGE, None)


@pytest.mark.parametrize(("element", "tex", "mathml"), [
    ('<span class="arithmatex">\\(k\\)</span>', "k", "<mi>k</mi>"),
    ('<span class="arithmatex">\\(a &lt; b\\)</span>', "a &lt; b", "<mo>&lt;</mo>"),
    ('<div class="arithmatex">\\[\no = \\frac{n}{s}\n\\]</div>', "\no = \\frac{n}{s}\n", "<mfrac>"),
])
def test_formulas_become_katex_markup_with_their_tex_kept_as_annotation(element, tex, mathml):
    page = f"<p>before {element} after</p>"
    html_text = typeset(page)
    assert html_text.startswith("<p>before <") and html_text.endswith("> after</p>")
    assert 'class="katex"' in html_text and mathml in html_text
    assert f'<annotation encoding="application/x-tex">{tex}</annotation>' in html_text
    assert ("katex-display" in html_text) == element.startswith("<div")
    assert "\\(" not in html_text and "\\[" not in html_text


def test_a_page_without_math_is_unchanged():
    page = '<p>Costs $5, or \\(k\\) outside a formula element.</p>'
    assert typeset(page) == page


def test_a_formula_katex_cannot_parse_stays_tex_with_a_warning(caplog):
    element = '<span class="arithmatex">\\(\\frac{1}\\)</span>'
    assert typeset(element) == element
    assert "page.md: KaTeX cannot typeset \\(\\frac{1}\\)" in caplog.text


def test_node_is_started_again_after_the_build_ends():
    math_typeset.on_post_build(None)
    assert 'class="katex"' in typeset('<span class="arithmatex">\\(x\\)</span>')
    math_typeset.on_post_build(None)


@pytest.mark.parametrize(("formula", "fails"), [("$x^2$", False), ("$\\frac{1}$", True)])
def test_strict_build_fails_on_math_katex_cannot_typeset(tmp_path, formula, fails):
    failed, errors, page = strict_build(tmp_path, f"# Page\n\nA formula: {formula}.\n",
                                        "math_typeset.py", "{pymdownx.arithmatex: {generic: true}}")
    assert failed == fails, errors
    if not fails:
        assert 'class="katex"' in page
