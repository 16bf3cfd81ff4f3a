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
COLD_RATIO_MAX = 1.25
WARM_TO_COLD_MAX = 0.5
WEIGHTS_MAX_MB = 3.5
LONG_TASK_MS = 50
FORWARD_MAX_MS = 25
END_TO_END_MAX_MS = 50
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


def task_row(name: str, stats: dict) -> str:
    cells = [number(stats[k], " ms", 0) for k in ("median", "min", "max")]
    return (f"| {name} | {' | '.join(cells)} | no task over {LONG_TASK_MS} ms | "
            f"{verdict(stats['max'] is None, 'longest ' + cells[2])} |")


def megabytes(size: float) -> str:
    return f"{size / MB:.2f} MB"


def listing(items: Sequence[str]) -> str:
    return ", ".join(f"`{item or '/'}`" for item in items) or "none"


def start_rows(start: dict) -> list:
    s = start["summary"]
    page, tasks = f"`{start['page']}`", s["longest_task_ms"]
    cold_bytes, text_bytes = s["bytes"]["page_cold"], s["bytes"]["text_page_cold"]
    return [
        stats_row(f"Cold start, {page} (navigation → Python ready)", s["cold_s"], " s", 2),
        stats_row("Cold start, baseline page (Pyodide + NumPy only)", s["baseline_cold_s"],
                  " s", 2),
        stats_row("Cold start ÷ baseline, same run", s["cold_ratio"], "", 2,
                  f"≤ {COLD_RATIO_MAX}", lambda v: v <= COLD_RATIO_MAX),
        stats_row(f"Warm start, {page} (revisit, browser cache; the first visit had kept "
                  f"Python's bytecode in {s['bytecode_kept']} of {len(start['runs'])})",
                  s["warm_s"], " s", 2),
        stats_row("Warm start ÷ cold start, same run", s["warm_to_cold"], "", 2,
                  f"≤ {WARM_TO_COLD_MAX}", lambda v: v <= WARM_TO_COLD_MAX),
        stats_row("Warm start, baseline page (revisit, browser cache)", s["baseline_warm_s"],
                  " s", 2),
        stats_row("Baseline's warm start ÷ its cold start, same run (for comparison)",
                  s["baseline_warm_to_cold"], "", 2),
        stats_row(f"Bytes, cold visit of {page}", scaled(cold_bytes["total"], MB), " MB", 2),
        stats_row(f"Bytes, warm visit of {page}", scaled(s["bytes"]["page_warm"], MB), " MB", 2),
        single_row("Model files fetched (`pretrained/`: weights, manifest)",
                   megabytes(cold_bytes["weights"]),
                   f"≤ {WEIGHTS_MAX_MB} MB", cold_bytes["weights"] <= WEIGHTS_MAX_MB * MB),
        stats_row(f"Bytes, cold visit of `{start['text_page']}` (no Python)",
                  scaled(text_bytes["total"], MB), " MB", 2),
        single_row(f"Runtime files fetched by `{start['text_page']}`",
                   str(len(text_bytes["runtime_files"])), "none",
                   not text_bytes["runtime_files"]),
        task_row(f"Longest main-thread task, {page} cold, before its runtime starts "
                 "(HTML, theme, math)", tasks["cold_page_start"]),
        task_row(f"Longest main-thread task, {page} cold, while the runtime loads",
                 tasks["cold_runtime_load"]),
        task_row(f"Longest main-thread task, {page} warm, while the runtime loads",
                 tasks["warm_runtime_load"]),
        task_row(f"Longest main-thread task, `{start['text_page']}` cold (no Python: the theme "
                 "and the browser alone)", tasks["text_page_cold"]),
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
    rows = []
    if s["forward_ms"]:
        rows.append(stats_row(f"Forward pass in the worker ({n} drawings)", s["forward_ms"],
                              " ms", 1, f"median ≤ {FORWARD_MAX_MS} ms",
                              lambda v: v <= FORWARD_MAX_MS))
    rows += [
        stats_row(f"Stroke end → probabilities on screen ({n} drawings)", s["end_to_end_ms"],
                  " ms", 1, f"median ≤ {END_TO_END_MAX_MS} ms", lambda v: v <= END_TO_END_MAX_MS),
        single_row(f"Longest main-thread task while predicting ({n} drawings)",
                   number(s["longest_task_ms"], " ms", 0), f"no task over {LONG_TASK_MS} ms",
                   s["longest_task_ms"] is None),
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
                              ("text_page", f"`{start['text_page']}` (no Python)")):
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
    for group, rows in (("start", start_rows), ("pages", pages_rows),
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
    if "predict" in record:
        lines += task_list(f"Longest main-thread tasks while predicting on "
                           f"`{record['predict']['page']}`",
                           record["predict"]["summary"]["longest_tasks"])
    missing = [g for g in ("build", "start", "pages", "predict", "native", "test_suite")
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
