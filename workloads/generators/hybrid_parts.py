"""Building blocks shared by the quantum and hybrid generators.

Classical tasks carry ``flops`` and ``mem_bytes`` (the roofline model of
:mod:`devices.device`), so any CPU or GPU can run them; circuit tasks carry a
bound ``qiskit.QuantumCircuit`` and shots, so a QPU runs them as jobs and a
CPU or GPU as statevector simulations (:mod:`devices.statevector`).
``circuits_on`` pins circuits to one device kind ("qpu", "gpu", "cpu") or
leaves the choice to the policy ("any").
"""

from __future__ import annotations

import math
from typing import Any

from workloads.errors import InputError
from workloads.task import CLASSICAL, QUANTUM, Task

PLACEMENTS = ("qpu", "gpu", "cpu", "any")
#: Bytes of one float64, for parameter vectors and results.
FLOAT_BYTES = 8


def check_placement(circuits_on: str, generator: str) -> str | None:
    """The accelerator for circuit tasks; InputError if ``circuits_on`` is not a placement."""
    if circuits_on not in PLACEMENTS:
        raise InputError(f"circuits_on must be one of {', '.join(PLACEMENTS)}, got {circuits_on!r}",
                         item=f"generator {generator!r}")
    return None if circuits_on == "any" else circuits_on


def circuit_group(mode: str, group: str, generator: str) -> tuple[dict, str | None]:
    """``(groups, name)`` for a generator's circuits run in ``mode`` (job, session, batch):
    no group for ``job`` (each circuit its own job); InputError for an unknown mode."""
    from workloads.groups import JOB, MODES, make_group

    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}", item=f"generator {generator!r}")
    if mode == JOB:
        return {}, None
    return {group: make_group(group, mode)}, group


def positive(value: Any, name: str, generator: str, *, minimum: int = 1) -> int:
    """An integer parameter of at least ``minimum``; InputError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}", item=f"generator {generator!r}")
    return value


def amount(value: Any, name: str, generator: str) -> float:
    """A positive number parameter; InputError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise InputError(f"{name} must be a positive number, got {value!r}", item=f"generator {generator!r}")
    return float(value)


def classical(task_id: str, flops: float, mem_bytes: float, stage: str, *,
              memory_bytes: float = 0.0, accelerator: str | None = None, cores: int = 1) -> Task:
    """A classical task with roofline work on ``cores`` cores (when on a CPU)."""
    return Task(task_id, kind=CLASSICAL, flops=float(flops), mem_bytes=float(mem_bytes), cores=cores,
                memory_bytes=float(memory_bytes), accelerator=accelerator, meta={"stage": stage})


def circuit_task(task_id: str, circuit: Any, shots: int, stage: str, accelerator: str | None,
                 observables: list[str] | None = None, group: str | None = None) -> Task:
    """A quantum task: a bound circuit, its shots, the Pauli observables it estimates, if any,
    and its task group (execution mode), if any."""
    meta: dict[str, Any] = {"stage": stage}
    if observables:
        meta["observables"] = observables
    return Task(task_id, kind=QUANTUM, circuit=circuit, shots=shots, accelerator=accelerator, meta=meta,
                group=group)


def counts_bytes(shots: int, num_clbits: int) -> float:
    """Bytes of a job's raw results: one bitstring per shot, packed to whole bytes."""
    return float(shots * max(1, math.ceil(num_clbits / 8)))


def measure_in_basis(circuit: Any, basis: str) -> Any:
    """``circuit`` followed by a rotation into ``basis`` (a Pauli label, qubit 0
    rightmost as in Qiskit) and a measurement of every qubit."""
    out = circuit.copy()
    for q, letter in enumerate(reversed(basis)):
        if letter == "X":
            out.h(q)
        elif letter == "Y":
            out.sdg(q)
            out.h(q)
    out.measure_all()
    return out
