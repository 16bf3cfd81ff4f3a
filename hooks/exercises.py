"""MkDocs hook: exercises, written as ```` ```exercise ```` blocks of YAML in Markdown.

````markdown
```exercise
id: conv1d-by-hand            # unique in the site: it keys the visitor's code and progress
title: y[1] by hand
task: |                       # Markdown, math included
  Compute $y[1]$ of ... and assign it to `y1`.
starter: |
  y1 = ...
solution: |
  y1 = 1 * 3 + 3 * 1 + 2 * 0
check: conv1d_entry           # a function in cnnlab.practice.CHECKS
args: {name: y1, x: [1, 3, 2, 4, 5, 6, 1, 3], w: [1, 0, 3, 1, 2], index: 1, p: 2}
hints:
  - One hint more per press of Hint.
```
````

becomes an editor with the starter code, Check, Hint, Show solution and Reset
(``docs/assets/javascripts/cnnlab/exercises.js``); Check runs
``cnnlab.practice.grade(check, code, args)`` in the page's worker. Here, at build time, the same
function grades the reference solution (it must pass) and the starter (it must fail): a broken
or trivial exercise is a warning, so ``mkdocs build --strict`` fails.

```` ```exercise-progress ```` (no content) is the list of all the site's exercises, for the
progress page: the hook collects them while the pages are rendered and writes the list into
the page when it is written out (``on_post_page`` comes after every page's content).
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from code_cells import BUILD_TIMEOUT_S, add_fences, time_limit, working_directory
from node_helper import NodeHelper

log = logging.getLogger("mkdocs.plugins.exercises")

REQUIRED = ("id", "title", "task", "starter", "solution", "check")
OPTIONAL = ("args", "hints")
EXERCISE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EXERCISE_KEY = re.compile(r'data-exercise-key="(\d+)"')
CATALOGUE = "<!--cnnlab-exercise-catalogue-->"
code_views = NodeHelper("cell-view.mjs")  # the starter code, rendered as its editor shows it
# The task and hints are Markdown inside a fence: rendered with the page's inline extensions.
prose = markdown.Markdown(
    extensions=["pymdownx.arithmatex", "pymdownx.betterem"],
    extension_configs={"pymdownx.arithmatex": {"generic": True}},
)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    task: str
    starter: str
    solution: str
    check: str
    args: dict
    hints: tuple


class _State:
    def __init__(self) -> None:
        self.page = ""
        self.exercises: list[Exercise] = []
        self.catalogue: list[dict] = []  # every exercise of the site, in build order
        self.config_dir = Path()


state = _State()


def _markdown(text: str) -> str:
    prose.reset()
    return prose.convert(text)


def parse(source: str, page: str) -> Exercise | None:
    """The fence's YAML as an :class:`Exercise`; None (and a warning) if it is not one."""
    try:
        spec = yaml.safe_load(source)
    except yaml.YAMLError as error:
        log.warning("%s: an exercise fence is not valid YAML: %s", page, error)
        return None
    if not isinstance(spec, dict):
        log.warning("%s: an exercise fence needs YAML keys %s", page, ", ".join(REQUIRED))
        return None
    missing = [key for key in REQUIRED if not isinstance(spec.get(key), str)]
    unknown = [key for key in spec if key not in REQUIRED + OPTIONAL]
    hints = spec.get("hints", [])
    problems = (
        ([f"missing (or not text): {', '.join(missing)}"] if missing else [])
        + ([f"unknown keys: {', '.join(unknown)}"] if unknown else [])
        + (
            ["hints must be a list of texts"]
            if not (isinstance(hints, list) and all(isinstance(h, str) for h in hints))
            else []
        )
        + (["args must be a mapping"] if not isinstance(spec.get("args", {}), dict) else [])
    )
    if not missing and not EXERCISE_ID.match(spec["id"]):
        problems.append(f"id {spec['id']!r} must be lower-case words joined by '-'")
    if problems:
        log.warning("%s: exercise %r: %s", page, spec.get("id"), "; ".join(problems))
        return None
    return Exercise(
        spec["id"],
        spec["title"],
        spec["task"],
        spec["starter"].rstrip("\n"),
        spec["solution"].rstrip("\n"),
        spec["check"],
        spec.get("args", {}),
        tuple(hints),
    )


