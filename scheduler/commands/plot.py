"""hybridsched plot: draw the plots of a results folder."""

from __future__ import annotations

import argparse

ORDER = 42
HELP = "draw a results folder's plots: Gantt charts, Pareto fronts, energy by device kind, SLR vs CCR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="a results folder written by 'hybridsched run'")
    from scheduler.commands._checks import non_negative_int

    parser.add_argument("--gantt", type=non_negative_int, metavar="N", default=12,
                        help="Gantt charts for the first N runs of repeat 0 (default: 12)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scheduler.api import remove_stale_temporaries
    from scheduler.experiments.lock import folder_lock
    from scheduler.reports.plots import plot_results
    from workloads.errors import InputError

    out = Path(args.dir)
    if not (out / "results.csv").is_file():
        raise InputError("not a results folder (no results.csv)", source=str(out))
    with folder_lock(out):  # not while a run writes the folder
        remove_stale_temporaries(out / "plots")
        written = plot_results(out, gantt=args.gantt)
    if not written:
        raise InputError("nothing to plot: the results table has no successful run", source=str(out / "results.csv"))
    for path in written:
        print(path)
    return 0
