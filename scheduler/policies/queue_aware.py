"""Queue-aware earliest finish time: greedy EFT that counts the wait for a QPU.

hybridsched's own policy (no paper defines it): MCT/greedy EFT (Braun et al.,
JPDC 61(6), 2001) places each ready task where it finishes first, but a
view's finish time ignores the queue a cloud QPU's job meets. This variant
scores a device by ``finish_time + expected_wait``
(:meth:`scheduler.view.View.expected_wait`: the queue ahead of the job now, 0
inside an active session or batch of the task's group), so it weighs "wait
for the QPU" against "simulate on the GPU" as the queue grows and shrinks.
"""

from __future__ import annotations

from scheduler.policy import Policy


class QueueAwareEFT(Policy):
    name = "queue-aware-eft"
    description = "dynamic: each ready task to the device where it finishes first, counting the QPU queue's expected wait"

    def score(self, task, device, view):
        return view.finish_time(task, device) + view.expected_wait(task, device)
