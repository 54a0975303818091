"""Dynamic earliest finish time: place each ready task, as it becomes ready,
on the device where it would finish first.

The on-line counterpart of HEFT's processor selection, known as MCT
(minimum completion time) in Braun et al., "A comparison of eleven static
heuristics for mapping a class of independent tasks onto heterogeneous
distributed computing systems", JPDC 61(6), 2001. Ready tasks are placed in
workflow order; it needs no look-ahead, so it adapts to what actually ran.
"""

from __future__ import annotations

from scheduler.policy import Policy


class GreedyEFT(Policy):
    name = "greedy-eft"
    description = "dynamic: each ready task, in workflow order, to the device where it finishes first"
    # Policy's default order/filter/score hooks are exactly this policy.
