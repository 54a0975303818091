"""QPU devices: IBM's usage model, ESP, attribution, queue, feasibility."""

from __future__ import annotations

import numpy as np
import pytest

from devices.platform import platform_from_spec
from devices.qpu import QPU, TRANSPILE_SEED
from workloads.errors import InputError
from workloads.task import Task


def ghz(n: int):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


@pytest.fixture(scope="module")
def torino() -> QPU:
    return QPU.from_spec({"name": "torino", "backend": "FakeTorino", "power_w": 20000, "usd_per_second": 1.6})


def test_usage_time_equals_ibm_formula_from_qiskit_estimate_duration(torino):
    from qiskit import transpile
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    backend = FakeTorino()
    task = Task("ghz", kind="quantum", circuit=ghz(6), shots=1000)
    charged = torino.exec_time(task)
    # The same circuit transpiled here, independently of the QPU model.
    isa = transpile(task.circuit, backend=backend, optimization_level=2, seed_transpiler=TRANSPILE_SEED)
    used = {isa.find_bit(q).index for inst in isa.data if inst.operation.name not in ("barrier", "delay")
            for q in inst.qubits}
    reset = max(backend.target["reset"][(q,)].duration for q in used)
    rep_delay = backend.configuration().default_rep_delay
    assert rep_delay == pytest.approx(250e-6)
    expected = 2.0 + 1000 * (rep_delay + isa.estimate_duration(backend.target) + reset)
    assert charged == pytest.approx(expected, rel=1e-12)
    # Without the implicit reset, the reset term goes and nothing else changes.
    no_reset = QPU.from_spec({"name": "t2", "backend": "torino", "init_qubits": False})
    assert no_reset.exec_time(task) == pytest.approx(expected - 1000 * reset, rel=1e-12)


def test_each_usage_term_is_configurable():
    task = Task("ghz", kind="quantum", circuit=ghz(3), shots=100)
    base = QPU.from_spec({"name": "a", "backend": "fake_torino"})
    tuned = QPU.from_spec({"name": "b", "backend": "fake_torino", "job_overhead_s": 0.5,
                           "rep_delay_s": 1e-4, "reset_s": 0.0})
    duration = base.compiled(task).duration_s
    assert tuned.exec_time(task) == pytest.approx(0.5 + 100 * (1e-4 + duration))
    assert base.exec_time(task) > tuned.exec_time(task)


def test_esp_is_a_probability_that_falls_with_circuit_size(torino):
    small = torino.fidelity(Task("g5", kind="quantum", circuit=ghz(5)))
    large = torino.fidelity(Task("g10", kind="quantum", circuit=ghz(10)))
    assert 0 < large < small < 1


def test_transpile_is_cached_by_circuit_content(torino):
    a = Task("a", kind="quantum", circuit=ghz(4))
    b = Task("b", kind="quantum", circuit=ghz(4))  # an equal circuit, another object
    assert torino.compiled(a) is torino.compiled(b)


def test_checks_name_the_problem(torino):
    from qiskit.circuit import Parameter, QuantumCircuit

    assert "runs only quantum circuits" in torino.check(Task("c", flops=1e9))
    assert "needs 140 qubits" in torino.check(Task("big", kind="quantum", circuit=ghz(140)))
    qc = QuantumCircuit(1)
    qc.rx(Parameter("t"), 0)
    assert "unbound" in torino.check(Task("p", kind="quantum", circuit=qc))
    assert torino.check(Task("ok", kind="quantum", circuit=ghz(3))) is None


def test_generic_backend_of_any_size():
    qpu = QPU.from_spec({"name": "g", "backend": "generic", "qubits": 7})
    assert qpu.num_qubits == 7
    task = Task("g", kind="quantum", circuit=ghz(7), shots=10)
    assert qpu.exec_time(task) > 2.0
    assert 0 < qpu.fidelity(task) < 1
    assert "needs 8 qubits" in qpu.check(Task("g8", kind="quantum", circuit=ghz(8)))


