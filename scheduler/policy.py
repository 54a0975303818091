"""The policy interface: how a placement is decided.

A policy is either

* **static**: it overrides :meth:`Policy.plan` and returns a :class:`Plan`
  (a device and a planned start for every task) before anything runs, as
  HEFT does; or
* **dynamic**: it decides as tasks become ready, through three small staged
  hooks modelled on the Kubernetes scheduling framework: :meth:`~Policy.order`
  (which ready task goes next), :meth:`~Policy.filter` (is a device
  acceptable) and :meth:`~Policy.score` (lower is better; ties go to the
  earlier device). A policy that needs a whole round at once (Min-Min)
  overrides :meth:`~Policy.select` instead.

A minimal dynamic policy::

    class Greenest(Policy):
        name = "greenest"
        description = "the device that spends the least energy on the task"

        def score(self, task, device, view):
            return (view.energy(task, device), view.finish_time(task, device))

The engine calls the hooks at every moment when tasks are ready and binds
what :meth:`View.place` is given; each device runs its tasks in the order
they were placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import numpy as np

from devices.device import Device
from workloads.errors import InputError
from workloads.task import Task

if TYPE_CHECKING:
    from scheduler.problem import Problem
    from scheduler.view import View


class PolicyError(InputError):
    """A policy did something the engine cannot carry out."""


@dataclass
class Plan:
    """A static schedule: each task's device and planned start, by task id.

    The engine runs each device's tasks in order of planned start (ties by
    task order), each as soon as its inputs have arrived.
    """

    device: dict[str, str]
    start: dict[str, float] = field(default_factory=dict)
    finish: dict[str, float] = field(default_factory=dict)

    @property
    def makespan(self) -> float:
        return max(self.finish.values(), default=0.0)


class Policy:
    """Base class of every policy. Subclasses set ``name`` and ``description``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, *, seed: int = 0, **options: Any):
        self.seed = seed
        #: Random numbers for policies that need them; seeded, so runs repeat.
        self.rng = np.random.default_rng(seed)
        if options:
            raise InputError(f"unknown option(s) {', '.join(sorted(options))}",
                             item=f"policy {self.name or type(self).__name__!r}")

    # -- static -------------------------------------------------------------

    def plan(self, problem: "Problem") -> Plan | None:
        """A whole schedule ahead of time, or None to decide dynamically."""
        return None

    # -- dynamic --------------------------------------------------------------

    def order(self, ready: Sequence[Task], view: "View") -> Sequence[Task]:
        """The ready tasks in the order to place them. Default: workflow order."""
        return ready

    def filter(self, task: Task, device: Device, view: "View") -> bool:
        """Whether ``device`` is acceptable for ``task`` (it can already run it)."""
        return True

    def score(self, task: Task, device: Device, view: "View") -> Any:
        """Lower is better. Default: the earliest finish time."""
        return view.finish_time(task, device)

    def select(self, ready: Sequence[Task], view: "View") -> None:
        """Place ready tasks with :meth:`View.place`; may leave some for later.

        Default: for each task in :meth:`order`, the feasible device that
        passes :meth:`filter` with the lowest :meth:`score`.
        """
        for task in self.order(ready, view):
            best = self.pick(task, view.feasible(task), view)
            if best is not None:
                view.place(task, best)

    def pick(self, task: Task, devices: Sequence[Device], view: "View") -> Device | None:
        """The first of ``devices`` with the lowest :meth:`score` among those passing :meth:`filter`."""
        best, best_score = None, None
        for device in devices:
            if not self.filter(task, device, view):
                continue
            s = self.score(task, device, view)
            if best is None or s < best_score:
                best, best_score = device, s
        return best

    # -- faults -------------------------------------------------------------

    #: Failed attempts a task may have before it is given up with its dependants.
    retry_limit: ClassVar[int] = 3

    def on_failure(self, task: Task, device: Device, view: "View") -> Device | None:
        """Where ``task`` goes after ``device`` went down while it ran or was queued there.

        Return a device to place it there now, or None to place it again with
        the ready tasks (the default). Static plans are re-planned instead
        (:mod:`scheduler.fault_engine`); this hook is for dynamic policies.
        """
        return None

    def on_repair(self, device: Device, view: "View") -> None:
        """``device`` is up again (repaired, or its downtime window ended). Default: nothing."""

    def __repr__(self) -> str:
        return f"<policy {self.name}>"
