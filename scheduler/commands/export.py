"""hybridsched export: write a run's trace as Chrome/Perfetto trace JSON."""

from __future__ import annotations

import argparse

ORDER = 43
HELP = "export a run's trace as Chrome/Perfetto trace JSON (open it in ui.perfetto.dev)"
DESCRIPTION = """\
Export one run as Trace Event JSON that ui.perfetto.dev and chrome://tracing
open: one track per device, one per pair of devices that moved data.

RUN is a run folder (results/SUITE/runs/RUN_ID, or a 'simulate --out' folder),
or a results folder plus --run naming the run id or the start of it.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run folder, or results folder with --run")
    parser.add_argument("--run", dest="run_id", metavar="ID", help="run id (or a unique prefix) in a results folder")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: RUN/trace.perfetto.json)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scheduler.reports.perfetto import export
    from workloads.errors import InputError

    folder = Path(args.run)
    if args.run_id:
        matches = sorted(p for p in (folder / "runs").glob(f"{args.run_id}*") if p.is_dir())
        if not matches:
            raise InputError("no run matches", source=str(folder), item=f"--run {args.run_id}")
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches[:10]) + (f", ... {len(matches) - 10} more"
                                                               if len(matches) > 10 else "")
            raise InputError(f"{len(matches)} runs match: {names}", source=str(folder), item=f"--run {args.run_id}")
        folder = matches[0]
    if not (folder / "trace.csv").is_file():
        raise InputError("no trace.csv here (give a run folder, or a results folder with --run ID)",
                         source=str(folder))
    path = export(folder, args.output or folder / "trace.perfetto.json")
    print(path)
    return 0
