"""Circuit cutting with qiskit-addon-cutting as a workflow transformation before planning."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devices.platform import platform_from_spec
from devices.statevector import simulation_time
from scheduler.api import simulate
from tests.conftest import ROOT
from workloads.cutting import cut_task, cut_workflow, example_circuit
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow


def _workflow(qubits: int, shots: int = 1000, accelerator=None) -> Workflow:
    big = Task("big", kind="quantum", circuit=example_circuit(qubits), shots=shots, accelerator=accelerator)
    return Workflow.build("w", [Task("prep", flops=1e9), big, Task("post", flops=1e9)],
                          [("prep", "big", {"data_bytes": 64.0}), ("big", "post", {"data_bytes": 8.0})])


def _platform(qpus=(), cpu_memory=6.4e10, gpus=0):
    devices = [{"name": "cpu", "kind": "cpu", "cores": 8, "flops_per_core": 1e10, "mem_bandwidth": 5e10,
                "memory_bytes": cpu_memory}]
    devices += [{"name": f"gpu{i}", "kind": "gpu", "peak_flops": 6.7e13, "mem_bandwidth": 3.35e12,
                 "memory_bytes": 8e10} for i in range(gpus)]
    devices += [{"name": f"qpu{i}", "kind": "qpu", "backend": "generic", "qubits": n} for i, n in enumerate(qpus)]
    return platform_from_spec({"name": "p", "devices": devices})


def test_chain_ansatz_cut_in_two_by_hand():
    """efficient_su2 with a linear CX chain, reps=2: the cut between qubits 3 and 4 crosses two CXs.
    A CNOT gate cut has 6 QPD terms and gamma 3 (Mitarai & Fujii 2021): 36 subexperiments per
    subcircuit, 36 coefficient terms, sampling overhead 3**2 * 3**2 = 81."""
    cut = cut_task(Task("t", kind="quantum", circuit=example_circuit(8)), 4, seed=1)
    assert cut.cuts == 2 and cut.sampling_overhead == pytest.approx(81.0)
    assert cut.counts == [36, 36] and cut.terms == 36
    assert [c.num_qubits for c in cut.subcircuits] == [4, 4]
    again = cut_task(Task("t", kind="quantum", circuit=example_circuit(8)), 4, seed=1)
    from devices.qpu import circuit_fingerprint

    assert again.counts == cut.counts
    assert [circuit_fingerprint(c) for c in again.subcircuits] == [circuit_fingerprint(c) for c in cut.subcircuits]


def test_cut_task_becomes_subexperiments_and_a_reconstruction_in_the_dag():
    workflow = cut_workflow(_workflow(8), _platform(gpus=1), 4)
    assert [t.id for t in workflow] == ["prep", "big/sub0", "big/sub1", "big/reconstruct", "post"]
    edges = sorted((u, v) for u, v in workflow.graph.edges)
    assert edges == [("big/reconstruct", "post"), ("big/sub0", "big/reconstruct"), ("big/sub1", "big/reconstruct"),
                     ("prep", "big/sub0"), ("prep", "big/sub1")]
    assert workflow.edge("prep", "big/sub0")["data_bytes"] == 64.0
    sub = workflow.task("big/sub0")
    assert sub.shots == 81_000 and sub.meta["subexperiments"] == 36 and sub.circuit.num_qubits == 4
    assert workflow.task("big/reconstruct").kind == "classical" and workflow.task("big/reconstruct").flops > 0


def test_a_simulator_runs_each_subexperiment():
    workflow = cut_workflow(_workflow(8), _platform(gpus=1), 4)
    sub = workflow.task("big/sub0")
    one = Task("one", kind="quantum", circuit=sub.circuit, shots=sub.shots)
    sampling = 2.0e-8 * sub.shots * sub.circuit.num_qubits
    assert simulation_time(sub, 6.7e13, 3.35e12) - sampling == pytest.approx(
        36 * (simulation_time(one, 6.7e13, 3.35e12) - sampling), rel=1e-12)


def test_too_wide_for_every_device_is_cut_to_the_widest_qpu():
    # 30 qubits: wider than both 20-qubit QPUs; the CPU's 1 GB cannot hold the 16 GB statevector
    result = simulate(_workflow(30, accelerator="qpu"), _platform(qpus=(20, 20), cpu_memory=1e9), "heft")
    runs = {r.task: r.device for r in result.trace.tasks}
    assert set(runs) == {"prep", "big/sub0", "big/sub1", "big/reconstruct", "post"}
    assert {runs["big/sub0"], runs["big/sub1"]} <= {"qpu0", "qpu1"}
    assert 0 < result.metrics.fidelity_min < 1
    # A platform that can run it whole does not cut it.
    whole = simulate(_workflow(12), _platform(qpus=(20,)), "heft")
    assert "big" in {r.task for r in whole.trace.tasks}


def test_cut_width_option_cuts_onto_gpu_simulators():
    result = simulate(_workflow(12), _platform(gpus=2), "heft", cut_width=6)
    runs = {r.task: r.device for r in result.trace.tasks}
    assert runs["big/sub0"].startswith("gpu") and runs["big/sub1"].startswith("gpu")


@pytest.mark.parametrize("width, message", [
    (1, "cut_width must be an integer >= 2"),
    ("six", "cut_width must be an integer >= 2"),
])
def test_bad_cut_width_is_one_line(width, message):
    with pytest.raises(InputError, match=message):
        simulate(_workflow(8), _platform(gpus=1), "heft", cut_width=width)


def test_uncuttable_circuits_are_one_line():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(6, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 5)
    with pytest.raises(InputError, match="cannot be cut: it has a mid-circuit measure"):
        cut_task(Task("m", kind="quantum", circuit=qc), 3)
    # A 3-rep chain on 8 qubits cut to pairs needs 9 CNOT cuts: a sampling overhead of 3**18
    with pytest.raises(InputError, match="task 'd': cannot be cut into subcircuits of at most 2 qubits: .*"
                                         "sampling overhead of 3.874e\\+08") as err:
        cut_task(Task("d", kind="quantum", circuit=example_circuit(8, reps=3)), 2)
    assert "\n" not in str(err.value)


def test_cli_cut_width_below_two_exits_2(tmp_path):
    from workloads.qasm import circuit_text

    (tmp_path / "c.qasm").write_text(circuit_text(example_circuit(6)))
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(tmp_path / "c.qasm"),
                           "--platform", "h100-node", "--option", "cut_width=1"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2 and "cut_width must be an integer >= 2" in proc.stderr
    assert "Traceback" not in proc.stderr
    ok = subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(tmp_path / "c.qasm"),
                         "--platform", "h100-node", "--option", "cut_width=3", "--json"], capture_output=True,
                        text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert '"c/reconstruct"' in ok.stdout


def test_cutting_suite_is_valid_and_its_workload_generates(tmp_path):
    from scheduler.experiments.suite import load_suite
    from workloads.generators import generate

    assert load_suite("cutting").name == "cutting"
    workflow = generate("wide-circuit", qubits=12, circuits_on="qpu")
    assert [t.id for t in workflow] == ["prepare", "estimate", "post"]
    assert workflow.task("estimate").circuit.num_qubits == 12
    assert workflow.task("estimate").meta["observables"] == ["Z" * 12]
    text = (ROOT / "scheduler" / "suites" / "cutting.yaml").read_text()
    text = text.replace("cut_width: 30", "cut_width: 1").replace(
        "platforms/", str(ROOT / "scheduler" / "suites" / "platforms") + "/")
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(InputError, match="cut_width must be an integer >= 2"):
        load_suite(tmp_path / "bad.yaml")
