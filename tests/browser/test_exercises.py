"""Exercises (hooks/exercises.py, exercises.js) in headless Chromium, through their buttons.

The test contract (issue 16): ``[data-testid="exercise"]`` with ``data-state`` new | failed |
solved holds the buttons check, hint, solution, reset and the message area feedback; Show
solution puts the reference solution in the editor, so that Check then passes. The feedback's
``data-kind`` is the mistake's name from cnnlab.practice.

Lean: one walk visits every page with exercises once (instant navigation, one Python), and
solves and fails each exercise there; one page (05) is then used for bad code, the keyboard,
reloads and the progress page.
"""

from __future__ import annotations

from typing import Any

EXERCISE = '[data-testid="exercise"]'
CHECK_TIMEOUT_MS = 60_000
FIRST = "draw/"  # then the footer's "next" link: chapter pages 01 ... 14
LAST = "chapter/14-training/"
SIZE_PAGE = "chapter/05-output-size/"
PROGRESS_PAGE = "lab/progress/"

CODE = """ex => {
    const lines = ex.querySelectorAll('.cm-content .cm-line');
    const shown = lines.length ? lines : ex.querySelectorAll('.cnnlab-code__line');
    return [...shown].map((line) => line.textContent).join('\\n');
}"""
DONE = """ex => !ex.querySelector('[data-testid="check"]').disabled
    && !['running', undefined].includes(
        ex.querySelector('[data-testid="feedback"]').dataset.kind)"""

# Mistakes typed into the page, with the feedback kind and words they must get.
FLIPPED_CONV1D = """import numpy as np

def conv1d(x, w, p=0, s=1):
    x = np.concatenate([np.zeros(p), x, np.zeros(p)])
    o = (len(x) - len(w)) // s + 1
    return np.array([np.dot(x[i * s:i * s + len(w)], w) for i in range(o)])"""
UNPADDED_CONV2D = """from cnnlab import signal

def conv2d(X, W, p=(0, 0), s=(1, 1)):
    return signal.conv2d(X, W, (0, 0), s)"""
ONE_WRONG_CELL_CONV2D = """from cnnlab import signal

def conv2d(X, W, p=(0, 0), s=(1, 1)):
    Y = signal.conv2d(X, W, p, s)
    Y[0, 0] += 1
    return Y"""
OFF_BY_ONE = "def output_size(n, m, p, s):\n    return (n + 2 * p - m) // s"


def mounted(page: Any) -> Any:
    """The page's exercises, once exercises.js has given each its buttons."""
    exercises = page.locator(EXERCISE)
    page.wait_for_function(
        f"""n => document.querySelectorAll('{EXERCISE} [data-testid="check"]').length === n""",
        arg=exercises.count())
    return exercises


def code(exercise: Any) -> str:
    return exercise.evaluate(CODE)


def check(exercise: Any) -> tuple:
    """Press Check; ``(data-state, feedback kind, feedback text)`` once it is done."""
    exercise.locator('[data-testid="check"]').click()
    exercise.page.wait_for_function(DONE, arg=exercise.element_handle(), timeout=CHECK_TIMEOUT_MS)
    feedback = exercise.locator('[data-testid="feedback"]')
    return exercise.get_attribute("data-state"), feedback.get_attribute("data-kind"), \
        feedback.inner_text()


def type_code(exercise: Any, text: str) -> None:
    """Replace the code by typing, as a visitor would (select all, then type)."""
    exercise.locator('[data-testid="code-editor"]').click()
    editor = exercise.locator(".cm-content")
    exercise.page.wait_for_function("e => document.activeElement === e",
                                    arg=editor.element_handle())
    keyboard = exercise.page.keyboard
    keyboard.press("ControlOrMeta+a")
    keyboard.press("Delete")
    keyboard.insert_text(text)  # CodeMirror would auto-indent typed lines


def fails_then_solves(exercise: Any) -> None:
    """The starter fails with a message; Show solution then Check passes; Reset; each Hint one
    more."""
    name = exercise.get_attribute("data-id")
    starter = code(exercise)
    assert exercise.get_attribute("data-state") == "new", name
    state, kind, text = check(exercise)
    assert (state, kind != "passed") == ("failed", True), (name, kind, text)
    assert kind not in ("error", "stopped") and len(text) > 20, (name, kind, text)

    hints = exercise.locator('[data-testid="hints"] > li')
    for shown in range(1, hints.count() + 1):
        exercise.locator('[data-testid="hint"]').click()
        assert exercise.locator('[data-testid="hints"] > li:not([hidden])').count() == shown, name
    assert exercise.locator('[data-testid="hint"]').is_disabled(), name

    exercise.locator('[data-testid="solution"]').click()
    exercise.page.wait_for_function(f"ex => ({CODE})(ex) === ex.dataset.solution",
                                    arg=exercise.element_handle())
    state, kind, text = check(exercise)
    assert (state, kind) == ("solved", "passed"), (name, text)
    assert exercise.locator('[data-testid="exercise-status"]').inner_text() == "solved"

    exercise.locator('[data-testid="reset"]').click()
    assert code(exercise) == starter, name
    assert exercise.locator('[data-testid="reset"]').is_disabled(), name


