"""Batch-mode heuristics as static planners: Min-Min, Max-Min and Sufferage.

T. D. Braun et al., "A comparison of eleven static heuristics for mapping a
class of independent tasks onto heterogeneous distributed computing
systems", JPDC 61(6):810-837, 2001 (Min-Min, Max-Min; after Ibarra & Kim,
JACM 24(2), 1977); M. Maheswaran et al., "Dynamic matching and scheduling
of a class of independent tasks onto heterogeneous computing systems",
HCW 1999 (Sufferage; Casanova et al., HCW 2000, for parameter sweeps).
Applied to a DAG as in J. Blythe et al., CCGrid 2005, and in SAGA
(``anrg-saga`` 2.0.2, ``saga.schedulers.minmin`` etc.):

* the *candidates* are the unplanned tasks whose predecessors are all
  planned;
* a candidate's completion time on a device is
  ``max(data ready, device available) + execution time``, where data ready
  is the latest over its predecessors of planned finish plus transfer time
  to that device (0 on the same device), and device available is the
  planned finish of the last task on it: append-only, never in an idle gap.
  A device of several slots takes a task at or after the last planned start
  there, once enough slots are free (as ``heft-append`` and the engine's
  queues do);
* ``minmin`` maps the candidate whose best completion time is smallest to
  that device, ``maxmin`` the one whose best is largest, ``sufferage`` the
  one that loses most if denied its best device (second-best minus best;
  infinite for a task only one device can run).

Min-Min and Max-Min freeze the candidate set and plan all of it before
forming the next one (Braun et al.'s mapping of a meta-task, round by
round). Sufferage re-forms the candidates after every mapping, as SAGA
does: a child becomes a candidate as soon as its last parent is planned.
(Maheswaran et al.'s Sufferage maps a whole pass at once, deferring the
loser when two tasks want the same machine; SAGA's, and ours, map one task
at a time.) Ties: task order, then device order (SAGA iterates frozensets,
so its ties depend on ``PYTHONHASHSEED``).

Vectorised: a completion-time matrix of candidates x devices; after a
mapping only the chosen device's column changes (its available time only
grows), and only rows whose best (or, for Sufferage, second best) device it
was are searched again.
"""

from __future__ import annotations

import math

import numpy as np

from scheduler.policy import Plan, Policy
from scheduler.problem import Problem

RULES = ("minmin", "maxmin", "sufferage")


class _Pool:
    """Candidate rows: data-ready times, execution times, completion times and each
    row's best and second-best device (the second only when ``second`` is set)."""

    def __init__(self, n_devices: int, second: bool, multi: list[int]):
        self.P = n_devices
        self.second = second
        self.multi = multi  # devices of several slots: their start rule needs each row's slot count
        self.size = 0
        cap = 64
        self.task = np.empty(cap, dtype=np.intp)
        self.live = np.zeros(cap, dtype=bool)
        self.ready = np.empty((cap, n_devices))
        self.w = np.empty((cap, n_devices))
        self.ect = np.empty((cap, n_devices))
        self.need = np.ones((cap, len(multi)), dtype=np.intp)
        self.best = np.empty(cap)
        self.best_dev = np.empty(cap, dtype=np.intp)
        self.sec = np.empty(cap)
        self.sec_dev = np.empty(cap, dtype=np.intp)
        self.n_live = 0

    def _grow(self, extra: int) -> None:
        cap = len(self.task)
        if self.size + extra <= cap:
            return
        live = np.flatnonzero(self.live[:self.size])
        if len(live) < self.size // 2:  # mostly dead rows: compact instead of growing
            self._take(live)
            if self.size + extra <= cap:
                return
        new = max(2 * cap, self.size + extra)
        for name in ("task", "live", "ready", "w", "ect", "need", "best", "best_dev", "sec", "sec_dev"):
            old = getattr(self, name)
            arr = np.zeros((new,) + old.shape[1:], dtype=old.dtype)
            arr[:self.size] = old[:self.size]
            setattr(self, name, arr)

    def _take(self, rows: np.ndarray) -> None:
        m = len(rows)
        for name in ("task", "live", "ready", "w", "ect", "need", "best", "best_dev", "sec", "sec_dev"):
            arr = getattr(self, name)
            arr[:m] = arr[rows]
        self.size = m

    def add(self, tasks: list[int], ready: np.ndarray, w: np.ndarray, need: np.ndarray,
            avail: np.ndarray, slot_avail) -> None:
        """Append candidate rows; ``avail`` is each device's start bound for one slot."""
        m = len(tasks)
        self._grow(m)
        s, e = self.size, self.size + m
        self.task[s:e] = tasks
        self.live[s:e] = True
        self.ready[s:e] = ready
        self.w[s:e] = w
        self.need[s:e] = need
        start = np.maximum(ready, avail)
        for c, p in enumerate(self.multi):
            start[:, p] = np.maximum(ready[:, p], slot_avail(p, need[:, c]))
        self.ect[s:e] = start + w
        self.size = e
        self.n_live += m
        self._rank(np.arange(s, e))

    def _rank(self, rows: np.ndarray) -> None:
        """Best (and second-best) completion time and device of ``rows``; ties: device order."""
        if not len(rows):
            return
        block = self.ect[rows]
        d1 = block.argmin(axis=1)
        at = np.arange(len(rows))
        self.best[rows] = block[at, d1]
        self.best_dev[rows] = d1
        if self.second:
            block[at, d1] = math.inf
            d2 = block.argmin(axis=1)
            self.sec[rows] = block[at, d2]
            self.sec_dev[rows] = d2

    def update_column(self, p: int, start_of) -> None:
        """Device ``p``'s available time grew: recompute its column, re-rank the rows it affects."""
        n = self.size
        c = self.multi.index(p) if p in self.multi else -1
        bound = start_of(p, None if c < 0 else self.need[:n, c])
        col = np.maximum(self.ready[:n, p], bound) + self.w[:n, p]
        self.ect[:n, p] = col
        hit = self.best_dev[:n] == p
        if self.second:
            hit |= self.sec_dev[:n] == p
        self._rank(np.flatnonzero(hit & self.live[:n]))

    def pick(self, rule: str) -> int:
        """The row to map next under ``rule``; ties: task order."""
        n = self.size
        live = self.live[:n]
        if rule == "minmin":
            key = np.where(live, self.best[:n], math.inf)
        elif rule == "maxmin":
            key = np.where(live, -self.best[:n], math.inf)
        else:
            with np.errstate(invalid="ignore"):
                key = np.where(live, -(self.sec[:n] - self.best[:n]), math.inf)
            key[live & (self.sec[:n] == math.inf)] = -math.inf  # one device can run it: it suffers most
        k = int(np.argmin(key))
        ties = np.flatnonzero(key == key[k])
        if len(ties) > 1:
            k = int(ties[np.argmin(self.task[ties])])
        return k

    def drop(self, k: int) -> None:
        self.live[k] = False
        self.best_dev[k] = self.sec_dev[k] = -1
        self.n_live -= 1


