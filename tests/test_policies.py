"""Each built-in policy against its paper's worked example or a hand-worked case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from devices.device import Device
from devices.platform import Platform
from scheduler.api import load, simulate
from scheduler.checks import problems
from scheduler.policies import BUILTIN, make_policy, parse_options
from scheduler.policies.cpop import critical_path, critical_path_processor, downward_rank
from scheduler.policies.heft import upward_rank
from scheduler.policies.peft import oct_rank, optimistic_cost_table
from scheduler.problem import Problem
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow

DATA = Path(__file__).parent / "data"
TOPCUOGLU = DATA / "topcuoglu2002.json"
ARABNEJAD = DATA / "arabnejad2014.json"


def run(path, policy, **options):
    workflow, platform = load(path)
    result = simulate(workflow, platform, policy, **options)
    assert problems(result.trace, workflow, platform) == []
    return result


def schedule(result):
    return {r.task: (r.device, r.start, r.finish) for r in result.trace.tasks}


# -- Topcuoglu et al. 2002: HEFT 80, CPOP 86 -------------------------------------------

# Table 2 of the paper: rank_d (rank_u is checked in test_engine_heft.py).
PAPER_RANK_D = {"n1": 0, "n2": 31, "n3": 25, "n4": 22, "n5": 24, "n6": 27,
                "n7": 62.333, "n8": 66.667, "n9": 63.667, "n10": 93.333}


def test_cpop_ranks_critical_path_and_processor_match_the_paper():
    workflow, platform = load(TOPCUOGLU)
    problem = Problem(workflow, platform)
    rank_d = downward_rank(problem)
    for task, value in PAPER_RANK_D.items():
        assert rank_d[workflow.index[task]] == pytest.approx(value, abs=1e-3), task
    priority = upward_rank(problem) + rank_d
    path = critical_path(problem, priority)
    # Section 4.2: CP = {n1, n2, n9, n10}, |CP| = 108; on P2 it costs 16 + 19 + 12 + 7 = 54,
    # less than on P1 (66) or P3 (63).
    assert [problem.tasks[i].id for i in path] == ["n1", "n2", "n9", "n10"]
    assert priority[path[0]] == pytest.approx(108)
    assert problem.devices[critical_path_processor(problem, path)].name == "P2"


def test_cpop_makespan_is_86_and_the_critical_path_runs_on_p2():
    result = run(TOPCUOGLU, "cpop")
    assert result.metrics.makespan == 86 == result.plan.makespan
    got = schedule(result)
    assert all(got[t][0] == "P2" for t in ("n1", "n2", "n9", "n10"))


@pytest.mark.parametrize("path, policy, makespan", [
    (TOPCUOGLU, "heft", 80), (TOPCUOGLU, "cpop", 86),
    (ARABNEJAD, "peft", 122), (ARABNEJAD, "heft", 133),
])
def test_published_makespans(path, policy, makespan):
    assert run(path, policy).metrics.makespan == makespan
    expected = {k.lower(): v for k, v in json.loads(path.read_text())["expected"].items()}
    assert expected[policy] == makespan  # the instance file records the same number


# -- Arabnejad & Barbosa 2014: PEFT 122, HEFT 133 -----------------------------------------

# Table 5: OCT(T, P1..P3).
PAPER_OCT = [[64, 68, 86], [42, 39, 42], [27, 41, 43], [42, 39, 50], [28, 37, 28],
             [42, 39, 44], [13, 16, 22], [13, 16, 33], [13, 16, 20], [0, 0, 0]]
# Table 6: PEFT's schedule, task -> (processor, start, finish).
PAPER_PEFT = {"T1": ("P1", 0, 22), "T2": ("P1", 29, 51), "T3": ("P1", 51, 83), "T4": ("P1", 22, 29),
              "T5": ("P3", 35, 70), "T6": ("P2", 29, 46), "T7": ("P1", 83, 97), "T8": ("P2", 54, 77),
              "T9": ("P3", 81, 89), "T10": ("P2", 106, 122)}
# Fig. 2's HEFT schedule of the same graph.
PAPER_HEFT = {"T1": ("P2", 0, 21), "T2": ("P1", 38, 60), "T3": ("P2", 48, 75), "T4": ("P3", 52, 56),
              "T5": ("P2", 21, 48), "T6": ("P3", 28, 52), "T7": ("P2", 75, 100), "T8": ("P1", 67, 96),
              "T9": ("P3", 105, 113), "T10": ("P1", 120, 133)}


def test_optimistic_cost_table_and_rank_match_table_5():
    workflow, platform = load(ARABNEJAD)
    problem = Problem(workflow, platform)
    table = optimistic_cost_table(problem)
    assert table.tolist() == PAPER_OCT
    assert oct_rank(problem, table) == pytest.approx(np.mean(PAPER_OCT, axis=1))


def test_peft_reproduces_table_6_and_heft_fig_2():
    assert schedule(run(ARABNEJAD, "peft")) == PAPER_PEFT
    assert schedule(run(ARABNEJAD, "heft")) == PAPER_HEFT


def table_workflow(times: dict[str, list[float]], edges, devices=("P1", "P2")) -> tuple[Workflow, Platform]:
    """A cost-matrix-like workflow built in memory: times[task][p], edges (u, v, cost)."""
    platform = Platform("test", [Device(name) for name in devices])
    tasks = [Task(t, times={d: w for d, w in zip(devices, row) if w is not None}) for t, row in times.items()]
    return Workflow.build("test", tasks, [(u, v, {"cost": c}) for u, v, c in edges]), platform


def test_peft_keeps_topological_order_when_a_child_outranks_its_parent():
    # c's own child g is cheap only on P1, far away by communication: OCT(c) = [1, 100] on
    # P1/P2, rank_oct(c) = 50.5, while a's OCT is min(1 + 1, 100 + 1 ...) = 2 everywhere.
    workflow, platform = table_workflow(
        {"a": [1, 1], "c": [1, 1], "g": [1, 100]}, [("a", "c", 0), ("c", "g", 1000)])
    problem = Problem(workflow, platform)
    rank = oct_rank(problem, optimistic_cost_table(problem))
    assert rank[1] > rank[0]  # the child outranks its parent
    result = simulate(workflow, platform, "peft")
    assert problems(result.trace, workflow, platform) == []
    assert result.metrics.makespan == 3  # a, c, g all on P1


def test_cpop_places_a_critical_task_the_cp_processor_cannot_run_by_eft():
    # No device runs the whole CP a-b-c; each runs two of its tasks, P2 in the least
    # time (2). P2 cannot run b: b goes by EFT (P1 at 2, since a's data arrives at 1 + 1).
    workflow, platform = table_workflow(
        {"a": [10, 1, None], "b": [5, None, 6], "c": [None, 1, 10]}, [("a", "b", 1), ("b", "c", 1)],
        devices=("P1", "P2", "P3"))
    result = simulate(workflow, platform, "cpop")
    assert problems(result.trace, workflow, platform) == []
    assert schedule(result) == {"a": ("P2", 0, 1), "b": ("P1", 2, 7), "c": ("P2", 8, 9)}


def test_heft_append_never_fills_gaps():
    # b runs only on P2 (0-5); c waits on P1 for b's data; d, ranked last, fits in P1's
    # idle gap 1-5 under HEFT but goes after c without insertion.
    workflow, platform = table_workflow(
        {"a": [1, None], "b": [None, 5], "c": [1, None], "d": [1, None]}, [("b", "c", 0)])
    heft, append = simulate(workflow, platform, "heft"), simulate(workflow, platform, "heft-append")
    assert schedule(heft)["d"] == ("P1", 1, 2) and heft.metrics.makespan == 6
    assert schedule(append)["d"] == ("P1", 6, 7) and append.metrics.makespan == 7


# -- batch heuristics: a hand-worked round of independent tasks --------------------------------

# Independent tasks, so one round maps all three, planned or on-line alike; completion
# times count earlier mappings.
BATCH = {"A": [1, 2], "C": [1, 2], "B": [10, 10.5]}


@pytest.mark.parametrize("form", ["", "-online"])
@pytest.mark.parametrize("policy, expected, makespan", [
    # Min-Min: A (1 on P1) first; then C: P1 2, P2 2 -> P1 (earlier device); then B: P1 12, P2 10.5.
    ("minmin", {"A": ("P1", 0, 1), "C": ("P1", 1, 2), "B": ("P2", 0, 10.5)}, 10.5),
    # Max-Min: B (best 10) first to P1; then A: P1 11, P2 2 -> P2; then C: P1 11, P2 4 -> P2.
    ("maxmin", {"B": ("P1", 0, 10), "A": ("P2", 0, 2), "C": ("P2", 2, 4)}, 10),
    # Sufferage: A and C suffer 1, B 0.5: A first (task order) to P1; then C suffers 0 (2 vs 2)
    # and B 0.5 (11 vs 10.5): B to P2; then C to P1.
    ("sufferage", {"A": ("P1", 0, 1), "B": ("P2", 0, 10.5), "C": ("P1", 1, 2)}, 10.5),
])
def test_batch_round(policy, form, expected, makespan):
    workflow, platform = table_workflow(BATCH, [])
    result = simulate(workflow, platform, policy + form)
    assert schedule(result) == expected
    assert result.metrics.makespan == makespan


def test_online_batch_rounds_map_the_whole_ready_set_in_placement_order():
    from scheduler.policies.batch_online import MinMinOnline

    class Recording(MinMinOnline):
        rounds: list = []

        def select(self, ready, view):
            Recording.rounds.append([t.id for t in ready])
            super().select(ready, view)

    workflow, platform = table_workflow(
        {"a": [1, 1], "b": [2, 3], "c": [3, 2], "d": [1, 1]}, [("a", "b", 0), ("a", "c", 0), ("b", "d", 0)])
    simulate(workflow, platform, Recording())
    # Frozen rounds: {a}, then {b, c} together, then {d}; every task in exactly one round.
    assert Recording.rounds == [["a"], ["b", "c"], ["d"]]


def test_planned_minmin_counts_transfers_from_the_producers_finish():
    # a runs only on P1 (0-1), b only on P2 (0-5); c needs both outputs (3 s to cross).
    # Planned: c on P1 waits for b's data (5 + 3 = 8, finish 9); on P2 a's data is in at
    # 1 + 3 = 4 and P2 is free at 5: c runs 5-6. On-line, c is placed at 5, when a's data
    # only starts to move: ready at 8 on both devices, P1 first, finish 9.
    workflow, platform = table_workflow(
        {"a": [1, None], "b": [None, 5], "c": [1, 1]}, [("a", "c", 3), ("b", "c", 3)])
    planned = simulate(workflow, platform, "minmin")
    assert schedule(planned) == {"a": ("P1", 0, 1), "b": ("P2", 0, 5), "c": ("P2", 5, 6)}
    assert planned.plan.makespan == planned.metrics.makespan == 6
    online = simulate(workflow, platform, "minmin-online")
    assert schedule(online)["c"] == ("P1", 8, 9) and online.metrics.makespan == 9


def test_sufferage_re_forms_the_candidates_after_each_mapping_and_minmin_does_not():
    # Round {a, x}. Sufferage: a suffers 4 (1 vs 5), x 1: a to P1 (0-1). Re-formed {x, c}: c
    # suffers 48 (P1 3, P2 51), x 0 (P1 4, P2 4): c to P1 (1-3), then x to P2 (0-4): makespan 4.
    # Min-Min plans the whole round first: a (best 1) to P1, x (4 on both) to P1 (1-4),
    # then round {c}: P1 (4-6).
    workflow, platform = table_workflow(
        {"a": [1, 5], "x": [3, 4], "c": [2, 50]}, [("a", "c", 0)])
    sufferage = simulate(workflow, platform, "sufferage")
    assert schedule(sufferage) == {"a": ("P1", 0, 1), "c": ("P1", 1, 3), "x": ("P2", 0, 4)}
    minmin = simulate(workflow, platform, "minmin")
    assert schedule(minmin) == {"a": ("P1", 0, 1), "x": ("P1", 1, 4), "c": ("P1", 4, 6)}


def test_batch_planners_start_after_the_last_planned_start_on_a_multi_slot_cpu():
    from devices.device import CPU

    # One 2-core CPU; a: 1 core 4 s, b: 2 cores 1 s, c: 1 core 2 s, independent.
    platform = Platform("cpu", [CPU("C", slots=2)])
    tasks = [Task("a", times={"C": 4}), Task("b", times={"C": 1}, cores=2), Task("c", times={"C": 2})]
    workflow = Workflow.build("cores", tasks, [])
    # Min-Min: b (1) first, 0-1 on both cores; then c 1-3 and a 1-5 side by side.
    minmin = simulate(workflow, platform, "minmin")
    assert schedule(minmin) == {"b": ("C", 0, 1), "c": ("C", 1, 3), "a": ("C", 1, 5)}
    # Max-Min: a (4) first, 0-4 on one core; b needs both: 4-5 (best 5 > c's 2, so b next);
    # c, though a core is idle from 0 to 4, starts at or after b's start once a core is free: 5-7.
    maxmin = simulate(workflow, platform, "maxmin")
    assert schedule(maxmin) == {"a": ("C", 0, 4), "b": ("C", 4, 5), "c": ("C", 5, 7)}
    assert maxmin.plan.makespan == maxmin.metrics.makespan == 7


# -- immediate heuristics -----------------------------------------------------------------------


def test_met_uses_each_task_fastest_device_and_olb_the_first_free():
    workflow, platform = load(TOPCUOGLU)
    problem = Problem(workflow, platform)
    met = schedule(run(TOPCUOGLU, "met"))
    for i, task in enumerate(problem.tasks):
        assert met[task.id][0] == problem.devices[int(np.argmin(problem.exec_times[i]))].name
    workflow, platform = table_workflow({"x": [5, 1], "y": [5, 1], "z": [5, 1]}, [])
    olb = schedule(simulate(workflow, platform, "olb"))
    # Slow P1 is free at 0 for x; P2 then; z goes to P2 at 1 (free before P1 at 5).
    assert olb == {"x": ("P1", 0, 5), "y": ("P2", 0, 1), "z": ("P2", 1, 2)}


def test_round_robin_cycles_and_skips_devices_that_cannot_run_the_task():
    workflow, platform = table_workflow(
        {"a": [1, 1, 1], "b": [1, 1, 1], "c": [1, None, 1], "d": [1, 1, 1]}, [], devices=("P1", "P2", "P3"))
    got = schedule(simulate(workflow, platform, "round-robin"))
    # a P1, b P2, c P3, d P1 again. Then check the skip: c cannot run on P2.
    assert [got[t][0] for t in "abcd"] == ["P1", "P2", "P3", "P1"]
    workflow, platform = table_workflow(
        {"a": [1, 1, 1], "c": [1, None, 1]}, [], devices=("P1", "P2", "P3"))
    got = schedule(simulate(workflow, platform, "round-robin"))
    assert [got[t][0] for t in "ac"] == ["P1", "P3"]


def test_random_is_seeded():
    workflow, platform = load(TOPCUOGLU)
    runs = {seed: schedule(simulate(workflow, platform, "random", seed=seed)) for seed in (1, 1, 2, 3)}
    again = schedule(simulate(workflow, platform, "random", seed=1))
    assert again == runs[1]
    assert len({json.dumps(s, sort_keys=True) for s in runs.values()}) > 1  # seeds matter


def test_mct_is_greedy_eft_under_its_literature_name():
    a, b = run(TOPCUOGLU, "mct"), run(TOPCUOGLU, "greedy-eft")
    assert schedule(a) == schedule(b) and a.policy == "mct"


# -- beyond makespan ------------------------------------------------------------------------


class Noisy(Device):
    """A device whose results are right with probability 0.5 (as a QPU reports it)."""

    def fidelity(self, task):
        return 0.5


def powered_platform():
    # P1: fast and hungry, priced; P2: slow, frugal and free.
    return Platform("powered", [Device("P1", idle_w=10, busy_w=110, usd_per_hour=36, billing="per-use"),
                                Device("P2", idle_w=10, busy_w=20)],
                    pue=1.5, carbon_g_per_kwh=400)


def one_task(times):
    return Workflow.build("one", [Task("t", times=dict(zip(("P1", "P2"), times)))]), powered_platform()


def test_weighted_terms_and_choices():
    workflow, platform = one_task([10, 20])
    policy = make_policy("weighted")
    # On P1: added energy 100 W x 10 s = 1000 J, price 36 $/h x 10 s = 0.1 $,
    # carbon 1000 J x 1.5 / 3.6e6 x 400 = 1/6 g.
    from scheduler.engine import Engine
    from scheduler.view import View

    view = View(Engine(workflow, platform, policy))
    task, p1 = workflow.tasks[0], platform.devices[0]
    assert policy.terms(task, p1, view) == pytest.approx([10, 1000, 0.1, 1 / 6, 0])
    # Time alone: the fast device. Energy alone: the frugal one (200 J on P2).
    assert simulate(workflow, platform, "weighted", time=1, energy=0, cost=0).trace.tasks[0].device == "P1"
    assert simulate(workflow, platform, "weighted", time=0, energy=1).trace.tasks[0].device == "P2"
    # Default weights: time favours P1 by 1, energy and cost favour P2 by 1 each.
    assert simulate(workflow, platform, "weighted").trace.tasks[0].device == "P2"


def test_weighted_fidelity_weight_steers_away_from_noisy_devices():
    platform = Platform("mixed", [Noisy("P1"), Device("P2")])
    workflow, _ = one_task([1, 3])
    assert simulate(workflow, platform, "weighted", fidelity=0).trace.tasks[0].device == "P1"
    assert simulate(workflow, platform, "weighted", fidelity=2).trace.tasks[0].device == "P2"


def test_weighted_rejects_bad_weights():
    with pytest.raises(InputError, match="option energy"):
        make_policy("weighted", energy="lots")
    with pytest.raises(InputError, match="at least one weight"):
        make_policy("weighted", time=0, energy=0, cost=0, carbon=0, fidelity=0)
    with pytest.raises(InputError, match="unknown option"):
        make_policy("weighted", speed=1)


def test_energy_heft_trades_bounded_delay_for_energy():
    workflow, platform = one_task([10, 14])
    # P2 finishes 4 s later, 0.4 of the fastest time: slack 0.5 allows it (140 J vs 1000 J added)...
    assert simulate(workflow, platform, "energy-heft").trace.tasks[0].device == "P2"
    # ...slack 0.3 does not, and slack 0 is HEFT.
    assert simulate(workflow, platform, "energy-heft", slack=0.3).trace.tasks[0].device == "P1"
    workflow, _ = load(TOPCUOGLU)
    assert simulate(workflow, _, "energy-heft", slack=0).metrics.makespan == 80


def test_deadline_picks_the_cheapest_placement_that_meets_it():
    workflow, platform = one_task([10, 20])
    # The deadline admits P2 (free): cheapest.
    assert simulate(workflow, platform, "deadline", deadline=25).trace.tasks[0].device == "P2"
    # A deadline of 15 only admits P1.
    assert simulate(workflow, platform, "deadline", deadline=15).trace.tasks[0].device == "P1"
    # Impossible deadline: earliest finish, not a failure.
    assert simulate(workflow, platform, "deadline", deadline=1).trace.tasks[0].device == "P1"
    # Default: 1.5 x HEFT's 10 s admits P2's 20 s? No: 15 < 20.
    assert simulate(workflow, platform, "deadline").trace.tasks[0].device == "P1"
    assert simulate(workflow, platform, "deadline", slack=1).trace.tasks[0].device == "P2"
    with pytest.raises(InputError, match="objective"):
        make_policy("deadline", objective="speed")


def test_deadline_meets_a_loose_deadline_on_the_paper_graph_for_less():
    workflow, _ = load(TOPCUOGLU)
    platform = Platform("priced", [Device("P1", usd_per_hour=3600, billing="per-use"),
                                   Device("P2", usd_per_hour=7200, billing="per-use"),
                                   Device("P3", usd_per_hour=1800, billing="per-use")])
    heft = simulate(workflow, platform, "heft")
    for factor in (1.0, 1.25, 1.5, 2.0):
        deadline = factor * heft.metrics.makespan
        result = simulate(workflow, platform, "deadline", deadline=deadline)
        assert problems(result.trace, workflow, platform) == []
        assert result.metrics.makespan <= deadline
        assert result.metrics.cost_usd <= heft.metrics.cost_usd


def test_every_builtin_runs_on_both_paper_instances():
    for path in (TOPCUOGLU, ARABNEJAD):
        for name in BUILTIN:
            assert run(path, name).metrics.makespan > 0


def test_parse_options():
    assert parse_options(["a=1", "b=0.5", "c=cost", "d=true", "e=[1, 2]"]) == \
        {"a": 1, "b": 0.5, "c": "cost", "d": True, "e": [1, 2]}
    with pytest.raises(InputError):
        parse_options(["novalue"])
