"""CPOP: Critical Path On a Processor.

H. Topcuoglu, S. Hariri and M.-Y. Wu, "Performance-effective and
low-complexity task scheduling for heterogeneous computing", IEEE TPDS
13(3):260-274, 2002, section 4.2 and Fig. 5.

Each task's priority is ``rank_u + rank_d`` (eqs. 4 and 5, mean computation
and mean communication costs). The critical path (CP) starts at the entry
task of highest priority, ``|CP|``, and follows, from each CP task, its
successor of priority ``|CP|``. The *critical-path processor* is the device
that minimises the summed execution time of the CP tasks. Tasks are then
taken from a ready list by decreasing priority: a CP task goes to the
critical-path processor, any other task to the device of earliest finish
time, both with insertion into idle gaps. Ties: task order for equal
priorities, device order for equal finish times.

Beyond the paper (which assumes one device can run every task): a CP task
that the critical-path processor cannot run is placed by earliest finish
time; the critical-path processor is the device that can run the most CP
tasks, then the one of least summed time.
"""

from __future__ import annotations

import math

import numpy as np

from scheduler.policies.heft import priority_order, upward_rank
from scheduler.policies.planner import PlanBuilder, tidy
from scheduler.policy import Plan, Policy
from scheduler.problem import Problem


def downward_rank(problem: Problem) -> np.ndarray:
    """``rank_d`` of every task (Topcuoglu et al. 2002, eq. 5): the longest
    mean-cost path from an entry task to it, its own cost excluded."""
    mean_w = problem.mean_exec_times
    rank = np.zeros(len(problem.tasks))
    for i in problem.topological_order():
        best = 0.0
        for u in problem.preds[i]:
            value = rank[u] + mean_w[u] + problem.mean_comm_time(u, i)
            if value > best:
                best = value
        rank[i] = best
    return rank


def critical_path(problem: Problem, priority: np.ndarray) -> list[int]:
    """Task indices on the critical path, entry to exit (ties: task order)."""
    entries = [i for i, preds in enumerate(problem.preds) if not preds]
    current = max(entries, key=lambda i: (priority[i], -i))
    path = [current]
    while problem.succs[current]:
        # On the CP every task has priority |CP|, the highest of all; so the
        # successor of highest priority continues it.
        current = max(problem.succs[current], key=lambda j: (priority[j], -j))
        path.append(current)
    return path


def critical_path_processor(problem: Problem, path: list[int]) -> int:
    """The device that runs the most CP tasks, then in the least summed time."""
    times = problem.exec_times[path]
    runnable = np.isfinite(times)
    total = np.where(runnable, times, 0.0).sum(axis=0)
    return min(range(len(problem.devices)), key=lambda p: (-int(runnable[:, p].sum()), total[p], p))


def cpop(problem: Problem) -> Plan:
    """The CPOP schedule of ``problem``."""
    priority = tidy(upward_rank(problem) + downward_rank(problem))
    path = critical_path(problem, priority)
    on_path = set(path)
    cp_device = critical_path_processor(problem, path)
    builder = PlanBuilder(problem)
    for i in priority_order(problem, priority):
        if i in on_path and problem.exec_times[i, cp_device] != math.inf:
            builder.place(i, builder.option(i, cp_device))
        else:
            builder.place(i, builder.earliest(i))
    return builder.plan


class CPOP(Policy):
    name = "cpop"
    description = ("CPOP (Topcuoglu et al. 2002): critical path on its best processor, "
                   "other tasks by earliest finish time")

    def plan(self, problem: Problem) -> Plan:
        return cpop(problem)
