"""Circuit cutting as a partitioning strategy, with qiskit-addon-cutting.

A quantum task too wide for the QPUs at hand (or wider than a width the
user asks for, ``--option cut_width=N``) is replaced in the workflow DAG by

* one **subexperiment task** per subcircuit: its circuit is the largest of
  that subcircuit's subexperiments (they differ only in the single-qubit
  basis changes and measurements at the cuts), ``meta.subexperiments`` says
  how many circuits it stands for (a QPU runs them as one job; a simulator
  runs each), and its shots are the task's shots times the cut's **sampling
  overhead** (the factor by which the shots must grow for the reconstructed
  estimate to keep its variance: ``prod gamma_i**2`` over the cuts, 9 per
  CNOT/CZ gate cut; Mitarai & Fujii, New J. Phys. 23, 023021, 2021; Piveteau
  & Sutter, IEEE TIT 70, 2024), spread over its subexperiments;
* one **reconstruction task**, classical (CPU or GPU), that combines the
  subexperiments' expectation values term by term
  (``reconstruct_expectation_values``): its work grows with the number of
  subexperiments, shots and coefficient terms.

Predecessors of the cut task feed every subexperiment; the reconstruction
feeds its successors. This is a workflow transformation done before
planning (:func:`cut_workflow`, called by :func:`scheduler.api.simulate`):
the policy and the engine see an ordinary workflow.

The cuts are qiskit-addon-cutting's (``find_cuts`` with
``DeviceConstraints(qubits_per_subcircuit=N)``, then ``cut_wires``,
``expand_observables``, ``partition_problem`` and
``generate_cutting_experiments`` with exact weights): cutting reconstructs
expectation values, so a task's observables are its ``meta.observables``
(Pauli strings over all its qubits), else the all-Z parity of its qubits
(an assumption for sampler-style tasks). A circuit with mid-circuit
measurements, resets or control flow is not cut (the library cuts unitary
circuits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from workloads.errors import InputError
from workloads.task import CLASSICAL, QUANTUM, Task
from workloads.workflow import Workflow

#: Flops per coefficient term, partition and observable of the reconstruction (a product and
#: a sum of expectation values), and per shot outcome (a parity of its bits) when tallying.
FLOPS_PER_TERM = 2.0
FLOPS_PER_SHOT_BIT = 1.0
#: Largest sampling overhead find_cuts may accept (OptimizationParameters.max_gamma default: 1024).
MAX_GAMMA = 1024.0
#: Cuts whose sampling overhead exceeds this are refused (hybridsched's limit, not the library's):
#: 9**4 = 6561 is four CNOT gate cuts, 6**4 = 1296 subexperiments per subcircuit; a fifth cut means
#: 59049x the shots, and generating 6**5+ subexperiments alone takes minutes.
MAX_SAMPLING_OVERHEAD = 1e4
#: Bound on find_cuts' search (OptimizationParameters.max_backjumps, default 10000): about a second
#: here; past it the library returns its best cut so far, which the overhead limit then judges.
MAX_BACKJUMPS = 2000


@dataclass(frozen=True)
class Cut:
    """A circuit cut into subcircuits no wider than ``width``."""

    width: int
    #: The largest subexperiment of each subcircuit, in label order.
    subcircuits: list[Any]
    #: Subexperiments (distinct circuits) of each subcircuit.
    counts: list[int]
    #: Coefficient terms of the reconstruction.
    terms: int
    sampling_overhead: float
    cuts: int
    observables: int

    @property
    def subexperiments(self) -> int:
        return sum(self.counts)


def example_circuit(num_qubits: int, reps: int = 2) -> Any:
    """A hardware-efficient ansatz (Kandala et al., Nature 549, 2017: RY/RZ layers and a linear
    CX chain, Qiskit's ``efficient_su2``), bound to fixed angles; its chain makes it cuttable."""
    import numpy as np
    from qiskit.circuit.library import efficient_su2

    qc = efficient_su2(num_qubits, entanglement="linear", reps=reps)
    return qc.assign_parameters(np.linspace(0.1, 1.0, qc.num_parameters))


def cut_task(task: Task, width: int, *, seed: int = 0, source: str | None = None) -> Cut:
    """Cut ``task``'s circuit into subcircuits of at most ``width`` qubits; InputError if it cannot be."""
    item = f"task {task.id!r}"
    circuit = _unitary_part(task.circuit, source, item)
    try:
        import numpy as np
        from qiskit.quantum_info import PauliList
        from qiskit_addon_cutting import (DeviceConstraints, OptimizationParameters, cut_wires,
                                          expand_observables, find_cuts, generate_cutting_experiments,
                                          partition_problem)
    except ImportError as err:
        raise InputError(f"cutting needs qiskit-addon-cutting ({err})", source=source, item=item) from None
    observables = _observables(task, circuit.num_qubits, source, item)
    try:
        cut_circuit, meta = find_cuts(circuit, OptimizationParameters(seed=seed, max_gamma=MAX_GAMMA,
                                                                      max_backjumps=MAX_BACKJUMPS),
                                      DeviceConstraints(qubits_per_subcircuit=width))
        overhead = float(meta["sampling_overhead"])
        if overhead > MAX_SAMPLING_OVERHEAD:
            raise _TooCostly(f"the best cut found needs {len(meta['cuts'])} cuts, a sampling overhead of "
                             f"{overhead:.4g} (the limit is {MAX_SAMPLING_OVERHEAD:g})")
        with_ancillas = cut_wires(cut_circuit)
        problem = partition_problem(circuit=with_ancillas,
                                    observables=expand_observables(PauliList(observables), circuit, with_ancillas))
        experiments, coefficients = generate_cutting_experiments(
            circuits=problem.subcircuits, observables=problem.subobservables, num_samples=np.inf)
    except Exception as err:  # the library's own errors (and _TooCostly): one line, not a traceback
        text = " ".join(str(err).split()) or type(err).__name__
        raise InputError(f"cannot be cut into subcircuits of at most {width} qubits: {text}",
                         source=source, item=item) from None
    labels = sorted(experiments, key=str)
    widest = max(problem.subcircuits[label].num_qubits for label in labels)
    if widest > width:
        raise InputError(f"cannot be cut into subcircuits of at most {width} qubits (a subcircuit has {widest})",
                         source=source, item=item)
    subcircuits = [max(experiments[label], key=lambda c: (c.size(), c.depth())) for label in labels]
    return Cut(width, subcircuits, [len(experiments[label]) for label in labels], len(coefficients),
               float(meta["sampling_overhead"]), len(meta["cuts"]), len(observables))


class _TooCostly(ValueError):
    pass


def check_width(value: Any, *, source: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise InputError(f"cut_width must be an integer >= 2 (qubits per subcircuit), got {value!r}",
                         source=source, item="option cut_width")
    return value


def cut_workflow(workflow: Workflow, platform: Any, width: int | None = None, *, seed: int = 0) -> Workflow:
    """``workflow`` with its too-wide quantum tasks cut (the workflow itself when none is).

    With ``width``, every quantum task wider than ``width`` qubits is cut to
    it. Without, a quantum task is cut to the widest QPU's size when it is
    wider than every QPU and no CPU or GPU can simulate it (memory).
    """
    source = workflow.source
    if width is not None:
        width = check_width(width, source=source)
    qpus = [d for d in platform.devices if d.kind == "qpu"]
    targets: dict[str, int] = {}
    for task in workflow:
        if task.kind != QUANTUM or task.circuit is None or task.table_time("", "") is not None:
            continue
        n = task.circuit.num_qubits
        if width is not None:
            if n > width:
                targets[task.id] = width
        elif qpus:
            widest = max(q.num_qubits for q in qpus)
            if n > widest and not any(d.kind in ("cpu", "gpu") and d.check(task) is None for d in platform.devices):
                targets[task.id] = widest
    if not targets:
        return workflow
    cuts = {}
    for tid, w in targets.items():
        try:
            cuts[tid] = cut_task(workflow.task(tid), w, seed=seed, source=source)
        except InputError as err:
            if width is not None:
                raise
            n = workflow.task(tid).circuit.num_qubits
            raise InputError(f"no device can run this task ({n} qubits: more than every QPU has, more than "
                             f"any simulator's memory holds) and it {err.message}", source=source,
                             item=f"task {tid!r}") from None
    return _rewrite(workflow, cuts)


def _rewrite(workflow: Workflow, cuts: dict[str, Cut]) -> Workflow:
    from devices.qpu import shots_of

    tasks: list[Task] = []
    edges: list[tuple[str, str, dict[str, Any]]] = []
    first: dict[str, list[str]] = {}   # a cut task's id -> the ids its predecessors feed
    last: dict[str, str] = {}          # a cut task's id -> the id that feeds its successors
    for task in workflow:
        cut = cuts.get(task.id)
        if cut is None:
            tasks.append(task)
            first[task.id], last[task.id] = [task.id], task.id
            continue
        shots = math.ceil(shots_of(task) * cut.sampling_overhead)
        subs = []
        for k, (circuit, count) in enumerate(zip(cut.subcircuits, cut.counts)):
            subs.append(Task(f"{task.id}/sub{k}", kind=QUANTUM, accelerator=task.accelerator, circuit=circuit,
                             shots=shots, memory_bytes=task.memory_bytes,
                             meta={**task.meta, "cut_of": task.id, "subexperiments": count,
                                   "sampling_overhead": cut.sampling_overhead}))
        tally = sum(shots * c.num_clbits for c in cut.subcircuits)
        flops = FLOPS_PER_TERM * cut.terms * len(cut.subcircuits) * cut.observables + FLOPS_PER_SHOT_BIT * tally
        rebuild = Task(f"{task.id}/reconstruct", kind=CLASSICAL, flops=flops,
                       mem_bytes=8.0 * (cut.terms * len(cut.subcircuits) * cut.observables + cut.subexperiments),
                       meta={"cut_of": task.id, "terms": cut.terms, "subexperiments": cut.subexperiments,
                             "cuts": cut.cuts})
        tasks += subs + [rebuild]
        for sub, circuit in zip(subs, cut.subcircuits):
            # counts of each subexperiment: at most one 8-byte tally per outcome seen
            edges.append((sub.id, rebuild.id, {"data_bytes": 8.0 * min(shots, 2 ** circuit.num_clbits)}))
        first[task.id], last[task.id] = [s.id for s in subs], rebuild.id
    for u, v, attrs in workflow.graph.edges(data=True):
        kept = {k: attrs[k] for k in ("data_bytes", "cost") if attrs.get(k) is not None}
        for head in first[v]:
            edges.append((last[u], head, kept))
    return Workflow.build(workflow.name, tasks, edges, platform=workflow.platform, source=workflow.source)


def _unitary_part(circuit: Any, source: str | None, item: str) -> Any:
    """The circuit without final measurements and barriers, gates of at most two qubits."""
    from qiskit.transpiler.passes import RemoveBarriers

    bare = RemoveBarriers()(circuit.remove_final_measurements(inplace=False))
    for inst in bare.data:
        if inst.operation.name in ("measure", "reset") or getattr(inst.operation, "blocks", None):
            raise InputError(f"cannot be cut: it has a mid-circuit {inst.operation.name} (qiskit-addon-cutting "
                             f"cuts circuits of gates only)", source=source, item=item)
    for _ in range(6):
        wide = {inst.operation.name for inst in bare.data if inst.operation.num_qubits > 2}
        if not wide:
            return bare
        bare = bare.decompose(gates_to_decompose=sorted(wide))
    raise InputError("cannot be cut: it has gates on more than two qubits that do not decompose",
                     source=source, item=item)


def _observables(task: Task, num_qubits: int, source: str | None, item: str) -> list[str]:
    given = (task.meta or {}).get("observables")
    if not given:
        return ["Z" * num_qubits]
    out = []
    for term in given:
        label = term if isinstance(term, str) else None
        if label is None or len(label) != num_qubits or set(label) - set("IXYZ"):
            raise InputError(f"meta.observables must be Pauli strings of {num_qubits} letters (I, X, Y, Z) to "
                             f"cut it, got {term!r}", source=source, item=item)
        out.append(label)
    return out