def batch_plan(problem: Problem, rule: str) -> Plan:
    """The ``rule`` (``minmin``, ``maxmin`` or ``sufferage``) schedule of ``problem``."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}")
    devices, tasks = problem.devices, problem.tasks
    P, n = len(devices), len(tasks)
    columns, column_of = problem.exec_columns
    preds, succs = problem.preds, problem.succs
    comm_times_from = problem.comm_times_from
    multi = [p for p, d in enumerate(devices) if d.slots > 1]
    #: Per device: the planned finish of its last task (its one-slot start bound), the
    #: last planned start, and (several slots) the sorted times each slot frees up.
    last_finish = np.zeros(P)
    last_start = np.zeros(P)
    slot_free = {p: np.zeros(devices[p].slots) for p in multi}

    def slot_avail(p: int, need: np.ndarray) -> np.ndarray:
        free = slot_free[p]
        return np.maximum(last_start[p], free[np.clip(need, 1, len(free)) - 1])

    def start_bound(p: int, need: np.ndarray | None) -> np.ndarray | float:
        return last_finish[p] if need is None else slot_avail(p, need)

    pool = _Pool(P, rule == "sufferage", multi)
    device_of = np.full(n, -1, dtype=np.intp)
    finish = np.zeros(n)
    waiting = [len(p) for p in preds]
    plan = Plan(device={})

    def add(new: list[int]) -> None:
        new.sort()
        ready = np.zeros((len(new), P))
        for r, i in enumerate(new):
            row = ready[r]
            for u in preds[i]:
                np.maximum(row, finish[u] + comm_times_from(u, i, int(device_of[u])), out=row)
        w = columns[new][:, column_of]
        need = np.ones((len(new), len(multi)), dtype=np.intp)
        for c, p in enumerate(multi):
            need[:, c] = [devices[p].slots_needed(tasks[i]) for i in new]
        # One-slot start bound: every device's last planned finish (multi-slot ones are redone).
        pool.add(new, ready, w, need, last_finish, slot_avail)

    frontier = [i for i in range(n) if not preds[i]]
    while frontier or pool.n_live:
        if frontier and (rule == "sufferage" or not pool.n_live):
            add(frontier)
            frontier = []
        k = pool.pick(rule)
        i, p = int(pool.task[k]), int(pool.best_dev[k])
        w = float(pool.w[k, p])
        c = multi.index(p) if p in multi else -1
        bound = float(last_finish[p] if c < 0 else slot_avail(p, pool.need[k:k + 1, c])[0])
        start = max(float(pool.ready[k, p]), bound)
        end = start + w
        pool.drop(k)
        if c < 0:
            last_finish[p] = end
        else:
            need = int(pool.need[k, c])
            slot_free[p] = np.sort(np.concatenate((slot_free[p][need:], np.full(need, end))))
            last_finish[p] = max(last_finish[p], end)
        last_start[p] = start
        device_of[i], finish[i] = p, end
        task_id = tasks[i].id
        plan.device[task_id] = devices[p].name
        plan.start[task_id] = start
        plan.finish[task_id] = end
        pool.update_column(p, start_bound)
        for j in succs[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                frontier.append(j)
    return plan


class MinMin(Policy):
    name = "minmin"
    description = ("Min-Min (Braun et al. 2001; on DAGs as SAGA, Blythe et al. 2005): static rounds, "
                   "smallest best completion time first")

    def plan(self, problem: Problem) -> Plan:
        return batch_plan(problem, "minmin")


class MaxMin(Policy):
    name = "maxmin"
    description = ("Max-Min (Braun et al. 2001; on DAGs as SAGA, Blythe et al. 2005): static rounds, "
                   "largest best completion time first")

    def plan(self, problem: Problem) -> Plan:
        return batch_plan(problem, "maxmin")


class Sufferage(Policy):
    name = "sufferage"
    description = ("Sufferage (Maheswaran et al. 1999; on DAGs as SAGA): static, candidates re-formed "
                   "after each mapping, largest second-best minus best first")

    def plan(self, problem: Problem) -> Plan:
        return batch_plan(problem, "sufferage")
