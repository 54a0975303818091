"""Error mitigation as a cost: extra circuits and shots in QPU time, and the mitigated estimate."""

from __future__ import annotations

import math

import pytest

from devices import mitigation as M
from devices.qpu import QPU
from tests.conftest import DATA
from workloads.errors import InputError
from workloads.loaders import load_workflow
from workloads.task import Task


@pytest.fixture(scope="module")
def torino() -> QPU:
    return QPU.from_spec({"name": "torino", "backend": "FakeTorino"})


def ghz_task(shots=1000, mitigation=None) -> Task:
    circuit = load_workflow(DATA / "qasm" / "ghz5.qasm").tasks[0].circuit
    return Task("ghz", kind="quantum", circuit=circuit, shots=shots,
                meta={"mitigation": mitigation} if mitigation is not None else {})


def test_levels_and_defaults_follow_estimator_options():
    assert M.parse({"resilience_level": 0}) is None
    level1 = M.parse({})  # EstimatorV2's default level is 1: TREX
    assert level1.measure and level1.measure_twirling and not level1.zne_factors and not level1.gate_twirling
    level2 = M.parse({"resilience_level": 2})
    assert level2.zne_factors == (1.0, 3.0, 5.0) and level2.gate_twirling and level2.extrapolator == "exponential"
    pec = M.parse({"resilience_level": 0, "pec_mitigation": True})
    assert pec.pec and pec.pec_max_overhead == 100 and pec.learn_pair_depths == (0, 1, 2, 4, 16, 32)


def test_twirling_auto_shots_by_hand():
    m = M.parse({"resilience_level": 0, "twirling": {"enable_gates": True}})
    assert M.twirl_shots(m, 1000) == (16, 64)     # max(64, ceil(1000/32) = 32) = 64; ceil(1000/64) = 16
    assert M.twirl_shots(m, 4000) == (32, 125)    # ceil(4000/32) = 125
    fixed = M.parse({"resilience_level": 0, "twirling": {"enable_gates": True, "num_randomizations": 10}})
    assert M.twirl_shots(fixed, 1000) == (10, 100)
    pec = M.parse({"resilience_level": 0, "pec_mitigation": True})
    assert M.twirl_shots(pec, 1000) == (16, 64)   # 64 shots per randomization under PEC


def test_extrapolators_by_hand():
    # (1, 0.9), (3, 0.729): linear slope -0.0855, so 0.9855 at zero noise; exponential: 0.9 / 0.9**1 ... = 1.0
    assert M.extrapolate([1, 3], [0.9, 0.729], "linear") == pytest.approx(0.9855)
    assert M.extrapolate([1, 3, 5], [0.9, 0.9 ** 3, 0.9 ** 5], "exponential") == pytest.approx(1.0)
    quadratic = M.extrapolate([1, 2, 3], [0.9, 0.81, 0.729], "polynomial_degree_2")
    assert quadratic == pytest.approx(0.999)  # the parabola through the three points at 0


def test_zne_runs_every_noise_factor_with_folded_two_qubit_gates(torino):
    plain = ghz_task()
    c = torino.compiled(plain)
    target = torino.target
    # A GHZ chain's CZs are all on the critical path: folding to x adds (x - 1) * their durations.
    index = {b: i for i, b in enumerate(c.circuit.qubits)}
    cz = [target["cz"][tuple(index[q] for q in inst.qubits)] for inst in c.circuit.data if inst.operation.name == "cz"]
    assert len(cz) == 4
    cz_s = sum(p.duration for p in cz)
    e2 = math.prod(1 - p.error for p in cz)
    task = ghz_task(mitigation={"resilience_level": 0, "zne_mitigation": True, "zne": {"noise_factors": [1, 3]}})
    shot = torino.rep_delay + c.reset_s
    expected = 2.0 + 1000 * ((shot + c.duration_s) + (shot + c.duration_s + 2 * cz_s))
    assert torino.exec_time(task) == pytest.approx(expected, rel=1e-9)
    # Exponential extrapolation of ESP * e2**(x-1) recovers the ESP without the 2-qubit errors.
    assert torino.mitigated_fidelity(task) == pytest.approx(c.esp / e2, rel=1e-9)
    assert torino.fidelity(task) == c.esp  # the raw ESP is still reported
    assert torino.mitigated_fidelity(plain) is None


