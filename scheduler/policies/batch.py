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

from scheduler.policies.heft import ready_row, uniform_link
from scheduler.policy import Plan, Policy
from scheduler.problem import Problem

RULES = ("minmin", "maxmin", "sufferage")
_AT = np.arange(4096)


class _Pool:
    """Candidate rows: data-ready, execution and completion times on every device,
    each row's best and (Sufferage) second-best device, and its selection key.

    Times are stored device-major (``ect[p, row]``) so that the column update
    after each mapping, the hot loop, reads contiguous memory.
    """

    _ARRAYS = ("task", "key", "best", "best_dev", "sec", "sec_dev")
    _MATRICES = ("ready", "w", "ect", "need")

    def __init__(self, n_devices: int, rule: str, multi: list[int]):
        self.rule = rule
        self.second = rule == "sufferage"
        self.multi = multi  # devices of several slots: their start rule needs each row's slot count
        self.size = self.n_live = 0
        cap = 64
        self.task = np.zeros(cap, dtype=np.intp)
        #: Lower is mapped first; +inf on rows already mapped.
        self.key = np.full(cap, math.inf)
        self.best = np.zeros(cap)
        self.best_dev = np.full(cap, -1, dtype=np.intp)
        self.sec = np.zeros(cap)
        self.sec_dev = np.full(cap, -1, dtype=np.intp)
        self.ready = np.zeros((n_devices, cap))
        self.w = np.zeros((n_devices, cap))
        self.ect = np.zeros((n_devices, cap))
        self.need = np.ones((len(multi), cap), dtype=np.intp)

    def _reserve(self, extra: int) -> None:
        cap = len(self.task)
        if self.size + extra <= cap:
            return
        live = np.flatnonzero(self.key[:self.size] < math.inf)
        if len(live) <= self.size // 2:  # mostly mapped rows: compact rather than grow
            for name in self._ARRAYS:
                arr = getattr(self, name)
                arr[:len(live)] = arr[live]
            for name in self._MATRICES:
                arr = getattr(self, name)
                arr[:, :len(live)] = arr[:, live]
            self.size = len(live)
            self.key[self.size:] = math.inf
            self.best_dev[self.size:] = self.sec_dev[self.size:] = -1
            if self.size + extra <= cap:
                return
        new = max(2 * cap, self.size + extra)
        for name in self._ARRAYS:
            old = getattr(self, name)
            fill = math.inf if name == "key" else (-1 if name.endswith("_dev") else 0)
            arr = np.full(new, fill, dtype=old.dtype)
            arr[:self.size] = old[:self.size]
            setattr(self, name, arr)
        for name in self._MATRICES:
            old = getattr(self, name)
            arr = np.ones((old.shape[0], new), dtype=old.dtype)
            arr[:, :self.size] = old[:, :self.size]
            setattr(self, name, arr)

    def append(self, tasks: list[int]) -> slice:
        """Room for candidate rows of ``tasks``; the caller fills ``ready``, ``w`` and
        ``need`` in the returned columns, then calls :meth:`complete`."""
        m = len(tasks)
        self._reserve(m)
        rows = slice(self.size, self.size + m)
        self.task[rows] = tasks
        self.size += m
        self.n_live += m
        return rows

    def complete(self, rows: slice, last_finish: np.ndarray, slot_avail, rank: bool = True) -> None:
        """Completion times (and, with ``rank``, ranks) of the rows just filled in."""
        ready, ect = self.ready[:, rows], self.ect[:, rows]
        np.maximum(ready, last_finish[:, None], out=ect)
        for c, p in enumerate(self.multi):
            ect[p] = np.maximum(ready[p], slot_avail(p, self.need[c, rows]))
        ect += self.w[:, rows]
        if rank:
            self._rank(rows)

    def _rank(self, rows: np.ndarray | slice) -> None:
        """Best (and second-best) completion time, device and key of ``rows``; ties: device order."""
        block = self.ect[:, rows]
        count = block.shape[1]
        if not count:
            return
        d1 = block.argmin(axis=0)
        at = _AT[:count] if count <= len(_AT) else np.arange(count)
        best = block[d1, at]
        self.best[rows] = best
        self.best_dev[rows] = d1
        if self.rule == "minmin":
            self.key[rows] = best
        elif self.rule == "maxmin":
            self.key[rows] = -best
        else:
            if isinstance(rows, slice):
                block = block.copy()  # a view of the table: keep the table intact
            block[d1, at] = math.inf
            d2 = block.argmin(axis=0)
            sec = block[d2, at]
            self.sec[rows] = sec
            self.sec_dev[rows] = d2
            # Second best minus best, negated; -inf where only one device can run the task.
            self.key[rows] = np.where(sec == math.inf, -math.inf, best - sec)

    def update_column(self, p: int, last_finish: float, slot_avail, also: slice | None = None) -> None:
        """Device ``p``'s start bound grew: recompute its column, re-rank the rows it
        affects and the rows ``also`` (just added, not ranked yet).

        Completion times only grow, so a row whose best (and second best) device
        is another keeps them.
        """
        n = self.size
        if p in self.multi:
            bound = slot_avail(p, self.need[self.multi.index(p), :n])
        else:
            bound = last_finish
        col = self.ect[p, :n]
        np.maximum(self.ready[p, :n], bound, out=col)
        col += self.w[p, :n]
        hit = self.best_dev[:n] == p
        if self.second:
            hit |= self.sec_dev[:n] == p
        if also is not None:
            hit[also] = True
        self._rank(hit.nonzero()[0])

    def pick(self) -> int:
        """The row to map next: least key, ties by task order."""
        key = self.key[:self.size]
        k = int(key.argmin())
        if self.rule == "sufferage":  # rows are not in task order once children join
            ties = (key == key[k]).nonzero()[0]
            if len(ties) > 1:
                k = int(ties[self.task[ties].argmin()])
        return k  # Min-Min, Max-Min: a frozen set, added in task order, so the first is the earliest

    def drop(self, k: int) -> None:
        self.key[k] = math.inf
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

    pool = _Pool(P, rule, multi)
    #: Each planned task's device and finish (plain numbers: ready_row reads them one by one).
    device_of, finish = [-1] * n, [0.0] * n
    # ready_row builds a data-ready row from scalars where every input edge has one
    # transfer time (HEFT's rows, the same values); the link model needs a row per edge.
    out, ids, uniform = problem.out_edges, problem._ids, uniform_link(problem)
    waiting = [len(p) for p in preds]
    plan = Plan(device={})

    def add(new: list[int], rank: bool = True) -> slice:
        new.sort()
        rows = pool.append(new)
        ready = pool.ready[:, rows]  # devices x new rows, filled in place
        ready.fill(0.0)
        for r, i in enumerate(new):
            row = ready_row(i, preds[i], finish, device_of, out, ids, P, uniform)
            if row is not None:
                ready[:, r] = row
                continue
            col = ready[:, r]
            for u in preds[i]:
                np.maximum(col, finish[u] + comm_times_from(u, i, device_of[u]), out=col)
        pool.w[:, rows] = columns[new][:, column_of].T
        for c, p in enumerate(multi):
            pool.need[c, rows] = [devices[p].slots_needed(tasks[i]) for i in new]
        pool.complete(rows, last_finish, slot_avail, rank)
        return rows

    add([i for i in range(n) if not preds[i]])
    frontier: list[int] = []  # Min-Min, Max-Min: the next set, formed while this one is planned
    while pool.n_live:
        k = pool.pick()
        i, p = int(pool.task[k]), int(pool.best_dev[k])
        w = float(pool.w[p, k])
        c = multi.index(p) if p in multi else -1
        bound = float(last_finish[p] if c < 0 else slot_avail(p, pool.need[c, k:k + 1])[0])
        start = max(float(pool.ready[p, k]), bound)
        end = start + w
        pool.drop(k)
        if c < 0:
            last_finish[p] = end
        else:
            need = int(pool.need[c, k])
            slot_free[p] = np.sort(np.concatenate((slot_free[p][need:], np.full(need, end))))
            last_finish[p] = max(last_finish[p], end)
        last_start[p] = start
        device_of[i], finish[i] = p, end
        task_id = tasks[i].id
        plan.device[task_id] = devices[p].name
        plan.start[task_id] = start
        plan.finish[task_id] = end
        new = []
        for j in succs[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                new.append(j)
        if rule == "sufferage":  # re-formed now: the children join, ranked with the column update
            pool.update_column(p, float(last_finish[p]), slot_avail, add(new, rank=False) if new else None)
        else:
            pool.update_column(p, float(last_finish[p]), slot_avail)
            frontier += new
            if not pool.n_live and frontier:
                add(frontier)
                frontier = []
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
