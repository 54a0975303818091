"""Device states over a run, read from its trace: busy, waiting in a QPU's queue, idle.

The trace records task runs and transfers, not the wait behind other users'
jobs on a shared QPU (the engine holds the QPU's slot during that wait). It is
inferred here: a QPU task's wait starts once its inputs are in (the last
transfer into it) and the QPU is free (its previous run finished), and ends
when the task starts. An input that moved no data leaves no transfer row, so
an inferred wait can include time spent waiting for such an input.
"""

from __future__ import annotations

from typing import Any


def qpu_waits(rows: list[dict[str, Any]], qpus: set[str]) -> list[tuple[str, str, float, float]]:
    """``(device, task, start, end)`` of each inferred queue wait on a device in ``qpus``."""
    arrivals: dict[str, float] = {}
    for r in rows:
        if r["type"] == "transfer" and "->" in r["task"]:
            dst = r["task"].split("->", 1)[1]
            arrivals[dst] = max(arrivals.get(dst, 0.0), float(r["finish"]))
    by_device: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["type"] == "task" and r["device"] in qpus:
            by_device.setdefault(r["device"], []).append(r)
    waits = []
    for device, runs in by_device.items():
        runs.sort(key=lambda r: (float(r["start"]), float(r["finish"])))
        free = 0.0
        for r in runs:
            start = float(r["start"])
            ready = max(free, arrivals.get(r["task"], 0.0))
            if start - ready > 1e-9 * max(1.0, start):
                waits.append((device, r["task"], ready, start))
            free = max(free, float(r["finish"]))
    return waits


def idle_gaps(rows: list[dict[str, Any]], device: str, makespan: float,
              also_busy: list[tuple[float, float]] = ()) -> list[tuple[float, float]]:
    """Intervals of ``[0, makespan]`` in which ``device`` runs nothing (nor waits, ``also_busy``)."""
    spans = sorted([(float(r["start"]), float(r["finish"])) for r in rows
                    if r["type"] == "task" and r["device"] == device] + list(also_busy))
    gaps, at = [], 0.0
    for s, f in spans:
        if s > at:
            gaps.append((at, s))
        at = max(at, f)
    if makespan > at:
        gaps.append((at, makespan))
    return gaps
