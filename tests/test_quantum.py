"""Quantum tasks: statevector costs, OpenQASM, generators, the generate command, Aer fidelity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from devices.platform import load_platform
from devices.statevector import OVERHEAD_S, simulation_time, statevector_bytes
from scheduler.api import load, simulate
from scheduler.cli import main
from tests.test_qpu import ghz
from workloads.errors import InputError
from workloads.generators import generate
from workloads.loaders import load_workflow
from workloads.task import Task
from workloads.workflow import Workflow

ROOT = Path(__file__).resolve().parents[1]




# -- classical simulation of circuits ---------------------------------------------------


def test_34_qubits_do_not_fit_an_80_gb_gpu_but_32_do():
    gpu = load_platform("hybrid-lab").device("gpu")
    assert statevector_bytes(34) == 16 * 2**34
    assert "needs 2.75e+11 B of memory, gpu has 8e+10 B" in gpu.check(Task("big", kind="quantum", circuit=ghz(34)))
    assert gpu.check(Task("ok", kind="quantum", circuit=ghz(32))) is None


def test_simulation_time_doubles_per_qubit_at_scale():
    gpu = load_platform("hybrid-lab").device("gpu")
    t28 = gpu.exec_time(Task("a", kind="quantum", circuit=ghz(28)))
    t29 = gpu.exec_time(Task("b", kind="quantum", circuit=ghz(29)))
    # Past the fixed overhead: 2x the amplitudes, and one more gate to sweep.
    assert (t29 - OVERHEAD_S) / (t28 - OVERHEAD_S) == pytest.approx(2 * 29 / 28, rel=1e-3)
    assert simulation_time(Task("c", kind="quantum", circuit=ghz(3)), 0.0, 1e9) is None


def test_circuits_are_exact_off_a_qpu():
    cpu = load_platform("hybrid-lab").device("cpu")
    assert cpu.fidelity(Task("g", kind="quantum", circuit=ghz(4))) == 1.0


# -- OpenQASM ---------------------------------------------------------------------------


QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
// shots: 500
qreg q[3];
creg c[3];
h q[0];
cx q[0],q[1];
cx q[1],q[2];
measure q -> c;
"""

QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""


def test_qasm_files_load_as_one_task_workflows(tmp_path):
    two = tmp_path / "ghz3.qasm"
    two.write_text(QASM2)
    three = tmp_path / "bell.qasm"
    three.write_text(QASM3)
    wf = load_workflow(two)
    (task,) = wf.tasks
    assert (task.id, task.kind, task.shots, task.circuit.num_qubits) == ("ghz3", "quantum", 500, 3)
    bell = load_workflow(three).tasks[0]
    assert bell.circuit.num_qubits == 2 and bell.circuit.count_ops()["cx"] == 1


