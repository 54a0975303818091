"""Two example hybridsched policies, one of each kind.

* ``lpt-eft`` (dynamic, staged hooks): ready tasks longest first (the LPT
  rule of R. L. Graham, "Bounds on multiprocessing timing anomalies", SIAM J.
  Appl. Math. 17(2), 1969), each to the device where it finishes first,
  skipping devices that would make it wait more than ``max_wait`` seconds.
* ``single-device`` (static plan): every task on the one device that runs
  the whole workflow fastest, in topological order; a baseline with no
  communication at all.
"""

from __future__ import annotations

import math

import numpy as np

from scheduler.policy import Plan, Policy


class LongestFirst(Policy):
    name = "lpt-eft"
    description = "example plugin: ready tasks longest first, each to its earliest-finish device"

    def __init__(self, *, max_wait: float = math.inf, **options):
        super().__init__(**options)
        self.max_wait = float(max_wait)

    def order(self, ready, view):
        # Longest mean execution time first; Python's sort is stable, so ties keep workflow order.
        def mean_time(task):
            return float(np.mean([view.exec_time(task, d) for d in view.feasible(task)]))
        return sorted(ready, key=mean_time, reverse=True)

    def filter(self, task, device, view):
        return view.available_at(task, device) - view.now <= self.max_wait

    def score(self, task, device, view):
        return view.finish_time(task, device)


class SingleDevice(Policy):
    name = "single-device"
    description = "example plugin: the whole workflow on the one device that runs it fastest"

    def plan(self, problem):
        total = problem.exec_times.sum(axis=0)  # inf where a device cannot run some task
        p = int(np.argmin(total))  # first of equals
        if not np.isfinite(total[p]):
            raise ValueError("no single device can run every task")
        start, plan = 0.0, Plan(device={})
        for i in problem.topological_order():
            task = problem.tasks[i]
            plan.device[task.id] = problem.devices[p].name
            plan.start[task.id] = start
            start += float(problem.exec_times[i, p])
            plan.finish[task.id] = start
        return plan
