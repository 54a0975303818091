"""Circuits area: a 100-circuit workflow loaded, transpiled and scored, cold and warm; cutting.

* ``cache_case``: a native workflow of 100 quantum tasks, each naming an
  OpenQASM file (QASMBench's circuits of 2-20 qubits when a checkout or
  the fetched mirror is present, else this repository's corpus and Qiskit
  library circuits), is loaded (every file parsed) and every task scored on
  FakeTorino (``check``, ``exec_time``, ``fidelity``: a transpile each when
  cold). Run twice, in two fresh processes sharing one on-disk transpile
  cache (:mod:`devices.transpile_cache`): ``cold`` starts from an empty
  cache, ``warm`` from the one ``cold`` filled. Building the fake backend
  (importing qiskit-ibm-runtime, reading its calibration) is timed apart,
  as in the quantum area.
* ``cut_case``: cutting a 40-qubit circuit for 20-qubit devices
  (:func:`workloads.cutting.cut_task`: ``find_cuts``, then the
  subexperiments), CPU seconds.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from scheduler.bench.timing import disk_cache, timed

ROOT = Path(__file__).resolve().parents[2]
QASMBENCH = Path("/work/.mirror/pnnl+QASMBench/repo")
BACKEND = "FakeTorino"


def corpus(folder: Path, count: int = 100, max_qubits: int = 20) -> tuple[list[Path], str]:
    """``count`` OpenQASM files of 2..max_qubits qubits copied into ``folder``, and their origin."""
    from workloads.errors import InputError
    from workloads.qasm import read_circuit

    files: list[Path] = []
    origin = "QASMBench"
    helper = ROOT / "benchmarks" / "qasmbench.py"  # in a checkout, not in the wheel
    if QASMBENCH.exists() and helper.is_file():
        import importlib.util

        # By file: `benchmarks` is not importable from the installed `hybridsched` script.
        spec = importlib.util.spec_from_file_location("_qasmbench", helper)
        qasmbench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(qasmbench)
        source = qasmbench.checkout(QASMBENCH, folder / "qasmbench")
        for path in qasmbench.corpus_files(source):
            try:
                circuit = read_circuit(path)
            except InputError:
                continue
            if 2 <= circuit.num_qubits <= max_qubits:
                files.append(path)
            if len(files) == count:
                break
    if len(files) < count:
        origin = "QASMBench + generated" if files else "generated"
        files += _generated(folder / "generated", count - len(files), max_qubits)
    return files, origin


def _generated(folder: Path, count: int, max_qubits: int) -> list[Path]:
    """This repository's corpus (tests/data/qasm) and Qiskit library circuits (QFT, GHZ,
    QAOA-style rings, random), written as OpenQASM."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import QFT
    from qiskit.circuit.random import random_circuit

    from workloads.qasm import circuit_text

    folder.mkdir(parents=True, exist_ok=True)
    out = sorted((ROOT / "tests" / "data" / "qasm").glob("*.qasm"))[:count]
    k = 0
    while len(out) < count:
        n = 2 + k % (max_qubits - 1)
        kind = k % 4
        if kind == 0:
            qc = QFT(n).decompose()
        elif kind == 1:
            qc = QuantumCircuit(n)
            qc.h(0)
            for q in range(n - 1):
                qc.cx(q, q + 1)
        elif kind == 2:
            qc = QuantumCircuit(n)
            qc.h(range(n))
            for q in range(n):
                qc.rzz(0.3 + 0.01 * k, q, (q + 1) % n)
            qc.rx(0.7, range(n))
        else:
            qc = random_circuit(n, depth=6, max_operands=2, seed=k)
        qc.measure_all()
        path = folder / f"gen{k:03d}.qasm"
        path.write_text(circuit_text(qc))
        out.append(path)
        k += 1
    return out[:count]


def cache_case(cache_dir: str, phase: str, circuits: int = 100, cleanup: bool = False) -> dict[str, Any]:
    with disk_cache(cache_dir, phase, cleanup):
        return _load_and_score(phase, circuits)


def _load_and_score(phase: str, circuits: int) -> dict[str, Any]:
    from workloads.loaders import load_workflow

    work = Path(tempfile.mkdtemp(prefix="hybridsched-circuits-"))
    try:
        files, origin = corpus(work, circuits)
        lines = ["name: circuits100", "tasks:"]
        lines += [f"  - {{id: c{i:03d}, qasm: '{path}', shots: 1000}}" for i, path in enumerate(files)]
        (work / "w.yaml").write_text("\n".join(lines) + "\n")
        qpu, backend_s, backend_wall = timed(lambda: _backend())

        def load_and_score():
            workflow = load_workflow(work / "w.yaml")
            scored = []
            for task in workflow:
                why = qpu.check(task)
                scored.append((task.id, why) if why else (task.id, qpu.exec_time(task), qpu.fidelity(task)))
            return workflow, scored

        (workflow, scored), cpu_s, wall_s = timed(load_and_score)
        qubits = [t.circuit.num_qubits for t in workflow]
        return {"phase": phase, "origin": origin, "circuits": len(workflow), "qubits_min": min(qubits),
                "qubits_max": max(qubits), "refused": sum(len(s) == 2 for s in scored),
                "seconds": cpu_s, "wall_s": wall_s, "backend_load_s": backend_s, "backend_load_wall_s": backend_wall,
                "figures": [list(s) for s in scored]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _backend():
    from devices.qpu import QPU

    qpu = QPU.from_spec({"name": "torino", "backend": BACKEND})
    qpu.target  # build it now, timed apart
    return qpu


def cut_case(qubits: int = 40, width: int = 20) -> dict[str, Any]:
    from workloads.cutting import cut_task, example_circuit
    from workloads.task import Task

    task = Task(f"c{qubits}", kind="quantum", circuit=example_circuit(qubits), shots=1000)
    cut, cpu_s, wall_s = timed(lambda: cut_task(task, width, seed=1))
    return {"qubits": qubits, "width": width, "seconds": cpu_s, "wall_s": wall_s,
            "subcircuits": len(cut.subcircuits), "subexperiments": cut.subexperiments,
            "sampling_overhead": cut.sampling_overhead, "cuts": cut.cuts,
            "widths": [c.num_qubits for c in cut.subcircuits]}
