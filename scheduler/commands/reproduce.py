"""hybridsched reproduce: rerun a results folder and report every metric that differs."""

from __future__ import annotations

import argparse

ORDER = 41
HELP = "rerun the suite of a results folder and report any metric that differs"
DESCRIPTION = """\
Rerun the suite kept in a results folder (suite.yaml, with the seeds of its
manifest) into a temporary folder and compare the two results tables run by
run and column by column. Also reports package versions and input files
that changed since the folder was written.

Exit status: 0 when every metric is the same, 1 when some differ, 2 on bad input.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from scheduler.commands._checks import non_negative_float, positive_int

    parser.add_argument("dir", help="a results folder written by 'hybridsched run'")
    parser.add_argument("--workers", type=positive_int, metavar="N", help="worker processes (default: all CPUs)")
    parser.add_argument("--allow-code", action="store_true",
                        help="let the suite name policies as module:Class or file.py:Class (runs that code)")
    parser.add_argument("--rtol", type=non_negative_float, default=0.0,
                        help="relative tolerance for numbers (default: 0, exactly equal)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from scheduler.experiments.reproduce import reproduce

    console = Console()
    report = reproduce(args.dir, workers=args.workers, rtol=args.rtol, allow_code=args.allow_code)
    for name, (old, new) in report.versions.items():
        console.print(f"note: {name} was {old}, is now {new}", highlight=False)
    for path in report.inputs_changed:
        console.print(f"note: input file changed since the run: {path}", highlight=False)
    if not report.differences:
        console.print(f"reproduced: all {report.runs} runs, every metric identical", highlight=False)
        return 0
    for d in report.differences[:50]:
        console.print(f"DIFFERS {d.run_id}: {d.column}: recorded {d.recorded!r}, now {d.reproduced!r}",
                      highlight=False)
    if len(report.differences) > 50:
        console.print(f"... {len(report.differences) - 50} more", highlight=False)
    runs = len({d.run_id for d in report.differences})
    console.print(f"{len(report.differences)} values differ in {runs} of {report.runs} runs", highlight=False)
    return 1
