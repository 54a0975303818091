"""Workflows: a DAG of tasks on a :class:`networkx.DiGraph`.

Nodes are task ids with the :class:`~workloads.task.Task` under the node
attribute ``"task"``. An edge ``u -> v`` means ``v`` needs ``u``'s output; it
carries ``data_bytes`` (moved over a link, see :mod:`devices.link`) and,
optionally, ``cost``: an explicit transfer time in seconds that replaces the
link model when ``u`` and ``v`` run on different devices (the cost-matrix
model of Topcuoglu et al. 2002). Data between tasks on one device is free.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Iterator

import networkx as nx
import numpy as np

from workloads.errors import InputError
from workloads.task import TASK_KINDS, Task
from workloads.validate import number


class Workflow:
    """A named, validated DAG of tasks.

    ``tasks`` keeps the order the tasks were given in; every tie between
    tasks (in policies, in traces) is broken by that order.
    """

    def __init__(self, name: str, graph: nx.DiGraph, *, platform: Any = None,
                 source: str | None = None, groups: dict | None = None):
        self.name = name
        #: Task groups by name (:class:`workloads.groups.Group`): how quantum tasks meet a QPU.
        self.groups: dict = dict(groups or {})
        self.graph = graph
        #: A platform the workflow carries with it (cost-matrix instances do).
        self.platform = platform
        #: Where the workflow was read from, for error messages.
        self.source = source
        self.tasks: list[Task] = [attrs["task"] for attrs in graph._node.values()]  # = graph.nodes[n]["task"]
        self.index: dict[str, int] = {t.id: i for i, t in enumerate(self.tasks)}
        #: ``(device names, W)`` when the file gave every task's time on those devices as a
        #: matrix (cost-matrix instances): ``W[i, j]`` is task i's time on device j. Planners
        #: take it instead of asking each device (:attr:`scheduler.problem.Problem.exec_columns`).
        self.exec_table: tuple[tuple[str, ...], Any] | None = None
        #: ``(u, v, cost, data_bytes)`` arrays, one entry per edge (u, v: task indices; cost NaN
        #: where the edge has none) when the builder had them (:meth:`build`, the cost-matrix
        #: loader), so that planners need not read them edge by edge (:class:`scheduler.problem.Problem`).
        #: Code that edits :attr:`graph` afterwards sets it to None.
        self.edge_table: tuple[Any, Any, Any, Any] | None = None

    @classmethod
    def build(cls, name: str, tasks: Iterable[Task],
              edges: Iterable[tuple[str, str, dict[str, Any]]] = (), *,
              platform: Any = None, source: str | None = None, groups: Any = None) -> "Workflow":
        """Build and validate a workflow from tasks and ``(u, v, attrs)`` edges.

        ``attrs`` may hold ``data_bytes`` and ``cost``; ``groups`` maps names to
        :class:`~workloads.groups.Group`. Raises InputError on a duplicate id, an
        edge to an unknown task, a bad number, a cycle or a bad group.
        """
        graph = nx.DiGraph(name=name)
        # The adjacency dicts are filled directly, as add_node and add_edge would fill
        # them (node -> attrs; succ[u][v] and pred[v][u] share one attribute dict):
        # the same graph in less than half the time on a million tasks.
        node, succ, pred = graph._node, graph._succ, graph._pred
        for task in tasks:
            tid = task.id
            if tid in node:
                raise InputError("duplicate task id", source=source, item=f"task {tid!r}")
            if task.kind not in TASK_KINDS:
                raise InputError(f"unknown kind {task.kind!r} (expected one of {', '.join(TASK_KINDS)})",
                                 source=source, item=f"task {tid!r}")
            node[tid] = {"task": task}
            succ[tid] = {}
            pred[tid] = {}
        us: list[str] = []
        vs: list[str] = []
        sizes: list[float] = []
        costs: list[float | None] = []
        for u, v, attrs in edges:
            out = succ.get(u)
            if out is None or v not in node or u == v or v in out:
                item = f"edge {u!r} -> {v!r}"
                for end in (u, v):
                    if end not in node:
                        raise InputError(f"unknown task {end!r}", source=source, item=item)
                if u == v:
                    raise InputError("a task cannot depend on itself", source=source, item=item)
                raise InputError("duplicate edge", source=source, item=item)
            data = attrs.get("data_bytes", 0.0)
            if type(data) is not float or not 0.0 <= data < math.inf:  # the common case needs no call
                data = number(data, f"edge {u!r} -> {v!r}: data_bytes", source=source)
            cost = attrs.get("cost")
            if cost is not None:
                cost = number(cost, f"edge {u!r} -> {v!r}: cost", source=source)
            out[v] = pred[v][u] = {"data_bytes": data, "cost": cost}
            us.append(u)
            vs.append(v)
            sizes.append(data)
            costs.append(cost)
        if not _acyclic(succ, pred):
            edges = nx.find_cycle(graph)
            cycle = " -> ".join([str(u) for u, _ in edges] + [str(edges[0][0])])
            raise InputError(f"the workflow has a cycle: {cycle}", source=source, item="edges")
        workflow = cls(name, graph, platform=platform, source=source, groups=groups)
        position = workflow.index.__getitem__
        workflow.edge_table = (np.fromiter(map(position, us), np.intp, len(us)),
                               np.fromiter(map(position, vs), np.intp, len(vs)),
                               np.array(costs, dtype=float), np.array(sizes, dtype=float))  # None: NaN
        if workflow.groups or any(t.group is not None for t in workflow.tasks):
            from workloads.groups import check_groups

            check_groups(graph, workflow.tasks, workflow.groups, source=source)
        return workflow

    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def edge_count(self) -> int:
        """The number of edges (networkx's ``number_of_edges`` walks a degree view: 20x slower)."""
        return sum(map(len, self.graph._succ.values()))

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def task(self, task_id: str) -> Task:
        return self.graph.nodes[task_id]["task"]

    def predecessors(self, task_id: str) -> list[str]:
        return list(self.graph.predecessors(task_id))

    def successors(self, task_id: str) -> list[str]:
        return list(self.graph.successors(task_id))

    def edge(self, u: str, v: str) -> dict[str, Any]:
        return self.graph.edges[u, v]

    def topological_order(self) -> list[str]:
        """Task ids in a topological order; ties go to the earlier task."""
        index = self.index
        return list(nx.lexicographical_topological_sort(self.graph, key=index.__getitem__))

    def has_quantum(self) -> bool:
        return any(t.kind == "quantum" for t in self.tasks)

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, {len(self.tasks)} tasks, {self.graph.number_of_edges()} edges)"


def _acyclic(succ: dict, pred: dict) -> bool:
    """Kahn's algorithm on the adjacency dicts: True when every node can be taken in
    an order that respects its edges (networkx's check costs several times more)."""
    waiting = {n: len(p) for n, p in pred.items()}
    ready = [n for n, w in waiting.items() if w == 0]
    taken = 0
    while ready:
        n = ready.pop()
        taken += 1
        for m in succ[n]:
            waiting[m] -= 1
            if waiting[m] == 0:
                ready.append(m)
    return taken == len(waiting)
