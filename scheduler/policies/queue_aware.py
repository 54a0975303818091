"""Queue-aware earliest finish time: greedy EFT that counts the wait for a QPU.

hybridsched's own policy (no paper defines it): MCT/greedy EFT (Braun et al.,
JPDC 61(6), 2001) places each ready task where it finishes first, but a
view's finish time ignores the queue a cloud QPU's job meets. This variant
scores a device by ``finish_time + expected_wait``
(:meth:`scheduler.view.View.expected_wait`: the queue ahead of the job now, 0
inside an active session or batch of the task's group), so it weighs "wait
for the QPU" against "simulate on the GPU" as the queue grows and shrinks.

A session or batch queues once for all its jobs, so the wait that opens it
is shared out: divided by the group's jobs still to run
(:meth:`~scheduler.view.View.group_pending`). For a chain of ``k`` jobs (a
VQE's iterations) that compares ``k * qpu + wait`` with ``k * simulation``,
the makespans of the two choices. It is still greedy: one task at a time,
with the queue as it is now.
"""

from __future__ import annotations

from scheduler.policy import Policy


class QueueAwareEFT(Policy):
    name = "queue-aware-eft"
    description = "dynamic: each ready task to the device where it finishes first, counting the QPU queue's expected wait"

    def score(self, task, device, view):
        wait = view.expected_wait(task, device)
        if wait > 0:
            wait /= view.group_pending(task)
        return view.finish_time(task, device) + wait
