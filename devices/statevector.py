"""What simulating a circuit on a classical device costs: the statevector model.

A statevector simulator holds ``2**n`` complex amplitudes of 16 bytes each
(complex128), and every gate sweeps the whole vector: it reads and writes
each amplitude once (``32 * 2**n`` bytes) and does a small matrix-vector
product per amplitude group (about ``FLOPS_PER_AMPLITUDE`` floating-point
operations per amplitude and gate). Simulators are memory-bandwidth bound
for all but the smallest circuits (Häner & Steiger, "0.5 petabyte simulation
of a 45-qubit quantum circuit", SC17, 2017; Jones et al., "QuEST and high
performance simulation of quantum computers", Sci. Rep. 9, 2019), so the time
is a roofline bound (:func:`devices.device.roofline`'s rule) divided by an
efficiency that absorbs what the simple sweep count leaves out (Aer's gate
fusion, threading, cache effects), plus a fixed overhead per run.

``EFFICIENCY`` is measured, not guessed: ``benchmarks/calibrate_statevector.py``
runs Aer's statevector method on this repository's machine and fits it. The
same constant is used for GPUs, where it is an assumption (no GPU was
available to calibrate against; docs/quantum.md).

This module reads ``circuit.num_qubits`` and ``circuit.data`` only, so it
never imports Qiskit.
"""

from __future__ import annotations

from typing import Any

#: Bytes per amplitude: one complex128.
BYTES_PER_AMPLITUDE = 16
#: Bytes a gate moves per amplitude: one read and one write of the amplitude.
BYTES_PER_AMPLITUDE_GATE = 2 * BYTES_PER_AMPLITUDE
#: Real (FP64) flops per amplitude for a one-qubit gate: two complex
#: multiplies (6 flops each) and one complex add (2) per output amplitude.
FLOPS_PER_AMPLITUDE = 14
#: Device peaks are FP32 vector peaks (the presets' convention); FP64 runs at
#: half that rate on AVX-512 cores (Intel optimization manual: 32 FP64 vs 64
#: FP32 FLOP/cycle) and on H100 SXM5 without tensor cores (datasheet: 34 vs
#: 67 TFLOPS), so an FP64 flop costs two FP32-peak flops.
FP32_PER_FP64 = 2
#: Achieved fraction of the roofline bound: the median over 20-24 qubits of
#: benchmarks/calibrate_statevector.py (qiskit-aer 0.18.2 statevector, 2 cores,
#: 42 GB/s copy bandwidth, 60 GFLOP/s FP64 GEMM; model/Aer 0.67-0.71 at
#: 18-22 qubits; docs/quantum.md has the run).
EFFICIENCY = 0.7
#: Seconds of fixed cost per simulation run (Python call, circuit conversion,
#: sampling set-up): the same calibration's 12-14 qubit circuits.
OVERHEAD_S = 1.4e-2
#: Seconds per shot and measured qubit for sampling outcomes (assumption: one
#: pass over the probabilities per shot is amortised; Aer samples in bulk).
SAMPLE_S = 2.0e-8

#: Instructions that cost no sweep of the state.
FREE = frozenset({"barrier", "measure", "delay"})
#: Control flow, whose blocks are counted on their worst case (as devices.circuit_timing).
CONTROL_FLOW = frozenset({"if_else", "while_loop", "for_loop", "switch_case", "box"})


def statevector_bytes(num_qubits: int) -> float:
    """Memory of an ``num_qubits``-qubit statevector: ``16 * 2**n`` bytes."""
    return float(BYTES_PER_AMPLITUDE) * 2.0 ** num_qubits


def gate_count(circuit: Any) -> int | None:
    """Instructions that sweep the state (all but barriers, delays, measurements), on a
    dynamic circuit's worst-case path (the longest branch, loops by their bound); None for
    a while loop, whose number of iterations is unknown."""
    count = 0
    for inst in circuit.data:
        op = inst.operation
        name = op.name
        if name in FREE:
            continue
        blocks = getattr(op, "blocks", None) if name in CONTROL_FLOW else None
        if not blocks:
            count += 1
            continue
        if name == "while_loop":
            return None
        inner = [gate_count(b) for b in blocks]
        if any(n is None for n in inner):
            return None
        count += max(inner) * (len(op.params[0]) if name == "for_loop" else 1)
    return count


def simulation_memory(task: Any) -> float:
    """Bytes a task needs on a classical device: its own ``memory_bytes``, and
    for a circuit, its statevector on top."""
    if task.kind == "quantum" and task.circuit is not None:
        return task.memory_bytes + statevector_bytes(task.circuit.num_qubits)
    return task.memory_bytes


def simulation_time(task: Any, flops_per_s: float, bytes_per_s: float) -> float | None:
    """Seconds to simulate ``task``'s circuit and sample its shots on a device
    with the given peak speeds; None when the task has no circuit or the
    device has no speed figures."""
    circuit = task.circuit
    if circuit is None or not flops_per_s or not bytes_per_s:
        return None
    amplitudes = 2.0 ** circuit.num_qubits
    gates = gate_count(circuit)
    if gates is None:  # an unbounded loop
        return None
    # A cut circuit's subexperiment task stands for several circuit variants of this shape
    # (workloads.cutting), each simulated once; the shots are their total.
    runs = max(int(task.meta.get("subexperiments", 1)), 1) if task.meta else 1
    sweep = runs * max(gates * amplitudes * FLOPS_PER_AMPLITUDE * FP32_PER_FP64 / flops_per_s,
                       gates * amplitudes * BYTES_PER_AMPLITUDE_GATE / bytes_per_s)
    return runs * OVERHEAD_S + sweep / EFFICIENCY + SAMPLE_S * max(task.shots, 1) * circuit.num_qubits
