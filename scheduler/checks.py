"""Checks that a trace is a valid execution of its workflow on its platform.

Used by the tests of every policy, and available to users who write their
own: ``problems(trace, workflow, platform)`` lists every violation found.
"""

from __future__ import annotations

from devices.platform import Platform
from scheduler.trace import Trace
from workloads.workflow import Workflow

#: Slack for floating-point sums of times.
EPS = 1e-9


def problems(trace: Trace, workflow: Workflow, platform: Platform) -> list[str]:
    """Every violation of the execution model in ``trace``; empty when valid.

    Checked: each task completed once or reported failed; it ran on a device
    that can run it, for exactly its execution time; each input arrived
    (predecessor's finish plus transfer time) before it started; no device
    ever held more slots than it has.
    """
    found: list[str] = []
    runs = trace.runs()
    for task in workflow.tasks:
        if task.id not in runs and task.id not in trace.failed:
            found.append(f"task {task.id!r} neither completed nor reported failed")
    for run in runs.values():
        task = workflow.task(run.task)
        device = platform.device(run.device)
        reason = device.check(task)
        if reason:
            found.append(f"task {run.task!r} ran on {run.device}, which cannot run it: {reason}")
            continue
        expected = device.exec_time(task)
        if abs((run.finish - run.start) - expected) > EPS * max(1.0, expected):
            found.append(f"task {run.task!r} ran {run.finish - run.start} s on {run.device}, expected {expected}")
        for u in workflow.graph.predecessors(run.task):
            before = runs.get(u)
            if before is None:
                found.append(f"task {run.task!r} ran although its predecessor {u!r} never completed")
                continue
            edge = workflow.edge(u, run.task)
            arrive = before.finish + platform.transfer_time(edge, before.device, run.device)
            if run.start + EPS * max(1.0, arrive) < arrive:
                found.append(f"task {run.task!r} started at {run.start} before {u!r}'s data arrived at {arrive}")
    events: dict[str, list[tuple[float, int, float]]] = {}
    for run in trace.tasks:
        device = platform.device(run.device)
        slots = round(run.share * device.slots)
        events.setdefault(run.device, []).extend([(run.start, 1, slots), (run.finish, 0, -slots)])
    for name, evs in events.items():
        used = 0
        capacity = platform.device(name).slots
        for time, _, delta in sorted(evs):  # finishes (0) before starts (1) at equal times
            used += delta
            if used > capacity:
                found.append(f"device {name} held {used} slots at t={time}, it has {capacity}")
                break
    return found
