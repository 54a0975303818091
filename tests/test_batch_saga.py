"""Min-Min, Max-Min and Sufferage against SAGA's (``anrg-saga`` 2.0.2, the ``[bench]`` extra).

Random tie-free instances in the model both sides share: related machines
(task cost / node speed), a link of its own speed between every two nodes,
transfer = edge size / link speed, nothing on the same node. SAGA breaks
ties by frozenset order, so only tie-free instances can be compared.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

saga = pytest.importorskip("saga")

from saga.schedulers.maxmin import MaxMinScheduler  # noqa: E402
from saga.schedulers.minmin import MinMinScheduler  # noqa: E402
from saga.schedulers.sufferage import SufferageScheduler  # noqa: E402

from devices.device import GPU  # noqa: E402
from devices.link import Link  # noqa: E402
from devices.platform import Platform  # noqa: E402
from scheduler.checks import problems  # noqa: E402
from scheduler.api import simulate  # noqa: E402
from workloads.task import Task  # noqa: E402
from workloads.workflow import Workflow  # noqa: E402

SAGA = {"minmin": MinMinScheduler, "maxmin": MaxMinScheduler, "sufferage": SufferageScheduler}


def instance(seed: int):
    """A random DAG with one source and one sink (else SAGA adds dummy ones) and a platform."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 61))
    p = int(rng.integers(3, 7))
    ccr = float(rng.choice([0.1, 1.0, 10.0]))
    cost = rng.uniform(1.0, 100.0, n)
    edges = {}
    for v in range(1, n - 1):
        for u in rng.choice(v, size=min(v, int(rng.integers(1, 4))), replace=False).tolist():
            edges[u, v] = None
    for u in range(n - 1):
        if not any(a == u for a, _ in edges):
            edges[u, n - 1] = None
    size = {e: float(rng.uniform(0.5, 1.5) * ccr * cost.mean()) for e in edges}
    speed = rng.uniform(1.0, 4.0, p)
    bandwidth = {(a, b): float(rng.uniform(1.0, 4.0)) for a in range(p) for b in range(a + 1, p)}

    tasks = [Task(f"t{i}", flops=float(cost[i])) for i in range(n)]
    workflow = Workflow.build("random", tasks, [(f"t{u}", f"t{v}", {"data_bytes": s}) for (u, v), s in size.items()])
    devices = [GPU(f"n{j}", peak_flops=float(speed[j]), mem_bandwidth=1e300) for j in range(p)]
    links = {(f"n{a}", f"n{b}"): Link(latency=0.0, bandwidth=bw) for (a, b), bw in bandwidth.items()}
    platform = Platform("random", devices, links=links)

    task_graph = saga.TaskGraph.create(tasks=[(f"t{i}", float(cost[i])) for i in range(n)],
                                       dependencies=[(f"t{u}", f"t{v}", s) for (u, v), s in size.items()])
    network = saga.Network.create(nodes=[(f"n{j}", float(speed[j])) for j in range(p)],
                                  edges=[(f"n{a}", f"n{b}", bw) for (a, b), bw in bandwidth.items()])
    return workflow, platform, task_graph, network


@pytest.mark.parametrize("policy", sorted(SAGA))
@pytest.mark.parametrize("seed", range(12))
def test_same_schedule_as_saga(policy, seed, caplog):
    workflow, platform, task_graph, network = instance(seed)
    with caplog.at_level(logging.ERROR):
        theirs = SAGA[policy]().schedule(network, task_graph)
    placed = {t.name: (t.node, t.start, t.end) for _, tasks in theirs.items() for t in tasks}
    result = simulate(workflow, platform, policy)
    assert problems(result.trace, workflow, platform) == []
    plan = result.plan
    # Same device for every task, same planned times; the run keeps the plan's makespan.
    for task in workflow.tasks:
        node, start, end = placed[task.id]
        assert plan.device[task.id] == node, task.id
        assert plan.start[task.id] == pytest.approx(start, rel=1e-9)
        assert plan.finish[task.id] == pytest.approx(end, rel=1e-9)
    assert plan.makespan == pytest.approx(theirs.makespan, rel=1e-9)
    assert result.metrics.makespan == pytest.approx(plan.makespan, rel=1e-9)


@pytest.mark.parametrize("policy", sorted(SAGA))
def test_the_run_time_forms_are_other_heuristics(policy, caplog):
    # Rounds formed at run time, transfers from placement: not SAGA's values (see batch_online).
    differ = 0
    for seed in range(6):
        workflow, platform, task_graph, network = instance(seed)
        with caplog.at_level(logging.ERROR):
            theirs = SAGA[policy]().schedule(network, task_graph).makespan
        ours = simulate(workflow, platform, policy + "-online").metrics.makespan
        differ += ours != pytest.approx(theirs, rel=1e-9)
    assert differ >= 5
