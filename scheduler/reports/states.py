"""Device states over a run, read from its trace: busy, waiting on a QPU, idle.

The engine records a QPU's waits in the trace (rows of type ``wait``, status
``queue`` behind other users' jobs or ``session-idle`` while a session holds
the QPU between its jobs; :mod:`scheduler.qpu_service`); idle time is what
is left of the run.
"""

from __future__ import annotations

from typing import Any


def recorded_waits(rows: list[dict[str, Any]]) -> list[tuple[str, str, float, float, str]]:
    """``(device, task or group, start, end, kind)`` of each wait row of a trace."""
    return [(r["device"], r["task"], float(r["start"]), float(r["finish"]), r.get("status") or "queue")
            for r in rows if r["type"] == "wait"]


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