def format_exercise(
    source: str, language: str, class_name: str, options: dict, md: Any, **kwargs: Any
) -> str:
    """The exercise's HTML; its code view and checks are done in :func:`on_page_content`."""
    exercise = parse(source, state.page)
    if exercise is None:
        return '<p class="cnnlab-exercise__broken">This exercise could not be built.</p>'
    key = len(state.exercises)
    state.exercises.append(exercise)
    hints = "".join(f"<li hidden>{_markdown(hint)}</li>" for hint in exercise.hints)
    return (
        f'<div class="cnnlab-exercise" data-testid="exercise" data-state="new" '
        f'data-exercise-key="{key}">'
        f'<p class="cnnlab-exercise__title"><span>Exercise: {html.escape(exercise.title)}</span>'
        f'<span class="cnnlab-exercise__status" data-testid="exercise-status">not started</span>'
        f'</p><div class="cnnlab-exercise__task">{_markdown(exercise.task)}</div>'
        f'<div class="cnnlab-cell__editor" data-testid="code-editor">'
        f"<!--cnnlab-exercise-code-{key}-->"
        f'</div><ol class="cnnlab-exercise__hints" data-testid="hints" hidden>{hints}</ol>'
        f'<div class="cnnlab-exercise__feedback" data-testid="feedback" aria-live="polite"></div>'
        f"</div>"
    )


def format_progress(
    source: str, language: str, class_name: str, options: dict, md: Any, **kwargs: Any
) -> str:
    return (
        f'<div class="cnnlab-progress" data-testid="exercise-progress" data-exercises="'
        f'{CATALOGUE}"><p>The list of exercises needs JavaScript.</p></div>'
    )


def grade(exercise: Exercise, code: str) -> dict:
    from cnnlab.practice import grade as grade_code

    with working_directory(state.config_dir), time_limit(BUILD_TIMEOUT_S):
        return grade_code(exercise.check, code, exercise.args)


def check_exercise(exercise: Exercise, page: str) -> None:
    """Warn unless the solution passes the checks and the starter fails them."""
    try:
        solved, started = grade(exercise, exercise.solution), grade(exercise, exercise.starter)
    except Exception as error:  # an unknown check or bad args: the author's mistake
        log.warning(
            "%s: exercise %r cannot be checked: %s: %s",
            page,
            exercise.id,
            type(error).__name__,
            error,
        )
        return
    if not solved["passed"]:
        log.warning(
            "%s: exercise %r: the reference solution fails its check (%s): %s",
            page,
            exercise.id,
            solved["kind"],
            solved["message"],
        )
    if started["passed"]:
        log.warning("%s: exercise %r: the starter code already passes its check", page, exercise.id)


# --- MkDocs events ----------------------------------------------------------------------------


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    state.config_dir = Path(config.config_file_path).parent
    state.catalogue = []
    add_fences(config, [
        {"name": "exercise", "class": "cnnlab-exercise", "format": format_exercise},
        {"name": "exercise-progress", "class": "cnnlab-progress", "format": format_progress},
    ])
    return config


def on_page_markdown(markdown_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    state.page = page.file.src_uri
    state.exercises = []
    return markdown_text


def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    keys = [int(key) for key in EXERCISE_KEY.findall(html_text)]
    if not keys:
        return html_text
    exercises = [state.exercises[key] for key in keys]
    views = code_views.ask([exercise.starter for exercise in exercises])
    known = {entry["id"] for entry in state.catalogue}
    for key, exercise, view in zip(keys, exercises, views):
        if exercise.id in known:
            log.warning(
                "%s: exercise id %r is used twice in the site", page.file.src_uri, exercise.id
            )
        known.add(exercise.id)
        check_exercise(exercise, page.file.src_uri)
        state.catalogue.append(
            {
                "id": exercise.id,
                "title": exercise.title,
                "page": page.url,
                "pageTitle": page.title or "",
            }
        )
        digest = hashlib.sha256(exercise.starter.encode()).hexdigest()[:16]
        data = {
            "id": exercise.id,
            "hash": digest,
            "check": exercise.check,
            "args": json.dumps(exercise.args),
            "solution": exercise.solution,
        }
        attributes = " ".join(f'data-{name}="{html.escape(value)}"' for name, value in data.items())
        html_text = html_text.replace(f'data-exercise-key="{key}"', attributes, 1).replace(
            f"<!--cnnlab-exercise-code-{key}-->", view, 1
        )
    return html_text


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    if CATALOGUE not in output:
        return output
    return output.replace(CATALOGUE, html.escape(json.dumps(state.catalogue)), 1)


def on_post_build(config: MkDocsConfig) -> None:
    code_views.close()
