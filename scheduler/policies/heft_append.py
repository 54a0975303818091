"""HEFT without insertion: each task starts after the last task already
planned on its device (Topcuoglu et al. 2002, with the non-insertion EFT
that section 4.1 contrasts with the insertion-based policy).

Same upward-rank order and earliest-finish-time choice as
:mod:`scheduler.policies.heft`; only idle gaps are never filled. Cheaper to
compute and closer to what an on-line queue does; it leaves the idle gaps
that HEFT fills, so its makespan is usually (not always: both are greedy)
at least HEFT's.
"""

from __future__ import annotations

from scheduler.policies.heft import heft
from scheduler.policy import Plan, Policy
from scheduler.problem import Problem


class HEFTAppend(Policy):
    name = "heft-append"
    description = "HEFT with append-only (non-insertion) earliest finish time"

    def plan(self, problem: Problem) -> Plan:
        return heft(problem, insertion=False)
