"""Random DAGs (Topcuoglu et al. 2002), fork-join and pipeline shapes."""

from __future__ import annotations

import numpy as np
import pytest

from devices.platform import load_platform
from scheduler.api import simulate
from workloads.errors import InputError
from workloads.generators import generate


def levels(wf) -> int:
    return len({t.meta["level"] for t in wf.tasks})


def test_random_dag_has_the_papers_parameters():
    wf = generate("random-dag", v=400, alpha=1.0, out_degree=3, ccr=2.0, beta=0.5, q=5, seed=1)
    assert len(wf) == 400 and len(wf.platform.devices) == 5
    assert all(len(t.times) == 5 for t in wf.tasks)
    # Every task but those of the first level has a parent; out-degree is bounded.
    first = {t.id for t in wf.tasks if t.meta["level"] == 0}
    assert all(wf.predecessors(t.id) for t in wf.tasks if t.id not in first)
    assert max(len(wf.successors(t.id)) for t in wf.tasks) <= 3
    # beta bounds each task's spread: w_ij in [w_i (1 - beta/2), w_i (1 + beta/2)].
    for t in wf.tasks:
        costs = np.array(list(t.times.values()))
        assert costs.max() <= costs.min() * (1 + 0.25) / (1 - 0.25) + 1e-9
    # CCR: mean edge cost over mean computation cost.
    comp = np.mean([np.mean(list(t.times.values())) for t in wf.tasks])
    comm = np.mean([d["cost"] for _, _, d in wf.graph.edges(data=True)])
    assert comm / comp == pytest.approx(2.0, rel=0.15)


def test_alpha_shapes_the_graph():
    tall = np.mean([levels(generate("random-dag", v=100, alpha=0.5, seed=s)) for s in range(5)])
    wide = np.mean([levels(generate("random-dag", v=100, alpha=2.0, seed=s)) for s in range(5)])
    # Mean height sqrt(v) / alpha: about 20 levels at alpha 0.5, 5 at alpha 2.
    assert 14 <= tall <= 26 and 3 <= wide <= 8


def test_random_dag_is_seeded_and_heft_beats_cpop_on_average():
    a = generate("random-dag", v=50, seed=7)
    b = generate("random-dag", v=50, seed=7)
    assert [t.times for t in a.tasks] == [t.times for t in b.tasks]
    assert list(a.graph.edges(data=True)) == list(b.graph.edges(data=True))
    assert [t.times for t in generate("random-dag", v=50, seed=8).tasks] != [t.times for t in a.tasks]
    slr = {"heft": [], "cpop": []}
    for seed in range(12):
        wf = generate("random-dag", v=60, ccr=1.0, beta=1.0, seed=seed)
        for policy in slr:
            slr[policy].append(simulate(wf, wf.platform, policy).metrics.slr)
    assert all(s >= 1 for s in slr["heft"] + slr["cpop"])
    assert np.mean(slr["heft"]) <= np.mean(slr["cpop"])


@pytest.mark.parametrize("params, match", [
    ({"v": 0}, "v"), ({"beta": 3.0}, "beta"), ({"ccr": -1}, "ccr"), ({"alpha": 0}, "alpha")])
def test_random_dag_rejects_bad_parameters(params, match):
    with pytest.raises(InputError, match=match):
        generate("random-dag", **params)


def test_fork_join_structure():
    wf = generate("fork-join", width=5, stages=3, cv=0.0, seed=0)
    assert len(wf) == 1 + 3 * (5 + 1)
    assert wf.successors("fork0") == [f"s0-w{k}" for k in range(5)]
    assert sorted(wf.predecessors("join1")) == sorted(f"s1-w{k}" for k in range(5))
    assert wf.successors("join0") == [f"s1-w{k}" for k in range(5)]
    assert wf.task("join2").accelerator == "cpu" and wf.task("s0-w0").accelerator is None
    assert len({wf.task(f"s0-w{k}").flops for k in range(5)}) == 1  # cv = 0: equal work
    varied = generate("fork-join", width=50, stages=1, cv=0.5, seed=1)
    flops = np.array([t.flops for t in varied.tasks if t.meta["stage"] == "parallel0"])
    assert flops.mean() == pytest.approx(1e13, rel=0.25) and flops.std() / flops.mean() == pytest.approx(0.5, rel=0.4)


def test_pipeline_structure_and_run_on_a_gpu_node():
    wf = generate("pipeline", stages=3, batches=4, seed=2)
    assert len(wf) == 12
    assert sorted(wf.predecessors("b2-s1")) == ["b1-s1", "b2-s0"]
    assert wf.task("b0-s0").accelerator == "cpu"
    result = simulate(wf, load_platform("h100-node"), "heft")
    assert result.metrics.makespan > 0 and not result.trace.failed
    # Stage s of batch b never starts before stage s of batch b - 1 has finished.
    runs = result.trace.runs()
    assert runs["b1-s2"].start >= runs["b0-s2"].finish
