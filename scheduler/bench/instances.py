"""Benchmark instances: layered random DAGs on platforms of identical-model devices.

Not a workload model: sizes and shapes that stress the simulator. A DAG of
``n`` tasks has ``degree`` edges into every task but the first few (about 3
edges per task), each from one of the ``window`` tasks before it, so the
width stays near ``window`` whatever ``n`` is; task 0 is the only source and
a final task is the only sink (SAGA adds dummy ones otherwise). Work follows
the related-machines model (``flops / peak_flops``, the model SAGA uses), so
one instance runs here and in SAGA alike. Every figure is an assumption made
for benchmarking; none describes real hardware.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from devices.device import CPU, GPU
from devices.link import Link
from devices.platform import Platform
from scheduler.policy import Plan, Policy
from workloads.task import Task
from workloads.workflow import Workflow

#: Device speeds cycled over the platform, flop/s (assumption: three GPU generations).
SPEEDS = (2.0e13, 6.0e13, 1.0e14)
#: Bytes moved per edge, and the link between any two devices (assumption: 100 Gb/s, 10 us).
EDGE_BYTES = 1.0e8
LINK = Link(latency=1.0e-5, bandwidth=1.25e10)


def dag_arrays(n: int, *, degree: int = 3, window: int = 1000,
               seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Work (flops) of each task and the edges ``(u, v)``, ``u < v``, of a random DAG."""
    rng = np.random.default_rng(seed)
    flops = rng.lognormal(np.log(1.0e12), 1.0, n)
    edges: list[tuple[int, int]] = []
    has_succ = np.zeros(n, dtype=bool)
    for v in range(1, n - 1):
        lo = max(0, v - window)
        span = v - lo
        if span <= degree:
            preds = range(lo, v)
        else:
            preds = sorted(set((lo + rng.choice(span, size=degree, replace=False)).tolist()))
        for u in preds:
            edges.append((u, v))
            has_succ[u] = True
    if n > 1:
        for u in np.flatnonzero(~has_succ[: n - 1]).tolist():
            edges.append((u, n - 1))
    return flops, edges


def workflow(n: int, *, seed: int = 0, data_bytes: float = EDGE_BYTES, window: int = 1000,
             max_cores: int = 1) -> Workflow:
    """The benchmark DAG of ``n`` tasks as a validated :class:`Workflow`; with
    ``max_cores`` > 1, each task holds 1 to ``max_cores`` cores of a CPU."""
    flops, edges = dag_arrays(n, seed=seed, window=window)
    cores = np.random.default_rng([seed, 1]).integers(1, max_cores + 1, n).tolist()
    tasks = [Task(f"t{i}", flops=float(f), cores=c) for i, (f, c) in enumerate(zip(flops, cores))]
    attrs = {"data_bytes": data_bytes}
    return Workflow.build(f"bench-dag-{n}", tasks,
                          ((f"t{u}", f"t{v}", attrs) for u, v in edges))


def platform(p: int, *, link: Link = LINK) -> Platform:
    """``p`` single-task GPUs of three speeds, all pairs joined by ``link``."""
    devices = [GPU(f"g{j}", peak_flops=SPEEDS[j % len(SPEEDS)], mem_bandwidth=1.0e12) for j in range(p)]
    return Platform(f"bench-{p}", devices, default_link=link)


def cpu_platform(p: int, *, cores: int = 32, link: Link = LINK) -> Platform:
    """``p`` CPUs of ``cores`` cores (assumption: 50 Gflop/s per core, 100 GB/s)."""
    devices = [CPU(f"c{j}", slots=cores, flops_per_core=5.0e10, mem_bandwidth=1.0e11) for j in range(p)]
    return Platform(f"bench-cpu-{p}x{cores}", devices, default_link=link)


class FixedPlacement(Policy):
    """A cheap static placement for engine benchmarks: task to a seeded random
    device, each device running its tasks in topological order.

    It costs O(tasks), so engine timings measure the engine, not a planner;
    the bare-SimPy program runs exactly this placement.
    """

    name = "fixed-placement"
    description = "benchmark-only: seeded random device per task, topological order per device"

    def plan(self, problem) -> Plan:
        n, p = len(problem.tasks), len(problem.devices)
        device = np.random.default_rng(self.seed).integers(0, p, n).tolist()
        plan = Plan(device={})
        names = [d.name for d in problem.devices]
        for position, i in enumerate(problem.topological_order()):
            tid = problem.tasks[i].id
            plan.device[tid] = names[device[i]]
            plan.start[tid] = float(position)
        return plan


def write_files(workflow: Workflow, platform: Platform, folder: Path) -> tuple[Path, Path]:
    """The instance as hybridsched's own workflow JSON and a platform JSON file (devices in order)."""
    tasks = [{"id": t.id, "flops": t.flops} for t in workflow.tasks]
    edges = [{"from": u, "to": v, "data_bytes": d["data_bytes"]} for u, v, d in workflow.graph.edges(data=True)]
    link = platform.default_link
    devices = [{"name": d.name, "kind": "gpu", "peak_flops": d.peak_flops, "mem_bandwidth": d.mem_bandwidth}
               for d in platform.devices]
    workflow_path, platform_path = folder / f"{workflow.name}.json", folder / f"{platform.name}.json"
    workflow_path.write_text(json.dumps({"name": workflow.name, "tasks": tasks, "edges": edges}))
    platform_path.write_text(json.dumps({"name": platform.name, "devices": devices, "links": {
        "default": {"latency": link.latency, "bandwidth": link.bandwidth}}}))
    return workflow_path, platform_path
