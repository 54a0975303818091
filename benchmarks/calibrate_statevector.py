"""Calibrate devices/statevector.py against real Aer statevector runs on this machine.

Measures, in one run:

1. this machine's memory bandwidth (a numpy copy of 1 GiB: STREAM "copy",
   McCalpin 1995, counting read + write) and FP64 matrix-multiply rate
   (numpy GEMM on all cores): the two roofs of the model;
2. Aer's statevector method on layered random circuits (RX on every qubit,
   then a CX ladder) of 12 to 24 qubits, shots=1, best of three;

then fits ``OVERHEAD_S`` (the small circuits' time) and ``EFFICIENCY`` (the
model's roofline time over the measured time, median over the large
circuits), and prints each circuit's predicted and measured seconds.

    python benchmarks/calibrate_statevector.py            # 12..24 qubits, ~1-2 minutes
    python benchmarks/calibrate_statevector.py --max-qubits 26

Paste the two fitted constants into devices/statevector.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices import statevector  # noqa: E402
from workloads.task import Task  # noqa: E402


def bandwidth() -> float:
    """Bytes per second of a numpy copy (read + write), best of five."""
    a = np.ones(2**27)  # 1 GiB of float64
    b = np.empty_like(a)
    best = min(_timed(lambda: np.copyto(b, a)) for _ in range(5))
    return 2 * a.nbytes / best


def fp64_rate() -> float:
    """FP64 flops per second of a numpy GEMM (2 n^3 flops), best of three."""
    n = 2048
    x, y = np.random.default_rng(0).random((2, n, n))
    best = min(_timed(lambda: x @ y) for _ in range(3))
    return 2 * n**3 / best


def layered_circuit(n: int, layers: int):
    from qiskit import QuantumCircuit

    rng = np.random.default_rng(n)
    qc = QuantumCircuit(n)
    for _ in range(layers):
        for q in range(n):
            qc.rx(float(rng.uniform(0, np.pi)), q)
        for q in range(n - 1):
            qc.cx(q, q + 1)
    qc.measure_all()
    return qc


def aer_seconds(circuit, sim) -> float:
    return min(_timed(lambda: sim.run(circuit, shots=1, seed_simulator=1).result()) for _ in range(3))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-qubits", type=int, default=24)
    parser.add_argument("--layers", type=int, default=10)
    args = parser.parse_args()
    from qiskit_aer import AerSimulator
    import qiskit_aer

    sim = AerSimulator(method="statevector")
    bw, f64 = bandwidth(), fp64_rate()
    cores = os.cpu_count() or 1
    # The model reads FP32 peaks from presets and charges FP64 at half rate, so this
    # machine's FP32-equivalent peak is twice its FP64 rate.
    flops_fp32 = 2 * f64
    print(f"machine: {cores} cores, copy bandwidth {bw / 1e9:.1f} GB/s, FP64 GEMM {f64 / 1e9:.1f} GFLOP/s; "
          f"qiskit-aer {qiskit_aer.__version__}")
    rows = []
    for n in range(12, args.max_qubits + 1, 2):
        circuit = layered_circuit(n, args.layers)
        measured = aer_seconds(circuit, sim)
        task = Task(f"q{n}", kind="quantum", circuit=circuit, shots=1)
        rows.append((n, statevector.gate_count(circuit), measured, task))
    small = [m for n, _, m, _ in rows if n <= 14]
    overhead = statistics.median(small)
    ratios = []
    for n, gates, measured, task in rows:
        amplitudes = 2.0**n
        roof = max(gates * amplitudes * statevector.FLOPS_PER_AMPLITUDE * statevector.FP32_PER_FP64 / flops_fp32,
                   gates * amplitudes * statevector.BYTES_PER_AMPLITUDE_GATE / bw)
        if n >= 20:
            ratios.append(roof / max(measured - overhead, 1e-9))
    efficiency = statistics.median(ratios)
    print(f"\nfitted: EFFICIENCY = {efficiency:.3g}   OVERHEAD_S = {overhead:.3g}   "
          f"(in devices/statevector.py now: {statevector.EFFICIENCY:.3g}, {statevector.OVERHEAD_S:.3g})\n")
    print(f"{'qubits':>6}{'gates':>8}{'Aer s':>12}{'model s':>12}{'model/Aer':>11}")
    for n, gates, measured, task in rows:
        predicted = statevector.simulation_time(task, flops_fp32, bw)
        print(f"{n:>6}{gates:>8}{measured:>12.4g}{predicted:>12.4g}{predicted / measured:>11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
