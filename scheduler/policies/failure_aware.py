"""Failure-aware earliest finish time: the greedy earliest-finish-time rule
with each device's failure risk and downtime priced in.

The expected finish of a task on a device is its earliest start there
(after the device is back up and after any downtime window the run would
cross) plus the expected wall time of a run that restarts from scratch
after each failure: ``(MTBF + MTTR) * (exp(w / MTBF) - 1)`` for work ``w``
(:meth:`devices.faults.FailureModel.expected_run_time`; the restart model of
Daly, FGCS 22(3), 2006, without checkpoints). Long tasks thus avoid flaky
devices and short ones still use them, as in the reliability-aware list
scheduling of Dogan & Ozguner, "Matching and scheduling algorithms for
minimizing execution time and failure probability of applications in
heterogeneous computing", IEEE TPDS 13(3), 2002.

A device on which the task would more likely than ``risk_tolerance`` (1%)
fail on every try the retry limit leaves it, ``(1 - survival(w)) ** tries``,
is used only when no device is safer: a given-up task loses its dependants.

A task whose best device is up now but would reach a downtime window before
it finishes is held back rather than started and aborted; it is placed when
the policy is next asked (at the latest, when that window ends). A device
on which the task fits in no up-window (every window between its downtimes
is shorter than the task) is never chosen while another device can run it.
"""

from __future__ import annotations

import math
from typing import Sequence

from devices.device import Device
from devices.faults import up_start
from scheduler.policy import Policy
from scheduler.view import View
from workloads.task import Task


def give_up_risk(task: Task, device: Device, view: View, retry_limit: int) -> float:
    """Probability that every try left to ``task`` on ``device`` is cut short by a failure."""
    if device.failures is None:
        return 0.0
    tries = max(1, retry_limit + 1 - view.failed_attempts(task))
    return (1.0 - device.failures.survival(device.exec_time(task))) ** tries


def expected_finish(task: Task, device: Device, view: View) -> tuple[float, float]:
    """(when ``task`` would start without regard to downtime windows, its expected finish)."""
    start = max(view.start_time(task, device), view.up_at(device))
    w = device.exec_time(task)
    fit = up_start(device.downtime, start, w) if device.downtime else start
    run = device.failures.expected_run_time(w) if device.failures is not None else w
    return start, fit + run


class FailureAware(Policy):
    name = "failure-aware"
    description = ("dynamic: each ready task to the device of earliest expected finish, "
                   "pricing in failures (restart model) and downtime windows")

    #: Highest acceptable probability of losing a task to the retry limit on a device.
    risk_tolerance = 0.01

    def select(self, ready: Sequence[Task], view: View) -> None:
        for task in self.order(ready, view):
            best = None
            for device in view.feasible(task):
                start, finish = expected_finish(task, device, view)
                risky = give_up_risk(task, device, view, self.retry_limit) > self.risk_tolerance
                # A device on which the task fits in no up-window would abort it on every
                # try: last of all, whatever its failure risk (inf finish).
                key = (not math.isfinite(finish), risky, finish, view.energy(task, device))
                if best is None or key < best[0]:
                    best = (key, device, start, finish)
            key, device, start, finish = best
            fits_now = not device.downtime or up_start(device.downtime, start, device.exec_time(task)) == start
            if fits_now or not math.isfinite(finish):
                view.place(task, device)
            # else: held back until the window is over (the window's end asks the policy again)
