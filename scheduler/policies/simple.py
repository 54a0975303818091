"""Immediate-mode heuristics: each ready task, in workflow order, to one device.

T. D. Braun et al., "A comparison of eleven static heuristics for mapping a
class of independent tasks onto heterogeneous distributed computing
systems", JPDC 61(6):810-837, 2001 (MCT, MET, OLB); R. Armstrong, D. Hensgen
and T. Kidd, "The relative performance of various mapping algorithms is
independent of sizable variances in run-time predictions", HCW 1998 (MCT
and OLB as on-line heuristics).

* ``mct``: minimum completion time: the device where the task finishes
  first (the same rule as ``greedy-eft``, under its name in the literature).
  Balances speed and load.
* ``met``: minimum execution time: the fastest device for the task, however
  busy. Ignores load, so it piles work on the fastest device.
* ``olb``: opportunistic load balancing: the device that can start the task
  first, however slow. Keeps devices busy, ignores speed.
* ``round-robin``: devices in turn, skipping those that cannot run the
  task. Ignores both; a baseline.
* ``random``: a uniformly random device that can run the task, drawn from
  the policy's seeded generator. A baseline; same seed, same choices.

Ties go to the earlier device.
"""

from __future__ import annotations

from typing import Any, Sequence

from scheduler.policies.greedy import GreedyEFT
from scheduler.policy import Policy
from scheduler.view import View
from workloads.task import Task


class MCT(GreedyEFT):
    name = "mct"
    description = "MCT (Braun et al. 2001): each ready task to the device where it completes first"


class MET(Policy):
    name = "met"
    description = "MET (Braun et al. 2001): each ready task to its fastest device, however busy"

    def score(self, task, device, view: View) -> Any:
        return view.exec_time(task, device)


class OLB(Policy):
    name = "olb"
    description = "OLB (Braun et al. 2001): each ready task to the device free first, however slow"

    def score(self, task, device, view: View) -> Any:
        return view.available_at(task, device)


class RoundRobin(Policy):
    name = "round-robin"
    description = "devices in turn, skipping those that cannot run the task"

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._next = 0

    def select(self, ready: Sequence[Task], view: View) -> None:
        devices = view.devices
        for task in self.order(ready, view):
            ok = {id(d) for d in view.feasible(task) if self.filter(task, d, view)}
            for step in range(len(devices)):
                j = (self._next + step) % len(devices)
                if id(devices[j]) in ok:
                    view.place(task, devices[j])
                    self._next = j + 1
                    break


class Random(Policy):
    name = "random"
    description = "a uniformly random device that can run the task (seeded)"

    def select(self, ready: Sequence[Task], view: View) -> None:
        for task in self.order(ready, view):
            ok = [d for d in view.feasible(task) if self.filter(task, d, view)]
            if ok:
                view.place(task, ok[int(self.rng.integers(len(ok)))])
