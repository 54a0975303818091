"""Smoke test of the benchmark harness (tiny cases run and check themselves), and checks that
the fast paths it measures (timeline search, HEFT, grouped execution times) give the plain
algorithms' results. No timing assertions: figures come from ``hybridsched bench``
(benchmarks/README.md).
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.bench import Case, cases, engine, instances, planners, render, run_case
from devices.link import Link
from devices.platform import Platform
from scheduler.api import simulate
from scheduler.cli import main
from scheduler.policies.heft import heft
from scheduler.policy import Plan
from scheduler.problem import Problem
from scheduler.timeline import Timeline
from tests.strategies import platforms, workflows


def test_benchmark_dag_has_one_source_one_sink_and_about_three_edges_per_task():
    workflow = instances.workflow(300, window=50)
    graph = workflow.graph
    assert [n for n in graph if graph.in_degree(n) == 0] == ["t0"]
    assert [n for n in graph if graph.out_degree(n) == 0] == ["t299"]
    assert 2.5 < graph.number_of_edges() / 300 < 3.5


def test_bare_simpy_and_engine_give_the_same_makespan_on_the_same_placement():
    row = engine.run_case(tasks=300, devices=7, repeat=1)
    assert row["makespans_equal"]
    assert row["makespan"] > 0 and row["bare_simpy_s"] > 0 and row["simulate_ratio"] > 0


def test_fixed_placement_runs_each_device_in_topological_order():
    workflow, platform = instances.workflow(200, window=20), instances.platform(5)
    result = simulate(workflow, platform, instances.FixedPlacement(seed=3))
    assert len(result.trace.tasks) == 200
    assert {r.device for r in result.trace.tasks} == {d.name for d in platform.devices}


def test_heft_plan_on_a_benchmark_instance_is_what_the_engine_executes():
    workflow, platform = instances.workflow(400, window=30), instances.platform(6)
    plan = heft(Problem(workflow, platform))
    result = simulate(workflow, platform, "heft")
    assert result.metrics.makespan == plan.makespan


@pytest.mark.skipif(importlib.util.find_spec("saga") is None, reason="anrg-saga (the [bench] extra) is not installed")
@pytest.mark.parametrize("with_data", [False, True])
def test_saga_heft_gives_our_makespan(with_data):
    row = planners.saga_case(tasks=60, devices=4, with_data=with_data)
    assert row["equal"], row
    if not with_data:
        assert row["ours_makespan"] == pytest.approx(row["saga_makespan"], rel=1e-9)


def test_a_case_runs_in_a_child_that_reports_its_peak_memory():
    row = run_case(Case("engine", "engine:run_case", {"tasks": 100, "devices": 3, "repeat": 1}, timeout=120))
    assert "error" not in row, row
    assert row["makespans_equal"] and row["peak_rss_mb"] > 10


def test_a_failing_case_is_reported_not_raised():
    row = run_case(Case("engine", "engine:run_case", {"tasks": -1, "devices": 3, "repeat": 1}, timeout=120))
    assert "error" in row


def test_quick_mode_is_small_and_covers_every_area():
    quick = cases(True)
    assert {c.area for c in quick} == {"startup", "command", "engine", "planners", "quantum", "circuits", "sweeps", "rl",
                                       "qpu-modes", "network"}
    assert max(c.kwargs.get("tasks", 0) for c in quick) <= 10_000
    assert any(c.kwargs.get("tasks") == 100_000 and c.kwargs.get("devices") == 1_000 for c in cases(False))


def test_render_shows_each_area_and_marks_unequal_makespans():
    row = engine.run_case(tasks=100, devices=2, repeat=1)
    row["peak_rss_mb"] = 50.0
    text = render({"meta": {"quick": True, "date_utc": "now", "python": "3", "cpus": 2, "load_average": [1.0],
                            "seconds": 1.0},
                   "areas": {"engine": [row, {"case": "run_case", "args": {}, "error": "boom"}]}})
    assert "== engine" in text and "boom" in text and " yes " in text


def test_bench_command_is_listed_and_documents_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--quick" in out and "--out" in out


def test_bench_command_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--area", "startup", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["meta"]["quick"] is True
    assert data["areas"]["startup"][0]["qiskit_imported"] is False
    assert "hybridsched --help" in capsys.readouterr().out


# -- the fast paths the benchmarks measure give the plain algorithms' results ------------------

def _plain_gap_search(timeline: Timeline, ready: float, duration: float) -> float:
    """Topcuoglu et al.'s insertion rule, scanning every gap after ``ready``."""
    starts, finishes = timeline.starts, timeline.finishes
    k = bisect.bisect_right(finishes, ready)
    prev_end = finishes[k - 1] if k else 0.0
    for j in range(k, len(starts)):
        begin = max(ready, prev_end)
        if begin + duration <= starts[j]:
            return begin
        prev_end = finishes[j]
    return max(ready, prev_end)


def test_timeline_search_equals_the_plain_scan_including_long_tails_and_zero_lengths():
    rng = random.Random(5)
    for _ in range(400):
        timeline = Timeline(1)
        for _ in range(rng.randint(1, 80)):
            ready = rng.choice([0.0, 0.1, 1 / 3, 0.7, 1e-7]) * rng.randint(0, 30)
            duration = rng.choice([0.0, 0.1, 1 / 3, 1.0, 2.5, 1e-12, 2 ** -20, 0.01, 1e7])
            start = timeline.earliest_start(ready, duration)
            assert start == _plain_gap_search(timeline, ready, duration)
            timeline.add(start, start + duration)


