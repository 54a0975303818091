"""Checks shared by every loader, so that errors read the same everywhere."""

from __future__ import annotations

import math
from typing import Any

from workloads.errors import InputError


def number(value: Any, item: str, *, source: str | None = None, positive: bool = False,
           integer: bool = False) -> float:
    """Return ``value`` as a finite, non-negative number or raise InputError.

    ``item`` names what is being read, e.g. ``"task 'n3': cost[1]"``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number, got {value!r}", source=source, item=item)
    if not math.isfinite(value):
        raise InputError(f"expected a finite number, got {value!r}", source=source, item=item)
    if value < 0 or (positive and value == 0):
        want = "positive" if positive else "non-negative"
        raise InputError(f"expected a {want} number, got {value!r}", source=source, item=item)
    if integer:
        if value != int(value):
            raise InputError(f"expected a whole number, got {value!r}", source=source, item=item)
        return int(value)
    return float(value)


def text(value: Any, item: str, *, source: str | None = None) -> str:
    """Return ``value`` as a non-empty string or raise InputError."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"expected a non-empty string, got {value!r}", source=source, item=item)
    return value


def mapping(value: Any, item: str, *, source: str | None = None) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"expected an object, got {type(value).__name__}", source=source, item=item)
    return value


def sequence(value: Any, item: str, *, source: str | None = None) -> list:
    if not isinstance(value, list):
        raise InputError(f"expected a list, got {type(value).__name__}", source=source, item=item)
    return value
