"""Every built-in policy on random DAGs and platforms: valid schedules, same output
for the same seed, in any PYTHONHASHSEED."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.api import simulate
from scheduler.checks import problems
from scheduler.policies import BUILTIN
from tests.strategies import platforms, workflows

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw):
    platform = draw(platforms())
    return draw(workflows(platform, max_tasks=10)), platform


@pytest.mark.parametrize("policy", sorted(BUILTIN))
@SETTINGS
@given(case=cases(), seed=st.integers(0, 2**16))
def test_every_builtin_gives_a_valid_schedule(policy, case, seed):
    workflow, platform = case
    result = simulate(workflow, platform, policy, seed=seed)
    # precedence, data arrival, no device over its slots, exact execution times
    assert problems(result.trace, workflow, platform) == []
    assert len(result.trace.runs()) == len(workflow.tasks)
    if result.plan is not None:
        # a static plan is itself valid: every task, its finish after its start
        assert set(result.plan.device) == {t.id for t in workflow.tasks}
        assert all(result.plan.finish[t] >= result.plan.start[t] for t in result.plan.device)


@settings(max_examples=40, deadline=None)
@given(case=cases(), factor=st.sampled_from([1.0, 1.2, 2.0]))
def test_deadline_meets_every_deadline_heft_meets(case, factor):
    workflow, platform = case
    deadline = factor * simulate(workflow, platform, "heft").plan.makespan
    result = simulate(workflow, platform, "deadline", deadline=deadline)
    assert result.plan.makespan <= deadline * (1 + 1e-9)
    assert result.metrics.makespan <= deadline * (1 + 1e-9)


# Runs every built-in policy on the paper instances and a multi-core preset
# workload, and prints one JSON line per run; compared across hash seeds below.
SCRIPT = """
import json, sys
from scheduler.api import load, simulate
from scheduler.policies import BUILTIN
cases = [load("tests/data/topcuoglu2002.json"), load("tests/data/arabnejad2014.json"),
         load("scheduler/examples/ml-pipeline.yaml", "h100-node")]
from workloads.generators import generate
dag = generate("random-dag", v=40, seed=7)
cases.append((dag, dag.platform))
for workflow, platform in cases:
    for name in sorted(BUILTIN):
        s = simulate(workflow, platform, name, seed=3).summary()
        print(json.dumps([workflow.name, name, s["makespan"], s["energy_j"], s["cost_usd"], s["schedule"]]))
"""


@pytest.mark.slow
def test_same_output_in_any_pythonhashseed():
    outputs = []
    for hash_seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    lines = outputs[0].splitlines()
    assert len(lines) == 4 * len(BUILTIN)
    assert {json.loads(line)[1] for line in lines} == set(BUILTIN)


@settings(max_examples=40, deadline=None)
@given(case=cases(), insertion=st.booleans())
def test_plan_builder_agrees_with_heft_and_with_an_exhaustive_search(case, insertion):
    """PlanBuilder.earliest prunes devices by bounds; it must choose as trying all would."""
    from scheduler.policies.heft import heft, priority_order, upward_rank
    from scheduler.policies.peft import optimistic_cost_table
    from scheduler.policies.planner import PlanBuilder
    from scheduler.problem import Problem

    workflow, platform = case
    problem = Problem(workflow, platform)
    order = priority_order(problem, upward_rank(problem))
    bias = optimistic_cost_table(problem)
    pruned, exhaustive, biased = (PlanBuilder(problem, insertion=insertion) for _ in range(3))
    for i in order:
        pruned.place(i, pruned.earliest(i))
        exhaustive.place(i, min(exhaustive.options(i), key=lambda o: (o.finish, o.device)))
        b = biased.earliest(i, bias=bias[i])
        assert b == min(biased.options(i), key=lambda o: (o.finish + bias[i, o.device], o.device))
        biased.place(i, b)
    assert pruned.plan == exhaustive.plan == heft(problem, insertion=insertion)


def reference_batch(problem, rule):
    """Min-Min, Max-Min or Sufferage by their definition, one scalar at a time (no
    incremental bookkeeping): candidates re-formed from scratch, every completion
    time recomputed at every step."""
    tasks, devices, w = problem.tasks, problem.devices, problem.exec_times
    last_start = [0.0] * len(devices)
    slot_free = [[0.0] * d.slots for d in devices]  # sorted; one slot: [last finish]
    placed = {}  # task index -> (device, start, finish)

    def completion(i, p):
        if w[i, p] == float("inf"):
            return float("inf"), 0.0
        data = max([placed[u][2] + problem.comm_time(u, i, placed[u][0], p) for u in problem.preds[i]],
                   default=0.0)
        need = devices[p].slots_needed(tasks[i])
        start = max(data, last_start[p], slot_free[p][need - 1])
        return start + w[i, p], start

    while len(placed) < len(tasks):
        candidates = [i for i in range(len(tasks))
                      if i not in placed and all(u in placed for u in problem.preds[i])]
        while candidates:
            keys = []
            for i in candidates:
                times = sorted((completion(i, p)[0], p) for p in range(len(devices)))
                best, second = times[0][0], (times[1][0] if len(times) > 1 else float("inf"))
                key = {"minmin": best, "maxmin": -best,
                       "sufferage": -float("inf") if second == float("inf") else best - second}[rule]
                keys.append((key, i, times[0][1]))
            _, i, p = min(keys)
            finish, start = completion(i, p)
            need = devices[p].slots_needed(tasks[i])
            slot_free[p] = sorted(slot_free[p][need:] + [finish] * need)
            last_start[p] = start
            placed[i] = (p, start, finish)
            candidates.remove(i)
            if rule == "sufferage":
                break  # re-formed after every mapping
    return {tasks[i].id: (devices[p].name, s, f) for i, (p, s, f) in placed.items()}


@st.composite
def larger_cases(draw):
    platform = draw(platforms(max_devices=5))
    return draw(workflows(platform, max_tasks=30)), platform


@pytest.mark.parametrize("rule", ["minmin", "maxmin", "sufferage"])
@SETTINGS
@given(case=larger_cases())
def test_batch_planners_equal_their_definition_step_by_step(rule, case):
    # Unrelated time tables, devices that cannot run a task, multi-core CPUs, many ties.
    from scheduler.policies.batch import batch_plan
    from scheduler.problem import Problem

    workflow, platform = case
    problem = Problem(workflow, platform)
    plan = batch_plan(problem, rule)
    got = {t: (plan.device[t], plan.start[t], plan.finish[t]) for t in plan.device}
    assert got == reference_batch(problem, rule)
