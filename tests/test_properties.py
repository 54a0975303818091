"""Properties of every run on random DAGs and platforms (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.api import simulate
from scheduler.checks import problems
from scheduler.metrics import cp_min_length
from scheduler.problem import Problem
from tests.strategies import platforms, workflows

POLICIES = ["heft", "greedy-eft"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw, single_slot=False):
    platform = draw(platforms(single_slot=single_slot))
    return draw(workflows(platform)), platform


@SETTINGS
@given(cases(), st.sampled_from(POLICIES))
def test_runs_are_valid_and_bounded(case, policy):
    workflow, platform = case
    result = simulate(workflow, platform, policy)
    # precedence, data arrival, device capacity, execution times
    assert problems(result.trace, workflow, platform) == []
    m = result.metrics
    # makespan >= the critical path by minimum execution times (no communication)
    assert m.makespan >= cp_min_length(Problem(workflow, platform)) - 1e-9
    # energy >= the idle floor: every device draws idle power for the whole makespan
    assert m.energy_j >= sum(d.idle_w for d in platform.devices) * m.makespan - 1e-6
    assert m.carbon_g >= 0 and m.cost_usd >= 0


@SETTINGS
@given(cases(single_slot=True) | cases())
def test_engine_executes_exactly_what_heft_planned(case):
    workflow, platform = case
    result = simulate(workflow, platform, "heft")
    assert result.metrics.makespan == result.plan.makespan
    for run in result.trace.tasks:
        assert (run.start, run.finish) == (result.plan.start[run.task], result.plan.finish[run.task])


@settings(max_examples=20, deadline=None)
@given(cases(), st.sampled_from(POLICIES), st.integers(0, 2**31))
def test_same_seed_same_result(case, policy, seed):
    workflow, platform = case
    a = simulate(workflow, platform, policy, seed=seed).summary()
    b = simulate(workflow, platform, policy, seed=seed).summary()
    assert a == b
    assert np.isfinite(a["makespan"])
