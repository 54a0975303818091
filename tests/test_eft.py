"""The compiled list scheduler (scheduler/eft.py) against HEFT's Python paths and a
plain-Python upward rank: the same plans, float for float, in the same order."""

from __future__ import annotations

import heapq
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import eft
from scheduler.api import load
from scheduler.bench import instances
from scheduler.policies import heft
from scheduler.problem import Problem
from tests.strategies import platforms, workflows


@pytest.fixture(autouse=True)
def compiled_at_any_size(monkeypatch):
    """These instances are small: take the kernels anyway (heft.COMPILED_ABOVE)."""
    monkeypatch.setattr(heft, "COMPILED_ABOVE", 0)


def python_plan(problem, order, insertion, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(heft, "_list_schedule_compiled", lambda *args: None)
        return heft.list_schedule(problem, order, insertion=insertion)


def assert_same(problem, monkeypatch, insertion=True):
    order = heft.priority_order(problem, heft.upward_rank(problem))
    compiled = heft.list_schedule(problem, order, insertion=insertion)
    python = python_plan(problem, order, insertion, monkeypatch)
    for field in ("device", "start", "finish"):  # same values, same (placement) order
        assert list(getattr(compiled, field).items()) == list(getattr(python, field).items())
    return compiled


def reference_rank(problem):
    """Topcuoglu et al. 2002, eq. 4, edge by edge (the Python loop the kernel replaced)."""
    mean_w = problem.mean_exec_times.tolist()
    rank = [0.0] * len(mean_w)
    for i in reversed(problem.topological_order()):
        best = 0.0
        for j in problem.succs[i]:
            best = max(best, problem.mean_comm_time(i, j) + rank[j])
        rank[i] = mean_w[i] + best
    return rank


def cost_matrix(tmp_path, rng, n, p, *, zero_share=0.0, shuffle=False):
    """A random cost-matrix file: some zero times and costs, edges over a window of 20."""
    ids = [f"t{i}" for i in range(n)]
    cost = np.round(rng.uniform(0.0, 5.0, (n, p)), 3)
    cost[rng.random((n, p)) < zero_share] = 0.0
    edges = []
    for v in range(1, n):
        for u in set(rng.integers(max(0, v - 20), v, size=int(rng.integers(0, 4))).tolist()):
            c = 0.0 if rng.random() < zero_share else round(float(rng.uniform(0.0, 3.0)), 3)
            edges.append([ids[u], ids[v], c])
    listed = list(ids)
    if shuffle:
        rng.shuffle(listed)
    path = tmp_path / f"cm-{n}x{p}.json"
    path.write_text(json.dumps({"tasks": listed, "processors": [f"p{j}" for j in range(p)],
                                "cost": {t: cost[i].tolist() for i, t in enumerate(ids)}, "edges": edges}))
    return Problem(*load(path))


@pytest.mark.parametrize("n, p, zeros", [(300, 3, 0.0), (400, 2, 0.3), (200, 70, 0.1), (60, 5, 0.9)])
@pytest.mark.parametrize("insertion", [True, False])
def test_cost_matrix_plans_equal_the_python_paths(tmp_path, monkeypatch, n, p, zeros, insertion):
    problem = cost_matrix(tmp_path, np.random.default_rng([n, p]), n, p, zero_share=zeros)
    plan = assert_same(problem, monkeypatch, insertion)
    # long timelines with idle gaps: the block skip (eft.BLOCK intervals) is exercised
    per_device = np.bincount([int(d[1:]) for d in plan.device.values()], minlength=p)
    if n >= 300:
        assert per_device.max() > 3 * eft.BLOCK


@pytest.mark.parametrize("devices", [4, 70])
def test_link_model_instances_equal_the_python_paths(monkeypatch, devices):
    problem = Problem(instances.workflow(3000), instances.platform(devices))
    assert_same(problem, monkeypatch)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_workflows_equal_the_python_paths(data):
    platform = data.draw(platforms(single_slot=True))
    workflow = data.draw(workflows(platform, max_tasks=12))
    problem = Problem(workflow, platform)
    try:
        problem.exec_times
    except Exception:  # no device runs some task: not a planning case
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(heft, "COMPILED_ABOVE", 0)  # hypothesis: no function-scoped fixture
        for insertion in (True, False):
            assert_same(problem, monkeypatch, insertion)


@pytest.mark.parametrize("n, p", [(300, 3), (200, 70)])
def test_upward_rank_is_equation_4_to_the_bit(tmp_path, monkeypatch, n, p):
    for problem in (cost_matrix(tmp_path, np.random.default_rng([n, p, 1]), n, p, zero_share=0.2),
                    Problem(instances.workflow(2000), instances.platform(p))):  # edges without a cost
        assert heft.upward_rank(problem).tolist() == reference_rank(problem)
        monkeypatch.setattr(heft, "COMPILED_ABOVE", 10**12)
        monkeypatch.setattr(eft, "loaded", lambda: False)
        assert heft.upward_rank(problem).tolist() == reference_rank(problem)  # the Python loop
        monkeypatch.undo()
        monkeypatch.setattr(heft, "COMPILED_ABOVE", 0)


def test_priority_order_with_equal_ranks_keeps_parents_first(tmp_path):
    # every time and cost zero, tasks listed out of topological order: all ranks are 0, so
    # the order by rank and index puts children first and the ready-task heap must decide
    problem = cost_matrix(tmp_path, np.random.default_rng(5), 80, 3, zero_share=1.0, shuffle=True)
    rank = heft.upward_rank(problem)
    assert not rank.any()
    order = heft.priority_order(problem, rank)
    position = {i: k for k, i in enumerate(order)}
    assert all(position[u] < position[v] for v in range(80) for u in problem.preds[v])
    assert order != sorted(order)
    # the heap rule itself: the highest-ranked ready task, ties by task index
    waiting = [len(p) for p in problem.preds]
    ready = [i for i, w in enumerate(waiting) if w == 0]
    expected = []
    while ready:
        i = heapq.heappop(ready)
        expected.append(i)
        for j in problem.succs[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    assert order == expected


def test_critical_path_by_the_kernel_equals_the_python_loop(tmp_path, monkeypatch):
    from scheduler.metrics import cp_min_length

    problem = cost_matrix(tmp_path, np.random.default_rng(9), 300, 4, zero_share=0.2, shuffle=True)
    monkeypatch.setattr(eft, "loaded", lambda: True)  # as once a planner has called them
    by_kernel = cp_min_length(problem)
    monkeypatch.setattr(eft, "loaded", lambda: False)
    assert cp_min_length(problem) == by_kernel > 0


def test_a_task_list_in_topological_order_is_its_own_order(tmp_path):
    forward = cost_matrix(tmp_path, np.random.default_rng(3), 200, 2)
    assert forward.topological_order() == list(range(200))
    shuffled = cost_matrix(tmp_path, np.random.default_rng(3), 200, 2, shuffle=True)
    order = shuffled.topological_order()
    position = {i: k for k, i in enumerate(order)}
    assert sorted(order) == list(range(200)) and order != list(range(200))
    assert all(position[u] < position[v] for v in range(200) for u in shuffled.preds[v])
