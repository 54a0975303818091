"""The on-disk transpile cache: a second process reads what the first transpiled."""

from __future__ import annotations

import pytest

import devices.qpu as qpu_module
from devices import transpile_cache
from devices.qpu import QPU
from tests.conftest import DATA
from workloads.loaders import load_workflow
from workloads.task import Task


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDSCHED_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HYBRIDSCHED_TRANSPILE_CACHE", raising=False)
    monkeypatch.setattr(qpu_module, "_TRANSPILED", {})  # as in a fresh process
    return tmp_path / "transpile"


def _task(name: str) -> Task:
    (task,) = load_workflow(DATA / "qasm" / name).tasks
    return Task(task.id, kind="quantum", circuit=task.circuit, shots=1000)


def _fresh_qpu(monkeypatch, **spec) -> QPU:
    monkeypatch.setattr(qpu_module, "_TRANSPILED", {})
    return QPU.from_spec({"name": "torino", "backend": "FakeTorino", **spec})


def test_second_process_reads_the_figures_without_transpiling(cache, monkeypatch):
    tasks = [_task(n) for n in ("ghz5.qasm", "conditional.qasm", "custom_gates.qasm")]
    first = _fresh_qpu(monkeypatch)
    figures = [(first.exec_time(t), first.fidelity(t), first.compiled(t).qubits) for t in tasks]
    assert len(list(cache.rglob("*.json"))) == 3 and len(list(cache.rglob("*.qpy"))) == 3

    def no_transpile(*args, **kwargs):
        raise AssertionError("transpiled although the disk cache holds the entry")

    monkeypatch.setattr(qpu_module, "compile_circuit", no_transpile)
    second = _fresh_qpu(monkeypatch)
    assert [(second.exec_time(t), second.fidelity(t), second.compiled(t).qubits) for t in tasks] == figures
    assert second.compiled(tasks[1]).feedforwards == 2
    assert second.compiled(tasks[0]).circuit.num_qubits == 133  # the transpiled circuit itself


def test_damaged_entry_is_recomputed_and_rewritten(cache, monkeypatch):
    task = _task("ghz5.qasm")
    expected = _fresh_qpu(monkeypatch).exec_time(task)
    (qpy_file,) = cache.rglob("*.qpy")
    qpy_file.write_bytes(b"QISKIT")  # truncated
    qpu = _fresh_qpu(monkeypatch)
    assert qpu.exec_time(task) == expected  # the figures (JSON) need no circuit
    assert qpy_file.stat().st_size == 6  # the circuit is read only when asked for
    assert qpu.compiled(task).circuit.num_qubits == 133
    assert qpy_file.stat().st_size > 100
    (json_file,) = cache.rglob("*.json")
    json_file.write_text("{")  # damaged figures: recomputed at once
    assert _fresh_qpu(monkeypatch).exec_time(task) == expected
    assert json_file.read_text().startswith('{"duration_s"')


def test_a_cached_circuit_is_read_only_when_asked_for(cache, monkeypatch):
    from qiskit import qpy

    task = _task("ghz5.qasm")
    _fresh_qpu(monkeypatch).exec_time(task)
    calls = []
    real = qpy.load
    monkeypatch.setattr(qpy, "load", lambda f: calls.append(1) or real(f))
    qpu = _fresh_qpu(monkeypatch)
    qpu.exec_time(task), qpu.fidelity(task)
    assert calls == []
    first = qpu.compiled(task).circuit
    assert calls == [1] and qpu.compiled(task).circuit is first
    import pickle

    again = pickle.loads(pickle.dumps(qpu.compiled(task)))  # to another process: a plain Compiled
    assert type(again).__name__ == "Compiled" and again.circuit == first and again.esp == qpu.compiled(task).esp


def test_key_changes_with_backend_level_and_calibration():
    fingerprint = "0" * 64
    keys = {transpile_cache.entry_key(fingerprint, "fake:torino", 2),
            transpile_cache.entry_key(fingerprint, "fake:torino", 3),
            transpile_cache.entry_key(fingerprint, "fake:sherbrooke", 2),
            transpile_cache.entry_key(fingerprint, "generic:20", 2),
            transpile_cache.entry_key("1" * 64, "fake:torino", 2)}
    assert len(keys) == 5
    assert transpile_cache.calibration_digest("fake:torino") != transpile_cache.calibration_digest("fake:fez")


def test_reasons_are_cached_too_and_the_cache_can_be_turned_off(cache, monkeypatch):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    qc.measure_all()
    task = Task("t", kind="quantum", circuit=qc)
    small = _fresh_qpu(monkeypatch, backend="generic", qubits=3)
    assert small.check(task) is None
    monkeypatch.setenv("HYBRIDSCHED_TRANSPILE_CACHE", "off")
    before = list(cache.rglob("*"))
    _fresh_qpu(monkeypatch, optimization_level=3).exec_time(_task("ghz5.qasm"))
    assert list(cache.rglob("*")) == before


def test_fingerprint_is_the_same_under_any_hash_seed_and_after_a_transpile():
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("from devices.qpu import circuit_fingerprint; from workloads.loaders import load_workflow; "
            "print(circuit_fingerprint(load_workflow('tests/data/qasm/custom_gates.qasm').tasks[0].circuit))")
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2", "3")}
    assert len(seen) == 1 and len(seen.pop().strip()) == 64
    task = _task("custom_gates.qasm")
    before = qpu_module.circuit_fingerprint(task.circuit)
    QPU.from_spec({"name": "g", "backend": "generic", "qubits": 5}).exec_time(task)
    assert qpu_module.circuit_fingerprint(task.circuit) == before


def test_fingerprint_tells_apart_what_changes_the_run():
    from qiskit import QuantumCircuit

    def circuit(angle=0.5, value=1, qubit=1, else_gate=None):
        qc = QuantumCircuit(2, 1)
        qc.rx(angle, 0)
        qc.measure(0, 0)
        with qc.if_test((qc.clbits[0], value)) as orelse:
            qc.x(qubit)
        if else_gate:
            with orelse:
                getattr(qc, else_gate)(1)
        return qc

    prints = {qpu_module.circuit_fingerprint(c) for c in
              (circuit(), circuit(angle=0.25), circuit(value=0), circuit(qubit=0), circuit(else_gate="h"))}
    assert len(prints) == 5
    assert qpu_module.circuit_fingerprint(circuit()) == qpu_module.circuit_fingerprint(circuit())


def test_fingerprint_lines_of_standard_gates_are_those_of_any_gate():
    """Standard gates take a short path (no Python gate built); their lines stay the general ones,
    so keys written before it are still found."""
    import hashlib

    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 1)
    qc.rx(0.3, 0)
    qc.cx(0, 1)
    qc.measure(1, 0)
    lines = "circuit 2 1 0.0\nrx|0||0.3\ncx|0,1||\nmeasure|1|0|\n"
    assert qpu_module.circuit_fingerprint(qc) == hashlib.sha256(lines.encode()).hexdigest()
