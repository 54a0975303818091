"""What a dynamic policy sees when it places ready tasks.

Estimates here are exact for the engine's rules: a device runs its tasks in
the order they were placed, each as soon as its inputs are in and it has
the slots. So ``finish_time(task, device)`` is when the task will finish if
placed there now, given everything already placed.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from devices.device import Device
from scheduler.policy import PolicyError
from scheduler.problem import unrunnable_reason
from workloads.errors import InputError
from workloads.task import Task

if TYPE_CHECKING:
    from scheduler.engine import Engine


class View:
    """The engine's state, read-only but for :meth:`place`."""

    def __init__(self, engine: "Engine"):
        self._engine = engine
        self.workflow = engine.workflow
        self.platform = engine.platform
        self.problem = engine.problem
        self._index = engine.workflow.index
        self._device_index = engine.device_index
        #: Per device: the times its slots free up, sorted (estimates of bound work).
        self._slot_free: list[list[float]] = [[0.0] * d.slots for d in engine.devices]
        #: Per device: the start of the last task placed there (devices run in placement order).
        self._last_start = [0.0] * len(engine.devices)
        self._feasible: dict[int, list[Device]] = {}
        self._placed: list[int] = []
        self._placed_set: set[int] = set()

    @property
    def now(self) -> float:
        return self._engine.env.now

    @property
    def devices(self) -> list[Device]:
        return self._engine.devices

    def feasible(self, task: Task) -> list[Device]:
        """Devices that can run ``task``, in platform order. InputError if none can."""
        i = self._index[task.id]
        found = self._feasible.get(i)
        if found is None:
            found = [d for d in self._engine.devices if d.check(task) is None]
            if not found:
                raise InputError(unrunnable_reason(task, self._engine.devices),
                                 source=self.workflow.source, item=f"task {task.id!r}")
            self._feasible[i] = found
        return found

    def exec_time(self, task: Task, device: Device) -> float:
        return device.exec_time(task)

    def device_of(self, task_id: str) -> Device | None:
        """The device a task was placed on, or None."""
        p = self._engine.bound[self._index[task_id]]
        return None if p < 0 else self._engine.devices[p]

    def data_ready(self, task: Task, device: Device) -> float:
        """When all of ``task``'s inputs would be on ``device`` (its predecessors have finished).

        Each input starts to move when the task is placed, so this is ``now`` plus the
        slowest transfer: an output was not staged toward a device not yet chosen.
        """
        eng = self._engine
        i = self._index[task.id]
        p = self._device_index[device.name]
        ready = eng.env.now
        for u in eng.preds[i]:
            arrive = eng.env.now + eng.problem.comm_time(u, i, eng.bound[u], p)
            if arrive > ready:
                ready = arrive
        return ready

    def available_at(self, task: Task, device: Device) -> float:
        """When ``device`` could start ``task`` after the work already placed on it."""
        p = self._device_index[device.name]
        need = device.slots_needed(task)
        slots = self._slot_free[p]
        return max(self.now, self._last_start[p], slots[need - 1])

    def start_time(self, task: Task, device: Device) -> float:
        return max(self.data_ready(task, device), self.available_at(task, device))

    def finish_time(self, task: Task, device: Device) -> float:
        """When ``task`` would finish if placed on ``device`` now."""
        return self.start_time(task, device) + device.exec_time(task)

    def expected_wait(self, task: Task, device: Device) -> float:
        """Seconds a job of ``task`` placed on ``device`` now is expected to wait in the QPU's
        queue before it runs: 0 off QPUs and inside an active session or batch of its group;
        else the mean of a sampled queue, or the work a simulated tenants queue holds ahead of it
        (:meth:`scheduler.qpu_service.QPUService.expected_wait`). Not part of :meth:`finish_time`,
        which counts what the device's own bound work allows."""
        service = self._engine.qpu_service
        if service is None:
            return device.mean_sampled_wait() if device.kind == "qpu" and hasattr(device, "mean_sampled_wait") \
                else 0.0
        return service.expected_wait(task, self._device_index[device.name], self.now)

    def group_pending(self, task: Task) -> int:
        """How many tasks of ``task``'s session or batch group (:mod:`workloads.groups`) have not
        finished and may still run on a QPU, ``task`` included; 1 for a task in no such group. One
        queue wait opens the group's hold on the QPU for all of them."""
        service = self._engine.qpu_service
        return 1 if service is None else service.pending(task)

    def energy(self, task: Task, device: Device) -> float:
        """Joules the task's run on ``device`` draws: busy power times its share times its time."""
        return device.busy_w * device.share(task) * device.exec_time(task)

    def price(self, task: Task, device: Device) -> float:
        """USD for the task's busy time on ``device`` at its hourly price, share-weighted."""
        return device.usd_per_hour * device.share(task) * device.exec_time(task) / 3600.0

    def fidelity(self, task: Task, device: Device) -> float:
        """Estimated probability that the task's result is right on ``device`` (1.0 off QPUs)."""
        return device.fidelity(task)

    def place(self, task: Task, device: Device) -> float:
        """Bind ``task`` to ``device`` now; returns its estimated finish time."""
        eng = self._engine
        i = self._index.get(task.id)
        name = eng.policy.name
        item = f"policy {name!r}: task {task.id!r}"
        if i is None or i in self._placed_set or eng.bound[i] >= 0:
            raise PolicyError("placed a task that is unknown or already placed", item=item)
        if eng.waiting_on[i]:
            raise PolicyError("placed a task whose predecessors have not finished", item=item)
        p = self._device_index.get(device.name)
        if p is None or eng.devices[p] is not device:
            raise PolicyError(f"placed it on {device!r}, which is not a device of this platform", item=item)
        reason = device.check(task)
        if reason:
            raise PolicyError(f"placed it on {device.name}, which cannot run it: {reason}", item=item)
        start = self.start_time(task, device)
        finish = start + device.exec_time(task)
        slots = self._slot_free[p]
        need = device.slots_needed(task)
        del slots[:need]
        for _ in range(need):
            bisect.insort(slots, finish)
        self._last_start[p] = start
        self._placed.append(i)
        self._placed_set.add(i)
        eng.bind(i, p)
        return finish

    def is_up(self, device: Device) -> bool:
        """Whether ``device`` is up now (not failed, not in a downtime window)."""
        down = getattr(self._engine, "down", None)
        return down is None or not down[self._device_index[device.name]]

    def up_at(self, device: Device) -> float:
        """When ``device`` is expected to accept work: now when it is up, else the end of
        its downtime window, or its failure time plus its MTTR (the repair draw is not shown)."""
        down_until = getattr(self._engine, "down_until", None)
        if down_until is None:
            return self.now
        return max(self.now, down_until[self._device_index[device.name]])

    def failed_attempts(self, task: Task) -> int:
        """How many attempts of ``task`` a fault has aborted so far."""
        attempts = getattr(self._engine, "attempts", None)
        return 0 if attempts is None else attempts[self._index[task.id]]

    def _reset_device(self, p: int, free_at: float) -> None:
        # The engine unbound everything on device p (it went down): forget its estimates.
        self._slot_free[p] = [free_at] * len(self._slot_free[p])
        self._last_start[p] = self.now

    def wake_at(self, t: float) -> None:
        """Ask the engine to call the policy again at time ``t``, ready tasks or not
        held back (a policy that waits for a greener hour or a cheaper price)."""
        self._engine._wake_at(t)

    def take_placed(self) -> list[int]:
        placed, self._placed = self._placed, []
        self._placed_set.clear()
        return placed
