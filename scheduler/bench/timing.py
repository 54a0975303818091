"""Timing helpers: CPU and wall seconds of one call, medians, an on-disk cache per phase."""

from __future__ import annotations

import gc
import os
import shutil
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator


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


@contextmanager
def disk_cache(cache_dir: str, phase: str | None, cleanup: bool = False) -> Iterator[None]:
    """Run the block on the on-disk cache ``cache_dir`` (``HYBRIDSCHED_CACHE_DIR``, caching on):
    emptied first for the ``"cold"`` phase, as an earlier case left it otherwise; removed
    afterwards with ``cleanup`` (the last case of an area)."""
    if phase == "cold":
        shutil.rmtree(cache_dir, ignore_errors=True)
    os.environ["HYBRIDSCHED_CACHE_DIR"] = cache_dir
    os.environ.pop("HYBRIDSCHED_TRANSPILE_CACHE", None)
    try:
        yield
    finally:
        if cleanup:
            shutil.rmtree(cache_dir, ignore_errors=True)
