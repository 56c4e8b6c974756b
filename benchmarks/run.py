"""``scripts/bench``: the performance table (issue 14; README "Performance").

Runs the measurements in a real Home Assistant test instance against the simulator (pytest:
``tests/integration/test_request_budget.py`` for the exact request counts, which CI runs too, and
``tests/bench`` for the timing ratios), then prints one Markdown table: each figure an exact count
or a ratio to a baseline measured in the same run, with its budget. ``--runs 3`` repeats the whole
run and adds how much each ratio moved. Exit status: 0 when every figure is within its budget
(the median of the runs), 1 when one is over, 2 when a measurement produced no figure.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile

from .measure import BENCH_OUT_ENV, BUDGETS, Figure, read_figures

ROOT = Path(__file__).resolve().parent.parent
MEASUREMENTS = ["tests/integration/test_request_budget.py", "tests/bench"]


def run_once(pytest_args: list[str]) -> tuple[dict[str, Figure], str]:
    """Run every measurement once; return the figures and pytest's summary lines."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.jsonl"
        env = {**os.environ, BENCH_OUT_ENV: str(out)}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--timeout",
            "1200",
            *MEASUREMENTS,
            *pytest_args,
        ]
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        summary = "\n".join(
            line
            for line in result.stdout.splitlines()
            if line.startswith(("FAILED", "ERROR")) or " passed" in line or " failed" in line
        )
        return read_figures(out), summary


def _value(figure: Figure | None, unit: str) -> str:
    if figure is None:
        return "—"
    if unit == "ratio":
        return f"{figure.value:.2f}"
    return f"{figure.value:g}" if figure.value == int(figure.value) else f"{figure.value:.2f}"


def table(runs: list[dict[str, Figure]]) -> tuple[str, list[str], list[str]]:
    """Return the Markdown table, the figures over budget and the figures missing."""
    many = len(runs) > 1
    heads = ["Figure"]
    heads += [f"run {n + 1}" for n in range(len(runs))] + ["spread"] if many else ["value"]
    heads += ["budget", "what it is", "last run"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    over: list[str] = []
    missing: list[str] = []
    for name, budget in BUDGETS.items():
        figures = [run.get(name) for run in runs]
        values = [figure.value for figure in figures if figure is not None]
        row = [name, *(_value(figure, budget.unit) for figure in figures)]
        if many:
            spread = "—"
            if values and budget.unit == "ratio" and min(values) > 0:
                spread = f"max/min {max(values) / min(values):.2f}"
            elif values:
                low, high = min(values), max(values)
                spread = "same" if low == high else f"{low:g} to {high:g}"
            row.append(spread)
        limit = f"{'=' if budget.kind == 'exact' else '≤'} {budget.limit:g}"
        row += [limit + ("" if budget.unit in ("requests", "ratio") else f" {budget.unit}")]
        last = next((figure for figure in reversed(figures) if figure is not None), None)
        row += [budget.meaning, last.detail if last else "no figure"]
        if not values:
            missing.append(name)
        elif not budget.met(statistics.median(values)):
            over.append(name)
            row[0] = f"**{name}** (over)"
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines), over, missing


def main() -> int:
    """Run, print the table, exit 1 when over budget (2 when a figure is missing)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1, help="whole runs (the table shows each)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, e.g. -k P3")
    args = parser.parse_args()
    runs: list[dict[str, Figure]] = []
    for number in range(args.runs):
        figures, summary = run_once(args.pytest_args)
        print(f"run {number + 1}: {summary or 'no pytest summary'}", file=sys.stderr)
        runs.append(figures)
    text, over, missing = table(runs)
    print(text)
    if over:
        print(f"\nOver budget: {', '.join(over)}")
    if missing:
        print(f"\nNo figure: {', '.join(missing)}")
    if missing:
        return 2
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