def test_a_qasm_file_simulates_on_a_qpu_platform(tmp_path, capsys):
    (tmp_path / "ghz3.qasm").write_text(QASM2)
    (tmp_path / "qpu.yaml").write_text("devices:\n  - {name: heron, kind: qpu, backend: FakeTorino}\n")
    assert main(["simulate", str(tmp_path / "ghz3.qasm"), "--platform", str(tmp_path / "qpu.yaml"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    (run,) = summary["schedule"]
    assert run["device"] == "heron" and 0 < run["fidelity"] < 1
    assert run["finish"] - run["start"] == pytest.approx(2.0 + 500 * 254e-6, rel=0.01)  # 500 shots, IBM model


def test_bad_qasm_is_an_input_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text("OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n")
    with pytest.raises(InputError, match="bad.qasm: not valid OpenQASM 2"):
        load_workflow(bad)
    # No version line: read as Qiskit reads it (issue #12); nothing circuit-like at all: refused.
    (tmp_path / "bare.qasm").write_text("include \"qelib1.inc\";\nqreg q[1];\nx q[0];")
    assert load_workflow(tmp_path / "bare.qasm").tasks[0].circuit.num_qubits == 1
    (tmp_path / "none.qasm").write_text("x q[0];")
    with pytest.raises(InputError, match="no 'OPENQASM"):
        load_workflow(tmp_path / "none.qasm")


def test_native_workflow_references_qasm_files(tmp_path):
    (tmp_path / "c.qasm").write_text(QASM2)
    (tmp_path / "w.yaml").write_text(
        "tasks:\n  - {id: prep, flops: 1.0e9}\n  - {id: run, qasm: c.qasm, shots: 100}\n"
        "edges:\n  - {from: prep, to: run, data_bytes: 64}\n")
    wf = load_workflow(tmp_path / "w.yaml")
    run = wf.tasks[1]
    assert run.kind == "quantum" and run.circuit.num_qubits == 3 and run.shots == 100


# -- generators and the generate command --------------------------------------------------


@pytest.mark.parametrize("name", ["vqe", "qaoa-maxcut", "quantum-kernel", "hybrid-ai"])
def test_generators_mix_classical_and_quantum_tasks_with_data_edges(name):
    wf = generate(name, seed=3)
    kinds = {t.kind for t in wf.tasks}
    assert kinds == {"classical", "quantum"}
    quantum = [t for t in wf.tasks if t.kind == "quantum"]
    assert all(t.circuit is not None and not t.circuit.parameters and t.shots > 0 for t in quantum)
    assert all(t.accelerator == "qpu" for t in quantum)
    for t in quantum:  # every circuit gets data in and sends counts out
        assert wf.graph.in_degree(t.id) and wf.graph.out_degree(t.id)
        assert all(wf.graph.edges[e]["data_bytes"] > 0 for e in wf.graph.out_edges(t.id))
    from workloads.qasm import circuit_text

    again = generate(name, seed=3)  # same seed, same workflow, same circuits
    assert [t.id for t in again.tasks] == [t.id for t in wf.tasks]
    assert [circuit_text(t.circuit) for t in again.tasks if t.circuit is not None] == \
        [circuit_text(t.circuit) for t in quantum]


def test_vqe_has_one_circuit_per_pauli_group_per_iteration():
    wf = generate("vqe", iterations=3)
    circuits = [t for t in wf.tasks if t.kind == "quantum"]
    assert len(circuits) == 3 * 2  # H2 (parity, 2 qubits): the Z group and the XX group
    assert [t.meta["observables"] for t in circuits[:2]] == [["XX"], ["IZ", "ZI", "ZZ"]]
    wf = generate("vqe", molecule="synthetic", qubits=5, terms=12, iterations=2, seed=1)
    assert {t.circuit.num_qubits for t in wf.tasks if t.kind == "quantum"} == {5}


def test_generator_parameters_are_checked():
    with pytest.raises(InputError, match="circuits_on"):
        generate("vqe", circuits_on="tpu")
    with pytest.raises(InputError, match="unknown parameter"):
        generate("qaoa-maxcut", colour="blue")
    with pytest.raises(InputError, match="regular graph"):
        generate("qaoa-maxcut", nodes=5, degree=3)
    with pytest.raises(InputError, match="dataset_bytes must be a positive number"):
        generate("hybrid-ai", dataset_bytes="lots")
    with pytest.raises(InputError, match="seed"):
        generate("quantum-kernel", seed=-1)


def test_generate_reads_yaml_12_numbers_in_params():
    from scheduler.commands.generate import parse_params

    assert parse_params(["a=4e10", "b=3", "c=qpu", "d=0.5"]) == {"a": 4e10, "b": 3, "c": "qpu", "d": 0.5}


@pytest.fixture(scope="module")
def vqe_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    assert main(["generate", "vqe", "--param", "iterations=3", "--out", str(out / "vqe.yaml")]) == 0
    assert main(["generate", "vqe", "-p", "iterations=3", "-p", "circuits_on=gpu",
                 "--out", str(out / "vqe-gpu.yaml")]) == 0
    return out


def test_generate_writes_a_workflow_and_its_circuits(vqe_files):
    files = sorted(p.name for p in (vqe_files / "vqe.circuits").iterdir())
    assert files == sorted(f"circuit_{k}_{g}.qasm" for k in range(3) for g in range(2))
    wf = load_workflow(vqe_files / "vqe.yaml")
    assert len(wf.tasks) == 2 + 3 * 4 and wf.graph.number_of_edges() == 1 + 3 * 6


def test_vqe_runs_end_to_end_on_cpu_gpu_qpu_and_gpu_simulation_differs(vqe_files):
    workflow, platform = load(vqe_files / "vqe.yaml", "hybrid-lab")
    on_qpu = simulate(workflow, platform, "heft").summary()
    circuits = [r for r in on_qpu["schedule"] if r["task"].startswith("circuit")]
    assert {r["device"] for r in circuits} == {"qpu"}
    for r in circuits:  # time, energy, cost, carbon and fidelity per task
        assert r["finish"] > r["start"] and r["energy_j"] > 0 and r["cost_usd"] > 0 and r["carbon_g"] > 0
        assert 0 < r["fidelity"] < 1 and r["fidelity_source"] == "estimate"
    workflow, platform = load(vqe_files / "vqe-gpu.yaml", "hybrid-lab")
    on_gpu = simulate(workflow, platform, "heft").summary()
    assert {r["device"] for r in on_gpu["schedule"] if r["task"].startswith("circuit")} == {"gpu"}
    # Exact simulation: fidelity 1, no queue, no QPU seconds; much faster and cheaper for 2 qubits.
    assert on_gpu["fidelity_min"] == 1.0 > on_qpu["fidelity_mean"]
    assert on_gpu["makespan"] < on_qpu["makespan"] / 100
    assert on_gpu["cost_usd"] < on_qpu["cost_usd"]
    qpu_gpu = next(d for d in on_gpu["devices"] if d["device"] == "qpu")
    assert qpu_gpu["busy_s"] == 0 and qpu_gpu["energy_j"] == 0  # a shared QPU costs nothing unused


def test_unrunnable_circuit_fails_with_one_line_naming_the_task(tmp_path, capsys):
    from workloads.qasm import circuit_text

    # 140 qubits: wider than FakeTorino (133) and than any statevector memory; a GHZ chain is cut
    # (workloads/cutting.py, issue #12) unless a mid-circuit measurement makes it uncuttable.
    wide = ghz(140)
    wide.measure(0, 0)
    wide.x(1)
    (tmp_path / "big.qasm").write_text(circuit_text(wide))
    (tmp_path / "w.yaml").write_text("tasks:\n  - {id: prep, flops: 1.0e9}\n  - {id: huge, qasm: big.qasm}\n"
                                     "edges:\n  - {from: prep, to: huge}\n")
    for policy in ("heft", "greedy-eft"):  # a static and a dynamic policy
        code = main(["simulate", str(tmp_path / "w.yaml"), "--platform", "hybrid-lab", "--policy", policy])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1
        assert "task 'huge': no device can run this task (140 qubits" in err
        assert "cannot be cut: it has a mid-circuit measure" in err
    (tmp_path / "big.qasm").write_text(circuit_text(ghz(140)))
    assert main(["simulate", str(tmp_path / "w.yaml"), "--platform", "hybrid-lab", "--json"]) == 0
    assert '"huge/reconstruct"' in capsys.readouterr().out


def test_classical_runs_do_not_import_qiskit():
    code = (
        "import sys, devices, devices.device, devices.platform\n"
        "from scheduler.api import load, simulate\n"
        f"wf, pf = load({str(ROOT / 'tests' / 'data' / 'topcuoglu2002.json')!r})\n"
        "simulate(wf, pf, 'heft')\n"
        "from devices.platform import load_platform\n"
        "load_platform('h100-node')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('qiskit', 'qiskit_aer', 'qiskit_ibm_runtime'))\n"
        "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# -- fidelity from Aer -----------------------------------------------------------------------


def test_normalised_xeb_is_one_for_ideal_samples_and_zero_for_noise():
    from scheduler.quantum import normalised_xeb

    ideal = np.zeros(8)
    ideal[0] = ideal[7] = 0.5
    assert normalised_xeb({"000": 500, "111": 500}, ideal) == pytest.approx(1.0)
    uniform = {format(i, "03b"): 125 for i in range(8)}
    assert normalised_xeb(uniform, ideal) == pytest.approx(0.0)
    assert normalised_xeb(uniform, np.full(8, 1 / 8)) is None


def test_final_measurements_mapping():
    from qiskit import QuantumCircuit

    from scheduler.quantum import final_measurements

    assert final_measurements(ghz(3)) == [0, 1, 2]
    mid = QuantumCircuit(2, 2)
    mid.measure(0, 0)
    mid.x(0)
    mid.measure(1, 1)
    assert final_measurements(mid) is None


@pytest.mark.slow
def test_aer_fidelity_is_cached_on_disk_and_falls_back_past_the_limit(tmp_path):
    from devices.qpu import QPU
    from scheduler.quantum import aer_fidelity

    qpu = QPU.from_spec({"name": "q", "backend": "torino"})
    task = Task("g3", kind="quantum", circuit=ghz(3), shots=500)
    first = aer_fidelity(task, qpu, seed=1, cache=tmp_path)
    second = aer_fidelity(task, qpu, seed=1, cache=tmp_path)
    assert (first.cached, second.cached) == (False, True)
    assert first.fidelity == second.fidelity and first.method == "aer-xeb"
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text('{"counts": ')  # damaged from outside: a miss, redone and rewritten
    third = aer_fidelity(task, qpu, seed=1, cache=tmp_path)
    assert (third.cached, third.fidelity) == (False, first.fidelity)
    assert aer_fidelity(task, qpu, seed=1, cache=tmp_path).cached
    big = aer_fidelity(Task("g20", kind="quantum", circuit=ghz(20)), qpu, cache=tmp_path)
    assert big.method == "esp" and "exceed the noisy-Aer limit" in big.note
    assert big.fidelity == qpu.fidelity(Task("g20", kind="quantum", circuit=ghz(20)))


@pytest.mark.slow
def test_simulate_aer_puts_measured_fidelities_in_the_summary(vqe_files, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HYBRIDSCHED_CACHE_DIR", str(tmp_path))
    out = tmp_path / "run"
    assert main(["simulate", str(vqe_files / "vqe.yaml"), "--platform", "hybrid-lab", "--aer",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    sources = {r["fidelity_source"] for r in summary["schedule"] if "fidelity" in r}
    assert sources == {"aer-xeb"}
    assert 0.5 < summary["fidelity_mean"] <= 1.0
