"""PEFT: Predict Earliest Finish Time.

H. Arabnejad and J. G. Barbosa, "List scheduling algorithm for
heterogeneous systems by an optimistic cost table", IEEE TPDS
25(3):682-694, 2014 (doi:10.1109/TPDS.2013.57).

The optimistic cost table (OCT, eq. 6) holds, for task ``t`` on device
``p``, the longest of the shortest paths from ``t``'s children to the exit,
each child on its best device, when ``t`` runs on ``p``::

    OCT(t, p) = max over children c of  min over devices q of
                OCT(c, q) + w(c, q) + (mean comm(t, c) if q != p else 0)

``rank_oct(t)`` is the mean of ``t``'s row over the devices that can run
it. Tasks are taken from a ready list by decreasing ``rank_oct`` (a child
can outrank its parent; the ready list keeps the order topological), and
each goes to the device minimising ``EFT + OCT`` (the *optimistic EFT*,
eq. 8), EFT with insertion into idle gaps as in HEFT. Ties: task order for
equal ranks, device order for equal optimistic EFTs.
"""

from __future__ import annotations

import numpy as np

from scheduler.policies.heft import priority_order
from scheduler.policies.planner import PlanBuilder, tidy
from scheduler.policy import Plan, Policy
from scheduler.problem import Problem


def optimistic_cost_table(problem: Problem) -> np.ndarray:
    """``OCT[t, p]`` for every task and device (Arabnejad & Barbosa 2014, eq. 6).

    Rows of devices that cannot run the task are filled in too (they are
    never used).
    """
    w = problem.exec_times
    oct_ = np.zeros(w.shape)
    for t in reversed(problem.topological_order()):
        row = np.zeros(w.shape[1])
        for c in problem.succs[t]:
            via = oct_[c] + w[c]  # inf on devices that cannot run c
            # min over q: staying on p costs no transfer; moving pays the mean once.
            best = np.minimum(via, via.min() + problem.mean_comm_time(t, c))
            row = np.maximum(row, best)
        oct_[t] = row
    return oct_


def oct_rank(problem: Problem, table: np.ndarray) -> np.ndarray:
    """``rank_oct``: each task's mean OCT over the devices that can run it (eq. 7)."""
    runnable = np.isfinite(problem.exec_times)
    return np.where(runnable, table, 0.0).sum(axis=1) / runnable.sum(axis=1)


def peft(problem: Problem) -> Plan:
    """The PEFT schedule of ``problem``."""
    table = optimistic_cost_table(problem)
    builder = PlanBuilder(problem)
    for i in priority_order(problem, tidy(oct_rank(problem, table))):
        builder.place(i, builder.earliest(i, bias=table[i]))  # least EFT + OCT
    return builder.plan


class PEFT(Policy):
    name = "peft"
    description = "PEFT (Arabnejad & Barbosa 2014): optimistic cost table rank, minimum EFT + OCT"

    def plan(self, problem: Problem) -> Plan:
        return peft(problem)
