"""A static schedule under construction, shared by the list schedulers.

:class:`PlanBuilder` holds what list scheduling needs while tasks are placed
one at a time: an insertion timeline per device (:mod:`scheduler.timeline`),
each placed task's device and finish, and the :class:`~scheduler.policy.Plan`
being filled in. A list scheduler (CPOP, PEFT, the energy- and
deadline-aware variants) orders the tasks, asks :meth:`PlanBuilder.options`
where each could go and :meth:`PlanBuilder.place` s it; only the choice
differs between them. Ties between devices go to the earlier one.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from scheduler.policy import Plan
from scheduler.problem import Problem
from scheduler.timeline import GAP_CLASSES, Timeline


class Option(NamedTuple):
    """Device ``device`` (index) could run the task from ``start`` to ``finish``."""

    finish: float
    start: float
    device: int


class PlanBuilder:
    """Devices' timelines and the partial plan; ``insertion`` allows idle-gap insertion."""

    def __init__(self, problem: Problem, *, insertion: bool = True):
        self.problem = problem
        self.times = problem.exec_times
        self.insertion = insertion
        self.timelines = [Timeline(d.slots) for d in problem.devices]
        #: Each timeline's latest planned finish.
        self.ends = np.zeros(len(problem.devices))
        #: Per device: each duration class's latest fitting-gap end (Timeline.gap_ends) and
        #: the last planned finish, so that a task that can only be appended is known exactly.
        self.gap_ends = np.stack([t.gap_ends for t in self.timelines])
        self.last = np.zeros(len(problem.devices))
        n = len(problem.tasks)
        #: Device index of each placed task, -1 while unplaced.
        self.device_of = [-1] * n
        self.finish = [0.0] * n
        self.plan = Plan(device={})

    def data_ready(self, i: int) -> np.ndarray:
        """When all of task ``i``'s inputs would be on each device (predecessors placed)."""
        problem = self.problem
        ready = np.zeros(len(problem.devices))
        for u in problem.preds[i]:
            np.maximum(ready, self.finish[u] + problem.comm_times_from(u, i, self.device_of[u]), out=ready)
        return ready

    def option(self, i: int, p: int, ready: np.ndarray | None = None) -> Option | None:
        """Earliest start and finish of task ``i`` on device ``p``; None if it cannot run there."""
        w = float(self.times[i, p])
        if w == math.inf:
            return None
        r = float((self.data_ready(i) if ready is None else ready)[p])
        timeline = self.timelines[p]
        if r >= timeline.end:  # nothing planned after r: no gap to search
            start = r
        else:
            need = self.problem.devices[p].slots_needed(self.problem.tasks[i])
            start = timeline.earliest_start(r, w, need, self.insertion)
        return Option(float(start + w), float(start), p)

    def options(self, i: int, upto: float = math.inf) -> list[Option]:
        """Every device that can run task ``i`` and finish it by ``upto``, in platform order."""
        ready = self.data_ready(i)
        # A task finishes no earlier than its data is ready plus its time: skip the
        # insertion search on devices that cannot make ``upto`` even so.
        lower = self._lower(ready, self.times[i])
        found = []
        for p in np.flatnonzero(np.isfinite(lower) & (lower <= upto)).tolist():
            opt = self.option(i, p, ready)
            if opt.finish <= upto:
                found.append(opt)
        return found

    def _lower(self, ready: np.ndarray, w: np.ndarray) -> np.ndarray:
        """A lower bound of each device's finish time: data ready plus execution
        time, or the exact append finish where no idle gap can hold the task."""
        lower = ready + w
        if self.insertion:
            appended = self.gap_ends[np.arange(len(w)), np.searchsorted(GAP_CLASSES, w, side="right") - 1] < lower
            lower = np.where(appended, np.maximum(ready, self.last) + w, lower)
        return lower

    def earliest(self, i: int, bias: np.ndarray | None = None) -> Option:
        """The option of least ``finish + bias[device]`` (default: earliest finish); ties: earlier device.

        Searches only devices that could beat the best bound: a task starts no
        earlier than its data is ready and no later than the device's last
        planned finish, so the result is the same as trying every device.
        """
        ready = self.data_ready(i)
        w = self.times[i]
        extra = np.zeros(len(w)) if bias is None else bias
        bound = (np.maximum(ready, self.ends) + w + extra).min()
        best, best_key = None, None
        for p in np.flatnonzero(self._lower(ready, w) + extra <= bound).tolist():
            opt = self.option(i, p, ready)
            key = opt.finish + float(extra[p])
            if best is None or key < best_key:
                best, best_key = opt, key
        return best

    def place(self, i: int, opt: Option) -> None:
        """Put task ``i`` on ``opt.device`` from ``opt.start`` to ``opt.finish``."""
        p = opt.device
        task = self.problem.tasks[i]
        device = self.problem.devices[p]
        self.timelines[p].add(opt.start, opt.finish, device.slots_needed(task))
        self.ends[p] = self.timelines[p].end
        if device.slots == 1:
            self.gap_ends[p] = self.timelines[p].gap_ends
            self.last[p] = self.timelines[p].finishes[-1]
        self.device_of[i], self.finish[i] = p, opt.finish
        self.plan.device[task.id] = device.name
        self.plan.start[task.id] = opt.start
        self.plan.finish[task.id] = opt.finish


def tidy(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to 12 significant digits.

    Ranks are sums of means; two ranks that are equal on paper can differ in
    the last bit, which would break the tie rule (task order) at random.
    """
    out = np.array(values, dtype=float)
    finite = np.isfinite(out) & (out != 0)
    digits = 11 - np.floor(np.log10(np.abs(out[finite])))
    out[finite] = [round(float(v), int(d)) for v, d in zip(out[finite], digits)]
    return out
