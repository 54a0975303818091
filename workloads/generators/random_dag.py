"""Random task graphs with the parameters of Topcuoglu et al. 2002.

H. Topcuoglu, S. Hariri and M.-Y. Wu, "Performance-effective and
low-complexity task scheduling for heterogeneous computing", IEEE TPDS
13(3):260-274, 2002, section 5.1 ("Random graph generator"):

* ``v``: number of tasks.
* ``alpha`` (shape): the number of levels is drawn around ``sqrt(v) / alpha``
  and each level's width around ``alpha * sqrt(v)``; alpha >> 1 gives short,
  wide graphs with much parallelism, alpha << 1 long, thin ones.
* ``out_degree``: the most children a task has.
* ``ccr``: communication to computation ratio: an edge's cost is drawn
  uniformly from ``[0, 2 * ccr * w_dag]``, so the mean edge cost is ``ccr``
  times the mean computation cost.
* ``beta`` (range percentage, the heterogeneity of processor speeds): task
  ``i`` has a mean cost ``w_i`` drawn uniformly from ``[0, 2 * w_dag]``, and
  its cost on processor ``j`` uniformly from
  ``[w_i * (1 - beta/2), w_i * (1 + beta/2)]``.
* ``q``: the number of processors (the paper varied it; we default to 4).

The result is a cost-matrix-like workflow (an unrelated-machines table of
times keyed by processor name, edge costs in seconds) that carries its own
platform of ``q`` processors, like the instances of
:func:`workloads.loaders.load_cost_matrix`. Level sizes and children are
drawn as described below; the paper does not give those details, so they are
our choices: level widths are uniform on ``[1, 2 * alpha * sqrt(v) - 1]``
until the ``v`` tasks are used up, and every task of a level that is not the
last gets ``1 .. out_degree`` children drawn from the next level; a task
left without a parent gets one from the level above that has fewer than
``out_degree`` children, else from any earlier level that has (only when no
task above has room does a task exceed ``out_degree``).
"""

from __future__ import annotations

import math

import numpy as np

from devices.device import Device
from devices.platform import Platform
from workloads.errors import InputError
from workloads.task import Task
from workloads.validate import number
from workloads.workflow import Workflow


def random_dag(v: int = 100, alpha: float = 1.0, out_degree: int = 3, ccr: float = 1.0,
               beta: float = 0.5, q: int = 4, w_dag: float = 50.0, seed: int = 0) -> Workflow:
    """A random DAG of ``v`` tasks on its own platform of ``q`` processors
    (Topcuoglu et al. 2002, section 5.1; parameters in the module docstring)."""
    item = "generator 'random-dag'"
    v = number(v, f"{item}: v", positive=True, integer=True)
    q = number(q, f"{item}: q", positive=True, integer=True)
    out_degree = number(out_degree, f"{item}: out_degree", positive=True, integer=True)
    alpha = number(alpha, f"{item}: alpha", positive=True)
    ccr = number(ccr, f"{item}: ccr")
    beta = number(beta, f"{item}: beta")
    w_dag = number(w_dag, f"{item}: w_dag", positive=True)
    if beta > 2:
        raise InputError(f"beta must be at most 2 (costs would go negative), got {beta}", item=f"{item}: beta")
    rng = np.random.default_rng(seed)

    levels = _levels(v, alpha, rng)
    names = [f"t{i}" for i in range(v)]
    processors = [f"p{j}" for j in range(q)]
    mean_cost = rng.uniform(0.0, 2.0 * w_dag, size=v)
    spread = rng.uniform(1.0 - beta / 2.0, 1.0 + beta / 2.0, size=(v, q))
    costs = mean_cost[:, None] * spread
    tasks = [Task(names[i], times={p: float(costs[i, j]) for j, p in enumerate(processors)},
                  meta={"level": lvl}) for lvl, level in enumerate(levels) for i in level]

    pairs: list[tuple[int, int]] = []
    children = np.zeros(v, dtype=int)
    for lvl in range(len(levels) - 1):
        below = levels[lvl + 1]
        has_parent = np.zeros(len(below), dtype=bool)
        for i in levels[lvl]:
            k = int(rng.integers(1, min(out_degree, len(below)) + 1))
            for c in sorted(rng.choice(len(below), size=k, replace=False).tolist()):
                pairs.append((i, below[c]))
                has_parent[c] = True
            children[i] = k
        for c in np.flatnonzero(~has_parent).tolist():
            # An orphan takes a parent with room left: from its level above, else any level above.
            room = [i for i in levels[lvl] if children[i] < out_degree]
            if not room:
                room = [i for level in levels[:lvl] for i in level if children[i] < out_degree]
            parent = room[int(rng.integers(len(room)))] if room else levels[lvl][int(rng.integers(len(levels[lvl])))]
            pairs.append((parent, below[c]))
            children[parent] += 1
    pairs.sort()
    edge_costs = rng.uniform(0.0, 2.0 * ccr * w_dag, size=len(pairs))
    edges = [(names[u], names[w], {"cost": float(c)}) for (u, w), c in zip(pairs, edge_costs)]

    platform = Platform(f"{q}-processors", [Device(p) for p in processors])
    name = f"random-dag-v{v}-a{alpha:g}-d{out_degree}-ccr{ccr:g}-b{beta:g}"
    return Workflow.build(name, tasks, edges, platform=platform)


def _levels(v: int, alpha: float, rng: np.random.Generator) -> list[list[int]]:
    """Task indices by level; widths uniform with mean ``alpha * sqrt(v)``."""
    mean_width = max(1.0, alpha * math.sqrt(v))
    high = max(1, int(round(2 * mean_width - 1)))
    levels: list[list[int]] = []
    placed = 0
    while placed < v:
        width = min(int(rng.integers(1, high + 1)), v - placed)
        levels.append(list(range(placed, placed + width)))
        placed += width
    return levels