def test_trex_adds_twirled_shots_and_readout_learning_and_removes_measurement_errors(torino):
    c = torino.compiled(ghz_task())
    task = ghz_task(mitigation={"resilience_level": 1})
    target = torino.target
    measure_s = max(target["measure"][(q,)].duration for q in c.qubits)
    e_meas = math.prod(1 - target["measure"][(q,)].error for q in c.qubits)
    shot = torino.rep_delay + c.reset_s
    # 16 randomizations x 64 shots; learning: 32 circuits x 64 shots of a measurement only
    expected = 2.0 + 1024 * (shot + c.duration_s) + 32 * 64 * (shot + measure_s)
    assert torino.exec_time(task) == pytest.approx(expected, rel=1e-9)
    assert torino.mitigated_fidelity(task) == pytest.approx(c.esp / e_meas, rel=1e-9)
    u = M.usage(torino, task, c, M.of(task))
    assert (u.circuits, u.shots) == (16 + 32, 1024 + 2048)


def test_pec_sampling_overhead_is_gamma_squared(torino):
    c = torino.compiled(ghz_task())
    index = {b: i for i, b in enumerate(c.circuit.qubits)}
    errors = [torino.target["cz"][tuple(index[q] for q in inst.qubits)].error
              for inst in c.circuit.data if inst.operation.name == "cz"]
    gamma = math.prod(1 / (1 - 2 * p) for p in errors)  # exp(2 sum lambda), lambda = -ln(1 - 2p)/2
    task = ghz_task(mitigation={"resilience_level": 0, "pec_mitigation": True})
    u = M.usage(torino, task, c, M.of(task))
    assert u.sampling_overhead == pytest.approx(gamma ** 2, rel=1e-9)
    assert u.mitigated_esp == pytest.approx(c.esp / math.prod(1 - p for p in errors), rel=1e-9)
    # Learning: 4 layers (a 4-CZ chain is 4 layers deep) x 6 depths x 9 bases x 32 x 128 shots.
    main = math.ceil(1024 * gamma ** 2)
    assert u.shots == main + 4 * 6 * 9 * 32 * 128
    capped = ghz_task(mitigation={"resilience_level": 0, "pec_mitigation": True, "pec": {"max_overhead": 1.01}})
    uc = M.usage(torino, capped, c, M.of(capped))
    assert uc.sampling_overhead == pytest.approx(1.01)
    share = math.log(1.01) / math.log(gamma ** 2)  # the part of the 2-qubit noise removed
    e2 = math.prod(1 - p for p in errors)
    assert uc.mitigated_esp == pytest.approx(c.esp / e2 * e2 ** (1 - share), rel=1e-9)
    assert uc.notes and "exceeds max_overhead" in uc.notes[0]


def test_mitigation_costs_qpu_time_energy_and_price_in_a_run(tmp_path):
    from scheduler.api import load, simulate

    qasm = DATA / "qasm" / "ghz5.qasm"
    (tmp_path / "w.yaml").write_text(
        f"name: w\ntasks:\n  - {{id: raw, qasm: '{qasm}', shots: 1000, accelerator: qpu}}\n"
        f"  - {{id: zne, qasm: '{qasm}', shots: 1000, accelerator: qpu, mitigation: {{resilience_level: 2}}}}\n")
    workflow, platform = load(tmp_path / "w.yaml", "onprem-quantum")
    result = simulate(workflow, platform, "heft")
    runs = {r["task"]: r for r in result.summary()["schedule"]}
    assert runs["zne"]["finish"] - runs["zne"]["start"] > 1.2 * (runs["raw"]["finish"] - runs["raw"]["start"])
    assert runs["zne"]["mitigated_fidelity"] > runs["zne"]["fidelity"] == runs["raw"]["fidelity"]
    assert "mitigated_fidelity" not in runs["raw"]


@pytest.mark.parametrize("spec, message", [
    ({"zne_mitigation": True, "pec_mitigation": True}, "cannot both be on"),
    ({"resilience_level": 3}, "resilience_level must be 0, 1 or 2"),
    ({"zne_mitigation": True, "zne": {"noise_factors": [0.5, 1]}}, "noise_factors must be a list of numbers >= 1"),
    ({"zne_mitigation": True, "zne": {"extrapolator": "cubic"}}, "zne.extrapolator must be one of"),
    ({"zne_mitigation": True, "zne": {"noise_factors": [1, 3], "extrapolator": "polynomial_degree_2"}},
     "needs at least 3 distinct noise factors"),
    ({"twirling": {"num_randomizations": 0}}, "num_randomizations must be a positive integer or auto"),
    ({"trex": True}, "unknown option 'trex'"),
])
def test_bad_mitigation_is_one_line_naming_file_and_task(tmp_path, spec, message):
    import json

    qasm = DATA / "qasm" / "ghz5.qasm"
    (tmp_path / "w.json").write_text(json.dumps({"name": "w", "tasks": [{"id": "t", "qasm": str(qasm),
                                                                          "mitigation": spec}]}))
    with pytest.raises(InputError, match=message) as err:
        load_workflow(tmp_path / "w.json")
    assert str(err.value).startswith(f"{tmp_path / 'w.json'}: task 't': mitigation: ")
