"""hybridsched policies: list every policy, built-in and plugin."""

from __future__ import annotations

import argparse

ORDER = 20
HELP = "list every policy (built-in and installed plugins) with a one-line description"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from scheduler.policies import available

    rows = available()
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        print(f"{name:<{width}}  {description}")
    return 0
