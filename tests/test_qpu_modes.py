"""QPU execution modes (job, session, batch), simulated tenants, and queue-aware placement.

The hand-worked cases use circuits with tabled QPU times and a queue of
``queue_sigma: 0``, whose lognormal wait is exactly ``queue_median_s``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from devices.platform import load_platform, platform_from_spec
from devices.qpu import QPU
from scheduler.api import simulate
from scheduler.cli import main
from scheduler.qpu_service import TenantQueue
from workloads.errors import InputError
from workloads.loaders import load_workflow

USD_PER_S = 1.0
POWER_W = 1000.0


def lab(*, qpus=1, median=100.0, **qpu) -> dict:
    devices = [{"name": "cpu", "kind": "cpu", "cores": 1, "busy_w": 0, "idle_w": 0, "usd_per_hour": 0}]
    for k in range(qpus):
        devices.append({"name": f"q{k}", "kind": "qpu", "backend": "generic", "qubits": 2, "power_w": POWER_W,
                        "attribution": "shared", "usd_per_second": USD_PER_S, "queue_median_s": median,
                        "queue_sigma": 0.0, **qpu})
    return {"name": "lab", "devices": devices}


def write(tmp_path, tasks, edges=(), groups=None, name="w.yaml"):
    (tmp_path / "c.qasm").write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
                                     "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
    doc = {"format": "hybridsched-workflow/1", "name": "w", "tasks": tasks,
           "edges": [{"from": u, "to": v} for u, v in edges]}
    if groups is not None:
        doc["groups"] = groups
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def qtask(tid, seconds, group=None, device="q0"):
    spec = {"id": tid, "qasm": "c.qasm", "times": {device: seconds}}
    if group:
        spec["group"] = group
    return spec


def ctask(tid, seconds):
    return {"id": tid, "times": {"cpu": seconds}}


def run(path, platform, policy="greedy-eft", seed=0):
    return simulate(load_workflow(path), platform_from_spec(platform), policy, seed=seed)


def qpu_cost(result, name="q0"):
    return next(d.cost_usd for d in result.metrics.devices if d.device == name)


def qpu_energy(result, name="q0"):
    return next(d.energy_j for d in result.metrics.devices if d.device == name)


def spans(trace):
    return [(w.kind, round(w.start, 9), round(w.finish, 9)) for w in trace.waits]


def loop(tmp_path, classical_s, group=None, groups=None):
    """q1 (10 s on the QPU) -> c1 (classical_s on the CPU) -> q2 (10 s)."""
    return write(tmp_path, [qtask("q1", 10, group), ctask("c1", classical_s), qtask("q2", 10, group)],
                 [("q1", "c1"), ("c1", "q2")], groups)


# -- sessions -------------------------------------------------------------------------


def test_a_session_is_billed_for_its_wall_time_and_queues_once(tmp_path):
    session = run(loop(tmp_path, 5, "s", {"s": "session"}), lab())
    # q1 queues 0-100 and runs 100-110; c1 110-115; q2 starts at once inside the session: 115-125.
    assert session.metrics.makespan == pytest.approx(125.0)
    # Session wall time 100..125 = 25 s, idle 110-115 included: USD 1/s x 25 s, 1 kW x 25 s.
    assert qpu_cost(session) == pytest.approx(USD_PER_S * 25.0)
    assert qpu_energy(session) == pytest.approx(POWER_W * 25.0)
    assert session.metrics.session_idle_s == pytest.approx(5.0)
    assert session.metrics.queue_wait_s == pytest.approx(100.0)
    assert spans(session.trace) == [("queue", 0.0, 100.0), ("session-idle", 110.0, 115.0)]
    # The tasks are charged their own runs only; the idle 5 s is the session's.
    assert sum(session.metrics.task_cost_usd.values()) == pytest.approx(20.0)

    job = run(loop(tmp_path, 5), lab())
    # Job mode: q2 queues again, 115-215, and runs 215-225; billed 10 + 10 s.
    assert job.metrics.makespan == pytest.approx(225.0)
    assert qpu_cost(job) == pytest.approx(20.0)
    assert session.metrics.makespan < job.metrics.makespan and qpu_cost(session) >= qpu_cost(job)


def test_an_idle_session_lapses_after_its_interactive_ttl_and_the_next_job_queues_again(tmp_path):
    lapsed = run(loop(tmp_path, 400, "s", {"s": "session"}), lab())
    # q1 100-110; c1 110-510 is longer than the 300 s TTL: the session lapses at 410 (billed
    # 100..410 = 310 s); q2 queues 510-610 and runs 610-620 in a new session (10 s).
    assert lapsed.metrics.makespan == pytest.approx(620.0)
    assert qpu_cost(lapsed) == pytest.approx(310.0 + 10.0)
    assert spans(lapsed.trace) == [
        ("queue", 0.0, 100.0), ("session-idle", 110.0, 410.0), ("queue", 510.0, 610.0)]
    # A longer TTL keeps it open: q2 runs 510-520, billed 100..520 = 420 s.
    kept = run(loop(tmp_path, 400, "s", {"s": {"mode": "session", "ttl_s": 1000}}), lab())
    assert kept.metrics.makespan == pytest.approx(520.0)
    assert qpu_cost(kept) == pytest.approx(420.0)


def test_a_session_ends_at_its_maximum_ttl(tmp_path):
    # max_ttl_s 50: q1 runs 100-110; c1 110-200; the session (started at 100) ended at 150.
    r = run(loop(tmp_path, 90, "s", {"s": {"mode": "session", "ttl_s": 45, "max_ttl_s": 50}}), lab())
    assert qpu_cost(r) == pytest.approx((150.0 - 100.0) + 10.0)
    assert r.metrics.makespan == pytest.approx(200.0 + 100.0 + 10.0)


# -- batches --------------------------------------------------------------------------


def fan(tmp_path, groups=None, group=None):
    """p (1 s) -> k1, k2, k3 (10, 20, 30 s on the QPU) -> a (1 s)."""
    ks = [qtask(f"k{n}", 10 * n, group) for n in (1, 2, 3)]
    edges = [("p", f"k{n}") for n in (1, 2, 3)] + [(f"k{n}", "a") for n in (1, 2, 3)]
    return write(tmp_path, [ctask("p", 1), *ks, ctask("a", 1)], edges, groups)


def test_a_batch_queues_once_and_is_billed_the_sum_of_its_jobs(tmp_path):
    batch = run(fan(tmp_path, {"b": "batch"}, "b"), lab())
    # k1 queues 1-101 and runs 101-111, k2 111-131, k3 131-161; a 161-162.
    assert batch.metrics.makespan == pytest.approx(162.0)
    assert qpu_cost(batch) == pytest.approx(10 + 20 + 30)
    job = run(fan(tmp_path), lab())
    # Job mode: each queues 100 s: 101-111, 211-231, 331-361; a 361-362. Same usage.
    assert job.metrics.makespan == pytest.approx(362.0)
    assert qpu_cost(job) == pytest.approx(qpu_cost(batch))


# -- generated workflows on hybrid-lab (real FakeTorino timing) -------------------------


def test_vqe_in_a_session_beats_job_mode_on_makespan_and_costs_the_qpu_no_less():
    from workloads.generators import generate

    platform = load_platform("hybrid-lab")
    session = simulate(generate("vqe", iterations=20), platform, "heft", seed=3)
    job = simulate(generate("vqe", iterations=20, mode="job"), platform, "heft", seed=3)
    assert session.metrics.makespan < job.metrics.makespan / 10
    assert qpu_cost(session, "qpu") >= qpu_cost(job, "qpu")
    # The session's bill is its wall time: its jobs' usage plus its idle gaps, at USD 1.60/s.
    runs = [r for r in session.trace.tasks if r.device == "qpu"]
    usage = sum(r.finish - r.start for r in runs)
    assert qpu_cost(session, "qpu") == pytest.approx(1.60 * (usage + session.metrics.session_idle_s))
    assert qpu_cost(session, "qpu") == pytest.approx(1.60 * (runs[-1].finish - runs[0].start))


def test_quantum_kernel_batch_costs_what_its_jobs_cost_in_less_time():
    from workloads.generators import generate

    platform = load_platform("hybrid-lab")
    params = {"samples": 4, "test_samples": 2}
    batch = simulate(generate("quantum-kernel", **params), platform, "heft", seed=1)
    job = simulate(generate("quantum-kernel", mode="job", **params), platform, "heft", seed=1)
    assert qpu_cost(batch, "qpu") == pytest.approx(qpu_cost(job, "qpu"))
    assert batch.metrics.makespan < job.metrics.makespan
    assert sum(w.kind == "queue" for w in batch.trace.waits) == 1


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("groups, message", [
    ({"s": "forever"}, "unknown mode 'forever'"),
    ({"s": {"mode": "session", "ttl_s": -1}}, "ttl_s must be a number of seconds >= 0"),
    ({"s": {"mode": "session", "max_ttl_s": 1e9}}, "max_ttl_s must be in (0, 28800]"),
    ({"s": {"mode": "session", "ttl_s": 600, "max_ttl_s": 60}}, "exceeds max_ttl_s"),
    ({"s": {"mode": "session", "tll_s": 6}}, "unknown field(s) tll_s"),
])
def test_bad_groups_are_one_line_errors_naming_file_and_group(tmp_path, capsys, groups, message):
    path = loop(tmp_path, 5, "s", groups)
    code = main(["simulate", str(path), "--platform", "hybrid-lab"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert str(path) in err and "group 's'" in err and message in err


def test_an_unknown_group_and_a_dependent_batch_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"task 'q1'.*unknown group 'x' \(groups: s\)"):
        load_workflow(loop(tmp_path, 5, "x", {"s": "session"}))
    with pytest.raises(InputError, match=r"group 'b'.*batch's jobs must be independent"):
        load_workflow(loop(tmp_path, 5, "b", {"b": "batch"}))


def test_a_session_over_two_qpus_is_refused_naming_the_group(tmp_path):
    path = write(tmp_path, [qtask("q1", 10, "s", "q0"), qtask("q2", 10, "s", "q1")], [("q1", "q2")],
                 {"s": "session"})
    with pytest.raises(InputError, match=r"group 's'.*its session spans QPUs (q0 and q1|q1 and q0)"):
        run(path, lab(qpus=2))


@pytest.mark.parametrize("field, value, message", [
    ("utilisation", 1.0, "utilisation must be in [0, 1)"),
    ("utilisation", -0.1, "utilisation: expected a non-negative number"),
    ("queue_model", "magic", "queue_model must be one of sampled, tenants"),
    ("queue_order", "lifo", "queue_order must be one of fifo, round-robin"),
    ("background_mean_s", 0, "background_mean_s must be a positive number"),
])
def test_bad_queue_parameters_are_refused(field, value, message):
    with pytest.raises(InputError, match=r"device 'q0'.*" + message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        platform_from_spec(lab(**{field: value}))


def test_generators_check_the_mode():
    from workloads.generators import generate

    with pytest.raises(InputError, match="mode must be one of job, session, batch"):
        generate("vqe", iterations=1, mode="burst")
    with pytest.raises(InputError, match="batch's jobs must be independent"):
        generate("vqe", iterations=2, mode="batch")
    assert generate("qaoa-maxcut", grid=2).groups["qaoa"].mode == "session"
    assert generate("quantum-kernel", samples=2, test_samples=1).groups["qkernel"].mode == "batch"
    assert generate("vqe", iterations=1, mode="job").groups == {}


def test_groups_survive_generate_and_load(tmp_path):
    assert main(["generate", "quantum-kernel", "-p", "samples=3", "-p", "test_samples=1",
                 "--out", str(tmp_path / "k.yaml")]) == 0
    workflow = load_workflow(tmp_path / "k.yaml")
    assert workflow.groups["qkernel"].mode == "batch"
    assert {t.group for t in workflow.tasks if t.kind == "quantum"} == {"qkernel"}


# -- simulated tenants --------------------------------------------------------------------


def tenant_qpu(**kw) -> QPU:
    spec = lab(median=0, queue_model="tenants", **kw)["devices"][1]
    return platform_from_spec({"name": "x", "devices": [spec]}).devices[0]


def probe_waits(queue: TenantQueue, n: int, gap: float, *, engine_like: bool = False) -> np.ndarray:
    """Waits of ``n`` zero-length probe jobs, one every ``gap`` seconds (they perturb nothing);
    ``engine_like``: none before the previous one started, as the engine submits them."""
    waits = []
    start = 0.0
    for k in range(n):
        t = (k + 1) * gap
        if engine_like:
            t = max(t, start)
        start = queue.enter(t)
        queue.release(start)
        waits.append(start - t)
    return np.array(waits)


def test_a_fifo_tenants_queue_matches_the_pollaczek_khinchine_mean_wait():
    # M/G/1, FIFO: W = lambda E[S^2] / (2 (1 - rho)); lognormal S of mean m: E[S^2] = m^2 exp(sigma^2).
    rho, mean, sigma = 0.5, 10.0, 0.5
    queue = TenantQueue(tenant_qpu(utilisation=rho, background_mean_s=mean, background_sigma=sigma),
                        np.random.default_rng(7))
    waits = probe_waits(queue, 40_000, 25.0)
    expected = (rho / mean) * mean ** 2 * math.exp(sigma ** 2) / (2 * (1 - rho))  # 6.42 s
    assert waits.mean() == pytest.approx(expected, rel=0.08)
    assert (waits == 0).mean() == pytest.approx(1 - rho, abs=0.03)  # PASTA: P(idle) = 1 - rho


def test_round_robin_lets_a_light_tenant_pass_a_busy_queue():
    # Two heavy tenants keep a 90%-loaded QPU's queue long; round-robin puts our job behind at most
    # one job of each (plus the one in service), FIFO behind all of them.
    qpu = dict(utilisation=0.9, background_mean_s=10.0, background_sigma=1.0)
    fifo = probe_waits(TenantQueue(tenant_qpu(**qpu), np.random.default_rng(3)), 2000, 500.0, engine_like=True)
    fair = probe_waits(TenantQueue(tenant_qpu(queue_order="round-robin", tenants=2, **qpu),
                                   np.random.default_rng(3)), 2000, 500.0, engine_like=True)
    assert fair.mean() < fifo.mean() / 2


def test_tenant_waits_repeat_for_a_seed_and_grow_with_load(tmp_path):
    path = fan(tmp_path)
    waits = {}
    for u in (0.3, 0.9):
        platform = lab(median=0, queue_model="tenants", utilisation=u)
        a, b = run(path, platform, seed=5), run(path, platform, seed=5)
        assert a.trace.to_csv() == b.trace.to_csv()
        waits[u] = np.mean([run(path, platform, seed=s).metrics.queue_wait_s for s in range(8)])
    assert waits[0.9] > 3 * waits[0.3]
    idle = run(path, lab(median=0, queue_model="tenants", utilisation=0.0))
    assert idle.metrics.queue_wait_s == 0 and idle.metrics.makespan == pytest.approx(1 + 10 + 20 + 30 + 1)


# -- queue-aware placement -----------------------------------------------------------------


def test_queue_aware_eft_simulates_on_the_cpu_when_the_queue_is_long(tmp_path):
    # q: 10 s on the QPU or 50 s on the CPU. Greedy EFT sees 10 < 50 and then waits 100 s in the
    # queue (finish 110); queue-aware EFT sees 10 + 100 (the sampled wait's mean) > 50.
    path = write(tmp_path, [{"id": "q", "qasm": "c.qasm", "times": {"q0": 10, "cpu": 50}}])
    greedy = run(path, lab(), "greedy-eft")
    aware = run(path, lab(), "queue-aware-eft")
    assert greedy.trace.tasks[0].device == "q0" and greedy.metrics.makespan == pytest.approx(110.0)
    assert aware.trace.tasks[0].device == "cpu" and aware.metrics.makespan == pytest.approx(50.0)
    # With a short queue both take the QPU.
    short = run(path, lab(median=20.0), "queue-aware-eft")
    assert short.trace.tasks[0].device == "q0" and short.metrics.makespan == pytest.approx(30.0)


def test_waits_appear_in_the_trace_csv_and_the_perfetto_export(tmp_path):
    path = loop(tmp_path, 5, "s", {"s": "session"})
    (tmp_path / "lab.yaml").write_text(yaml.safe_dump(lab()))
    out = tmp_path / "run"
    assert main(["simulate", str(path), "--platform", str(tmp_path / "lab.yaml"), "--out", str(out)]) == 0
    rows = (out / "trace.csv").read_text().splitlines()
    assert any(r.startswith("wait,q1,q0,0.0,") and r.endswith(",queue,,,") for r in rows)
    assert any(r.startswith("wait,s,q0,110.0") and ",session-idle," in r for r in rows)
    from scheduler.reports.perfetto import trace_events

    events = trace_events(out)["traceEvents"]
    assert {e.get("cat") for e in events if e.get("pid") == 3 and e["ph"] == "X"} == {"queue", "session-idle"}


def test_a_session_survives_its_qpu_going_down(tmp_path):
    # q0 is down 105-300, in the middle of q1's run: the session ends there, q1 is retried and the
    # run completes (on q0 after the window, or on q1 in a new session).
    path = write(tmp_path, [{"id": "q1", "qasm": "c.qasm", "times": {"qpu": 10}, "group": "s"},
                            ctask("c1", 5), {"id": "q2", "qasm": "c.qasm", "times": {"qpu": 10}, "group": "s"}],
                 [("q1", "c1"), ("c1", "q2")], {"s": "session"})
    platform = lab(qpus=2)
    platform["devices"][1]["downtime"] = [{"start": 105, "end": 300}]
    result = run(path, platform)
    assert sorted(r.task for r in result.trace.tasks if r.status == "done") == ["c1", "q1", "q2"]
    assert any(r.status == "failed" for r in result.trace.tasks)


def test_the_trade_off_plot_draws_every_mode_and_placement(tmp_path):
    import pandas as pd

    from scheduler.reports.plots import modes_tradeoff

    rows = []
    for platform, load in (("hybrid-lab", 1.0), ("load90", 10.0)):
        for on in ("qpu", "gpu", "any"):
            for mode in ("job", "session"):
                for policy in ("heft", "queue-aware-eft"):
                    rows.append({"status": "ok", "workflow": f"vqe[mode={mode},circuits_on={on}]",
                                 "platform": platform, "policy": policy, "param_mode": mode,
                                 "param_circuits_on": on, "makespan": load * (2 if mode == "job" else 1),
                                 "cost_usd": 1.0, "energy_j": 1.0, "queue_wait_s": 0.0, "session_idle_s": 0.0})
    path = modes_tradeoff(pd.DataFrame(rows), tmp_path)
    assert path == tmp_path / "qpu-modes.png" and path.stat().st_size > 0
    table = pd.read_csv(tmp_path / "qpu-modes.csv")
    assert len(table) == len(rows)
    assert modes_tradeoff(pd.DataFrame(rows).drop(columns="param_mode"), tmp_path / "x") is None


@pytest.mark.parametrize("order", ["fifo", "round-robin"])
def test_the_expected_wait_is_the_wait_a_job_joining_now_meets(order):
    # FIFO: the job in service and everything queued go first. Round-robin: one job of each tenant
    # with queued work; later arrivals queue behind us either way. So the estimate is exact.
    queue = TenantQueue(tenant_qpu(utilisation=0.8, background_mean_s=30.0, queue_order=order, tenants=5),
                        np.random.default_rng(11))
    t, checked = 0.0, 0
    for k in range(300):
        t += 37.0
        expected = queue.expected_wait(t)
        start = queue.enter(t)
        assert start - t == pytest.approx(expected, abs=1e-9)
        queue.release(start + 1.0)
        t = max(t, start + 1.0)
        checked += expected > 0
    assert checked > 100


def test_job_mode_keeps_the_numbers_of_before_execution_modes():
    # docs/quantum.md's worked comparison, as published before sessions existed: job mode must not
    # change (the same lognormal draws from the same per-device stream, no QPU service at all).
    from scheduler.engine import Engine
    from scheduler.policies import make_policy
    from workloads.generators import generate

    workflow = generate("vqe", iterations=4, mode="job")
    platform = load_platform("hybrid-lab")
    assert Engine(workflow, platform, make_policy("heft")).qpu_service is None
    result = simulate(workflow, platform, "heft", seed=0)
    assert result.metrics.makespan == pytest.approx(2474.2, abs=0.1)
    assert result.metrics.cost_usd == pytest.approx(43.97, abs=0.01)
    assert result.metrics.queue_wait_s == pytest.approx(sum(w.finish - w.start for w in result.trace.waits))
