"""Batch-mode heuristics decided at run time: ``minmin-online``,
``maxmin-online`` and ``sufferage-online``.

The rules of Braun et al., JPDC 61(6), 2001 (Min-Min, Max-Min, after
Ibarra & Kim, JACM 24(2), 1977) and of Maheswaran et al., HCW 1999
(Sufferage; Casanova, Legrand, Zagorodnov & Berman, HCW 2000, for
parameter sweeps). The static planners of
:mod:`scheduler.policies.batch` (``minmin``, ``maxmin``, ``sufferage``) are
the textbook forms (Blythe et al., CCGrid 2005; SAGA); these are run-time
variants of them, and give other schedules: the right choice when times
are uncertain or devices fail, since they decide from what has actually
happened.

A *round* happens whenever tasks are ready (their predecessors have
*finished*, not merely been planned; with real-valued times a round is
usually the one or two children of the task that just finished, so the
three rules often agree with MCT): the ready set is frozen, and
every task in it is mapped before the round ends, one at a time. Each step
computes every unmapped task's completion time on every device, counting
what was mapped before it (append-only: a task starts after the work
already placed on its device, never in a gap), then

* ``minmin-online`` maps the task whose best completion time is smallest,
* ``maxmin-online`` the task whose best completion time is largest,
* ``sufferage-online`` the task that would lose most if denied its best device
  (second-best minus best completion time; infinite with one device),

each to its best device. Ties: task order, then device order. Min-Min
favours many short tasks and can starve long ones; Max-Min starts long
tasks first so they overlap with short ones; Sufferage protects the tasks
whose good device is scarce.

Transfers: a predecessor's output starts to move when its consumer is
placed, i.e. at the round's instant, not at the predecessor's finish
(:meth:`scheduler.view.View.data_ready`): the consumer's device is not known
earlier. So completion times count ``now + transfer`` where a planner counts
``producer finish + transfer``, and an on-line heuristic cannot reproduce a
planned (textbook) value even on a fault-free run.
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


class MinMinOnline(BatchPolicy):
    name = "minmin-online"
    description = ("run-time Min-Min (Braun et al. 2001's rule): rounds of the tasks ready now "
                   "(predecessors finished), smallest best completion time first")

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        return ranked[:, 0]


class MaxMinOnline(BatchPolicy):
    name = "maxmin-online"
    description = ("run-time Max-Min (Braun et al. 2001's rule): rounds of the tasks ready now "
                   "(predecessors finished), largest best completion time first")

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        return -ranked[:, 0]


class SufferageOnline(BatchPolicy):
    name = "sufferage-online"
    description = ("run-time Sufferage (Maheswaran et al. 1999's rule): rounds of the tasks ready "
                   "now, the task that loses most without its best device first")

    def keys(self, ranked: np.ndarray) -> np.ndarray:
        if ranked.shape[1] < 2:
            return np.full(len(ranked), -math.inf)
        with np.errstate(invalid="ignore"):  # inf - inf on rows of refused tasks, masked by the caller
            return -(ranked[:, 1] - ranked[:, 0])  # -inf with a single device: it suffers most
