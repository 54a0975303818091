"""A hybrid AI pipeline: CPU preprocessing, GPU training, a QPU subroutine, CPU evaluation.

The shape of the hybrid quantum-classical learning pipelines surveyed by
Mari et al., "Transfer learning in hybrid classical-quantum neural networks",
Quantum 4:340 (2020): a classical network is trained, its features feed a
variational quantum circuit (here ``quantum_circuits`` jobs of a
``real_amplitudes`` ansatz on ``qubits`` qubits, one per feature batch),
and the classical head is fine-tuned on the circuits' outputs.

Shape: ``ingest`` (CPU) -> ``preprocess_s`` for ``shards`` shards (CPU,
8 cores each, memory bound) -> ``train_0 .. train_{epochs-1}`` (each epoch ``train_flops``;
a GPU runs it fastest) -> ``quantum_q`` circuits -> ``finetune`` (GPU-sized)
-> ``evaluate`` (CPU, 16 cores).
"""

from __future__ import annotations

import numpy as np

from workloads.generators.hybrid_parts import (FLOAT_BYTES, amount, check_placement, circuit_task, classical,
                                               counts_bytes, positive)
from workloads.workflow import Workflow


def hybrid_ai(shards: int = 4, epochs: int = 3, qubits: int = 8, quantum_circuits: int = 4, reps: int = 3,
              shots: int = 2000, dataset_bytes: float = 4e10, train_flops: float = 2e15,
              circuits_on: str = "qpu", seed: int = 0) -> Workflow:
    """A classical model trained on ``dataset_bytes`` of data, with a variational quantum layer."""
    from qiskit.circuit.library import real_amplitudes

    name = "hybrid-ai"
    accelerator = check_placement(circuits_on, name)
    shards = positive(shards, "shards", name)
    epochs = positive(epochs, "epochs", name)
    qubits = positive(qubits, "qubits", name)
    quantum_circuits = positive(quantum_circuits, "quantum_circuits", name)
    shots = positive(shots, "shots", name)
    seed = positive(seed, "seed", name, minimum=0)
    reps = positive(reps, "reps", name)
    dataset_bytes = amount(dataset_bytes, "dataset_bytes", name)
    train_flops = amount(train_flops, "train_flops", name)
    rng = np.random.default_rng(seed)
    shard_bytes = dataset_bytes / shards
    # Model of ~1e8 float32 parameters (assumption: a ResNet-50-sized network, 25.6 M params x 4).
    model_bytes = 4e8
    tasks = [classical("ingest", dataset_bytes / 10, dataset_bytes, "ingest", accelerator="cpu"),
             classical("finetune", train_flops / 10, model_bytes * 10, "finetune", memory_bytes=4 * model_bytes),
             # Inference over a held-out tenth of the data, on 16 cores (assumption).
             classical("evaluate", train_flops / 100, dataset_bytes / 10, "evaluate", accelerator="cpu", cores=16)]
    edges = []
    for s in range(shards):
        pid = f"preprocess_{s}"
        # Decoding and augmenting: ~50 flops per byte, memory bound on a CPU.
        tasks.append(classical(pid, 50 * shard_bytes, 4 * shard_bytes, "preprocess", accelerator="cpu",
                               memory_bytes=2 * shard_bytes, cores=8))
        edges += [("ingest", pid, {"data_bytes": shard_bytes}), (pid, "train_0", {"data_bytes": shard_bytes})]
    for e in range(epochs):
        tasks.append(classical(f"train_{e}", train_flops, model_bytes * 100, "train", memory_bytes=4 * model_bytes))
        if e:
            edges.append((f"train_{e - 1}", f"train_{e}", {"data_bytes": model_bytes}))
    ansatz = real_amplitudes(qubits, reps=reps)
    feature_bytes = float(FLOAT_BYTES * ansatz.num_parameters)
    result_bytes = counts_bytes(shots, qubits)
    for q in range(quantum_circuits):
        qid = f"quantum_{q}"
        circuit = ansatz.assign_parameters(rng.uniform(-np.pi, np.pi, ansatz.num_parameters))
        circuit.measure_all()
        circuit.name = f"hybrid_ai_{qubits}q_{q}"
        tasks.append(circuit_task(qid, circuit, shots, "quantum-layer", accelerator))
        edges += [(f"train_{epochs - 1}", qid, {"data_bytes": feature_bytes}),
                  (qid, "finetune", {"data_bytes": result_bytes})]
    edges += [(f"train_{epochs - 1}", "finetune", {"data_bytes": model_bytes}),
              ("finetune", "evaluate", {"data_bytes": model_bytes})]
    return Workflow.build(f"hybrid-ai-{shards}s-{epochs}e-{qubits}q", tasks, edges)
