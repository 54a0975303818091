"""Tasks: the unit of work a device runs.

A task states what it needs (cores, memory, a device kind) and its work in
one or both of two models:

* an execution-time table, ``times``, keyed by device name or device kind:
  the unrelated-machines model of the list-scheduling literature
  (Topcuoglu et al. 2002);
* ``flops`` and ``mem_bytes`` (bytes moved to and from memory), which a
  device turns into time with a roofline bound,
  ``max(flops / peak_flops, mem_bytes / mem_bandwidth)`` (Williams, Waterman &
  Patterson, "Roofline", CACM 52(4), 2009).

A device name in ``times`` wins over a device kind, and a table entry wins
over the roofline model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

CLASSICAL = "classical"
QUANTUM = "quantum"
TASK_KINDS = (CLASSICAL, QUANTUM)


@dataclass(frozen=True, eq=False, slots=True)
class Task:
    """One node of a workflow.

    Tasks compare by identity; a workflow holds each id once.
    """

    id: str
    kind: str = CLASSICAL
    #: Cores (CPU) or slots the task occupies on its device while it runs.
    cores: int = 1
    #: Memory the task needs resident on its device, in bytes.
    memory_bytes: float = 0.0
    #: Device kind the task must run on ("cpu", "gpu", "qpu", ...); None: any.
    accelerator: str | None = None
    #: Execution time in seconds by device name or device kind.
    times: Mapping[str, float] = field(default_factory=dict)
    #: Floating-point operations, for the roofline model.
    flops: float = 0.0
    #: Bytes moved between the device and its memory, for the roofline model.
    mem_bytes: float = 0.0
    #: Quantum circuit (a qiskit.QuantumCircuit) for quantum tasks.
    circuit: Any = None
    #: Shots for a quantum task.
    shots: int = 0
    #: Free-form annotations carried into traces (e.g. the generator's stage).
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: The task group (execution mode on a QPU, :mod:`workloads.groups`) it belongs to, if any.
    group: str | None = None

    def table_time(self, device_name: str, device_kind: str) -> float | None:
        """The tabled execution time on a device, or None when not tabled."""
        times = self.times
        if device_name in times:
            return times[device_name]
        return times.get(device_kind)

    def __repr__(self) -> str:
        return f"Task({self.id!r})"
