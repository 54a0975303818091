"""Planners area: static list schedulers and batch planners, and SAGA's HEFT.

Our time for a static planner is building the :class:`Problem` (execution
times, edges) plus ``policy.plan``; a dynamic policy (Min-Min) plans inside
the engine, so its time is a whole ``simulate``. SAGA (``anrg-saga`` 2.0.2,
the ``[bench]`` extra) schedules the same instance in the same child
process: task cost = our flops, node speed = our peak flop/s, edge size =
our bytes, link speed = our bandwidth (latency 0, which SAGA cannot model).

Makespans are checked two ways. With no data on the edges the instance is
exactly the same for both, so SAGA's HEFT and ours must agree. With data,
SAGA's upward rank averages communication over all node pairs *including*
each node with itself (free), ours over distinct pairs as in Topcuoglu et
al. (2002, eq. 3), so the priority orders can differ; there we feed SAGA's
ranks to our list scheduler and check that it then gives SAGA's makespan,
and report our own HEFT's makespan beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scheduler.bench import instances
from scheduler.bench.timing import median, timed
from devices.link import Link
from scheduler.problem import Problem


#: Planners measured, if the policy registry has them (static ones plan; dynamic ones simulate).
POLICIES = ("heft", "cpop", "peft", "minmin", "maxmin", "sufferage")
#: The batch planners of the goal "each plans 100k x 256 in < 10 s, its simulate within 3x HEFT's".
BATCH = ("minmin", "maxmin", "sufferage")
#: A planner is not run at a size once a smaller one took longer than this (CPU seconds).
BUDGET_S = 60.0


def plan_grid(quick: bool) -> list[dict[str, Any]]:
    """Cases for :func:`plan_case`, smallest first (the runner skips sizes beyond the budget)."""
    from scheduler.policies import BUILTIN

    sizes = [(1_000, 4), (1_000, 64)] if quick else \
        [(n, p) for n in (1_000, 10_000, 100_000) for p in (4, 64, 256)]
    rows = [{"policy": name, "tasks": n, "devices": p, "repeat": 1 if quick or n >= 100_000 else 3}
            for name in POLICIES if name in BUILTIN for n, p in sizes]
    # Multi-core CPUs: tasks of 1-4 cores share 32-core devices (the slot-profile timeline).
    cpu_sizes = [(1_000, 4)] if quick else [(1_000, 8), (10_000, 8)]
    rows += [{"policy": name, "tasks": n, "devices": p, "cores": 32, "repeat": 1 if quick else 3}
             for name in ("heft", "peft") if name in BUILTIN for n, p in cpu_sizes]
    return rows


def batch_grid(quick: bool) -> list[dict[str, Any]]:
    """Cases for :func:`batch_case`: the size of the batch-planner goal."""
    return [{"tasks": 10_000, "devices": 64}] if quick else [{"tasks": 100_000, "devices": 256}]


def batch_case(tasks: int, devices: int, seed: int = 0) -> dict[str, Any]:
    """On one instance, in one process: each batch planner's plan time (``Problem`` and
    ``plan``), and the whole ``simulate`` of each and of HEFT (plan and run), with ratios."""
    from scheduler.api import simulate
    from scheduler.policies import make_policy

    workflow = instances.workflow(tasks, seed=seed)
    platform = instances.platform(devices)
    rows = []
    for name in ("heft",) + BATCH:
        row = {"policy": name}
        if name != "heft":
            plan, row["plan_s"], row["plan_wall_s"] = timed(
                lambda: make_policy(name).plan(Problem(workflow, platform)))
            row["plan_makespan"] = plan.makespan
        result, row["simulate_s"], row["simulate_wall_s"] = timed(
            lambda: simulate(workflow, platform, make_policy(name), seed=seed))
        row["makespan"] = result.metrics.makespan
        rows.append(row)
    heft_s = rows[0]["simulate_s"]
    for row in rows[1:]:
        row["simulate_ratio"] = row["simulate_s"] / heft_s
    return {"tasks": tasks, "devices": devices, "heft_simulate_s": heft_s, "policies": rows}


def saga_grid(quick: bool) -> list[dict[str, Any]]:
    """Cases for :func:`saga_case`; 2,000 x 64 is the size of the HEFT goal."""
    if quick:
        return [{"tasks": 100, "devices": 4, "with_data": False}, {"tasks": 200, "devices": 8}]
    return [{"tasks": 500, "devices": 16, "with_data": False}, {"tasks": 1_000, "devices": 16},
            {"tasks": 2_000, "devices": 64, "with_data": False}, {"tasks": 2_000, "devices": 64},
            {"tasks": 5_000, "devices": 4}]


def plan_case(policy: str, tasks: int, devices: int, repeat: int, seed: int = 0,
              cores: int = 0) -> dict[str, Any]:
    """Median CPU seconds for ``policy`` to schedule the benchmark DAG on ``devices`` GPUs,
    or on CPUs of ``cores`` cores each (tasks then hold 1 to 4 cores)."""
    from scheduler.api import simulate
    from scheduler.policies import make_policy
    from scheduler.policy import Policy

    workflow = instances.workflow(tasks, seed=seed, max_cores=4 if cores else 1)
    platform = instances.cpu_platform(devices, cores=cores) if cores else instances.platform(devices)
    static = type(make_policy(policy, seed=seed)).plan is not Policy.plan
    cpu, wall, makespan = [], [], None
    for _ in range(repeat):
        p = make_policy(policy, seed=seed)
        if static:
            plan, c, w = timed(lambda: p.plan(Problem(workflow, platform)))
            makespan = plan.makespan
        else:
            result, c, w = timed(lambda: simulate(workflow, platform, p, seed=seed))
            makespan = result.metrics.makespan
        cpu.append(c)
        wall.append(w)
    return {"policy": policy, "tasks": tasks, "devices": devices, "cores": cores or None,
            "measures": "plan" if static else "simulate",
            "seconds": median(cpu), "wall_s": median(wall), "makespan": makespan, "repeat": repeat}


def saga_case(tasks: int, devices: int, seed: int = 0, with_data: bool = True) -> dict[str, Any]:
    """SAGA's HEFT against ours on one instance (one SAGA run: it is slow); skipped without SAGA."""
    import importlib.util

    if importlib.util.find_spec("saga") is None:
        return {"skipped": "SAGA not installed, rival skipped; add it with: pip install 'hybridsched[bench]' "
                           "(anrg-saga 2.0.2, Python 3.11)"}
    from saga.schedulers.cpop import upward_rank as saga_upward_rank
    from saga.schedulers.heft import HeftScheduler
    from saga import Network, TaskGraph

    from scheduler.policies.heft import list_schedule, priority_order

    data = instances.EDGE_BYTES if with_data else 0.0
    link = Link(latency=0.0, bandwidth=instances.LINK.bandwidth)
    workflow = instances.workflow(tasks, seed=seed, data_bytes=data)
    platform = instances.platform(devices, link=link)
    graph = workflow.graph
    task_graph = TaskGraph.create(
        tasks=[(t.id, t.flops) for t in workflow.tasks],
        dependencies=[(u, v, d["data_bytes"]) for u, v, d in graph.edges(data=True)])
    names = [d.name for d in platform.devices]
    network = Network.create(
        nodes=[(d.name, d.peak_flops) for d in platform.devices],
        edges=[(a, b, link.bandwidth) for k, a in enumerate(names) for b in names[k + 1:]])

    saga_schedule, saga_s, saga_wall = timed(lambda: HeftScheduler().schedule(network, task_graph))
    saga_makespan = saga_schedule.makespan

    ours = []
    for _ in range(5):
        (problem, plan), c, _ = timed(lambda: _heft(workflow, platform))
        ours.append(c)
    ours_s = median(ours)
    # Our list scheduler under SAGA's priorities (see the module docstring).
    ranks = saga_upward_rank(network, task_graph)
    order = priority_order(problem, np.array([ranks[t.id] for t in workflow.tasks]))
    with_saga_ranks = list_schedule(problem, order).makespan
    return {
        "tasks": tasks, "devices": devices, "edge_bytes": data,
        "saga_s": saga_s, "saga_wall_s": saga_wall, "ours_s": ours_s, "speedup": saga_s / ours_s,
        "saga_makespan": saga_makespan, "ours_makespan": plan.makespan,
        "ours_with_saga_ranks_makespan": with_saga_ranks,
        "equal": _close(with_saga_ranks, saga_makespan) and (with_data or _close(plan.makespan, saga_makespan)),
    }


def _heft(workflow, platform):
    from scheduler.policies.heft import heft

    problem = Problem(workflow, platform)
    return problem, heft(problem)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
