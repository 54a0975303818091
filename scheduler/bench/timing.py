"""Timing helpers: CPU and wall seconds of one call, medians."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``(result, cpu_s, wall_s)`` of ``fn()``, after a full collection so
    that each measurement starts from the same heap."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
