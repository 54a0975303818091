"""Quantum area: transpile-and-estimate per circuit on a QPU, cold and warm.

"Scoring a placement" is what a policy asks of a device for one task:
``check`` (can it run), ``exec_time`` and ``fidelity``. On a
:class:`devices.qpu.QPU` the first call transpiles the circuit to the
target (cold); later calls hit the transpile cache, either by the circuit
object (warm, same task) or by its content fingerprint (warm, an equal
circuit in another task or workflow). Backend construction (loading the
fake backend's calibration) is timed apart, once.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

from scheduler.bench.timing import median, timed

#: Offline fake backend with a real calibration snapshot (IBM Torino, 133 qubits).
BACKEND = "fake_torino"


def available() -> str | None:
    """None when the quantum device model can be measured, else why not."""
    if importlib.util.find_spec("devices.qpu") is None:
        return "devices.qpu does not exist yet"
    for module in ("qiskit", "qiskit_ibm_runtime"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    return None


def make_circuits(count: int) -> list[Any]:
    """GHZ and QAOA-style circuits of 4 to 18 qubits, measured."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import QAOAAnsatz
    from qiskit.quantum_info import SparsePauliOp

    out = []
    for k in range(count):
        n = 4 + 2 * k
        if k % 2 == 0:
            qc = QuantumCircuit(n, name=f"ghz{n}")
            qc.h(0)
            for q in range(n - 1):
                qc.cx(q, q + 1)
        else:
            ring = SparsePauliOp.from_sparse_list([("ZZ", [q, (q + 1) % n], 1.0) for q in range(n)], num_qubits=n)
            qc = QAOAAnsatz(ring, reps=1).decompose()
            qc = qc.assign_parameters([0.4] * qc.num_parameters)
            qc.name = f"qaoa{n}"
        qc.measure_all()
        out.append(qc)
    return out


def run_case(circuits: int = 4, repeat: int = 200) -> dict[str, Any]:
    why = available()
    if why:
        return {"available": False, "reason": why}
    from devices.qpu import QPU
    from workloads.task import Task

    qpu, _, _ = timed(lambda: QPU.from_spec({"name": "torino", "backend": BACKEND}))
    _, backend_cpu, backend_wall = timed(lambda: qpu.target)
    rows = []
    for circuit in make_circuits(circuits):
        task = Task(f"t-{circuit.name}", kind="quantum", circuit=circuit, shots=1000)

        def score(t=task):
            assert qpu.check(t) is None
            return qpu.exec_time(t), qpu.fidelity(t)

        (seconds, esp), cold, cold_wall = timed(score)
        warm = [_per_call(score, repeat) for _ in range(5)]
        fingerprint = [_per_call(lambda: score(Task(task.id, kind="quantum", circuit=circuit.copy(),
                                                    shots=1000)), 20) for _ in range(5)]
        rows.append({"circuit": circuit.name, "qubits": circuit.num_qubits, "cold_s": cold,
                     "cold_wall_s": cold_wall, "warm_us": median(warm) * 1e6,
                     "warm_fingerprint_us": median(fingerprint) * 1e6, "exec_time_s": seconds, "esp": esp})
    return {"available": True, "backend": BACKEND, "backend_load_s": backend_cpu,
            "backend_load_wall_s": backend_wall, "circuits": rows,
            "cold_median_s": median([r["cold_s"] for r in rows]),
            "warm_median_us": median([r["warm_us"] for r in rows]),
            "warm_fingerprint_median_us": median([r["warm_fingerprint_us"] for r in rows]),
            "warm_max_us": max(r["warm_us"] for r in rows)}


def _per_call(fn, calls: int) -> float:
    """CPU seconds per call of ``fn``, over ``calls`` calls in a row."""
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls
