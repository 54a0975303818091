"""hybridsched report: one self-contained HTML page of a results folder."""

from __future__ import annotations

import argparse

ORDER = 44
HELP = "write one self-contained HTML page of a results folder (tables, Pareto front, Gantt, energy)"
DESCRIPTION = """\
Write RESULTS_DIR/report.html (or -o FILE): one HTML file that opens in any
browser without a server or the network (plotly.js is inlined). It holds a
sortable summary table, time against energy for every run with each
scenario's Pareto front (hover for a run's figures), a Gantt chart of any
run with a QPU's queue waits and idle time, and energy by device kind.

A missing or damaged file is named on the page and here; the rest is drawn.

Exit status: 0 (also when some files were damaged: the page says which), 2 on bad input.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="RESULTS_DIR", help="a results folder written by 'hybridsched run'")
    parser.add_argument("-o", "--output", metavar="FILE", help="the page to write (default: RESULTS_DIR/report.html)")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from scheduler.reports.html import write_report
    from workloads.errors import InputError

    folder = Path(args.dir)
    if not folder.is_dir():
        raise InputError("no such results folder", source=str(folder))
    if not (folder / "results.csv").exists() and not (folder / "runs").is_dir():
        raise InputError("not a results folder (no results.csv and no runs/)", source=str(folder))
    path, problems = write_report(folder, args.output)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(path)
    return 0
