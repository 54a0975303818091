"""Smoke test of the benchmark harness: tiny cases run and check themselves.

No timing assertions: figures come from ``hybridsched bench`` (benchmarks/README.md).
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from benchmarks.bench import Case, cases, engine, instances, planners, render, run_case
from scheduler.api import simulate
from scheduler.cli import main
from scheduler.policies.heft import heft
from scheduler.problem import Problem


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
    assert {c.area for c in quick} == {"startup", "engine", "planners", "quantum", "sweeps"}
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
