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

import numpy as np

from scheduler.policy import Policy
from scheduler.view import View
from workloads.task import Task


class BatchPolicy(Policy):
    """Maps a frozen ready set completely; subclasses choose the next task by :meth:`keys`."""

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        """Per task, lower is mapped first, given its completion times sorted ascending (one row each)."""
        raise NotImplementedError

    def select(self, ready: Sequence[Task], view: View) -> None:
        devices = view.devices
        column = {id(d): j for j, d in enumerate(devices)}
        pending = list(self.order(ready, view))
        allowed = np.zeros((len(pending), len(devices)), dtype=bool)
        finish = np.full((len(pending), len(devices)), math.inf)
        for k, task in enumerate(pending):
            for d in view.feasible(task):
                if self.filter(task, d, view):
                    j = column[id(d)]
                    allowed[k, j] = True
                    finish[k, j] = view.finish_time(task, d)
        live = allowed.any(axis=1)  # a task the filter refuses everywhere waits
        while live.any():
            keys = np.where(live, self.keys(np.sort(finish, axis=1)), math.inf)
            k = int(np.argmin(keys))  # first of equals: task order
            if not live[k]:  # every live key is +inf
                k = int(np.flatnonzero(live)[0])
            j = int(np.argmin(finish[k]))  # first of equals: device order
            view.place(pending[k], devices[j])
            live[k] = False
            finish[k] = math.inf
            # Only device j's queue changed; the inputs of ready tasks are in already.
            for m in np.flatnonzero(live & allowed[:, j]).tolist():
                finish[m, j] = view.finish_time(pending[m], devices[j])


class MinMin(BatchPolicy):
    name = "minmin"
    description = "batch Min-Min (Blythe et al. 2005): each round, shortest best completion time first"

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        return ranked[:, 0]


class MaxMin(BatchPolicy):
    name = "maxmin"
    description = "batch Max-Min (Blythe et al. 2005): each round, longest best completion time first"

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        return -ranked[:, 0]


class Sufferage(BatchPolicy):
    name = "sufferage"
    description = ("batch Sufferage (Casanova et al. 2000): each round, the task that loses most "
                   "without its best device first")

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        if ranked.shape[1] < 2:
            return np.full(len(ranked), -math.inf)
        with np.errstate(invalid="ignore"):  # inf - inf on rows of refused tasks, masked by the caller
            return -(ranked[:, 1] - ranked[:, 0])  # -inf with a single device: it suffers most