def _plain_list_schedule(problem: Problem, order: list[int], insertion: bool) -> Plan:
    """Every task tried on every device, scalar code."""
    timelines = [Timeline(d.slots) for d in problem.devices]
    placed_on, finish = [-1] * len(problem.tasks), [0.0] * len(problem.tasks)
    plan = Plan(device={})
    for i in order:
        task = problem.tasks[i]
        best = (math.inf, math.inf, -1)
        for p, device in enumerate(problem.devices):
            w = problem.exec_times[i, p]
            if w == math.inf:
                continue
            ready = max([finish[u] + problem.comm_time(u, i, placed_on[u], p) for u in problem.preds[i]],
                        default=0.0)
            start = timelines[p].earliest_start(ready, w, device.slots_needed(task), insertion)
            if start + w < best[0]:
                best = (start + w, start, p)
        eft, est, p = best
        timelines[p].add(est, eft, problem.devices[p].slots_needed(task))
        placed_on[i], finish[i] = p, eft
        plan.device[task.id], plan.start[task.id], plan.finish[task.id] = problem.devices[p].name, est, eft
    return plan


@st.composite
def _instances(draw):
    platform = draw(platforms(max_devices=6))
    if draw(st.booleans()) and len(platform.devices) > 1:  # a named link beside the default one
        a, b = platform.devices[0].name, platform.devices[1].name
        platform = Platform("linked", platform.devices, links={(a, b): Link(0.25, 3e9)},
                            default_link=platform.default_link)
    return draw(workflows(platform, max_tasks=20)), platform, draw(st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(_instances())
def test_heft_list_schedule_equals_trying_every_device(instance):
    from scheduler.policies.heft import list_schedule, priority_order, upward_rank

    workflow, platform, insertion = instance
    problem = Problem(workflow, platform)
    order = priority_order(problem, upward_rank(problem))
    fast, plain = list_schedule(problem, order, insertion=insertion), _plain_list_schedule(problem, order, insertion)
    assert (fast.device, fast.start, fast.finish) == (plain.device, plain.start, plain.finish)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(_instances())
def test_grouped_exec_times_and_comm_rows_equal_the_scalar_answers(instance):
    workflow, platform, _ = instance
    problem = Problem(workflow, platform)
    for i, task in enumerate(problem.tasks):
        for p, device in enumerate(problem.devices):
            expected = device.exec_time(task) if device.check(task) is None else math.inf
            assert problem.exec_times[i, p] == expected
        for v in problem.succs[i]:
            for pu in range(len(problem.devices)):
                row = problem.comm_times_from(i, v, pu)
                assert row.tolist() == [problem.comm_time(i, v, pu, q) for q in range(len(problem.devices))]


def test_identical_devices_share_one_exec_time_column():
    problem = Problem(instances.workflow(50, window=10), instances.platform(30))
    columns, column_of = problem.exec_columns
    assert columns.shape == (50, 3)  # three device models
    assert np.array_equal(problem.exec_times, columns[:, column_of])


def _plain_profile_search(intervals, capacity, ready, duration, need):
    """The multi-slot rule: the first of ready and later finishes with ``need`` slots free throughout."""
    def peak(lo, hi):
        events = sorted([e for s, f, n in intervals if s < hi and f > lo and f > s
                         for e in ((max(s, lo), n), (f, -n))])
        used = top = 0
        for _, delta in events:
            used += delta
            top = max(top, used)
        return top
    candidates = sorted({ready, *(f for _, f, _ in intervals if f > ready)})
    return next((t for t in candidates if peak(t, t + duration) <= capacity - need), candidates[-1])


def test_multi_slot_timeline_search_equals_the_plain_rule():
    rng = random.Random(8)
    for _ in range(300):
        capacity = rng.randint(2, 6)
        timeline, intervals = Timeline(capacity), []
        for _ in range(rng.randint(1, 60)):  # long enough for the counting shortcut
            ready = rng.choice([0.0, 0.1, 1 / 3, 0.7]) * rng.randint(0, 30)
            duration = rng.choice([0.0, 0.1, 1 / 3, 1.0, 2.5, 5.0])
            need = rng.randint(1, capacity)
            start = timeline.earliest_start(ready, duration, need)
            assert start == _plain_profile_search(intervals, capacity, ready, duration, need)
            timeline.add(start, start + duration, need)
            intervals.append((start, start + duration, need))


def test_batch_case_times_each_planner_against_heft_in_one_process():
    row = planners.batch_case(tasks=200, devices=4)
    names = [p["policy"] for p in row["policies"]]
    assert names == ["heft", "minmin", "maxmin", "sufferage"]
    for p in row["policies"][1:]:
        # The engine runs the plan as planned: same makespan.
        assert p["makespan"] == pytest.approx(p["plan_makespan"], rel=1e-9)
        assert p["simulate_ratio"] == p["simulate_s"] / row["heft_simulate_s"]
    row["peak_rss_mb"] = 50.0
    text = render({"meta": {"quick": True, "date_utc": "now", "python": "3", "cpus": 2, "load_average": [1.0],
                            "seconds": 1.0}, "areas": {"planners": [row]}})
    assert "batch planners on 200 x 4" in text and "sufferage" in text
