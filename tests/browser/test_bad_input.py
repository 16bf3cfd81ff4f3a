"""Every widget's bad-input cases (bad_input.CASES) on the built site, and the table's coverage.

One visit per widget page, in one tab with instant navigation (one Python for all of them, as
for a visitor): each row types its value, the widget must show the expected message in words
(no exception class names), the main thread must stay free for a huge value (no gap over
:data:`FREE_MS` between 10 ms timers, measured in the page), and putting the field back must
bring the widget back to a result.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from bad_input import CASES, EMPTY, HUGE, LONG, NO_TYPED_FIELD

from cnnlab.pages import bounds

ROOT = Path(__file__).resolve().parents[2]
WIDGETS = ROOT / "docs/assets/javascripts/widgets"
FREE_MS = 100  # the longest the page's main thread may be busy while a widget refuses a value
SETTLE_MS = 30_000
EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(Error|Exception)\b|Traceback")
WIDGET_FENCE = re.compile(r"^```widget\s*\nname:\s*([\w-]+)", re.MULTILINE)


def registered_widgets() -> set:
    """The widgets the widget scripts register (CNNLab.widgets.register("name", ...))."""
    found = set()
    for script in WIDGETS.glob("*.js"):
        found.update(re.findall(r'widgets\.register\("([\w-]+)"', script.read_text()))
    return found


def widget_pages() -> dict:
    """widget -> the first page (path below the site root) that shows it, in file order."""
    pages: dict = {}
    for source in sorted((ROOT / "docs").rglob("*.md")):
        relative = source.relative_to(ROOT / "docs")
        if relative.parts[0] == "contributing":  # examples of fences, not widgets
            continue
        path = "" if relative.name == "index.md" else relative.with_suffix("").as_posix() + "/"
        for name in WIDGET_FENCE.findall(source.read_text()):
            pages.setdefault(name, path)
    return pages


def test_the_table_covers_every_widget_and_every_typed_field():
    widgets = registered_widgets()
    assert widgets == set(bounds.WIDGET_FIELDS), "every widget script has its fields' bounds"
    rows = defaultdict(list)
    for widget, field, typed, _ in CASES:
        rows[widget, field].append(typed)
    assert {widget for widget, _ in rows} == widgets, "every widget has rows in CASES"
    for widget, fields in bounds.WIDGET_FIELDS.items():
        typed_fields = {f for f, bound in fields.items() if not isinstance(bound, bounds.Choice)}
        listed = {f for w, f in rows if w == widget}
        assert listed == (typed_fields or {NO_TYPED_FIELD}), widget
        for field in typed_fields:
            huge = LONG if isinstance(fields[field], bounds.Numbers) else HUGE
            assert {EMPTY, huge} <= set(rows[widget, field]), (widget, field)
    pages = widget_pages()
    assert widgets <= set(pages), f"widgets on no page: {widgets - set(pages)}"


PLAY = """async ([name, field, typed]) => {
    const root = document.querySelector(`[data-widget="${name}"]`);
    const control = root.querySelector(`[data-testid="${field}"]`);
    const until = (test) => new Promise((resolve) => {
        const started = performance.now();
        const check = () => {
            if (test() || performance.now() - started > SETTLE_MS) resolve();
            else setTimeout(check, 20);
        };
        check();
    });
    const before = control.value;
    let worst = 0;
    let last = performance.now();
    let ticking = true;
    const tick = () => {
        const now = performance.now();
        worst = Math.max(worst, now - last - 10);
        last = now;
        if (ticking) setTimeout(tick, 10);
    };
    setTimeout(tick, 10);
    control.value = typed;
    control.dispatchEvent(new Event("input", {bubbles: true}));
    const message = () => root.querySelector('[data-state="error"]');
    await until(() => root.dataset.state === "error" && message());
    ticking = false;
    const shown = {state: root.dataset.state, text: message() ? message().textContent : "",
                   visible: Boolean(message() && message().offsetParent), worst};
    control.value = before;
    control.dispatchEvent(new Event("input", {bubbles: true}));
    await until(() => root.dataset.state === "done");
    shown.restored = root.dataset.state;
    return shown;
}""".replace("SETTLE_MS", str(SETTLE_MS))


def go_to(page, site_url: str, path: str) -> None:
    """Instant navigation to ``path``, as a click on a link does: the worker is kept."""
    page.evaluate("""url => {
        const link = Object.assign(document.createElement("a"), {href: url});
        document.body.append(link);
        link.click();
    }""", site_url + path)
    page.wait_for_function("path => window.CNNLab && CNNLab.page && CNNLab.page.path === path",
                           arg=path, timeout=60_000)


def test_every_widget_refuses_bad_input_in_words_and_keeps_the_page_free(
        open_page, wait_ready, site_url):
    pages = widget_pages()
    by_page = defaultdict(list)
    for row in CASES:
        by_page[pages[row[0]]].append(row)
    page = open_page("chapter/01-feature-hierarchies/")
    problems = []
    for path, rows in by_page.items():
        if page.evaluate("() => CNNLab.page && CNNLab.page.path") != path:
            go_to(page, site_url, path)
        untyped = {row[0] for row in rows if row[1] is NO_TYPED_FIELD}
        for widget in dict.fromkeys(row[0] for row in rows):
            root = page.locator(f'[data-widget="{widget}"]').first
            page.wait_for_function("w => w.classList.contains('cnnlab-widget--mounted')",
                                   arg=root.element_handle(), timeout=60_000)
            if widget in untyped:
                typed = root.locator("textarea, input:not([type]), input[type=text], "
                                     "input[type=number], input[type=search]").count()
                if typed:
                    problems.append(f"{widget}: {typed} typed fields but no rows in CASES")
        if any(row[1] is not NO_TYPED_FIELD for row in rows):
            wait_ready(page)
        for widget, field, typed, expected in rows:
            if field is NO_TYPED_FIELD:
                continue
            root = page.locator(f'[data-widget="{widget}"]').first
            page.wait_for_function("w => w.dataset.state === 'done'", arg=root.element_handle(),
                                   timeout=SETTLE_MS)
            shown = page.evaluate(PLAY, [widget, field, typed])
            case = f"{widget} {field}={typed[:12]!r}"
            if shown["state"] != "error" or not shown["text"].startswith(expected):
                problems.append(f"{case}: {shown['state']} {shown['text']!r}, not {expected!r}")
            if EXCEPTION_NAME.search(shown["text"]) or not shown["visible"]:
                problems.append(f"{case}: the message {shown['text']!r} is hidden or names an "
                                "exception")
            if typed in (HUGE, LONG) and shown["worst"] > FREE_MS:
                problems.append(f"{case}: the main thread was busy {shown['worst']:.0f} ms")
            if shown["restored"] != "done":
                problems.append(f"{case}: the widget did not recover: {shown['restored']}")
    assert not problems, "\n".join(problems)
