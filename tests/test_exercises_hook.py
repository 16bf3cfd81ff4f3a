"""hooks/exercises.py: a broken or trivial exercise fails ``mkdocs build --strict`` (natively)."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

import exercises  # noqa: E402
from strict_build import strict_build  # noqa: E402

# o = floor((10 + 2·1 − 3) / 2) + 1 = 5
FENCE = """\
```exercise
id: {id}
title: Output size
task: 'With $n = 10$, $m = 3$, $p = 1$ and $s = 2$, set `o` to the output size.'
starter: |
  {starter}
solution: |
  {solution}
check: {check}
args: {{name: o, n: 10, m: 3, p: 1, s: 2}}
hints: [Use the floor.]
```
"""
GOOD = {"id": "size", "starter": "o = ...", "solution": "o = 5", "check": "output_size_value"}


def fence(**changes: str) -> str:
    return FENCE.format(**{**GOOD, **changes})


def build(tmp_path: Path, *fences: str) -> tuple:
    return strict_build(tmp_path, "# Page\n\n" + "\n".join(fences), "exercises.py",
                        "pymdownx.superfences")


def test_a_sound_exercise_builds_with_the_test_contract(tmp_path):
    failed, errors, page = build(tmp_path, fence())
    assert not failed, errors
    assert 'data-testid="exercise" data-state="new"' in page
    assert 'data-testid="feedback"' in page and 'data-testid="hints"' in page
    assert 'data-solution="o = 5"' in page and 'data-check="output_size_value"' in page
    args = page.split('data-args="', 1)[1].split('"', 1)[0]
    assert json.loads(html.unescape(args)) == {"name": "o", "n": 10, "m": 3, "p": 1, "s": 2}


@pytest.mark.parametrize(("fences", "message"), [
    ((fence(solution="o = 6"),), "the reference solution fails its check (off-by-one)"),
    ((fence(starter="o = 5"),), "the starter code already passes its check"),
    ((fence(check="no_such_check"),), "cannot be checked: ValueError: unknown exercise check"),
    ((fence(), fence()), "exercise id 'size' is used twice"),
])
def test_the_strict_build_fails_on_a_broken_or_trivial_exercise(tmp_path, fences, message):
    failed, errors, _ = build(tmp_path, *fences)
    assert failed
    assert message in errors


@pytest.mark.parametrize(("source", "warning"), [
    ("id: [unclosed", "not valid YAML"),
    ("just text", "needs YAML keys id, title, task, starter, solution, check"),
    ("id: x\ntitle: t\ntask: t\nstarter: s\nsolution: s", "missing (or not text): check"),
    ("id: Bad_Id\ntitle: t\ntask: t\nstarter: s\nsolution: s\ncheck: c",
     "must be lower-case words joined by '-'"),
    ("id: x\ntitle: t\ntask: t\nstarter: s\nsolution: s\ncheck: c\nhint: [a]",
     "unknown keys: hint"),
    ("id: x\ntitle: t\ntask: t\nstarter: s\nsolution: s\ncheck: c\nhints: a",
     "hints must be a list of texts"),
])
def test_a_malformed_fence_is_a_warning_naming_the_problem(caplog, source, warning):
    assert exercises.parse(source, "page.md") is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert warning in caplog.records[0].getMessage()


def test_the_sites_exercises_are_sound(caplog):
    """Every exercise of the site passes the build's check (solution passes, starter fails)."""
    found = 0
    for path in sorted((ROOT / "docs").rglob("*.md")):
        for block in path.read_text().split("```exercise\n")[1:]:
            exercise = exercises.parse(block.split("\n```", 1)[0], path.name)
            assert exercise is not None
            exercises.check_exercise(exercise, path.name)
            found += 1
    assert not caplog.records, caplog.text
    assert found >= 2 * 13 + 1 + 1  # two on each of pages 02-14, one on 01, one on the draw page
