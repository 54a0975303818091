"""A quantum-kernel classifier: kernel entries as circuits, then a classical SVM.

Havlíček et al., "Supervised learning with quantum-enhanced feature spaces",
Nature 567:209 (2019): each kernel entry ``K(x, y) = |<phi(y)|phi(x)>|^2`` is
estimated as the frequency of the all-zeros outcome of ``U(x) U(y)^dagger``,
with ``U`` the ZZ feature map.

Shape: ``prepare`` (CPU: scale ``samples + test_samples`` points of
``features`` dimensions) -> ``samples * (samples - 1) / 2`` training-kernel
circuits ``k_i_j`` -> ``assemble`` (CPU) -> ``train`` (an SVM on the kernel:
CPU or GPU) ; ``test_samples * samples`` test-kernel circuits ``t_i_j`` ->
``predict`` (CPU, needs ``train``) -> ``evaluate`` (CPU).
"""

from __future__ import annotations

import numpy as np

from workloads.generators.hybrid_parts import (FLOAT_BYTES, check_placement, circuit_group, circuit_task,
                                               classical, counts_bytes, positive)
from workloads.workflow import Workflow


def quantum_kernel(samples: int = 8, test_samples: int = 4, features: int = 4, reps: int = 2,
                   shots: int = 1000, circuits_on: str = "qpu", mode: str = "batch", seed: int = 0) -> Workflow:
    """A quantum-kernel SVM on seeded synthetic data (one qubit per feature); ``mode``: its
    (independent) kernel circuits run on a QPU as one ``batch`` (default), one ``session``, or
    each as a ``job``."""
    from qiskit.circuit.library import zz_feature_map

    name = "quantum-kernel"
    accelerator = check_placement(circuits_on, name)
    task_groups, group = circuit_group(mode, "qkernel", name)
    samples = positive(samples, "samples", name, minimum=2)
    test_samples = positive(test_samples, "test_samples", name)
    features = positive(features, "features", name, minimum=2)
    reps = positive(reps, "reps", name)
    shots = positive(shots, "shots", name)
    seed = positive(seed, "seed", name, minimum=0)
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 2 * np.pi, (samples + test_samples, features))
    feature_map = zz_feature_map(features, reps=reps)
    point_bytes = float(FLOAT_BYTES * features)
    result_bytes = counts_bytes(shots, features)
    tasks = [classical("prepare", 10.0 * points.size, FLOAT_BYTES * points.size, "preprocess", accelerator="cpu"),
             classical("assemble", 4.0 * samples * samples, FLOAT_BYTES * samples * samples, "kernel",
                       accelerator="cpu"),
             # Dual SVM by a QP solver: O(n^3) flops on the n x n kernel (Platt 1998).
             classical("train", 1e3 * samples ** 3, FLOAT_BYTES * samples ** 2 * 10, "train"),
             classical("predict", 4.0 * test_samples * samples, FLOAT_BYTES * test_samples * samples, "predict",
                       accelerator="cpu"),
             classical("evaluate", 10.0 * test_samples, FLOAT_BYTES * test_samples, "evaluate", accelerator="cpu")]
    edges = [("assemble", "train", {"data_bytes": float(FLOAT_BYTES * samples * samples)}),
             ("train", "predict", {"data_bytes": float(FLOAT_BYTES * samples)}),
             ("predict", "evaluate", {"data_bytes": float(FLOAT_BYTES * test_samples)})]

    def kernel_circuit(x, y, label):
        qc = feature_map.assign_parameters(x).compose(feature_map.assign_parameters(y).inverse())
        qc.measure_all()
        qc.name = label
        return qc

    for i in range(samples):
        for j in range(i + 1, samples):
            kid = f"k_{i}_{j}"
            tasks.append(circuit_task(kid, kernel_circuit(points[i], points[j], kid), shots, "train-kernel",
                                      accelerator, group=group))
            edges += [("prepare", kid, {"data_bytes": 2 * point_bytes}), (kid, "assemble", {"data_bytes": result_bytes})]
    for t in range(test_samples):
        for j in range(samples):
            tid = f"t_{t}_{j}"
            tasks.append(circuit_task(tid, kernel_circuit(points[samples + t], points[j], tid), shots,
                                      "test-kernel", accelerator, group=group))
            edges += [("prepare", tid, {"data_bytes": 2 * point_bytes}), (tid, "predict", {"data_bytes": result_bytes})]
    return Workflow.build(f"quantum-kernel-{features}f-{samples}x{test_samples}", tasks, edges, groups=task_groups)
