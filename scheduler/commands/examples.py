"""hybridsched examples: list the shipped example inputs, or copy them into a folder."""

from __future__ import annotations

import argparse

ORDER = 35
HELP = "list the example workflows and policy shipped with hybridsched, or copy them into a folder"
DESCRIPTION = """\
List the example inputs shipped with hybridsched, or copy them into a folder
to run and edit:

  hybridsched examples --copy .
  hybridsched simulate topcuoglu2002.json --policy heft
  hybridsched simulate ml-pipeline.yaml --platform h100-node
  hybridsched simulate topcuoglu2002.json --policy one_file_policy.py:Frugal

A file that is already there is left alone (and named).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--copy", metavar="DIR", help="copy the examples into DIR (created if needed)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scheduler.examples import EXAMPLES, path

    if not args.copy:
        width = max(len(n) for n in EXAMPLES)
        for name, what in EXAMPLES.items():
            print(f"{name:<{width}}  {what}")
        return 0
    from scheduler.api import write_atomic

    out = Path(args.copy)
    for name in EXAMPLES:
        target = out / name
        if target.exists():
            print(f"kept {target} (already there)")
            continue
        write_atomic(target, path(name).read_text(encoding="utf-8"))
        print(f"wrote {target}")
    return 0
