"""The benchmarks' Markdown report (``benchmarks/results/latest.md``), from the JSON record.

    python -m benchmarks.report benchmarks/results/latest.json   # print it again

One row per measurement: median, minimum, maximum over the runs, the target and whether the
median met it (a long-task target is met only if no run had a task over 50 ms), always
with the figure. Only what the record holds is shown; groups not run are named at the end.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

MB = 1e6  # as the site's loading indicator counts
COLD_RATIO_MAX = 1.10
WARM_TO_BASELINE_MAX = 1.0  # the page's warm start ≤ the baseline's own warm start
COLD_BYTES_MAX_MB = 21
WEIGHTS_MAX_MB = 3.5
NAVIGATION_MAX_MS = 150
LONG_TASK_MS = 50
FORWARD_MAX_MS = 15
END_TO_END_MAX_MS = 40
TRAINING_RATIO_MIN = 0.5
HEADER = ("| Measurement | Median | Min | Max | Target | Result |\n"
          "|---|--:|--:|--:|---|---|")


def number(value: float | None, unit: str = "", digits: int = 2) -> str:
    """``1.234, " s"`` -> ``"1.23 s"``; a missing long task -> ``"< 50 ms"``."""
    if value is None:
        return f"< {LONG_TASK_MS} ms"
    return f"{value:.{digits}f}{unit}"


def verdict(met: bool, figure: str) -> str:
    return f"met ({figure})" if met else f"**missed** ({figure})"


def stats_row(name: str, stats: dict, unit: str, digits: int, target: str = "",
              check: Callable[[float], bool] | None = None) -> str:
    """A row of median, min, max; judged on the median when there is a target."""
    cells = [number(stats[k], unit, digits) for k in ("median", "min", "max")]
    result = "" if check is None else verdict(check(stats["median"]), cells[0])
    return f"| {name} | {' | '.join(cells)} | {target} | {result} |"


def single_row(name: str, figure: str, target: str = "", met: bool | None = None) -> str:
    result = "" if met is None else verdict(met, figure)
    return f"| {name} | {figure} | | | {target} | {result} |"


def task_row(name: str, stats: dict, target: bool = True) -> str:
    """Per-run longest tasks (or scripts); with ``target``, met only if none was over 50 ms."""
    cells = [number(stats[k], " ms", 0) for k in ("median", "min", "max")]
    if not target:
        return f"| {name} | {' | '.join(cells)} |  |  |"
    met = stats["max"] is None or stats["max"] <= LONG_TASK_MS
    return (f"| {name} | {' | '.join(cells)} | no task over {LONG_TASK_MS} ms | "
            f"{verdict(met, 'longest ' + cells[2])} |")


def megabytes(size: float) -> str:
    return f"{size / MB:.2f} MB"


def listing(items: Sequence[str]) -> str:
    return ", ".join(f"`{item or '/'}`" for item in items) or "none"


def start_rows(start: dict) -> list:
    s = start["summary"]
    page, text, plain = f"`{start['page']}`", f"`{start['text_page']}`", f"`{start['plain_page']}`"
    tasks, scripts = s["longest_task_ms"], s["longest_script_ms"]
    cold_bytes, text_bytes = s["bytes"]["page_cold"], s["bytes"]["text_page_cold"]
    return [
        stats_row(f"Cold start, {page} (navigation → Python ready)", s["cold_s"], " s", 2),
        stats_row("Cold start, baseline page (Pyodide + NumPy only)", s["baseline_cold_s"],
                  " s", 2),
        stats_row("Cold start ÷ baseline, same run", s["cold_ratio"], "", 2,
                  f"≤ {COLD_RATIO_MAX:.2f}", lambda v: v <= COLD_RATIO_MAX),
        stats_row(f"Warm start, {page} (revisit, browser cache)", s["warm_s"], " s", 2),
        stats_row("Warm start, baseline page (revisit, browser cache)", s["baseline_warm_s"],
                  " s", 2),
        stats_row("Warm start ÷ baseline's warm start, same run", s["warm_to_baseline_warm"], "",
                  2, f"≤ {WARM_TO_BASELINE_MAX:.2f}", lambda v: v <= WARM_TO_BASELINE_MAX),
        stats_row("Warm start ÷ cold start, same run", s["warm_to_cold"], "", 2),
        stats_row("Baseline's warm start ÷ its cold start, same run (for comparison)",
                  s["baseline_warm_to_cold"], "", 2),
        stats_row(f"Bytes, cold visit of {page}", scaled(cold_bytes["total"], MB), " MB", 2,
                  f"≤ {COLD_BYTES_MAX_MB} MB", lambda v: v <= COLD_BYTES_MAX_MB),
        stats_row(f"Bytes, warm visit of {page}", scaled(s["bytes"]["page_warm"], MB), " MB", 2),
        single_row("Model files fetched (`pretrained/`: weights, manifest)",
                   megabytes(cold_bytes["weights"]),
                   f"≤ {WEIGHTS_MAX_MB} MB", cold_bytes["weights"] <= WEIGHTS_MAX_MB * MB),
        stats_row(f"Bytes, cold visit of {text} (no Python)", scaled(text_bytes["total"], MB),
                  " MB", 2),
        stats_row(f"Bytes, cold visit of {plain} (plain mkdocs-material)",
                  scaled(s["bytes"]["plain_page_cold"], MB), " MB", 2),
        single_row(f"Runtime files fetched by {text}", str(len(text_bytes["runtime_files"])),
                   "none", not text_bytes["runtime_files"]),
        task_row(f"Longest run of the site's own scripts, {page} cold (loading)",
                 scripts["site_cold"]),
        task_row(f"Longest run of the site's own scripts, {page} warm (loading)",
                 scripts["site_warm"]),
        task_row(f"Longest run of the site's own scripts, {text} cold", scripts["site_text_page"]),
        task_row(f"Theme's bundle, evaluation, {page} cold", scripts["theme_evaluation_cold"],
                 target=False),
        task_row(f"Theme's bundle, evaluation, {text} cold",
                 scripts["theme_evaluation_text_page"], target=False),
        task_row(f"Theme's bundle, evaluation, {plain} cold (plain mkdocs-material, same theme "
                 "settings)", scripts["theme_evaluation_plain_page"], target=False),
        task_row(f"Longest main-thread task, {page} cold, before its runtime starts "
                 "(HTML, theme, math)", tasks["cold_page_start"], target=False),
        task_row(f"Longest main-thread task, {page} cold, while the runtime loads",
                 tasks["cold_runtime_load"], target=False),
        task_row(f"Longest main-thread task, {page} warm, while the runtime loads",
                 tasks["warm_runtime_load"], target=False),
        task_row(f"Longest main-thread task, {text} cold (no Python)", tasks["text_page_cold"],
                 target=False),
        task_row(f"Longest main-thread task, {plain} cold (plain mkdocs-material)",
                 tasks["plain_page_cold"], target=False),
    ]


def navigate_rows(navigate: dict) -> list:
    s, n = navigate["summary"], navigate["summary"]["navigations"]
    tasks, scripts = s["longest_task_ms"], s["longest_site_script_ms"]
    return [
        stats_row(f"Instant navigation, chapter page → next ({n}): click → the new page's "
                  "Python ready", s["ready_ms"], " ms", 0, f"median ≤ {NAVIGATION_MAX_MS} ms",
                  lambda v: v <= NAVIGATION_MAX_MS),
        single_row("Navigations served by the first page's worker (no new boot)",
                   f"{s['same_worker']} of {n}", f"{n} of {n}", s["same_worker"] == n),
        single_row(f"Cells run after arriving ({s['cells']}), failed", str(s["cells_failed"]),
                   "0", s["cells_failed"] == 0),
        single_row("Longest run of the site's own scripts, navigating / running cells",
                   f"{number(scripts['navigation'], ' ms', 0)} / "
                   f"{number(scripts['cells'], ' ms', 0)}", f"no task over {LONG_TASK_MS} ms",
                   all(v is None or v <= LONG_TASK_MS for v in scripts.values())),
        single_row("Longest main-thread task, navigating / running cells",
                   f"{number(tasks['navigation'], ' ms', 0)} / "
                   f"{number(tasks['cells'], ' ms', 0)}"),
    ]


def scaled(stats: dict, unit: float) -> dict:
    return {k: stats[k] / unit for k in ("median", "min", "max")}


def pages_rows(pages: dict) -> list:
    s = pages["summary"]
    return [
        single_row("Pages that fetch SciPy", listing(s["pages_fetching_scipy"]),
                   f"only `{s['scipy_page']}`", s["pages_fetching_scipy"] == [s["scipy_page"]]),
        single_row("Pages without Python that fetch the runtime",
                   listing(s["text_pages_fetching_runtime"]), "none",
                   not s["text_pages_fetching_runtime"]),
    ]


def predict_rows(predict: dict) -> list:
    s, n = predict["summary"], predict["summary"]["drawings"]
    script = s["longest_site_script_ms"]
    rows = []
    if s["forward_ms"]:
        rows.append(stats_row(f"Forward pass in the worker ({n} drawings)", s["forward_ms"],
                              " ms", 1, f"median ≤ {FORWARD_MAX_MS} ms",
                              lambda v: v <= FORWARD_MAX_MS))
    rows += [
        stats_row(f"Stroke end → probabilities on screen ({n} drawings)", s["end_to_end_ms"],
                  " ms", 1, f"median ≤ {END_TO_END_MAX_MS} ms", lambda v: v <= END_TO_END_MAX_MS),
        single_row(f"Longest run of the site's own scripts while predicting ({n} drawings)",
                   number(script, " ms", 0), f"no task over {LONG_TASK_MS} ms",
                   script is None or script <= LONG_TASK_MS),
        single_row(f"Longest main-thread task while predicting ({n} drawings)",
                   number(s["longest_task_ms"], " ms", 0)),
    ]
    return rows


def native_rows(native: dict) -> list:
    rates, forward = native["images_per_second"], native["single_image_forward_ms"]
    steps = f"{native['repeats']} × {native['steps_per_repeat']} steps"
    rows = [stats_row(f"Native forward pass, one image, cnnlab ({len(forward['runs'])} runs)",
                      forward, " ms", 2),
            stats_row(f"Training, images/s at batch {native['batch_size']}, cnnlab ({steps})",
                      rates["cnnlab"], "", 0)]
    if "torch" in rates:
        ratio = native["ratio_cnnlab_to_torch"]
        rows += [stats_row(f"Training, images/s, PyTorch CPU, interleaved ({steps})",
                           rates["torch"], "", 0),
                 single_row("Training throughput, cnnlab ÷ PyTorch", f"{ratio:.2f}",
                            f"≥ {TRAINING_RATIO_MIN}", ratio >= TRAINING_RATIO_MIN)]
    return rows


def details(record: dict) -> list:
    lines = []
    start = record.get("start")
    if start:
        for page, key in ((start["page"], "page_cold"), (start["text_page"], "text_page_cold")):
            lines += ["", f"Largest files of a cold visit of `{page}`:", ""]
            lines += [f"- `{name}`: {megabytes(size)}"
                      for name, size in start["summary"]["bytes"][key]["largest"]]
        worst = start["summary"]["longest_tasks_cold"]
        for window, label in (("page_start", f"`{start['page']}`, before its runtime starts"),
                              ("runtime_load", f"`{start['page']}`, while its runtime loads"),
                              ("text_page", f"`{start['text_page']}` (no Python)"),
                              ("plain_page", f"`{start['plain_page']}` (plain mkdocs-material)")):
            lines += task_list(f"Longest main-thread tasks of the cold visits of {label}",
                               worst[window])
        lines += ["", "When each loading stage was done, seconds after navigation (median of the "
                  "cold visits):", "", "| Stage | " + " | ".join(("page", "baseline")) + " |",
                  "|---|--:|--:|"]
        stages = start["summary"]["stages_done_s"]
        for name in stages["page"]:
            baseline = stages["baseline"].get(name)
            lines.append(f"| {name} | {stages['page'][name]['median']:.2f} | "
                         f"{'' if baseline is None else format(baseline['median'], '.2f')} |")
    return lines


def task_list(title: str, tasks: list) -> list:
    """``[[ms, what ran], ...]`` as a Markdown list under ``title``."""
    return ["", f"{title}:", ""] + ([f"- {ms:.0f} ms: {what}" for ms, what in tasks]
                                    or ["- none over 50 ms"])


def markdown(record: dict) -> str:
    env = record["environment"]
    load = env["load_average"]
    commit = env["git_commit"][:10] + (" with uncommitted changes"
                                       if env["git_uncommitted_changes"] else "")
    lines = [
        "# CNN Lab performance", "",
        f"Measured {record['date']} by `{' '.join(record['command'])}` "
        f"({record['seconds']:.0f} s), commit {commit}.",
        f"Machine: {env['machine']}; load average (1, 5, 15 min) {load['before']} before, "
        f"{load['after']} after. Browser: {env['browser']} ({env['browser_executable']}, "
        "headless). "
        f"Pyodide {env['pyodide']}.",
        f"Median, min and max over {record['repeats']} runs unless stated; times from the "
        "page's own clock (navigation start); bytes as the server sent them (no compression).",
        "", HEADER,
    ]
    if "build" in record:
        lines.append(stats_row("Site build (`mkdocs build --strict`)",
                               record["build"]["seconds"], " s", 1))
    for group, rows in (("start", start_rows), ("navigate", navigate_rows), ("pages", pages_rows),
                        ("predict", predict_rows), ("native", native_rows)):
        if group in record:
            lines += rows(record[group])
    if "test_suite" in record:
        suite = record["test_suite"]
        lines.append(single_row(f"Whole test suite ({suite['result']})",
                                f"{suite['seconds']:.0f} s"))
    errors = record["browser_errors"]
    lines += ["", f"Errors in the browser during the run: {len(errors) or 'none'}."]
    lines += [f"- {error}" for error in errors[:10]]
    lines += details(record)
    if "pages" in record:
        lines += ["", "Every page, one cold visit:", "",
                  "| Page | Runs Python | Bytes | Pyodide packages |", "|---|---|--:|---|"]
        lines += [f"| `{page or '/'}` | {'yes' if v['runs_python'] else 'no'} | "
                  f"{megabytes(v['bytes'])} | {', '.join(v['packages'])} |"
                  for page, v in record["pages"]["pages"].items()]
    if "navigate" in record:
        for window, what in (("navigation", "navigating"), ("cells", "running cells")):
            lines += task_list(f"Longest main-thread tasks while {what} (instant navigation "
                               f"from `{record['navigate']['first']}`)",
                               record["navigate"]["summary"]["longest_tasks"][window])
        lines += ["", "Instant navigations, click → Python ready:", ""]
        lines += [f"- `{s['page']}`: {s['ready_ms']:.0f} ms"
                  f"{'' if s['same_worker'] else ' (a new worker)'}, {s['cells']} cells"
                  for s in record["navigate"]["navigations"]]
    if "predict" in record:
        lines += task_list(f"Longest main-thread tasks while predicting on "
                           f"`{record['predict']['page']}`",
                           record["predict"]["summary"]["longest_tasks"])
    missing = [g for g in ("build", "start", "navigate", "pages", "predict", "native",
                           "test_suite")
               if g not in record]
    if missing:
        lines += ["", f"Not measured in this run: {', '.join(missing)}."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else list(argv)
    if len(paths) != 1:
        print("usage: python -m benchmarks.report RESULTS.json", file=sys.stderr)
        return 2
    print(markdown(json.loads(Path(paths[0]).read_text())), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
