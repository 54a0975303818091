"""Carbon-aware: run now what must run now; let deferrable tasks wait for a greener hour.

A temporal-shifting policy in the spirit of "Let's Wait Awhile" (Wiesner,
Behnke, Scheinert, Gontarska & Thamsen, Middleware 2021), on top of
:class:`~scheduler.policies.greedy.GreedyEFT`'s placement. A ready task is
*deferrable* if its ``meta`` says ``deferrable: true`` (or every task, with
the option ``all_deferrable: true``). Its deadline, in simulated seconds, is
``meta.deadline_s``, else the option ``deadline_s`` (one deadline for the
whole workflow), else ``window_s`` after it became ready. It must *start* by
the deadline minus its tail: the longest path of shortest execution times
from it to the end of the workflow (communication left out), so that what
follows it can still finish in time. Among now and
each hour boundary up to that latest start, the policy picks the start whose
hour has the lowest grid intensity (the earliest of equals) and holds the
task until then; others are placed at once by earliest finish time.
It differs from the paper's policy in deciding on the hour in which a task
starts, not on its whole run, and in knowing the series exactly (no
forecast error). On a site with one constant intensity it is GreedyEFT.
On a platform with several ``sites`` it compares the hours of every site
with a device that can run the task (by intensity alone, not by the
devices' energy) and, when now is the greenest, places the task on that
site's devices by earliest finish time.
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

    def __init__(self, *, seed: int = 0, window_s: float = 86400.0, deadline_s: float | None = None,
                 all_deferrable: bool = False, **options: Any):
        super().__init__(seed=seed, **options)
        for key, value in (("window_s", window_s), ("deadline_s", deadline_s)):
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)
                                      or not value >= 0):
                raise InputError(f"{key} must be a number >= 0, got {value!r}", item=f"policy {self.name!r}")
        self.window_s = float(window_s)
        self.deadline_s = None if deadline_s is None else float(deadline_s)
        self._tail: list[float] | None = None
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
                when, grid = self._start_at(task, view)
                if when > now:
                    wake = min(wake, when)
                    continue
                if grid is not None:  # now is greenest at one site: place it on that site's devices
                    self._place_at(task, grid, view)
                    continue
            go.append(task)
        super().select(go, view)
        if wake < math.inf:
            view.wake_at(wake)

    def _place_at(self, task: Task, grid: str, view) -> None:
        platform = view.platform
        best = self.pick(task, [d for d in view.feasible(task) if platform.grid(d.name).name == grid], view)
        if best is not None:
            view.place(task, best)

    def _tails(self, problem) -> list[float]:
        """Per task: the longest path of shortest execution times from it to a sink, itself included."""
        if self._tail is None:
            columns, _ = problem.exec_columns
            shortest = columns.min(axis=1).tolist()
            tail = [0.0] * len(shortest)
            for i in reversed(problem.topological_order()):
                tail[i] = shortest[i] + max((tail[j] for j in problem.succs[i]), default=0.0)
            self._tail = tail
        return self._tail

    def _start_at(self, task: Task, view) -> tuple[float, str | None]:
        """The start of the greenest hour between now and the task's latest start, and (on a
        platform with several sites) the grid of the devices that can run it where it is greenest."""
        now = view.now
        since = self._ready_since.setdefault(task.id, now)
        deadline = task.meta.get("deadline_s", self.deadline_s)
        deadline = since + self.window_s if deadline is None else float(deadline)
        latest = deadline - self._tails(view.problem)[view.problem.workflow.index[task.id]]
        platform = view.platform
        if latest <= now or not platform.hourly_carbon:
            return now, None
        grids = {grid.name: grid for grid in (platform.grid(d.name) for d in view.feasible(task))}
        best, best_g, best_grid = now, math.inf, None
        for name, grid in grids.items():  # in device order: ties go to the first feasible device's site
            t, g = self._greenest(grid, platform.start, now, latest)
            if g < best_g or (g == best_g and t < best):
                best, best_g, best_grid = t, g, name
        return best, (best_grid if platform.sites else None)

    @staticmethod
    def _greenest(grid, start: float, now: float, latest: float) -> tuple[float, float]:
        """The earliest start in ``[now, latest]`` of ``grid``'s greenest hour, and its intensity."""
        series = grid.series
        if series is None:
            return now, grid.g_per_kwh
        k = series.hour_index(start + now)
        best, best_g = now, series.value(k)
        while True:  # the hour boundaries up to the latest start, by row: no rounding at the edges
            k += 1
            t = series.first + k * HOUR - start
            if t > latest or (not series.repeat and k >= len(series.values)):
                break
            g = series.value(k)
            if g < best_g:
                best, best_g = t, g
        return best, best_g
