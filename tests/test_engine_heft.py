"""The engine and HEFT on the HEFT paper's worked example (Topcuoglu et al. 2002)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scheduler.api import load, simulate
from scheduler.checks import problems
from scheduler.policies.heft import upward_rank
from scheduler.problem import Problem

# Fig. 3(a) of the paper: task -> (processor, start, finish).
PAPER_SCHEDULE = {
    "n1": ("P3", 0, 9), "n3": ("P3", 9, 28), "n4": ("P2", 18, 26), "n5": ("P3", 28, 38),
    "n2": ("P1", 27, 40), "n6": ("P2", 26, 42), "n9": ("P2", 56, 68), "n7": ("P3", 38, 49),
    "n8": ("P1", 57, 62), "n10": ("P2", 73, 80),
}
# Table 2 / the shared case's notes: published upward ranks.
PAPER_RANKS = {"n1": 108, "n2": 77, "n3": 80, "n4": 80, "n5": 69, "n6": 63.333,
               "n7": 42.667, "n8": 35.667, "n9": 44.333, "n10": 14.667}


def test_upward_ranks_match_the_paper(topcuoglu_path):
    workflow, platform = load(topcuoglu_path)
    problem = Problem(workflow, platform)
    rank = upward_rank(problem)
    for task, value in PAPER_RANKS.items():
        assert rank[workflow.index[task]] == pytest.approx(value, abs=1e-3), task


def test_heft_reproduces_the_paper_schedule(topcuoglu_path):
    workflow, platform = load(topcuoglu_path)
    result = simulate(workflow, platform, "heft")
    assert result.metrics.makespan == 80
    assert result.plan.makespan == 80
    got = {r.task: (r.device, r.start, r.finish) for r in result.trace.tasks}
    assert got == PAPER_SCHEDULE
    assert problems(result.trace, workflow, platform) == []


def test_greedy_eft_runs_a_valid_schedule(topcuoglu_path):
    workflow, platform = load(topcuoglu_path)
    result = simulate(workflow, platform, "greedy-eft")
    assert problems(result.trace, workflow, platform) == []
    # No look-ahead: worse than HEFT here, never better than the lower bound.
    assert 80 < result.metrics.makespan


def test_cli_json_gives_the_paper_schedule(topcuoglu_path):
    out = subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(topcuoglu_path),
                          "--policy", "heft", "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout)  # exactly one JSON object
    assert summary["policy"] == "heft"
    assert summary["makespan"] == 80
    for key in ("energy_j", "cost_usd", "carbon_g"):
        assert summary[key] == 0  # bare processor names carry no power or price
    assert {r["task"]: (r["device"], r["start"], r["finish"]) for r in summary["schedule"]} == PAPER_SCHEDULE


def test_out_writes_trace_and_summary(topcuoglu_path, tmp_path):
    out = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(topcuoglu_path), "--out", str(out)],
                   capture_output=True, text=True, check=True)
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "trace.csv"]
    assert json.loads((out / "summary.json").read_text())["makespan"] == 80
    lines = (out / "trace.csv").read_text().splitlines()
    assert lines[0].startswith("type,task,device,start,finish")
    assert sum(1 for line in lines if line.startswith("task,")) == 10


def test_a_plan_that_is_not_a_plan_is_a_policy_error(topcuoglu_path):
    from scheduler.policy import Policy, PolicyError

    class Sloppy(Policy):
        name = "sloppy"

        def plan(self, problem):
            return {"n1": "P1"}

    workflow, platform = load(topcuoglu_path)
    with pytest.raises(PolicyError, match="plan\\(\\) returned dict, expected a Plan or None"):
        simulate(workflow, platform, Sloppy())
