"""hybridsched suites: list the built-in suites."""

from __future__ import annotations

import argparse

ORDER = 39
HELP = "list the built-in suites that 'hybridsched run NAME' runs"
DESCRIPTION = """\
List the built-in suites (the YAML files shipped in scheduler/suites/) with
their run counts and descriptions. 'hybridsched suites NAME --show' prints a
suite file, a starting point for your own.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="one suite")
    parser.add_argument("--show", action="store_true", help="print the suite file")


def run(args: argparse.Namespace) -> int:
    from scheduler import suites
    from scheduler.experiments.suite import checkout_suites, resolve_suite_path

    if args.name:
        path = resolve_suite_path(args.name)  # unknown name: the error lists the built-in ones
        if args.show:
            print(path.read_text(encoding="utf-8"), end="")
            return 0
        names = [args.name]
    else:
        names = suites.names()
    extra = [] if args.name else [p for p in checkout_suites() if p.stem not in names]
    width = max(len(n) for n in names + [p.stem for p in extra])
    for name in names:
        print(f"{name:<{width}}  {suites.description(name)}")
    for path in extra:  # a checkout's benchmarks/NAME.yaml: runs by name here, not shipped in the wheel
        print(f"{path.stem:<{width}}  (source checkout only, {path}: not in the wheel until moved to scheduler/suites/)")
    return 0
