"""Device faults: failures, repairs, downtime windows, retries, re-planning, wasted energy."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from devices.device import Device
from devices.platform import Platform, platform_from_spec
from scheduler.api import simulate
from scheduler.engine import Engine
from scheduler.fault_engine import FaultEngine
from scheduler.policies import BUILTIN, make_policy
from scheduler.policy import Policy, PolicyError
from tests.conftest import ROOT
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow

LINK = {"default": {"latency": 1e-5, "bandwidth": 1e10}}


def random_dag(n: int, seed: int = 1, flops: tuple[float, float] = (1e11, 1e13)) -> Workflow:
    rng = random.Random(seed)
    tasks = [Task(f"t{i}", flops=rng.uniform(*flops)) for i in range(n)]
    edges = []
    for i in range(1, n):
        for j in rng.sample(range(max(0, i - 20), i), min(i, 2)):
            edges.append((f"t{j}", f"t{i}", {"data_bytes": 1e6}))
    return Workflow.build("dag", tasks, edges)


def failing_platform(gpu_mtbf: float = 300.0) -> Platform:
    return platform_from_spec({"name": "flaky", "links": LINK, "devices": [
        {"name": "cpu", "kind": "cpu", "cores": 8, "flops_per_core": 5e10, "busy_w": 200, "idle_w": 50,
         "usd_per_hour": 1, "failures": {"mtbf_s": 2000, "mttr_s": 60}},
        {"name": "gpu", "kind": "gpu", "peak_flops": 2e12, "busy_w": 400, "idle_w": 60, "usd_per_hour": 3,
         "billing": "per-use",
         "failures": {"mtbf_s": gpu_mtbf, "mttr_s": 120, "distribution": "weibull", "shape": 0.7},
         "downtime": [{"every_s": 3600, "duration_s": 600, "offset_s": 1000}]},
    ]})


def one_device(**faults) -> Platform:
    return Platform("one", [Device("d", busy_w=100, idle_w=10, usd_per_hour=36, **faults)])


def chain(*times: float) -> Workflow:
    tasks = [Task(f"t{i}", times={"d": t, "e": t}) for i, t in enumerate(times)]
    edges = [(f"t{i}", f"t{i + 1}", {}) for i in range(len(times) - 1)]
    return Workflow.build("chain", tasks, edges)


def outcome(result) -> tuple:
    s = result.summary()
    return (s["makespan"], s["energy_j"], s["cost_usd"], s["wasted_energy_j"], s["wasted_cost_usd"],
            s["failed_attempts"], sorted(s["failed"].items()),
            [(r.task, r.device, r.start, r.finish, r.status) for r in result.trace.tasks])


# -- reading the models ---------------------------------------------------------------


def test_fault_fields_are_read_and_checked():
    p = failing_platform()
    gpu = p.device("gpu")
    assert gpu.failures.distribution == "weibull" and gpu.failures.shape == 0.7
    assert gpu.failures.scale == pytest.approx(300 / 1.2658, rel=1e-3)  # Gamma(1 + 1/0.7) = 1.2658
    assert gpu.downtime[0].next_after(0.0) == (1000.0, 1600.0)
    assert gpu.downtime[0].next_after(1700.0) == (4600.0, 5200.0)
    assert not Device("plain").has_faults


@pytest.mark.parametrize("fields, message", [
    ({"failures": {"mtbf_s": 0, "mttr_s": 1}}, "mtbf_s"),
    ({"failures": {"mttr_s": 1}}, "mtbf_s"),
    ({"failures": {"mtbf_s": 10, "distribution": "lognormal"}}, "distribution"),
    ({"failures": {"mtbf_s": 10, "mttr_s": -1}}, "mttr_s"),
    ({"failures": {"mtbf_s": float("nan")}}, "mtbf_s"),
    ({"failures": {"mtbf_s": 10, "distribution": "weibull", "shape": 0}}, "shape"),
    ({"failures": {"mtbf_s": 10, "typo": 1}}, "typo"),
    ({"downtime": [{"start": 5, "end": 5}]}, "downtime"),
    ({"downtime": [{"every_s": 10, "duration_s": 10}]}, "never up"),
    ({"downtime": [{"every_s": 10}]}, "downtime"),
    ({"downtime": {"start": 1, "end": 2}}, "downtime"),
])
def test_bad_fault_fields_are_input_errors(fields, message):
    spec = {"devices": [dict({"name": "a", "kind": "cpu", "cores": 1, "flops_per_core": 1e9}, **fields)]}
    with pytest.raises(InputError, match=message):
        platform_from_spec(spec, source="p.yaml")


def test_platforms_without_faults_keep_the_plain_engine():
    from scheduler.fault_engine import engine_class

    wf = chain(1, 2)
    assert engine_class(one_device()) is Engine
    assert type(Engine(wf, one_device(), make_policy("heft"))) is Engine
    faulty = platform_from_spec({"devices": [{"name": "d", "downtime": [{"start": 1, "end": 2}]}]})
    assert engine_class(faulty) is FaultEngine
    assert type(FaultEngine(wf, faulty, make_policy("heft"))) is FaultEngine
    # The plain engine refuses faults rather than silently ignore them.
    with pytest.raises(ValueError, match="FaultEngine"):
        Engine(wf, faulty, make_policy("heft"))


# -- exact small cases ----------------------------------------------------------------------


def window_platform(*windows: dict, name: str = "d") -> Platform:
    return platform_from_spec({"devices": [
        {"name": name, "busy_w": 100, "idle_w": 10, "usd_per_hour": 36, "billing": "per-use",
         "downtime": list(windows)}]})


@pytest.mark.parametrize("policy", ["heft", "greedy-eft"])
def test_a_window_aborts_the_running_task_which_reruns_after_it(policy):
    result = simulate(chain(8.0), window_platform({"start": 5, "end": 10}), policy)
    runs = [(r.start, r.finish, r.status) for r in result.trace.tasks]
    assert runs == [(0.0, 5.0, "failed"), (10.0, 18.0, "done")]
    m = result.metrics
    assert m.makespan == 18.0
    assert m.failed_attempts == 1
    assert m.wasted_energy_j == pytest.approx(100 * 5)          # busy_w * aborted seconds
    assert m.wasted_cost_usd == pytest.approx(36 * 5 / 3600)    # per-use price * aborted seconds
    # The aborted attempt counts in the device's energy and cost like any run.
    assert m.energy_j == pytest.approx(10 * 18 + (100 - 10) * (5 + 8))
    assert m.cost_usd == pytest.approx(36 * 13 / 3600)
    assert result.summary()["wasted_energy_j"] == m.wasted_energy_j


def test_a_down_device_starts_nothing_until_the_window_ends():
    result = simulate(chain(1.0, 1.0), window_platform({"start": 0, "end": 4}), "greedy-eft")
    assert [(r.task, r.start, r.status) for r in result.trace.tasks] == [("t0", 4.0, "done"), ("t1", 5.0, "done")]


def test_retry_limit_gives_up_the_task_and_its_dependants():
    # Every 10 s the device goes down for 1 s: a 20 s task can never finish.
    platform = window_platform({"every_s": 10, "duration_s": 1})
    wf = Workflow.build("w", [Task("long", times={"d": 20.0}), Task("child", times={"d": 1.0}),
                              Task("grandchild", times={"d": 1.0}), Task("free", times={"d": 1.0})],
                        [("long", "child", {}), ("child", "grandchild", {})])
    result = simulate(wf, platform, "greedy-eft")
    failed = result.trace.failed
    assert sorted(failed) == ["child", "grandchild", "long"]
    assert "retry limit 3" in failed["long"] and "'long'" in failed["child"]
    assert [r.status for r in result.trace.tasks if r.task == "long"] == ["failed"] * 4
    assert set(result.trace.runs()) == {"free"}
    assert result.metrics.failed_attempts == 4


def test_a_policy_can_send_a_failed_task_elsewhere():
    class Elsewhere(Policy):
        name = "elsewhere"
        seen = []

        def score(self, task, device, view):  # d first, and e only as a fallback
            return device.name

        def on_failure(self, task, device, view):
            self.seen.append((task.id, device.name, view.is_up(device), view.up_at(device)))
            return view.platform.device("e")

    platform = platform_from_spec({"devices": [
        {"name": "d", "downtime": [{"start": 3, "end": 100}]}, {"name": "e"}]})
    result = simulate(chain(5.0), platform, Elsewhere())
    assert Elsewhere.seen == [("t0", "d", False, 100.0)]
    assert [(r.device, r.start, r.finish, r.status) for r in result.trace.tasks] == [
        ("d", 0.0, 3.0, "failed"), ("e", 3.0, 8.0, "done")]


def test_static_plans_are_replanned_around_a_down_device():
    # HEFT puts both chains on both devices; d goes down at 3 for a long time.
    platform = platform_from_spec({"devices": [
        {"name": "d", "downtime": [{"start": 3, "end": 1e6}]}, {"name": "e"}]})
    tasks = [Task(f"{c}{i}", times={"d": 2.0, "e": 2.0}) for c in "ab" for i in range(4)]
    edges = [(f"{c}{i}", f"{c}{i + 1}", {}) for c in "ab" for i in range(3)]
    result = simulate(Workflow.build("two-chains", tasks, edges), platform, "heft")
    assert len(result.trace.runs()) == 8 and not result.trace.failed
    assert all(r.device == "e" for r in result.trace.tasks if r.status == "done" and r.start >= 3)
    assert result.metrics.makespan < 20


def test_a_stuck_policy_still_gets_its_error_under_faults():
    class Never(Policy):
        name = "never"

        def select(self, ready, view):
            pass

    platform = platform_from_spec({"devices": [{"name": "d", "failures": {"mtbf_s": 1, "mttr_s": 1}}]})
    with pytest.raises(PolicyError, match="never placed"):
        simulate(chain(1.0), platform, Never())


# -- the done-when ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(BUILTIN))
def test_thousand_tasks_on_failing_devices_under_every_builtin_policy(policy):
    wf = random_dag(1000)
    platform = failing_platform()
    first = simulate(wf, platform, policy, seed=7)
    done, failed = set(first.trace.runs()), set(first.trace.failed)
    assert not done & failed
    assert done | failed == {t.id for t in wf.tasks}  # none lost
    assert first.metrics.failed_attempts > 0  # the platform does fail
    assert first.metrics.wasted_energy_j > 0 and first.metrics.wasted_cost_usd > 0
    assert outcome(simulate(wf, platform, policy, seed=7)) == outcome(first)


def test_another_seed_draws_other_faults():
    wf, platform = random_dag(200), failing_platform(60.0)
    runs = [simulate(wf, platform, "greedy-eft", seed=seed) for seed in (7, 7, 8)]
    assert outcome(runs[0]) == outcome(runs[1]) != outcome(runs[2])


def test_same_numbers_in_any_hash_seed():
    script = (
        "import json; from tests.test_faults import *; "
        "r = simulate(random_dag(200), failing_platform(60.0), 'failure-aware', seed=3); "
        "print(json.dumps(r.summary(), sort_keys=True))")
    outs = set()
    for hash_seed in ("0", "123"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True).stdout
        outs.add(out)
    assert len(outs) == 1
    assert json.loads(outs.pop())["failed_attempts"] > 0


def test_failure_aware_beats_naive_on_a_failure_heavy_platform():
    # A fast GPU that fails every 15 s on average, and a slow reliable CPU. Greedy EFT
    # sends everything to the GPU, where long tasks hit the retry limit and take their
    # dependants with them; failure-aware keeps long tasks off it.
    platform = platform_from_spec({"links": LINK, "devices": [
        {"name": "cpu", "kind": "cpu", "cores": 4, "flops_per_core": 1e11, "busy_w": 200, "idle_w": 50},
        {"name": "gpu", "kind": "gpu", "peak_flops": 2e12, "busy_w": 400, "idle_w": 60,
         "failures": {"mtbf_s": 15, "mttr_s": 10}}]})
    wf = random_dag(300, flops=(1e12, 4e13))
    for seed in range(3):
        naive = simulate(wf, platform, "greedy-eft", seed=seed)
        aware = simulate(wf, platform, "failure-aware", seed=seed)
        assert len(aware.trace.runs()) == 300 and not aware.trace.failed
        assert len(naive.trace.runs()) < 150
        assert aware.metrics.wasted_energy_j < naive.metrics.wasted_energy_j


def test_failure_aware_holds_tasks_back_from_a_coming_window():
    # d is faster but goes down at 5 for 5 s; a 4 s task placed at 2 would be cut.
    platform = platform_from_spec({"devices": [
        {"name": "d", "downtime": [{"start": 5, "end": 10}]}, {"name": "e"}]})
    wf = Workflow.build("w", [Task("a", times={"d": 2.0, "e": 2.0}), Task("b", times={"d": 4.0, "e": 30.0})],
                        [("a", "b", {})])
    naive = simulate(wf, platform, "greedy-eft")
    aware = simulate(wf, platform, "failure-aware")
    assert naive.metrics.failed_attempts == 1
    assert aware.metrics.failed_attempts == 0
    assert [(r.task, r.device, r.start) for r in aware.trace.tasks] == [("a", "d", 0.0), ("b", "d", 10.0)]
