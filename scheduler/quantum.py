"""Fidelity from real noisy runs: each QPU circuit of a run sampled on Aer.

The simulator's cheap estimate of a circuit's fidelity on a QPU is the ESP
(:meth:`devices.qpu.QPU.fidelity`). On request, :func:`aer_fidelities`
replaces it with a measurement: the circuit, transpiled to the QPU's target
exactly as the QPU model did, is sampled on ``AerSimulator.from_backend``
(the backend's calibrated noise model), and the counts are scored against
the ideal output distribution with the **normalised linear cross-entropy
benchmark** (XEB; Arute et al., "Quantum supremacy using a programmable
superconducting processor", Nature 574:505, 2019, and its normalisation by
the ideal collision probability, e.g. Boixo et al., Nat. Phys. 14:595, 2018)::

    F = (D * sum_x q(x) p(x) - 1) / (D * sum_x p(x)^2 - 1),   D = 2^m

where ``q`` is the sampled (noisy) distribution over the ``m`` measured
bits and ``p`` the ideal one. F is 1 for ideal samples and 0 for uniform
noise, and unlike shot-against-shot Hellinger fidelity it stays meaningful
when ``2^m`` far exceeds the shots: it only needs ``p`` at the sampled
outcomes. For a GHZ state F is the probability of the two ideal outcomes.

Costs and limits, each said in the result's notes when they bite:

* the noise model is built once per backend per process (seconds), and
  each circuit runs on its active qubits only (:func:`run_noisy`);
* results are cached on disk keyed by circuit, backend, optimisation level,
  shots, seed and the Qiskit/Aer versions (``$HYBRIDSCHED_CACHE_DIR`` or
  ``~/.cache/hybridsched/aer``), so a repeated run reads JSON instead of
  simulating;
* noisy runs get slow past ~15 active qubits (FACTS: 20 qubits take
  ~20 minutes), so larger circuits keep their ESP, with a note; so do
  circuits whose ideal distribution is uniform (F is undefined) and circuits
  with mid-circuit measurements.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: Active qubits above which a noisy Aer run is skipped for the ESP.
MAX_AER_QUBITS = 15
ESP = "esp"
AER_XEB = "aer-xeb"

_SIMULATORS: dict[str, Any] = {}


@dataclass
class AerFidelity:
    """One circuit's fidelity on one QPU: measured on Aer, or the ESP with the reason why not."""

    task: str
    device: str
    backend: str
    shots: int
    seed: int
    #: The normalised linear XEB of the noisy run, or the ESP when ``method`` is "esp".
    fidelity: float
    esp: float
    method: str
    note: str | None = None
    #: Whether the counts came from the disk cache.
    cached: bool = False


