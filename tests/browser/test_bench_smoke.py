"""Smoke test of the benchmark harness (``make bench``): it runs end to end on one repetition
and a few drawings, and writes a complete record.

The harness builds the site itself (about 5 s), for the address it serves it at: a build
for the session's server would be served on another port, and mkdocs-material's instant
navigation matches pages by the sitemap's host but not its port, so every move would load a
page anew and the navigation figures would measure the wrong thing.

A benchmark is not a test: nothing here asserts a time, only that every figure was measured
and recorded where the report reads it. The harness runs in its own process (its own
Playwright), as ``make bench`` runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks import report, site_bench, site_server

import site_build

DRAWINGS = 2


def run_harness(out, *options: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--repeats", "1", "--out", str(out), *options],
        cwd=site_server.ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "latest.json").read_text())


def test_the_harness_measures_start_bytes_navigation_and_predictions(tmp_path):
    record = run_harness(tmp_path, "--only", "start,navigate,predict", "--drawings", str(DRAWINGS))

    assert record["groups"] == ["start", "navigate", "predict"] and record["repeats"] == 1
    assert len(record["build"]["seconds"]["runs"]) == 1
    assert "native" not in record and "pages" not in record
    env = record["environment"]
    assert env["cores"] >= 1 and "Chrome" in env["browser"]
    assert env["pyodide"] == site_build.PYODIDE_VERSION == env["in_browser"]["page"]["pyodide"]
    assert len(env["git_commit"]) == 40 and len(env["load_average"]["after"]) == 3
    assert env["in_browser"]["baseline"]["numpy"] == env["in_browser"]["page"]["numpy"]
    assert record["browser_errors"] == []

    start = record["start"]
    (run,) = start["runs"]
    assert sorted(run["order"]) == ["baseline", "page"]
    for who in ("page", "baseline"):
        for visit in ("cold", "warm"):
            measured = run[who][visit]
            assert measured["runs_python"] and measured["ready_ms"] > measured["stages_ms"]["start"]
            assert set(measured["longest_task_ms"]) == {"page_start", "runtime_load"}
        assert run[who]["cold"]["files"]["assets/pyodide/pyodide.asm.wasm"] > 0
    assert set(run["page"]["cold"]["stages_ms"]) >= {"python", "numpy", "cnnlab", "weights"}
    summary = start["summary"]
    for key in ("cold_s", "baseline_cold_s", "cold_ratio", "warm_s", "warm_to_cold",
                "baseline_warm_s", "baseline_warm_to_cold", "warm_to_baseline_warm"):
        assert len(summary[key]["runs"]) == 1 and summary[key]["median"] > 0
    page_bytes = summary["bytes"]["page_cold"]
    assert "pretrained/mnist_cnn.npz" in page_bytes["weights_files"]
    assert len(page_bytes["largest"]) == 5 and "numpy" in page_bytes["packages"]
    (text_visit,) = start["text_page_runs"]
    assert not text_visit["runs_python"] and text_visit["bytes"] > 0
    assert summary["bytes"]["text_page_cold"]["runtime_files"] == []
    assert summary["longest_task_ms"]["text_page_cold"]["runs"] == [
        site_bench.longest(text_visit["long_tasks"])]
    # The same page built with plain mkdocs-material: the theme's scripts, none of the site's.
    (plain_visit,) = start["plain_page_runs"]
    assert plain_visit["page"] == "plain/" + start["text_page"] and plain_visit["bytes"] > 0
    scripts = [name for name in plain_visit["files"] if name.endswith(".js")]
    assert any(site_bench.THEME_BUNDLE.match(name.rsplit("/", 1)[-1]) for name in scripts)
    assert not [name for name in scripts if "/cnnlab/" in name], scripts
    assert set(summary["longest_script_ms"]) >= {"site_cold", "theme_evaluation_plain_page"}

    navigate = record["navigate"]
    (moved,) = navigate["navigations"]
    assert moved["page"] == "chapter/02-convolution-1d/"
    assert moved["instant"] and moved["same_worker"]  # no page load, no new boot
    assert 0 < moved["ready_ms"] < 60_000 and moved["cells"] > 0 and moved["cells_failed"] == 0
    assert navigate["summary"]["ready_ms"]["runs"] == [moved["ready_ms"]]

    predict = record["predict"]
    assert len(predict["drawings"]) == DRAWINGS
    assert [d["digit"] for d in predict["drawings"]] == list(range(DRAWINGS))
    for drawing in predict["drawings"]:
        assert drawing["end_to_end_ms"] >= drawing["to_dom_ms"] >= 0
        assert drawing["forward_ms"] is not None and drawing["probability_sum"] > 0.99
    assert predict["summary"]["drawings"] == DRAWINGS

    table = (tmp_path / "latest.md").read_text()
    assert table == report.markdown(record)
    assert report.HEADER in table and "Stroke end → probabilities on screen" in table
    assert "click → the new page's Python ready" in table
    assert "Not measured in this run: pages, native, test_suite." in table
