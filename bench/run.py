"""Every benchmark, one after the other, into bench/results.md and bench/results.json.

    .venv/bin/python bench/run.py [--quick] [--only cold_start,http_load,...]   (or: make bench)

Each benchmark script measures Chorus and its baseline in the same run and writes its rows with
`--json`; this runner collects them, with the machine they ran on, into one table. The raw JSON of
each script stays in bench/results/ (not committed); bench/results.json and bench/results.md are
the record of the last full run (committed). Nothing else should run on the machine meanwhile:
the scripts pin the system under test and the load generator to different cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RAW = BENCH / "results"

# name → the script and its arguments (each also gets --json, and --quick when asked).
BENCHMARKS: dict[str, list[str]] = {
    "cold_start": ["cold_start.py"],
    "http_load": ["http_load.py"],
    "relay": ["relay.py"],  # 1,000 and 10,000 clients
    # This machine's open-file limit (20,000) stops the ramp first; steps of 5,000 keep it short.
    "relay_capacity": ["relay_capacity.py", "--max", "20000", "--step", "5000"],
    "jobs": ["jobs.py"],
    "auth": ["auth.py"],  # the production token check, in-process (signed tokens, local keys)
}


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def run(name: str, argv: list[str], *, quick: bool) -> dict[str, Any]:
    RAW.mkdir(exist_ok=True)
    output = RAW / f"{name}.json"
    output.unlink(missing_ok=True)
    command = [sys.executable, str(BENCH / argv[0]), *argv[1:], "--json", str(output)]
    if quick:
        command.append("--quick")
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, check=False)
    seconds = round(time.perf_counter() - started, 1)
    if finished.returncode != 0 or not output.exists():
        return {
            "benchmark": name,
            "error": f"exit status {finished.returncode}",
            "seconds": seconds,
            "rows": [],
        }
    report = json.loads(output.read_text())
    assert isinstance(report, dict)
    report["seconds"] = seconds
    return report


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(reports: dict[str, dict[str, Any]], about: dict[str, Any], *, quick: bool) -> str:
    warning = " — QUICK run, not for comparison" if quick else ""
    lines = [
        "# Chorus benchmarks",
        "",
        f"Run {about['date']} at commit `{about['commit']}` on {about['cpu']} ({about['cores']} cores), "
        f"Python {about['python']}, Linux {about['kernel']}{warning}.",
        "Every row compares Chorus with a baseline measured in the same run; `ratio` is Chorus ÷ baseline.",
        "Regenerate with `make bench` (about how long each took is in the last column).",
        "",
        "| benchmark | metric | Chorus | baseline | unit | ratio | target | met | run (s) |",
        "|---|---|---:|---:|---|---:|---|:-:|---:|",
    ]
    for name, report in reports.items():
        if report.get("error"):
            lines.append(f"| {name} | **failed: {report['error']}** | | | | | | | {report['seconds']} |")
            continue
        for row in report["rows"]:
            met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
            lines.append(
                f"| {name} | {row['metric']} | {number(row['chorus'])} | {number(row.get('baseline'))} | "
                f"{row.get('unit', '')} | {number(row.get('ratio'))} | {row.get('target') or ''} | {met} | "
                f"{report['seconds']} |"
            )
    for name, report in reports.items():
        notes, profile = report.get("notes") or [], report.get("profile")
        if notes or profile:
            lines += ["", f"## {name}", ""]
            lines += [f"- {note}" for note in notes]
            if profile:
                lines += ["", "```", str(profile).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke runs of each (not for comparison)")
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(BENCHMARKS))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    about = machine()
    reports = {name: run(name, BENCHMARKS[name], quick=args.quick) for name in names}
    (BENCH / "results.json").write_text(
        json.dumps({"machine": about, "quick": args.quick, "benchmarks": reports}, indent=2) + "\n"
    )
    (BENCH / "results.md").write_text(markdown(reports, about, quick=args.quick))
    print(f"wrote {BENCH / 'results.md'} and {BENCH / 'results.json'}")
    if any(report.get("error") for report in reports.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
