"""Traces: what happened in one run, and nothing computed from it.

Metrics (:mod:`scheduler.metrics`) and reports read a :class:`Trace`; the
engine writes it. Times are seconds from the start of the run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import NamedTuple

# The records are named tuples: immutable like frozen dataclasses, and made in a third
# of the time (a 100k-task run records ~400k of them).


class TaskRun(NamedTuple):
    """One execution of a task on a device."""

    task: str
    device: str
    start: float
    finish: float
    #: Fraction of the device the task held (cores used / cores), for power and billing.
    share: float = 1.0
    #: "done", or "failed" for an attempt that a fault aborted.
    status: str = "done"


class Transfer(NamedTuple):
    """Data of edge ``src -> dst`` moving between two devices."""

    src: str
    dst: str
    src_device: str
    dst_device: str
    start: float
    finish: float
    data_bytes: float = 0.0
    #: Named network links the data crossed (devices/network.py), in order; () off the network.
    links: tuple[str, ...] = ()


class Wait(NamedTuple):
    """Time a task (``queue``) or a task group (``session-idle``) spent on a QPU without running.

    ``queue``: the job waited behind other users' jobs, holding its place.
    ``session-idle``: a session held the QPU between two of its jobs (billed).
    """

    task: str
    device: str
    start: float
    finish: float
    kind: str = "queue"


@dataclass
class Trace:
    """Task runs in start order, transfers in start order, and the run's notes."""

    tasks: list[TaskRun] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    #: Queue waits and session idle time on QPUs, in start order.
    waits: list[Wait] = field(default_factory=list)
    #: Tasks that never completed (faults), with the reason.
    failed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def makespan(self) -> float:
        ends = [r.finish for r in self.tasks] + [t.finish for t in self.transfers]
        return max(ends, default=0.0)

    def busy_intervals(self) -> dict[str, list[tuple[float, float]]]:
        """Per device, the merged intervals in which it ran at least one task."""
        by_device: dict[str, list[tuple[float, float]]] = {}
        for run in sorted(self.tasks, key=lambda r: (r.device, r.start)):
            spans = by_device.setdefault(run.device, [])
            if spans and run.start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], run.finish))
            else:
                spans.append((run.start, run.finish))
        return by_device

    def runs(self) -> dict[str, TaskRun]:
        """The completed run of each task."""
        return {r.task: r for r in self.tasks if r.status == "done"}

    def wait_seconds(self, kind: str) -> dict[str, float]:
        """Per device, the seconds of waits of ``kind`` (``queue`` or ``session-idle``)."""
        out: dict[str, float] = {}
        for w in self.waits:
            if w.kind == kind:
                out[w.device] = out.get(w.device, 0.0) + (w.finish - w.start)
        return out

    def to_csv(self) -> str:
        """Task runs, transfers and waits as one CSV table (``type`` tells them apart;
        a wait's ``status`` is its kind)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["type", "task", "device", "start", "finish", "share", "status",
                         "src_device", "data_bytes", "links"])
        for r in self.tasks:
            writer.writerow(["task", r.task, r.device, repr(r.start), repr(r.finish), repr(r.share),
                             r.status, "", "", ""])
        for t in self.transfers:
            writer.writerow(["transfer", f"{t.src}->{t.dst}", t.dst_device, repr(t.start), repr(t.finish),
                             "", "", t.src_device, repr(t.data_bytes), "|".join(t.links)])
        for w in self.waits:
            writer.writerow(["wait", w.task, w.device, repr(w.start), repr(w.finish), "", w.kind, "", "", ""])
        return out.getvalue()