def test_unknown_backend_and_bad_fields_are_input_errors():
    with pytest.raises(InputError, match="unknown backend 'FakeAtlantis'"):
        QPU.from_spec({"name": "x", "backend": "FakeAtlantis"})
    with pytest.raises(InputError, match="optimization_level"):
        QPU.from_spec({"name": "x", "backend": "torino", "optimization_level": 1})
    with pytest.raises(InputError, match="attribution"):
        QPU.from_spec({"name": "x", "backend": "torino", "attribution": "sometimes"})
    with pytest.raises(InputError, match="qubits"):
        QPU.from_spec({"name": "x", "backend": "generic"})


def test_attribution_sets_power_and_billing():
    shared = QPU.from_spec({"name": "s", "backend": "torino", "power_w": 20000, "usd_per_second": 1.6})
    dedicated = QPU.from_spec({"name": "d", "backend": "torino", "power_w": 20000, "attribution": "dedicated"})
    assert (shared.idle_w, shared.busy_w, shared.billing) == (0.0, 20000, "per-use")
    assert shared.usd_per_hour == pytest.approx(5760.0)
    assert (dedicated.idle_w, dedicated.busy_w, dedicated.billing) == (20000, 20000, "reserved")


def test_shared_qpu_charges_busy_seconds_dedicated_the_makespan():
    from scheduler.api import simulate
    from workloads.workflow import Workflow

    def platform(attribution):
        return platform_from_spec({"devices": [
            {"name": "cpu", "kind": "cpu", "cores": 4, "flops_per_core": 1e10, "mem_bandwidth": 1e10},
            {"name": "qpu", "kind": "qpu", "backend": "torino", "power_w": 20000, "attribution": attribution,
             "usd_per_second": 1.6}]})

    tasks = [Task("pre", flops=1e12, accelerator="cpu"),  # 100 s on the CPU before the circuit
             Task("circ", kind="quantum", circuit=ghz(3), shots=1000, accelerator="qpu")]
    wf = Workflow.build("w", tasks, [("pre", "circ", {})])
    shared = simulate(wf, platform("shared"), "heft").metrics
    dedicated = simulate(wf, platform("dedicated"), "heft").metrics
    qpu_s = next(d for d in shared.devices if d.device == "qpu")
    qpu_d = next(d for d in dedicated.devices if d.device == "qpu")
    assert qpu_s.energy_j == pytest.approx(20000 * qpu_s.busy_s)
    assert qpu_d.energy_j == pytest.approx(20000 * dedicated.makespan)
    assert qpu_s.cost_usd == pytest.approx(1.6 * qpu_s.busy_s)
    assert shared.task_cost_usd["circ"] == pytest.approx(1.6 * qpu_s.busy_s)
    assert 0 < shared.task_fidelity["circ"] < 1


def test_queue_wait_is_seeded_and_heavy_tailed():
    qpu = QPU.from_spec({"name": "q", "backend": "torino", "queue_median_s": 600, "queue_sigma": 1.5})
    task = Task("t", kind="quantum", circuit=ghz(2))
    draws = [qpu.queue_wait(task, np.random.default_rng([3, 0])) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = np.random.default_rng(7)
    sample = np.array([qpu.queue_wait(task, rng) for _ in range(4000)])
    assert np.median(sample) == pytest.approx(600, rel=0.1)
    assert sample.mean() > 2 * np.median(sample)  # heavy tail: the mean is far above the median
    assert QPU.from_spec({"name": "d", "backend": "torino"}).queue_wait(task, rng) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("n", [5, 10])
def test_esp_matches_noisy_aer_ghz_success(torino, n, tmp_path):
    from scheduler.quantum import aer_fidelity, run_noisy, simulator_for

    task = Task(f"ghz{n}", kind="quantum", circuit=ghz(n), shots=4000)
    compiled = torino.compiled(task)
    # The full-width AerSimulator.from_backend run ...
    counts = simulator_for(torino).run(compiled.circuit, shots=4000, seed_simulator=5).result().get_counts()
    success = (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / 4000
    assert abs(torino.fidelity(task) - success) < 0.05
    # ... gives the same counts as the run on the active qubits alone.
    assert run_noisy(compiled, torino, 4000, 5).get_counts() == counts
    # The normalised XEB of a GHZ state is its success probability.
    measured = aer_fidelity(task, torino, seed=5, cache=tmp_path)
    assert measured.method == "aer-xeb"
    assert measured.fidelity == pytest.approx(success, abs=0.02)
