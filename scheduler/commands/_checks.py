"""Argument types that check a flag's value when the command line is parsed.

argparse turns the ``ArgumentTypeError`` into ``hybridsched COMMAND: error:
argument --FLAG: MESSAGE`` (exit 2), so each message names the flag.
"""

from __future__ import annotations

import argparse
import math


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """A whole number >= 1 (``--workers``)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (``--seed``, ``--gantt``)."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    value = non_negative_int(text)
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"expected less than 2**63, got {value}")
    return value


def seconds(text: str) -> float:
    """A finite or infinite number of seconds >= 0 (0: no limit)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if math.isnan(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more seconds, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0 (``--rtol``)."""
    value = seconds(text)
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value
