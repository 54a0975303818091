"""Batch-mode heuristics: Min-Min, Max-Min and Sufferage, in the form used
for workflows.

O. H. Ibarra and C. E. Kim, "Heuristic algorithms for scheduling
independent tasks on nonidentical processors", JACM 24(2), 1977 (Min-Min,
Max-Min); H. Casanova, A. Legrand, D. Zagorodnov and F. Berman,
"Heuristics for scheduling parameter sweep applications in grid
environments", HCW 2000 (Sufferage); applied to workflows by J. Blythe et
al., "Task scheduling strategies for workflow-based applications in
grids", CCGrid 2005, as in WorkflowSim and SAGA.

A *round* happens whenever tasks are ready: the ready set is frozen, and
every task in it is mapped before the round ends, one at a time. Each step
computes every unmapped task's completion time on every device, counting
what was mapped before it (append-only: a task starts after the work
already placed on its device, never in a gap), then

* ``minmin`` maps the task whose best completion time is smallest,
* ``maxmin`` the task whose best completion time is largest,
* ``sufferage`` the task that would lose most if denied its best device
  (second-best minus best completion time; infinite with one device),

each to its best device. Ties: task order, then device order. Min-Min
favours many short tasks and can starve long ones; Max-Min starts long
tasks first so they overlap with short ones; Sufferage protects the tasks
whose good device is scarce.
"""

from __future__ import annotations

import math
from typing import Sequence

from devices.device import Device
from scheduler.policy import Policy
from scheduler.view import View
from workloads.task import Task


class BatchPolicy(Policy):
    """Maps a frozen ready set completely; subclasses choose the next task by :meth:`key`."""

    def key(self, row: list[float]) -> float:
        """Lower is picked first, given a task's completion times sorted ascending."""
        raise NotImplementedError

    def select(self, ready: Sequence[Task], view: View) -> None:
        devices = view.devices
        pending = list(self.order(ready, view))
        allowed: list[list[Device]] = [[d for d in view.feasible(t) if self.filter(t, d, view)]
                                       for t in pending]
        # finish[k][d] for allowed devices; inf elsewhere.
        finish = []
        for task, ok in zip(pending, allowed):
            row = [math.inf] * len(devices)
            for d in ok:
                row[devices.index(d)] = view.finish_time(task, d)
            finish.append(row)
        while pending:
            best_k, best_key, best_d = None, None, None
            for k, row in enumerate(finish):
                if not allowed[k]:
                    continue
                d = min(range(len(row)), key=lambda j: (row[j], j))
                key = self.key(sorted(row))
                if best_key is None or key < best_key:
                    best_k, best_key, best_d = k, key, d
            if best_k is None:
                return  # the filter refused every device: these tasks wait
            device = devices[best_d]
            view.place(pending[best_k], device)
            del pending[best_k], finish[best_k], allowed[best_k]
            # Only the chosen device's queue changed; inputs of ready tasks are in already.
            for k, task in enumerate(pending):
                if device in allowed[k]:
                    finish[k][best_d] = view.finish_time(task, device)


class MinMin(BatchPolicy):
    name = "minmin"
    description = "batch Min-Min (Blythe et al. 2005): each round, shortest best completion time first"

    def key(self, row: list[float]) -> float:
        return row[0]


class MaxMin(BatchPolicy):
    name = "maxmin"
    description = "batch Max-Min (Blythe et al. 2005): each round, longest best completion time first"

    def key(self, row: list[float]) -> float:
        return -row[0]


class Sufferage(BatchPolicy):
    name = "sufferage"
    description = ("batch Sufferage (Casanova et al. 2000): each round, the task that loses most "
                   "without its best device first")

    def key(self, row: list[float]) -> float:
        second = row[1] if len(row) > 1 else math.inf
        return -(second - row[0]) if second != math.inf else -math.inf
