"""A wide estimator circuit between classical steps: the workload circuit cutting is for.

``prepare -> estimate -> post`` where ``estimate`` is a hardware-efficient
ansatz (Kandala et al., "Hardware-efficient variational quantum eigensolver
for small molecules and quantum magnets", Nature 549, 242, 2017: RY/RZ
layers and a linear CX chain; Qiskit's ``efficient_su2``) of ``qubits``
qubits with ``reps`` entangling layers and fixed angles, measured in the Z
basis and estimating the all-Z parity. Its linear chain makes it cuttable
(:mod:`workloads.cutting`): a cut between two halves crosses ``reps`` CXs.
The classical steps carry roofline work (prepare: 1 GFLOP; post: 1 GFLOP),
a benchmark assumption.
"""

from __future__ import annotations

from workloads.generators.hybrid_parts import check_placement, circuit_task, classical, counts_bytes, positive
from workloads.workflow import Workflow


def wide_circuit(qubits: int = 40, reps: int = 2, shots: int = 1000, circuits_on: str = "any",
                 seed: int = 0) -> Workflow:
    """A ``qubits``-qubit ansatz estimating ``Z...Z``, between a classical preparation and
    post-processing (``seed`` is accepted for the generator interface; nothing is random)."""
    from workloads.cutting import example_circuit

    qubits = positive(qubits, "qubits", "wide-circuit", minimum=2)
    shots = positive(shots, "shots", "wide-circuit")
    circuit = example_circuit(qubits, reps=positive(reps, "reps", "wide-circuit"))
    circuit.measure_all()
    accelerator = check_placement(circuits_on, "wide-circuit")
    tasks = [classical("prepare", 1e9, 1e8, "prepare"),
             circuit_task("estimate", circuit, shots, "estimate", accelerator, observables=["Z" * qubits]),
             classical("post", 1e9, 1e8, "post")]
    edges = [("prepare", "estimate", {"data_bytes": 1e3}),
             ("estimate", "post", {"data_bytes": counts_bytes(shots, qubits)})]
    return Workflow.build(f"wide-{qubits}", tasks, edges)
