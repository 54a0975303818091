"""Fork-join and pipeline workflows: the two shapes most HPC and AI jobs reduce to.

* Fork-join (the OpenMP / bulk-synchronous pattern; Dagum & Menon, "OpenMP:
  an industry standard API for shared-memory programming", IEEE CSE 5(1),
  1998): ``stages`` rounds of ``width`` parallel tasks, each round forked
  from and joined into a serial task.
* Pipeline (a software pipeline over a stream of batches, the shape of
  pipelined training and streaming analytics; e.g. GPipe, Huang et al.,
  NeurIPS 2019): ``stages`` x ``batches`` tasks where stage ``s`` of batch
  ``b`` needs stage ``s - 1`` of batch ``b`` (the data) and stage ``s`` of
  batch ``b - 1`` (the stage's state).

Work is in the roofline model (``flops`` and ``mem_bytes``, see
:mod:`workloads.task`), so any CPU/GPU platform can run it. Each parallel
task's work is drawn from a gamma distribution with the given mean and
coefficient of variation ``cv`` (``cv = 0``: all equal). The serial fork and
join tasks are CPU-only (``accelerator: cpu``) and use ``cores`` cores: they
stand for the data loading and reductions that rarely leave the host.
"""

from __future__ import annotations

import numpy as np

from workloads.task import Task
from workloads.validate import number
from workloads.workflow import Workflow


def fork_join(width: int = 8, stages: int = 2, flops: float = 1e13, mem_bytes: float = 1e11,
              data_bytes: float = 1e9, cores: int = 8, serial_fraction: float = 0.05,
              cv: float = 0.3, seed: int = 0) -> Workflow:
    """``stages`` rounds of ``width`` parallel tasks between serial CPU tasks.

    Serial tasks carry ``serial_fraction`` of a parallel task's mean work.
    """
    item = "generator 'fork-join'"
    width = number(width, f"{item}: width", positive=True, integer=True)
    stages = number(stages, f"{item}: stages", positive=True, integer=True)
    cores = number(cores, f"{item}: cores", positive=True, integer=True)
    draw = _work_drawer(flops, mem_bytes, cv, item, seed)
    serial_fraction = number(serial_fraction, f"{item}: serial_fraction")
    data_bytes = number(data_bytes, f"{item}: data_bytes")

    def serial(tid: str) -> Task:
        return Task(tid, accelerator="cpu", cores=cores, flops=flops * serial_fraction,
                    mem_bytes=mem_bytes * serial_fraction, meta={"stage": "serial"})

    tasks = [serial("fork0")]
    edges = []
    for s in range(stages):
        join = f"join{s}"
        for k in range(width):
            tid = f"s{s}-w{k}"
            f, m = draw()
            tasks.append(Task(tid, cores=cores, flops=f, mem_bytes=m, meta={"stage": f"parallel{s}"}))
            edges.append((f"fork0" if s == 0 else f"join{s - 1}", tid, {"data_bytes": data_bytes}))
            edges.append((tid, join, {"data_bytes": data_bytes}))
        tasks.append(serial(join))
    return Workflow.build(f"fork-join-w{width}-s{stages}", tasks, edges)


def pipeline(stages: int = 4, batches: int = 8, flops: float = 1e13, mem_bytes: float = 1e11,
             data_bytes: float = 1e9, cores: int = 8, cv: float = 0.3, seed: int = 0) -> Workflow:
    """``stages`` x ``batches`` tasks; stage 0 (ingest) is CPU-only."""
    item = "generator 'pipeline'"
    stages = number(stages, f"{item}: stages", positive=True, integer=True)
    batches = number(batches, f"{item}: batches", positive=True, integer=True)
    cores = number(cores, f"{item}: cores", positive=True, integer=True)
    data_bytes = number(data_bytes, f"{item}: data_bytes")
    draw = _work_drawer(flops, mem_bytes, cv, item, seed)
    tasks, edges = [], []
    for b in range(batches):
        for s in range(stages):
            f, m = draw()
            tasks.append(Task(f"b{b}-s{s}", cores=cores, flops=f, mem_bytes=m,
                              accelerator="cpu" if s == 0 else None, meta={"stage": f"stage{s}"}))
            if s > 0:
                edges.append((f"b{b}-s{s - 1}", f"b{b}-s{s}", {"data_bytes": data_bytes}))
            if b > 0:
                edges.append((f"b{b - 1}-s{s}", f"b{b}-s{s}", {"data_bytes": 0.0}))
    return Workflow.build(f"pipeline-s{stages}-b{batches}", tasks, edges)


def _work_drawer(flops: float, mem_bytes: float, cv: float, item: str, seed: int):
    """A function drawing (flops, mem_bytes) pairs: gamma with the given means and cv."""
    flops = number(flops, f"{item}: flops", positive=True)
    mem_bytes = number(mem_bytes, f"{item}: mem_bytes")
    cv = number(cv, f"{item}: cv")
    rng = np.random.default_rng(seed)

    def draw() -> tuple[float, float]:
        if cv == 0:
            return flops, mem_bytes
        scale = float(rng.gamma(1.0 / cv**2, cv**2))  # mean 1, coefficient of variation cv
        return flops * scale, mem_bytes * scale

    return draw
