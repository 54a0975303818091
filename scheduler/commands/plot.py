"""hybridsched plot: draw the plots of a results folder."""

from __future__ import annotations

import argparse

ORDER = 42
HELP = "draw a results folder's plots: Gantt charts, Pareto fronts, energy by device kind, SLR vs CCR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="a results folder written by 'hybridsched run'")
    parser.add_argument("--gantt", type=int, metavar="N", default=12,
                        help="Gantt charts for the first N runs of repeat 0 (default: 12)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scheduler.reports.plots import plot_results
    from workloads.errors import InputError

    out = Path(args.dir)
    if not (out / "results.csv").is_file():
        raise InputError("not a results folder (no results.csv)", source=str(out))
    written = plot_results(out, gantt=args.gantt)
    for path in written:
        print(path)
    return 0
