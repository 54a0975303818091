"""A scheduling problem: a workflow on a platform, indexed for planners.

Planners work on integer indices (task ``i`` in workflow order, device ``p``
in platform order) and numpy arrays, so that ties break by those orders and
the hot loops stay cheap.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from functools import cached_property

import numpy as np

from devices.device import CPU, GPU, Device
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
        position = index.__getitem__
        # networkx's adjacency dicts themselves (``graph.succ[n]`` wraps each in a
        # read-only view whose every lookup is a Python call); read, never written.
        succ, pred = graph._succ, graph._pred
        table = workflow.edge_table
        if table is not None and len(table[0]) != workflow.edge_count:
            table = None  # the graph was edited after loading
        self._edge_table = table
        #: Input edges in :attr:`preds` order (task by task, predecessors by index), from the table.
        self._by_target = None
        if table is None:
            self.preds: list[list[int]] = [sorted(map(position, pred[t.id])) for t in self.tasks]
            self.succs: list[list[int]] = [sorted(map(position, succ[t.id])) for t in self.tasks]
        else:
            u, v = table[0], table[1]
            self._by_target = np.lexsort((u, v))
            self.preds = _split(u[self._by_target], v[self._by_target], len(self.tasks))
            by_source = np.lexsort((v, u))
            self.succs = _split(v[by_source], u[by_source], len(self.tasks))
        # Edge attributes by (task index, successor id): a list lookup and a dict
        # lookup instead of networkx's edge view on the engine's hot path.
        self._ids = [t.id for t in self.tasks]
        self._out = [succ[t.id] for t in self.tasks]
        #: ``out_edges[i][v_id]``: the attributes of edge i -> v (networkx's own dicts).
        self.out_edges = self._out

    @cached_property
    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The input edges as flat arrays, for compiled planners (:mod:`scheduler.eft`):
        ``(ptr, pred, cost, data_bytes)`` where task i's predecessors are
        ``pred[ptr[i]:ptr[i + 1]]`` (as in :attr:`preds`), ``cost`` each edge's explicit
        ``cost`` (NaN where it has none) and ``data_bytes`` its bytes (0 where none)."""
        ptr = np.zeros(len(self.preds) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in self.preds], out=ptr[1:])
        if self._by_target is not None:
            u, _, cost, nbytes = self._edge_table
            order = self._by_target
            return ptr, u[order].astype(np.int64), cost[order], nbytes[order]
        ids, out = self._ids, self._out
        costs, sizes = [], []
        for i, preds in enumerate(self.preds):
            tid = ids[i]
            for u in preds:
                edge = out[u][tid]
                costs.append(edge.get("cost"))
                sizes.append(edge.get("data_bytes", 0.0))
        pred = np.fromiter((u for preds in self.preds for u in preds), dtype=np.int64, count=int(ptr[-1]))
        return ptr, pred, np.array(costs, dtype=float), np.array(sizes, dtype=float)

    @cached_property
    def exec_times(self) -> np.ndarray:
        """``W[i, p]``: seconds task i runs on device p; ``inf`` where it cannot run.

        Raises InputError naming the first task no device can run.
        """
        columns, column_of = self.exec_columns
        return columns[:, column_of]

    @cached_property
    def exec_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """``(C, column_of)`` with ``exec_times == C[:, column_of]``: the distinct columns.

        Devices of one built-in class with equal parameters, whose name no
        task's time table mentions, answer alike for every task; they share a
        column, so a thousand identical GPUs cost one pass over the tasks.
        Raises InputError naming the first task no device can run.
        """
        table = self._given_table()
        if table is not None:
            return table, np.arange(len(self.devices), dtype=np.intp)
        named = set()
        for task in self.tasks:
            if task.times:
                named.update(task.times)
        columns: list[np.ndarray] = []
        column_of = np.empty(len(self.devices), dtype=np.intp)
        seen: dict = {}
        for j, device in enumerate(self.devices):
            key = None if device.name in named else _model_key(device)
            c = seen.get(key) if key is not None else None
            if c is None:
                c = len(columns)
                columns.append(self._column(device))
                if key is not None:
                    seen[key] = c
            column_of[j] = c
        table = np.stack(columns, axis=1) if columns else np.empty((len(self.tasks), 0))
        stuck = np.flatnonzero(np.isinf(table).all(axis=1))
        if stuck.size:
            task = self.tasks[stuck[0]]
            raise InputError(unrunnable_reason(task, self.devices),
                             source=self.workflow.source, item=f"task {task.id!r}")
        return table, column_of

    def _given_table(self) -> np.ndarray | None:
        """The workflow's own execution-time matrix (:attr:`Workflow.exec_table`) when it
        answers for these devices exactly as they would: the same device names in
        order, plain table devices (:class:`Device`, which take a tabled time as is)
        that accept the tasks' common requirements. Else None."""
        given = self.workflow.exec_table
        if given is None or tuple(d.name for d in self.devices) != given[0] or not self.tasks:
            return None
        # The loader's tasks differ only in their times (all tabled, all finite), so one
        # task's check on each device stands for every task's.
        first = self.tasks[0]
        if any(type(d) is not Device or d.check(first) is not None for d in self.devices):
            return None
        return given[1]

    def _column(self, device: Device) -> np.ndarray:
        column = np.full(len(self.tasks), math.inf)
        for i, task in enumerate(self.tasks):
            if device.check(task) is None:
                column[i] = device.exec_time(task)
        return column

    def edge(self, u: int, v: int) -> dict:
        return self._out[u][self._ids[v]]

    def comm_time(self, u: int, v: int, pu: int, pv: int) -> float:
        """Seconds the data of edge u -> v takes from device pu to device pv."""
        if pu == pv:
            return 0.0
        return self.platform.transfer_time(self.edge(u, v), self.devices[pu].name, self.devices[pv].name)

    def comm_times_from(self, u: int, v: int, pu: int) -> np.ndarray:
        """Seconds edge u -> v's data takes from device ``pu`` to each device
        (0 on ``pu`` itself): :meth:`comm_time` for all ``pv`` at once, equal to the last bit."""
        edge = self.edge(u, v)
        cost = edge.get("cost")
        if cost is not None:
            row = np.full(len(self.devices), float(cost))
            row[pu] = 0.0
            return row
        latency, bandwidth = self._link_matrices
        nbytes = edge.get("data_bytes", 0.0)
        if nbytes == 0:
            return latency[pu].copy()
        return latency[pu] + nbytes / bandwidth[pu]

    @cached_property
    def _link_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """Latency and bandwidth between every two devices; the diagonal moves data instantly."""
        platform = self.platform
        n = len(self.devices)
        default = platform.default_link
        latency = np.full((n, n), float(default.latency))
        bandwidth = np.full((n, n), float(default.bandwidth))
        index = {d.name: j for j, d in enumerate(self.devices)}
        for (a, b), link in platform.links.items():
            latency[index[a], index[b]] = link.latency
            bandwidth[index[a], index[b]] = link.bandwidth
        np.fill_diagonal(latency, 0.0)
        np.fill_diagonal(bandwidth, math.inf)
        return latency, bandwidth

    def mean_comm_time(self, u: int, v: int) -> float:
        return self.platform.mean_transfer_time(self.edge(u, v))

    @cached_property
    def mean_exec_times(self) -> np.ndarray:
        """Mean execution time of each task over the devices that can run it."""
        columns, column_of = self.exec_columns
        # Row blocks of exec_times, so that a large run never holds all of it (1M x 256
        # is 2 GB); each row sums alike however many rows a block has.
        out = np.empty(len(self.tasks))
        step = max(1, 2**22 // max(1, len(column_of)))
        for a in range(0, len(self.tasks), step):
            w = columns[a:a + step][:, column_of]
            finite = np.isfinite(w)
            out[a:a + step] = np.where(finite, w, 0.0).sum(axis=1) / finite.sum(axis=1)
        return out

    def topological_order(self) -> list[int]:
        """Task indices in topological order; ties go to the earlier task
        (the order of :meth:`Workflow.topological_order`)."""
        return list(self._topological_order)

    @cached_property
    def _topological_order(self) -> tuple[int, ...]:
        if all(not p or p[-1] < i for i, p in enumerate(self.preds)):
            # Every edge points forward in the task list (the usual file): the earliest
            # ready task is then always the next one, so the order is the list itself.
            return tuple(range(len(self.preds)))
        waiting = [len(p) for p in self.preds]
        heap = [i for i, w in enumerate(waiting) if w == 0]  # already sorted: a heap
        order = []
        succs = self.succs
        while heap:
            i = heapq.heappop(heap)
            order.append(i)
            for j in succs[i]:
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(heap, j)
        return tuple(order)


def _split(values: np.ndarray, keys: np.ndarray, n: int) -> list[list[int]]:
    """``values`` (sorted by ``keys``) as one list per key 0..n-1."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    flat, bounds = values.tolist(), ptr.tolist()
    return [flat[a:b] for a, b in zip(bounds, bounds[1:])]


def unrunnable_reason(task: Task, devices: list[Device]) -> str:
    """One line saying why no device can run ``task``."""
    reasons = [f"{d.name}: {d.check(task)}" for d in devices[:3]]
    more = f" (and {len(devices) - 3} more)" if len(devices) > 3 else ""
    return "no device can run this task; " + "; ".join(reasons) + more


def _model_key(device: Device) -> tuple | None:
    """What a built-in device's execution times depend on, or None when
    unknown (subclasses may model anything, so they get a column each)."""
    if type(device) not in (Device, CPU, GPU):
        return None
    key = (type(device).__name__,) + tuple(
        (f.name, getattr(device, f.name)) for f in dataclasses.fields(device) if f.name not in ("name", "meta"))
    try:
        {key: None}
    except TypeError:  # an unhashable parameter: do not share
        return None
    return key
