"""hybridsched bench: run the benchmark harness (:mod:`scheduler.bench`) and print its tables."""

from __future__ import annotations

import argparse

ORDER = 90
HELP = "measure the engine, planners, quantum scoring and sweeps against their floors and rivals"
DESCRIPTION = """\
Run hybridsched's benchmark harness: the engine against a bare-SimPy program
on the same placement (1k to 100k tasks, 16 to 1,000 devices), a 1M-task
run, HEFT/CPOP/PEFT/Min-Min planning times and SAGA's HEFT on the same
instances, transpile-and-estimate per circuit, and suite runs per second on
1 and 2 workers and Dask. Each case runs in its own process, which reports
its peak memory. Prints a table per area; --out also writes every figure as
JSON. The full run takes about half an hour; --quick about a minute.
The harness ships with the package (scheduler/bench); the SAGA comparison
needs the [bench] extra (pip install "hybridsched[bench]"; anrg-saga) and is
skipped, with a line saying so, without it. See benchmarks/README.md.

Exit status: 0, or 1 if a case failed (a case that ran out of time is reported, not failed).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes only (about a minute)")
    parser.add_argument("--area", action="append", metavar="AREA",
                        choices=("startup", "command", "engine", "scale", "planners", "quantum", "sweeps", "rl"),
                        help="run only this area (repeatable): startup, engine, scale, planners, quantum, sweeps, rl")
    parser.add_argument("--out", metavar="FILE", help="also write the results as JSON to FILE (atomically)")


def run(args: argparse.Namespace) -> int:
    from scheduler.bench import execute

    return execute(args)
