"""hybridsched policies: list every policy, built-in and plugin."""

from __future__ import annotations

import argparse
import json
import sys

ORDER = 20
HELP = "list every policy (built-in and installed plugins) with a one-line description"
DESCRIPTION = """\
List every policy that --policy accepts by name: the built-in ones and those
installed plugins declare in the entry-point group 'hybridsched.policies'.
A policy can also be named module:Class or path/to/file.py:Class; see
docs/policies.md to write your own.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {name, origin, kind, description}")


def run(args: argparse.Namespace) -> int:
    from scheduler.policies import describe

    rows = describe()
    if args.json:
        json.dump(rows, sys.stdout)
        sys.stdout.write("\n")
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['origin']:<8}  {r['kind']:<7}  {r['description']}")
    return 0
