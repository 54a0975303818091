"""A scheduling problem: a workflow on a platform, indexed for planners.

Planners work on integer indices (task ``i`` in workflow order, device ``p``
in platform order) and numpy arrays, so that ties break by those orders and
the hot loops stay cheap.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from devices.device import Device
from devices.platform import Platform
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow


class Problem:
    """A workflow and a platform, with each task's execution time on each device."""

    def __init__(self, workflow: Workflow, platform: Platform):
        self.workflow = workflow
        self.platform = platform
        self.tasks: list[Task] = workflow.tasks
        self.devices: list[Device] = platform.devices
        index = workflow.index
        graph = workflow.graph
        #: ``preds[i]`` / ``succs[i]``: neighbour task indices, in workflow order.
        self.preds: list[list[int]] = [sorted(index[u] for u in graph.predecessors(t.id)) for t in self.tasks]
        self.succs: list[list[int]] = [sorted(index[v] for v in graph.successors(t.id)) for t in self.tasks]

    @cached_property
    def exec_times(self) -> np.ndarray:
        """``W[i, p]``: seconds task i runs on device p; ``inf`` where it cannot run.

        Raises InputError naming the first task no device can run.
        """
        n, p = len(self.tasks), len(self.devices)
        times = np.full((n, p), math.inf)
        for j, device in enumerate(self.devices):
            for i, task in enumerate(self.tasks):
                if device.check(task) is None:
                    times[i, j] = device.exec_time(task)
        stuck = np.flatnonzero(np.isinf(times).all(axis=1))
        if stuck.size:
            task = self.tasks[stuck[0]]
            raise InputError(unrunnable_reason(task, self.devices),
                             source=self.workflow.source, item=f"task {task.id!r}")
        return times

    def edge(self, u: int, v: int) -> dict:
        return self.workflow.graph.edges[self.tasks[u].id, self.tasks[v].id]

    def comm_time(self, u: int, v: int, pu: int, pv: int) -> float:
        """Seconds the data of edge u -> v takes from device pu to device pv."""
        if pu == pv:
            return 0.0
        return self.platform.transfer_time(self.edge(u, v), self.devices[pu].name, self.devices[pv].name)

    def mean_comm_time(self, u: int, v: int) -> float:
        return self.platform.mean_transfer_time(self.edge(u, v))

    @cached_property
    def mean_exec_times(self) -> np.ndarray:
        """Mean execution time of each task over the devices that can run it."""
        w = self.exec_times
        finite = np.isfinite(w)
        return np.where(finite, w, 0.0).sum(axis=1) / finite.sum(axis=1)

    def topological_order(self) -> list[int]:
        index = self.workflow.index
        return [index[t] for t in self.workflow.topological_order()]


def unrunnable_reason(task: Task, devices: list[Device]) -> str:
    """One line saying why no device can run ``task``."""
    reasons = [f"{d.name}: {d.check(task)}" for d in devices[:3]]
    more = f" (and {len(devices) - 3} more)" if len(devices) > 3 else ""
    return "no device can run this task; " + "; ".join(reasons) + more
