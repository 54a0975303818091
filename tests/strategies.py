"""Hypothesis strategies for random workflows and platforms, shared by property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from devices.device import CPU, GPU, Device
from devices.link import Link
from devices.platform import Platform
from workloads.task import Task
from workloads.workflow import Workflow


@st.composite
def platforms(draw, *, single_slot: bool = False, max_devices: int = 4) -> Platform:
    """Processors with time tables, multi-core CPUs and GPUs, with a default link."""
    n = draw(st.integers(1, max_devices))
    devices = []
    for j in range(n):
        kind = "processor" if single_slot else draw(st.sampled_from(["processor", "cpu", "gpu"]))
        power = dict(idle_w=draw(st.integers(0, 50)), usd_per_hour=draw(st.integers(0, 10)))
        power["busy_w"] = power["idle_w"] + draw(st.integers(0, 300))
        if kind == "cpu":
            devices.append(CPU(f"d{j}", slots=draw(st.integers(1, 4)), flops_per_core=1e9,
                               mem_bandwidth=1e10, **power))
        elif kind == "gpu":
            devices.append(GPU(f"d{j}", peak_flops=draw(st.sampled_from([2e9, 5e9])), mem_bandwidth=1e10, **power))
        else:
            devices.append(Device(f"d{j}", **power))
    link = Link(latency=draw(st.sampled_from([0.0, 0.5])), bandwidth=draw(st.sampled_from([1e9, 1e10])))
    return Platform("random", devices, default_link=link, pue=1.2, carbon_g_per_kwh=300)


@st.composite
def workflows(draw, platform: Platform, *, max_tasks: int = 12) -> Workflow:
    """A random DAG (edges only from earlier to later tasks) that every task can run on."""
    n = draw(st.integers(1, max_tasks))
    names = [d.name for d in platform.devices]
    tasks = []
    for i in range(n):
        # A time table on some processors plus roofline work, so CPUs and GPUs can run it too.
        table = {name: float(draw(st.integers(1, 20))) for name in names
                 if platform.device(name).kind == "processor" and draw(st.booleans())}
        cores = draw(st.integers(1, 2))
        flops = float(draw(st.integers(1, 20))) * 1e9
        task = Task(f"t{i}", times=table, flops=flops, cores=cores)
        if not any(d.can_run(task) for d in platform.devices):
            # Every task must be runnable somewhere: one core, and a table entry for processors.
            table[names[0]] = 1.0
            task = Task(f"t{i}", times=table, flops=flops, cores=1)
        tasks.append(task)
    edges = []
    for v in range(1, n):
        for u in draw(st.lists(st.integers(0, v - 1), max_size=3, unique=True)):
            attrs = {"data_bytes": float(draw(st.integers(0, 4))) * 1e9}
            if draw(st.integers(0, 3)) == 0:
                attrs = {"cost": float(draw(st.integers(0, 10)))}
            edges.append((f"t{u}", f"t{v}", attrs))
    return Workflow.build("random", tasks, edges)
