"""CNN Lab's performance benchmarks: the site in headless Chromium, and the model natively.

    make bench        # = python -m benchmarks.run --with-test-suite
    python -m benchmarks.run [--repeats 5] [--drawings 50]
                             [--only start,navigate,pages,predict,native]
                             [--with-test-suite] [--site DIR] [--out benchmarks/results]

Builds the site (``mkdocs build --strict``, timed, ``--repeats`` times), serves it on
127.0.0.1 under ``/cnn-lab/``, and measures (groups for ``--only``):

- ``start``: cold and warm start of the draw page (navigation -> runtime ready) against the
  baseline page (Pyodide + NumPy only), interleaved, ``--repeats`` pairs; bytes of the draw
  page and of a text-only page; the longest main-thread tasks while they load, the site's own
  scripts apart from the theme's bundle, whose evaluation is set beside the same page built
  with plain mkdocs-material;
- ``navigate``: instant navigation from a chapter page to the next, ``--repeats`` times in
  one visit: click -> the new page's Python ready (no new boot), then its cells run;
- ``pages``: one cold visit of every page: which fetch the runtime, which fetch SciPy;
- ``predict``: ``--drawings`` digits drawn with the mouse on the draw page: stroke end ->
  probabilities on screen, the forward pass alone, the longest main-thread task;
- ``native``: :mod:`benchmarks.train_speed` (training throughput against PyTorch CPU when it
  is importable, single-image forward pass).

How each is measured: :mod:`benchmarks.site_bench`. ``--with-test-suite`` also times the
whole test suite. Writes ``OUT/latest.json`` (the machine, the versions, every raw sample)
and ``OUT/latest.md`` (the table, :mod:`benchmarks.report`). A benchmark is not a test: the
exit status does not depend on any figure, only on whether everything could be measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import report, site_bench, site_server, train_speed
from cnnlab.train.trainer import machine_description

GROUPS = ("start", "navigate", "pages", "predict", "native")
DRAW_PAGE = "draw/"
TEXT_PAGE = "contributing/authoring/"
SCIPY_PAGE = "chapter/06-convolution-2d/"
# Instant navigation: from the first chapter page (it loads everything but SciPy) along the
# chapter, skipping the SciPy page (its first visit downloads SciPy: not a page change alone).
NAVIGATION_FIRST = "chapter/01-feature-hierarchies/"
NAVIGATION_PAGES = ("chapter/02-convolution-1d/", "chapter/03-cross-correlation/",
                    "chapter/04-padding/", "chapter/05-output-size/", "chapter/07-pooling/",
                    "chapter/08-channels/", "chapter/09-parameters/", "chapter/10-regularisation/")
PYODIDE_PACKAGE = site_server.ROOT / "node_modules/pyodide/package.json"
RESULTS = Path(__file__).parent / "results"


def summary(values: Sequence[float], digits: int) -> dict:
    return train_speed.summary(values, digits)


def task_summary(values: Sequence[float | None]) -> dict:
    """Median, minimum and maximum of per-run longest tasks, where None is "no task over 50 ms"
    (shorter ones are not reported): order statistics, so nothing unmeasured is invented."""
    ordered = sorted(values, key=lambda v: -1.0 if v is None else v)
    return {"median": ordered[(len(ordered) - 1) // 2], "min": ordered[0], "max": ordered[-1],
            "runs": list(values)}


def seconds(ms: float) -> float:
    return ms / 1000


# --- measuring ---------------------------------------------------------------------------------

def build(site: site_bench.Site, repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        site_server.build_site(site.folder, site.url)
        times.append(time.perf_counter() - started)
    return {"seconds": summary(times, 2)}


def start(site: site_bench.Site, repeats: int, page: str, text_page: str) -> dict:
    runs = site_bench.start_runs(site, page, repeats)
    text_runs = site_bench.text_page_runs(site, text_page, repeats)
    site_bench.build_plain_site(site)
    plain_runs = site_bench.text_page_runs(site, site_bench.PLAIN + text_page, repeats)

    def each(who: str, visit: str, key: str) -> list:
        return [run[who][visit][key] for run in runs]

    cold, base_cold = each("page", "cold", "ready_ms"), each("baseline", "cold", "ready_ms")
    warm, base_warm = each("page", "warm", "ready_ms"), each("baseline", "warm", "ready_ms")
    stages = {who: {name: summary([seconds(run[who]["cold"]["stages_ms"][name]) for run in runs],
                                  2)
                    for name in runs[0][who]["cold"]["stages_ms"]}
              for who in ("page", "baseline")}
    tasks = {f"{visit}_{window}": task_summary([t[window] for t in each("page", visit,
                                                                          "longest_task_ms")])
             for visit in ("cold", "warm") for window in ("page_start", "runtime_load")}
    # A page without Python: what the theme and the browser cost the main thread on their own.
    tasks["text_page_cold"] = task_summary([site_bench.longest(run["long_tasks"])
                                            for run in text_runs])
    tasks["plain_page_cold"] = task_summary([site_bench.longest(run["long_tasks"])
                                             for run in plain_runs])
    # The theme's bundle and the site's own scripts, told apart (site_bench.is_theme).
    cold_tasks = [run["page"]["cold"]["long_tasks"] for run in runs]
    scripts = {
        "site_cold": task_summary([site_bench.site_script_ms(t) for t in cold_tasks]),
        "site_warm": task_summary([site_bench.site_script_ms(run["page"]["warm"]["long_tasks"])
                                   for run in runs]),
        "site_text_page": task_summary([site_bench.site_script_ms(run["long_tasks"])
                                        for run in text_runs]),
        "theme_evaluation_cold": task_summary([site_bench.theme_evaluation_ms(t)
                                               for t in cold_tasks]),
        "theme_evaluation_text_page": task_summary([site_bench.theme_evaluation_ms(
            run["long_tasks"]) for run in text_runs]),
        "theme_evaluation_plain_page": task_summary([site_bench.theme_evaluation_ms(
            run["long_tasks"]) for run in plain_runs]),
    }
    cold_windows = [site_bench.load_windows(run["page"]["cold"]) for run in runs]
    worst = {window: longest_tasks([task for w in cold_windows for task in w[window]])
             for window in ("page_start", "runtime_load")}
    worst["text_page"] = longest_tasks([task for run in text_runs for task in run["long_tasks"]])
    worst["plain_page"] = longest_tasks([task for run in plain_runs
                                         for task in run["long_tasks"]])
    return {
        "page": page, "text_page": text_page, "baseline": site_bench.BASELINE_URL,
        "plain_page": site_bench.PLAIN + text_page,
        "summary": {
            "cold_s": summary([seconds(v) for v in cold], 2),
            "baseline_cold_s": summary([seconds(v) for v in base_cold], 2),
            "cold_ratio": summary([a / b for a, b in zip(cold, base_cold)], 3),
            "warm_s": summary([seconds(v) for v in warm], 2),
            "baseline_warm_s": summary([seconds(v) for v in base_warm], 2),
            "warm_to_cold": summary([w / c for w, c in zip(warm, cold)], 3),
            "warm_to_baseline_warm": summary([w / b for w, b in zip(warm, base_warm)], 3),
            # For comparison: how much a revisit saves a page that only boots the runtime.
            "baseline_warm_to_cold": summary([w / c for w, c in zip(base_warm, base_cold)], 3),
            "stages_done_s": stages,
            "longest_task_ms": tasks,
            "longest_script_ms": scripts,
            "longest_tasks_cold": worst,
            "bytes": {"page_cold": page_bytes(each("page", "cold", "files")),
                      "page_warm": summary(each("page", "warm", "bytes"), 0),
                      "text_page_cold": page_bytes([run["files"] for run in text_runs]),
                      "plain_page_cold": summary([run["bytes"] for run in plain_runs], 0)},
        },
        "runs": runs, "text_page_runs": text_runs, "plain_page_runs": plain_runs,
    }


def navigate(site: site_bench.Site, repeats: int) -> dict:
    pages = list(NAVIGATION_PAGES[:repeats])
    measured = site_bench.navigations(site, NAVIGATION_FIRST, pages)
    samples, windows = measured["navigations"], measured["long_tasks"]
    measured["summary"] = {
        "ready_ms": summary([s["ready_ms"] for s in samples], 1),
        "same_worker": sum(s["same_worker"] for s in samples), "navigations": len(samples),
        "cells": sum(s["cells"] for s in samples),
        "cells_failed": sum(s["cells_failed"] for s in samples),
        "longest_task_ms": {name: site_bench.longest(tasks) for name, tasks in windows.items()},
        "longest_site_script_ms": {name: site_bench.site_script_ms(tasks)
                                   for name, tasks in windows.items()},
        "longest_tasks": {name: longest_tasks(tasks) for name, tasks in windows.items()},
    }
    return measured


def longest_tasks(tasks: list, count: int = 3) -> list:
    """The ``count`` longest tasks, as ``[ms, what ran]``."""
    ordered = sorted(tasks, key=lambda t: -t["duration_ms"])[:count]
    return [[t["duration_ms"], site_bench.culprit(t)] for t in ordered]


def page_bytes(visits: list) -> dict:
    """What cold visits of one page downloaded (the first visit; the others for a check)."""
    files = visits[0]
    # The model's files: pretrained/*, not pretrained/figures/* (pictures for pages to show).
    weights = {name: size for name, size in files.items()
               if name.startswith("pretrained/") and name.count("/") == 1}
    return {
        "total": summary([sum(v.values()) for v in visits], 0),
        "same_files_every_run": all(set(v) == set(files) for v in visits),
        "largest": sorted(files.items(), key=lambda item: -item[1])[:5],
        "weights": sum(weights.values()), "weights_files": sorted(weights),
        "runtime_files": site_bench.runtime_files(files),
        "packages": site_bench.packages_fetched(files),
    }


def pages(site: site_bench.Site) -> dict:
    visited = site_bench.survey(site, site_bench.site_pages(site.folder))
    return {"pages": visited, "summary": {
        "pages_running_python": sorted(p for p, v in visited.items() if v["runs_python"]),
        "pages_fetching_scipy": sorted(p for p, v in visited.items() if "scipy" in v["packages"]),
        "text_pages_fetching_runtime": sorted(p for p, v in visited.items()
                                              if not v["runs_python"] and v["runtime_files"]),
        "scipy_page": SCIPY_PAGE,
    }}


def predict(site: site_bench.Site, page: str, drawings: int) -> dict:
    measured = site_bench.predictions(site, page, drawings)
    samples = measured["drawings"]

    def figures(key: str) -> dict:
        values = [s[key] for s in samples if s[key] is not None]
        return summary(values, 1) if values else None

    measured["summary"] = {
        "forward_ms": figures("forward_ms"), "end_to_end_ms": figures("end_to_end_ms"),
        "to_dom_ms": figures("to_dom_ms"),
        "longest_task_ms": measured["longest_task_ms"],
        "longest_site_script_ms": site_bench.site_script_ms(measured["long_tasks"]),
        "longest_tasks": longest_tasks(measured["long_tasks"]),
        "drawings": len(samples),
        "classified_as_drawn": sum(s["predicted"] == s["digit"] for s in samples),
    }
    return measured


def native(repeats: int) -> dict:
    return train_speed.run(repeats=repeats, steps=10, warmup=2, batch_size=64, latency_runs=50)


def test_suite() -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=site_server.ROOT,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    return {"seconds": round(time.perf_counter() - started, 1), "exit_code": done.returncode,
            "result": lines[-1] if lines else ""}


# --- the record --------------------------------------------------------------------------------

def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=site_server.ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def environment(site: site_bench.Site, measured: dict) -> dict:
    with site_bench.fresh_profile(site) as context:
        browser = site_bench.browser_version(context)
    in_browser = None
    if "start" in measured:
        run = measured["start"]["runs"][0]
        in_browser = {"baseline": run["baseline"]["cold"]["versions"],
                      "page": run["page"]["cold"]["versions"]}
    return {
        "machine": machine_description(), "cores": os.cpu_count(),
        "browser": browser,
        "browser_executable": site_server.chromium_options()["executable_path"] or "Playwright's",
        "browser_flags": site_server.CHROMIUM_ARGS,
        "pyodide": json.loads(PYODIDE_PACKAGE.read_text())["version"],
        "in_browser": in_browser,
        "python": sys.version.split()[0],
        "git_commit": git("rev-parse", "HEAD"),
        "git_uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def measure(args: argparse.Namespace) -> dict:
    load_before = os.getloadavg()
    started = time.perf_counter()
    record: dict = {"command": ["python", "-m", "benchmarks.run", *args.argv],
                    "date": datetime.datetime.now(datetime.UTC).isoformat(
                        timespec="seconds"),
                    "repeats": args.repeats, "groups": list(args.only)}
    with site_bench.served() as site:
        try:
            if args.site:
                site.folder.symlink_to(args.site.resolve(), target_is_directory=True)
            else:
                record["build"] = build(site, args.repeats)
            if "start" in args.only:
                record["start"] = start(site, args.repeats, args.page, args.text_page)
            if "navigate" in args.only:
                record["navigate"] = navigate(site, args.repeats)
            if "pages" in args.only:
                record["pages"] = pages(site)
            if "predict" in args.only:
                record["predict"] = predict(site, args.page, args.drawings)
            record["environment"] = environment(site, record)
        finally:
            if site.errors:
                print("In the browser:", *site.errors, sep="\n  ", file=sys.stderr)
        record["browser_errors"] = site.errors
    if "native" in args.only:
        record["native"] = native(args.repeats)
    if args.with_test_suite:
        record["test_suite"] = test_suite()
    record["environment"]["load_average"] = {
        "before": [round(v, 2) for v in load_before],
        "after": [round(v, 2) for v in os.getloadavg()]}
    record["seconds"] = round(time.perf_counter() - started, 1)
    return record


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--drawings", type=int, default=50, help="digits drawn for latency")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups, of {', '.join(GROUPS)}")
    parser.add_argument("--with-test-suite", action="store_true",
                        help="also time the whole test suite")
    parser.add_argument("--site", type=Path,
                        help="serve this build instead of building (if built for another port,"
                        " its pages load anew on navigation: the theme matches them by host only)")
    parser.add_argument("--page", default=DRAW_PAGE, help="the page that runs the model")
    parser.add_argument("--text-page", default=TEXT_PAGE, help="a page that runs no Python")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.json/.md")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.only = [group for group in args.only.split(",") if group]
    unknown = sorted(set(args.only) - set(GROUPS))
    if unknown:
        parser.error(f"--only takes groups of {', '.join(GROUPS)}, got {', '.join(unknown)}")
    if args.repeats < 1 or args.drawings < 1:
        parser.error("--repeats and --drawings must be positive")
    if args.site and not (args.site / "index.html").is_file():
        parser.error(f"--site {args.site}: no built site there (index.html is missing)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    record = measure(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(record, indent=1) + "\n")
    table = report.markdown(record)
    (args.out / "latest.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
