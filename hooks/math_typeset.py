"""MkDocs hook: the pages' math, typeset by KaTeX when the site is built.

``pymdownx.arithmatex`` (generic mode) leaves each formula as TeX in an element of class
``arithmatex``: ``<span class="arithmatex">\\(k\\)</span>``, or a ``<div>`` for ``\\[...\\]``.
Here KaTeX (the npm package, run by Node: ``frontend/math-view.mjs``) replaces the TeX with the
markup KaTeX's auto-render would make of it in the browser. A page then needs KaTeX's styles
and fonts only: no script to download, evaluate and run while the page opens, and no TeX on
screen until it has run. A formula KaTeX cannot parse stays TeX, and the build warns (so
``mkdocs build --strict`` fails). It runs on the finished page (``on_post_page``): the search
index has been made from the content by then, and keeps the TeX.
"""

from __future__ import annotations

import html
import logging
import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

from node_helper import NodeHelper

log = logging.getLogger("mkdocs.plugins.math_typeset")

FORMULA = re.compile(r'(<(span|div) class="arithmatex">)(.*?)(</\2>)', re.DOTALL)
katex_views = NodeHelper("math-view.mjs")


def on_post_page(html_text: str, page: Page, config: MkDocsConfig) -> str:
    formulas = list(FORMULA.finditer(html_text))
    if not formulas:
        return html_text
    typeset = katex_views.ask([html.unescape(formula.group(3)) for formula in formulas])
    parts, done = [], 0
    for formula, result in zip(formulas, typeset):
        if result["error"]:
            log.warning("%s: KaTeX cannot typeset %s: %s", page.file.src_uri,
                        html.unescape(formula.group(3)).strip(), result["error"])
        parts += [html_text[done:formula.start(3)], result["html"]]
        done = formula.end(3)
    return "".join(parts) + html_text[done:]


def on_post_build(config: MkDocsConfig) -> None:
    katex_views.close()
