"""Circuits as users write them: OpenQASM 2 (with or without the version line), OpenQASM 3,
QPY, dynamic circuits timed on their worst case, and one-line errors for bad files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devices.qpu import QPU
from tests.conftest import DATA, ROOT
from workloads.errors import InputError
from workloads.loaders import load_workflow
from workloads.task import Task

CORPUS = DATA / "qasm"


@pytest.fixture(scope="module")
def torino() -> QPU:
    return QPU.from_spec({"name": "torino", "backend": "FakeTorino"})


# -- reading -------------------------------------------------------------------------


@pytest.mark.parametrize("name, qubits, ops", [
    ("ghz5.qasm", 5, {"h": 1, "cx": 4, "barrier": 1, "measure": 5}),
    ("no_version_adder.qasm", 4, {"x": 2, "ccx": 2, "cx": 2, "measure": 2}),
    ("custom_gates.qasm", 4, {"rot": 1, "majority": 1, "entangle": 1, "unmaj": 1, "measure": 4}),
    ("legacy_gates.qasm", 5, {"u3": 1, "u2": 1, "u1": 1, "cu1": 1, "cu3": 1, "rccx": 1, "mcx": 1,
                              "cswap": 1, "rzz": 1, "sdg": 1, "tdg": 1, "measure": 5}),
    ("barriers_resets.qasm", 3, {"h": 2, "cx": 2, "barrier": 2, "reset": 2, "measure": 3}),
    ("mid_measure.qasm", 3, {"h": 3, "cx": 5, "measure": 4, "reset": 1}),
    ("conditional.qasm", 3, {"rx": 1, "h": 2, "cx": 2, "measure": 3, "if_else": 2}),
    ("teleport3.qasm", 3, {"rx": 1, "h": 2, "cx": 2, "measure": 3, "if_else": 2}),
    ("repeat3.qasm", 3, {"h": 1, "for_loop": 1, "measure": 3}),
    ("no_version3.qasm", 2, {"h": 1, "cx": 1, "measure": 2}),
    ("until_success3.qasm", 2, {"h": 1, "measure": 1, "while_loop": 1}),
    ("switch.qpy", 3, {"h": 2, "measure": 3, "switch_case": 1}),
])
def test_corpus_file_reads_as_the_circuit_it_writes(name, qubits, ops):
    (task,) = load_workflow(CORPUS / name).tasks
    assert task.id == Path(name).stem
    assert task.circuit.num_qubits == qubits
    assert dict(task.circuit.count_ops()) == ops


def test_shots_comment_and_qpy_file_of_two_circuits():
    assert load_workflow(CORPUS / "ghz5.qasm").tasks[0].shots == 2000
    workflow = load_workflow(CORPUS / "pair.qpy")
    assert [(t.id, t.circuit.num_qubits) for t in workflow] == [("bell", 2), ("ghz3", 3)]


def test_qpy_written_by_qiskit_reads_back_equal(tmp_path):
    from qiskit import QuantumCircuit, qpy

    qc = QuantumCircuit(3, 3, name="mine")
    qc.h(0)
    qc.cx(0, 2)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.measure([1, 2], [1, 2])
    path = tmp_path / "mine.qpy"
    with open(path, "wb") as f:
        qpy.dump(qc, f)
    (task,) = load_workflow(path).tasks
    assert task.circuit == qc


def test_native_workflow_reads_qasm_and_qpy_circuits(tmp_path):
    (tmp_path / "w.yaml").write_text(
        f"name: w\ntasks:\n  - {{id: a, qasm: {CORPUS / 'no_version_adder.qasm'}}}\n"
        f"  - {{id: b, qasm: {CORPUS / 'switch.qpy'}, shots: 10}}\nedges:\n  - {{from: a, to: b}}\n")
    workflow = load_workflow(tmp_path / "w.yaml")
    assert [t.circuit.num_qubits for t in workflow] == [4, 3]
    (tmp_path / "x.yaml").write_text(f"name: x\ntasks:\n  - {{id: a, qasm: {CORPUS / 'pair.qpy'}}}\n")
    with pytest.raises(InputError, match="holds 2 circuits; a task's circuit file must hold one"):
        load_workflow(tmp_path / "x.yaml")


@pytest.mark.parametrize("name, message", [
    ("truncated.qasm", "not valid OpenQASM 2: .*unexpected end-of-file"),
    ("unknown_gate.qasm", "not valid OpenQASM 2: .*'foo' is not defined"),
    ("version4.qasm", "unsupported OpenQASM version 4"),
    ("not_qasm.qasm", "not OpenQASM: no 'OPENQASM 2.0;' or 'OPENQASM 3.0;' header and no qreg or qubit"),
    ("out_of_range.qasm", "index 2 is out-of-range for register 'q'"),
    ("switch3.qasm", "not valid OpenQASM 3: .*SwitchStatement is not supported"),
    ("truncated.qpy", "not a valid QPY file"),
])
def test_bad_file_is_one_line_naming_it(name, message):
    path = CORPUS / "bad" / name
    with pytest.raises(InputError, match=message) as err:
        load_workflow(path)
    assert str(err.value).startswith(str(path) + ": ")
    assert "\n" not in str(err.value)


def test_bad_file_on_the_command_line_exits_2_without_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(CORPUS / "bad" / "unknown_gate.qasm"),
                           "--platform", "hybrid-lab"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "'foo' is not defined" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


# -- dynamic circuits ---------------------------------------------------------------------


def _props(target, name, q):
    return target[name][(q,)]


def test_worst_case_of_if_else_and_for_loop_by_hand(torino):
    """measure; if (c) {x} else {sx; sx}; for 3 {x}: durations and errors read from the target."""
    from qiskit import QuantumCircuit

    from devices.circuit_timing import worst_case

    target = torino.target
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)) as orelse:
        qc.x(0)
    with orelse:
        qc.sx(0)
        qc.sx(0)
    with qc.for_loop(range(3)):
        qc.x(0)
    timing = worst_case(qc, target, 1e-6)
    m, x, sx = (_props(target, n, 0) for n in ("measure", "x", "sx"))
    assert timing.duration_s == pytest.approx(m.duration + max(x.duration, 2 * sx.duration) + 3 * x.duration)
    assert timing.feedforwards == 1  # the if_else; a for loop needs no feed-forward
    worst_branch = min(1 - x.error, (1 - sx.error) ** 2)
    assert timing.esp == pytest.approx((1 - m.error) * worst_branch * (1 - x.error) ** 3)


def test_worst_case_equals_estimate_duration_without_control_flow(torino):
    from qiskit import transpile

    from devices.circuit_timing import worst_case

    for name in ("ghz5.qasm", "custom_gates.qasm", "barriers_resets.qasm", "mid_measure.qasm"):
        circuit = load_workflow(CORPUS / name).tasks[0].circuit
        isa = transpile(circuit, target=torino.target, optimization_level=2, seed_transpiler=11)
        timing = worst_case(isa, torino.target, 1e-6)
        assert timing.duration_s == pytest.approx(isa.estimate_duration(torino.target), rel=1e-12), name
        assert timing.esp == pytest.approx(torino.compiled(Task("t", kind="quantum", circuit=circuit)).esp), name


@pytest.mark.parametrize("name", ["conditional.qasm", "teleport3.qasm", "repeat3.qasm", "switch.qpy"])
def test_dynamic_circuit_is_timed_and_scored(torino, name):
    (task,) = load_workflow(CORPUS / name).tasks
    task = Task(task.id, kind="quantum", circuit=task.circuit, shots=1000)
    assert torino.check(task) is None
    c = torino.compiled(task)
    assert c.feedforwards == {"conditional.qasm": 2, "teleport3.qasm": 2, "repeat3.qasm": 0, "switch.qpy": 1}[name]
    expected = 2.0 + 1000 * (250e-6 + c.duration_s + c.feedforwards * 1e-6 + c.reset_s)
    assert torino.exec_time(task) == pytest.approx(expected, rel=1e-12)
    slow = QPU.from_spec({"name": "slow", "backend": "FakeTorino", "feedforward_s": 1e-5})
    assert slow.exec_time(task) == pytest.approx(expected + 1000 * c.feedforwards * 9e-6, rel=1e-12)
    assert 0.5 < torino.fidelity(task) < 1.0


def test_while_loop_is_refused_in_one_line():
    from scheduler.api import load, simulate

    # ibm-cloud-qpu also has a CPU, which cannot time an unbounded loop either
    workflow, platform = load(CORPUS / "until_success3.qasm", "ibm-cloud-qpu")
    with pytest.raises(InputError, match="while loop, whose number of iterations is not known") as err:
        simulate(workflow, platform, "heft")
    assert "\n" not in str(err.value)


def test_dynamic_circuit_simulates_end_to_end_under_every_kind_of_policy():
    from devices.platform import platform_from_spec
    from scheduler.api import simulate

    workflow = load_workflow(CORPUS / "conditional.qasm")
    platform = platform_from_spec({"name": "q", "devices": [{"name": "torino", "kind": "qpu", "backend": "FakeTorino"}]})
    for policy in ("heft", "greedy-eft", "minmin"):
        result = simulate(workflow, platform, policy)
        assert result.metrics.makespan > 2.0
        assert 0.5 < result.metrics.fidelity_mean < 1.0


# -- a public corpus no one here wrote (skipped unless fetched) ------------------------------

QASMBENCH = Path("/work/.mirror/pnnl+QASMBench/repo")


@pytest.mark.slow
@pytest.mark.skipif(not QASMBENCH.exists(), reason="QASMBench is not fetched (github:pnnl/QASMBench)")
def test_qasmbench_small_and_medium_circuits_load_time_and_score(tmp_path):
    """QASMBench (Li et al., ACM TQC 2023): every small/medium file loads except the 8 that
    measure a register they never declare (Qiskit refuses those too), and every circuit of
    at most 20 qubits, the dynamic ones included, is timed and scored on FakeTorino."""
    from benchmarks.qasmbench import checkout, measure

    report = measure(checkout(QASMBENCH, tmp_path), max_qubits=20)
    assert report["files"] >= 120
    assert all(f["stage"] == "load" and "'q' is not defined in this scope" in f["error"]
               for f in report["failures"]), report["failures"]
    assert report["loaded"] >= report["files"] - 8
    timed = [c for c in report["circuits"] if "seconds" in c]
    assert len(timed) == sum(c["qubits"] <= 20 for c in report["circuits"]) >= 100
    assert sum(c["dynamic"] for c in timed) >= 5  # QASMBench has classical 'if' circuits
    assert all(c["seconds"] > 2.0 and 0.0 <= c["esp"] <= 1.0 for c in timed)
