"""VQE: the variational quantum eigensolver as a hybrid workflow.

Peruzzo et al., "A variational eigenvalue solver on a photonic quantum
processor", Nat. Commun. 5:4213 (2014); the hardware-efficient ansatz and
the grouping of Pauli terms into jointly measurable sets follow Kandala et
al., "Hardware-efficient variational quantum eigensolver for small molecules
and quantum magnets", Nature 549:242 (2017).

Shape: ``setup`` (CPU: Hamiltonian, qubit-wise commuting groups) -> per
iteration ``k``: ``step_k`` (classical optimiser step: new parameters) ->
one estimator circuit per measured Pauli group ``k_g`` -> ``energy_k`` (CPU:
combine the groups' counts) -> ``step_{k+1}`` ...; ``report`` at the end.

Molecules:

* ``h2``: H2 at 0.735 Angstrom, STO-3G, parity mapping with two-qubit
  reduction: 2 qubits, ``-1.0524 II + 0.3979 IZ - 0.3979 ZI - 0.0113 ZZ +
  0.1809 XX`` (the Qiskit textbook's H2 VQE example; the same reduction as
  Kandala et al. 2017), giving two measured groups.
* ``synthetic``: ``terms`` random Pauli strings on ``qubits`` qubits (seeded),
  for scaling studies; grouped the same way.

Circuit parameters are seeded draws that drift by ``1/(k+1)`` per iteration
(the trajectory of a converging optimiser); the work per task does not depend
on the values.
"""

from __future__ import annotations

import numpy as np

from workloads.errors import InputError
from workloads.generators.hybrid_parts import (FLOAT_BYTES, check_placement, circuit_group, circuit_task,
                                               classical, counts_bytes, measure_in_basis, positive)
from workloads.workflow import Workflow

#: H2, STO-3G, 0.735 A, parity mapping with two-qubit reduction (Qiskit textbook VQE chapter).
H2_PAULIS = [("II", -1.052373245772859), ("IZ", 0.39793742484318045), ("ZI", -0.39793742484318045),
             ("ZZ", -0.01128010425623538), ("XX", 0.18093119978423156)]
MOLECULES = ("h2", "synthetic")


def vqe(molecule: str = "h2", qubits: int = 6, terms: int = 40, iterations: int = 8, reps: int = 2,
        shots: int = 4000, circuits_on: str = "qpu", mode: str = "session", seed: int = 0) -> Workflow:
    """A VQE run of ``iterations`` optimiser steps; ``qubits`` and ``terms`` apply to ``synthetic``.
    ``mode``: its circuits run on a QPU in one ``session`` (default), one ``batch`` cannot hold
    them (iterations depend on each other), or each as a ``job``."""
    from qiskit.circuit.library import efficient_su2
    from qiskit.quantum_info import SparsePauliOp

    name = "vqe"
    accelerator = check_placement(circuits_on, name)
    task_groups, group = circuit_group(mode, "vqe", name)
    iterations = positive(iterations, "iterations", name)
    reps = positive(reps, "reps", name)
    shots = positive(shots, "shots", name)
    seed = positive(seed, "seed", name, minimum=0)
    rng = np.random.default_rng(seed)
    if molecule == "h2":
        paulis = H2_PAULIS
    elif molecule == "synthetic":
        qubits = positive(qubits, "qubits", name)
        terms = positive(terms, "terms", name)
        letters = np.array(list("IXYZ"))
        labels = sorted({"".join(rng.choice(letters, size=qubits)) for _ in range(terms)})
        paulis = [(label, float(rng.normal())) for label in labels]
    else:
        raise InputError(f"molecule must be one of {', '.join(MOLECULES)}, got {molecule!r}",
                         item=f"generator {name!r}")
    n = len(paulis[0][0])
    measured = [(p, c) for p, c in paulis if set(p) != {"I"}]
    groups = SparsePauliOp.from_list(measured).group_commuting(qubit_wise=True)
    # Each group: its measurement basis and the Pauli terms it estimates (sorted: a
    # deterministic order whatever the grouping heuristic returns).
    measured_groups = sorted((_basis(group.paulis.to_labels()), sorted(group.paulis.to_labels()))
                             for group in groups)
    bases = [basis for basis, _ in measured_groups]
    ansatz = efficient_su2(n, reps=reps)
    n_params = ansatz.num_parameters
    theta = rng.uniform(-np.pi, np.pi, n_params)
    tag = f"{molecule}-{n}q"

    tasks = [classical("setup", 1e4 * len(paulis), 64 * len(paulis) * n, "setup", accelerator="cpu")]
    edges = []
    previous = "setup"
    param_bytes = FLOAT_BYTES * n_params
    for k in range(iterations):
        step = f"step_{k}"
        # An optimiser step (e.g. SPSA) is a few vector operations over the parameters.
        tasks.append(classical(step, 50.0 * n_params, 4 * param_bytes, "optimiser", accelerator="cpu"))
        edges.append((previous, step, {"data_bytes": float(param_bytes + FLOAT_BYTES)}))
        theta = theta + rng.normal(0, 1 / (k + 1), n_params)
        bound = ansatz.assign_parameters(theta)
        energy = f"energy_{k}"
        shots_bytes = counts_bytes(shots, n)
        # Combining counts: one pass over the shots per Pauli term of the group.
        tasks.append(classical(energy, 4.0 * shots * len(measured), shots_bytes * len(bases), "energy",
                               accelerator="cpu"))
        for g, basis in enumerate(bases):
            circuit = measure_in_basis(bound, basis)
            circuit.name = f"vqe_{tag}_{k}_{g}"
            cid = f"circuit_{k}_{g}"
            tasks.append(circuit_task(cid, circuit, shots, "estimator", accelerator,
                                      observables=measured_groups[g][1], group=group))
            edges.append((step, cid, {"data_bytes": float(param_bytes)}))
            edges.append((cid, energy, {"data_bytes": shots_bytes}))
        edges.append((step, energy, {"data_bytes": float(param_bytes)}))
        previous = energy
    tasks.append(classical("report", 1e3 * iterations, FLOAT_BYTES * iterations, "report", accelerator="cpu"))
    edges.append((previous, "report", {"data_bytes": float(FLOAT_BYTES * iterations)}))
    return Workflow.build(f"vqe-{tag}-{iterations}it", tasks, edges, groups=task_groups)


def _basis(labels: list[str]) -> str:
    """The measurement basis of a qubit-wise commuting group: per qubit, its non-identity letter."""
    basis = ["Z"] * len(labels[0])
    for label in labels:
        for i, letter in enumerate(label):
            if letter != "I":
                basis[i] = letter
    return "".join(basis)