def cache_dir() -> Path:
    """Where noisy-run results are kept: ``$HYBRIDSCHED_CACHE_DIR/aer`` or ``~/.cache/hybridsched/aer``."""
    root = os.environ.get("HYBRIDSCHED_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "hybridsched") / "aer"


def simulator_for(qpu: Any) -> Any:
    """``AerSimulator.from_backend`` of the QPU's backend, built once per process."""
    sim = _SIMULATORS.get(qpu.backend_key)
    if sim is None:
        from qiskit_aer import AerSimulator

        sim = _SIMULATORS[qpu.backend_key] = AerSimulator.from_backend(qpu.qiskit_backend)
    return sim


def run_noisy(compiled: Any, qpu: Any, shots: int, seed: int) -> Any:
    """Sample a transpiled circuit under the backend's noise model; returns Aer's result.

    Aer spends seconds per run converting a full-device noise model (133
    qubits on FakeTorino) and milliseconds simulating a small circuit, so the
    circuit is moved onto just its active physical qubits and run with the
    noise model's errors for those qubits, renumbered. The counts are the same
    as the full-width run's for the same seed (checked in tests/test_qpu.py).
    Unscheduled circuits carry no delays, so from_backend's relaxation pass
    for delays has nothing to act on and is not needed.
    """
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    full = simulator_for(qpu)
    noise = full.options.noise_model
    local_errors = getattr(noise, "_local_quantum_errors", None)
    local_readout = getattr(noise, "_local_readout_errors", None)
    if local_errors is None or local_readout is None:  # another Aer layout: run full width
        return full.run(compiled.circuit, shots=shots, seed_simulator=seed).result()
    from qiskit_aer.noise import NoiseModel

    remap = {p: k for k, p in enumerate(compiled.qubits)}
    reduced = NoiseModel(basis_gates=noise.basis_gates)
    for name, by_qubits in local_errors.items():
        for qubits, error in by_qubits.items():
            if all(q in remap for q in qubits):
                reduced.add_quantum_error(error, name, [remap[q] for q in qubits])
    for qubits, error in local_readout.items():
        if all(q in remap for q in qubits):
            reduced.add_readout_error(error, [remap[q] for q in qubits])
    isa = compiled.circuit
    qubit_index = {bit: i for i, bit in enumerate(isa.qubits)}
    clbit_index = {bit: i for i, bit in enumerate(isa.clbits)}
    small = QuantumCircuit(len(remap), isa.num_clbits)
    for inst in isa.data:
        small.append(inst.operation, [remap[qubit_index[q]] for q in inst.qubits],
                     [clbit_index[c] for c in inst.clbits])
    return AerSimulator(noise_model=reduced).run(small, shots=shots, seed_simulator=seed).result()


def task_seed(seed: int, task_id: str) -> int:
    """A simulator seed for one task of a run, stable across processes (no ``hash()``)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{task_id}".encode()).digest()[:4], "big")


def _read_cached_counts(path: Path) -> dict[str, int] | None:
    """The counts a cache file holds, or None when it is missing or damaged (then the run is redone
    and the file rewritten: a cache must never turn into a failure)."""
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))["counts"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(counts, dict) or not all(isinstance(v, int) and v >= 0 for v in counts.values()):
        return None
    return counts


def aer_fidelity(task: Any, qpu: Any, *, seed: int = 0, cache: Path | None = None,
                 max_qubits: int = MAX_AER_QUBITS) -> AerFidelity:
    """Measure ``task``'s fidelity on ``qpu`` with a noisy Aer run (cached), or fall back to ESP."""
    from devices.qpu import circuit_fingerprint, shots_of

    compiled = qpu.compiled(task)
    shots = shots_of(task)
    base = dict(task=task.id, device=qpu.name, backend=qpu.backend_key, shots=shots, seed=seed, esp=compiled.esp)
    mapping = final_measurements(task.circuit)
    if mapping is None:
        return AerFidelity(**base, fidelity=compiled.esp, method=ESP,
                           note=f"{task.id}: ESP kept: the circuit does not end in one measurement per classical bit")
    if len(compiled.qubits) > max_qubits:
        return AerFidelity(**base, fidelity=compiled.esp, method=ESP,
                           note=f"{task.id}: ESP kept: {len(compiled.qubits)} active qubits exceed the noisy-Aer "
                                f"limit of {max_qubits} (noisy runs take minutes to hours past ~15 qubits)")
    import qiskit
    import qiskit_aer

    key_parts = [circuit_fingerprint(task.circuit), qpu.backend_key, qpu.optimization_level, shots, seed,
                 qiskit.__version__, qiskit_aer.__version__]
    key = hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()
    path = (cache or cache_dir()) / key[:2] / f"{key}.json"
    counts = _read_cached_counts(path)
    cached = counts is not None
    if not cached:
        result = run_noisy(compiled, qpu, shots, seed)
        if not result.success:
            return AerFidelity(**base, fidelity=compiled.esp, method=ESP,
                               note=f"{task.id}: ESP kept: Aer refused the run ({result.status})")
        counts = {k.replace(" ", ""): int(v) for k, v in sorted(result.get_counts().items())}
        from scheduler.api import write_atomic

        write_atomic(path, json.dumps({"key": key_parts, "counts": counts}, sort_keys=True) + "\n")
    ideal = ideal_probabilities(task.circuit, mapping)
    score = normalised_xeb(counts, ideal)
    if score is None:
        return AerFidelity(**base, fidelity=compiled.esp, method=ESP, cached=cached,
                           note=f"{task.id}: ESP kept: its ideal distribution is uniform, where XEB is undefined")
    return AerFidelity(**base, fidelity=score, method=AER_XEB, cached=cached)


def final_measurements(circuit: Any) -> list[int] | None:
    """Qubit measured into each classical bit, in bit order, when every bit is
    measured exactly once after the qubit's last gate; else None."""
    index = {q: i for i, q in enumerate(circuit.qubits)}
    clbit_index = {c: i for i, c in enumerate(circuit.clbits)}
    measured: dict[int, int] = {}
    done: set[int] = set()
    for inst in circuit.data:
        name = inst.operation.name
        qubits = [index[q] for q in inst.qubits]
        if name == "measure":
            c = clbit_index[inst.clbits[0]]
            if c in measured:
                return None
            measured[c] = qubits[0]
            done.add(qubits[0])
        elif name != "barrier" and (done.intersection(qubits) or inst.clbits):
            return None
    if not measured or sorted(measured) != list(range(len(circuit.clbits))):
        return None
    return [measured[c] for c in range(len(circuit.clbits))]


def ideal_probabilities(circuit: Any, qubits: list[int]) -> Any:
    """Ideal outcome probabilities, indexed by the integer value of the classical bits."""
    from qiskit.quantum_info import Statevector

    unitary_part = circuit.remove_final_measurements(inplace=False)
    return Statevector(unitary_part).probabilities(qubits)


def normalised_xeb(counts: dict[str, int], ideal: Any) -> float | None:
    """``(D sum q p - 1) / (D sum p^2 - 1)``; None when the ideal distribution is uniform."""
    dim = len(ideal)
    collision = float((ideal * ideal).sum())
    denominator = dim * collision - 1.0
    if denominator < 1e-9:
        return None
    shots = sum(counts.values())
    mean_p = sum(n * float(ideal[int(bits, 2)]) for bits, n in counts.items()) / shots
    return (dim * mean_p - 1.0) / denominator


def aer_fidelities(result: Any, *, cache: Path | None = None, max_qubits: int = MAX_AER_QUBITS) -> list[AerFidelity]:
    """Measure every QPU circuit of a finished run on Aer and put the figures into
    ``result``: its per-task fidelities (and their source), and a note per fallback."""
    from scheduler.metrics import summarise_fidelity

    runs = result.trace.runs()
    index = result.workflow.index
    measured = []
    for task_id in sorted(runs, key=lambda t: index[t]):
        device = result.platform.device(runs[task_id].device)
        task = result.workflow.tasks[index[task_id]]
        if device.kind != "qpu" or task.circuit is None:
            continue
        figure = aer_fidelity(task, device, seed=task_seed(result.seed, task_id), cache=cache,
                              max_qubits=max_qubits)
        measured.append(figure)
        result.metrics.task_fidelity[task_id] = figure.fidelity
        result.metrics.fidelity_source[task_id] = figure.method
        if figure.note:
            result.trace.notes.append(figure.note)
    summarise_fidelity(result.metrics)
    return measured


def as_dicts(figures: list[AerFidelity]) -> list[dict[str, Any]]:
    return [asdict(f) for f in figures]