def named_mistakes(page: Any, path: str) -> None:
    """A few mistakes typed into the page get the feedback that names them."""
    if path.endswith("02-convolution-1d/"):
        exercise = page.locator(f'{EXERCISE}[data-id="conv1d-implement"]')
        type_code(exercise, FLIPPED_CONV1D)
        _, kind, text = check(exercise)
        assert kind == "flipped" and "convolution flips the kernel" in text, text
    if path.endswith("06-convolution-2d/"):
        exercise = page.locator(f'{EXERCISE}[data-id="conv2d-stride-padding"]')
        type_code(exercise, UNPADDED_CONV2D)
        _, kind, text = check(exercise)
        assert kind == "shape" and "expected (" in text and "rows" in text, text
        type_code(exercise, ONE_WRONG_CELL_CONV2D)
        _, kind, text = check(exercise)
        assert kind == "values" and "wrong at [0, 0]" in text, text
        grid = exercise.locator('[data-testid="feedback-grid"]')
        assert grid.locator("table").count() == 4  # expected, yours, difference, the window
        assert grid.locator(".cnnlab-grid__marked").count() == 3
        assert "input window X padded[0:" in grid.inner_text()


def test_every_exercise_fails_with_its_starter_and_passes_with_its_solution(open_page,
                                                                            wait_ready):
    page = open_page(FIRST)
    visited = []
    while True:
        wait_ready(page)
        path = page.url.split("/cnn-lab/", 1)[1]
        exercises = mounted(page)
        count = exercises.count()
        assert count >= (1 if path in (FIRST, "chapter/01-feature-hierarchies/") else 2), path
        for index in range(count):
            fails_then_solves(exercises.nth(index))
        named_mistakes(page, path)
        visited.append(path)
        if path == LAST:
            break
        page.locator("a.md-footer__link--next").click()
        page.wait_for_function("p => !location.pathname.endsWith(p)", arg=path)
    assert len(visited) == 15
    assert sum("cnnlab/worker.js" in w.url for w in page.workers) == 1  # one Python for the walk


def test_bad_code_the_keyboard_reloads_and_the_progress_page(open_page, wait_ready, site_url):
    page = open_page(SIZE_PAGE)
    wait_ready(page)
    by_hand, function = mounted(page).nth(0), mounted(page).nth(1)
    starter = code(function)

    for text, kind, words in [
        (OFF_BY_ONE, "off-by-one", "Off by one"),
        ("raise RuntimeError('boom')", "raised", "RuntimeError: boom (line 1 of your code)"),
        ("x = 1", "missing", "does not define the function output_size"),
        ("def output_size(n, m, p, s):\n    return 'o'", "type", "not numbers"),
    ]:
        type_code(function, text)
        state, got, message = check(function)
        assert (state, got) == ("failed", kind) and words in message, message

    type_code(function, "for i in range(10**6):\n    print(i)\n" + OFF_BY_ONE)
    _, kind, message = check(function)
    assert kind == "off-by-one" and "more characters not shown" in message
    assert len(message) < 3_000

    # A runaway loop: the page says how to stop it, and Stop does (Python restarts).
    type_code(function, "while True:\n    pass")
    function.locator('[data-testid="check"]').click()
    feedback = function.locator('[data-testid="feedback"]')
    page.wait_for_function("f => f.textContent.includes('Stop ends it')",
                           arg=feedback.element_handle(), timeout=CHECK_TIMEOUT_MS)
    function.locator('[data-testid="stop"]').click()
    page.wait_for_function("f => f.dataset.kind === 'stopped'", arg=feedback.element_handle())
    assert "Stopped" in feedback.inner_text()
    wait_ready(page)

    # Ctrl+Enter checks; Escape then Tab leaves the editor.
    type_code(function, OFF_BY_ONE)
    page.keyboard.press("ControlOrMeta+Enter")
    page.wait_for_function(DONE, arg=function.element_handle(), timeout=CHECK_TIMEOUT_MS)
    assert feedback.get_attribute("data-kind") == "off-by-one"
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("() => !document.activeElement.closest('.cm-editor')")

    by_hand.locator('[data-testid="solution"]').click()
    assert check(by_hand)[0] == "solved"

    # A reload keeps the states and the code typed.
    page.reload()
    by_hand, function = mounted(page).nth(0), mounted(page).nth(1)
    page.wait_for_function(f"([ex, kept]) => ({CODE})(ex) === kept",
                           arg=[function.element_handle(), OFF_BY_ONE])
    assert (by_hand.get_attribute("data-state"), function.get_attribute("data-state")) == \
        ("solved", "failed")
    assert function.locator('[data-testid="exercise-status"]').inner_text() == "tried"

    # The progress page lists every exercise with its state, and clears them.
    page.goto(site_url + PROGRESS_PAGE)
    items = page.locator('[data-testid="progress-item"]')
    page.wait_for_function("() => document.querySelectorAll('[data-testid=progress-item]').length")
    states = {items.nth(i).get_attribute("data-exercise"): items.nth(i).get_attribute("data-state")
              for i in range(items.count())}
    assert len(states) >= 28
    assert (states.pop("output-size-by-hand"), states.pop("output-size-implement")) == \
        ("solved", "tried")
    assert set(states.values()) == {"new"}
    summary = page.locator('[data-testid="progress-summary"]')
    assert summary.inner_text().startswith(f"1 of {len(states) + 2} exercises solved, 1 tried")
    page.locator('[data-testid="clear-progress"]').click()
    assert "0 of" in summary.inner_text()
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=progress-item]').length")
    assert page.locator('[data-testid="progress-item"][data-state="new"]').count() == \
        len(states) + 2
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('cnnlab:p') "
                         "|| k.startsWith('cnnlab:exercise:'))") == []

    page.goto(site_url + SIZE_PAGE)
    function = mounted(page).nth(1)
    assert function.get_attribute("data-state") == "new"
    assert code(function) == starter
