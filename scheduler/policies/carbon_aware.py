"""Carbon-aware: run now what must run now; let deferrable tasks wait for a greener hour.

A temporal-shifting policy in the spirit of "Let's Wait Awhile" (Wiesner,
Behnke, Scheinert, Gontarska & Thamsen, Middleware 2021), on top of
:class:`~scheduler.policies.greedy.GreedyEFT`'s placement. A ready task is
*deferrable* if its ``meta`` says ``deferrable: true`` (or every task, with
the option ``all_deferrable: true``). Its deadline is ``meta.deadline_s``
(simulated seconds), else ``window_s`` after it became ready; it must
*start* by the deadline minus its shortest execution time. Among now and
each hour boundary up to that latest start, the policy picks the start whose
hour has the lowest grid intensity (the earliest of equals) and holds the
task until then; others are placed at once by earliest finish time.
It differs from the paper's policy in deciding on the hour in which a task
starts, not on its whole run, and in knowing the series exactly (no
forecast error). On a site with one constant intensity it is GreedyEFT.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from devices.carbon import HOUR
from scheduler.policies.greedy import GreedyEFT
from workloads.errors import InputError
from workloads.task import Task


class CarbonAware(GreedyEFT):
    name = "carbon-aware"
    description = ("dynamic: earliest finish time, but deferrable tasks wait (within their deadline) "
                   "for the hour of lowest grid intensity")

    def __init__(self, *, seed: int = 0, window_s: float = 86400.0, all_deferrable: bool = False,
                 **options: Any):
        super().__init__(seed=seed, **options)
        if not isinstance(window_s, (int, float)) or isinstance(window_s, bool) or not window_s >= 0:
            raise InputError(f"window_s must be a number >= 0, got {window_s!r}", item=f"policy {self.name!r}")
        self.window_s = float(window_s)
        self.all_deferrable = bool(all_deferrable)
        self._ready_since: dict[str, float] = {}

    def deferrable(self, task: Task) -> bool:
        return self.all_deferrable or bool(task.meta.get("deferrable", False))

    def select(self, ready: Sequence[Task], view) -> None:
        now = view.now
        go: list[Task] = []
        wake = math.inf
        for task in ready:
            if self.deferrable(task):
                when = self._start_at(task, view)
                if when > now:
                    wake = min(wake, when)
                    continue
            go.append(task)
        super().select(go, view)
        if wake < math.inf:
            view.wake_at(wake)

    def _start_at(self, task: Task, view) -> float:
        """The start of the greenest hour between now and the task's latest start."""
        now = view.now
        since = self._ready_since.setdefault(task.id, now)
        deadline = task.meta.get("deadline_s")
        deadline = since + self.window_s if deadline is None else float(deadline)
        shortest = min((view.exec_time(task, d) for d in view.feasible(task)), default=0.0)
        latest = deadline - shortest
        platform = view.platform
        if latest <= now or platform.carbon_series is None:
            return now
        series = platform.carbon_series
        k = series.hour_index(platform.start + now)
        best, best_g = now, platform.carbon_at(now)
        while True:  # the hour boundaries up to the latest start, by row: no rounding at the edges
            k += 1
            t = series.first + k * HOUR - platform.start
            if t > latest or (not series.repeat and k >= len(series.values)):
                break
            g = series.value(k)
            if g < best_g:
                best, best_g = t, g
        return best
