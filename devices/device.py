"""Devices: what a processor answers about a task.

A device answers three questions and nothing else: can this task run here
(:meth:`Device.check`), how long does it take (:meth:`Device.exec_time`), and
at what power and price (``idle_w``, ``busy_w``, ``usd_per_hour``,
``billing``). The engine and the metrics ask; they never look inside.

Power follows SimGrid's host-energy model (Heinrich et al., "Predictive
energy-aware simulation of HPC systems", SimuTools 2017): a device draws
``idle_w`` whenever it is on and ``busy_w`` when fully busy; a task that holds
``k`` of a device's ``slots`` adds ``(busy_w - idle_w) * k / slots``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from devices.statevector import simulation_memory, simulation_time
from devices.faults import FailureModel, Window, read_downtime, read_failures
from workloads.errors import InputError
from workloads.task import Task
from workloads.validate import number, text

if TYPE_CHECKING:
    import numpy as np

RESERVED = "reserved"   # billed for the whole makespan
PER_USE = "per-use"     # billed for busy time only
BILLING_RULES = (RESERVED, PER_USE)


@dataclass(eq=False)
class Device:
    """A device that runs one task at a time from a table of execution times.

    This is the "processor" of the cost-matrix literature; :class:`CPU`,
    :class:`GPU` and QPUs add speed models. Subclasses override
    :meth:`model_time`, :meth:`slots_needed` and :meth:`check`.
    """

    kind: ClassVar[str] = "processor"
    #: Spec keys that are other names for a field (a CPU's ``cores`` are its slots).
    aliases: ClassVar[dict[str, str]] = {}

    name: str
    #: How many task slots (cores) it has; a task holds ``slots_needed`` of them.
    slots: int = 1
    #: Memory available to one task, bytes.
    memory_bytes: float = math.inf
    idle_w: float = 0.0
    busy_w: float = 0.0
    usd_per_hour: float = 0.0
    billing: str = RESERVED
    #: Free-form description, e.g. the hardware it mirrors.
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: Random failures and repairs (:mod:`devices.faults`); None: never fails.
    failures: "FailureModel | None" = None
    #: Scheduled downtime windows (:mod:`devices.faults`).
    downtime: "tuple[Window, ...]" = ()

    # -- what the engine and policies ask -------------------------------------

    def check(self, task: Task) -> str | None:
        """Why ``task`` cannot run here, or None when it can."""
        if task.accelerator is not None and task.accelerator != self.kind:
            return f"needs a {task.accelerator}, this is a {self.kind}"
        if self.slots_needed(task) > self.slots:
            return f"needs {self.slots_needed(task)} slots, {self.name} has {self.slots}"
        memory = self.memory_needed(task)
        if memory > self.memory_bytes:
            return f"needs {memory:.3g} B of memory, {self.name} has {self.memory_bytes:.3g} B"
        if task.table_time(self.name, self.kind) is None and self.model_time(task) is None:
            return f"no execution time for it on {self.name} (no table entry, no speed model)"
        return None

    def can_run(self, task: Task) -> bool:
        return self.check(task) is None

    def exec_time(self, task: Task) -> float:
        """Seconds ``task`` runs here; call only when :meth:`check` passes."""
        tabled = task.table_time(self.name, self.kind)
        if tabled is not None:
            return tabled
        modelled = self.model_time(task)
        if modelled is None:
            raise ValueError(f"{task.id} cannot run on {self.name}")
        return modelled

    def slots_needed(self, task: Task) -> int:
        """Slots ``task`` holds while it runs; one unless a subclass shares cores."""
        return 1

    def share(self, task: Task) -> float:
        """Fraction of the device ``task`` holds: its weight in power and per-use billing."""
        return self.slots_needed(task) / self.slots

    def model_time(self, task: Task) -> float | None:
        """Execution time from the device's speed model; None when it has none."""
        return None

    def memory_needed(self, task: Task) -> float:
        """Bytes ``task`` needs resident here (a simulated circuit adds its statevector)."""
        return task.memory_bytes

    def queue_wait(self, task: Task, rng: "np.random.Generator") -> float:
        """Seconds ``task`` waits behind other users' jobs before it runs here.

        Zero for dedicated devices; shared cloud QPUs draw it from ``rng``, a
        stream of the run's seed that belongs to this device alone.
        """
        return 0.0

    def fidelity(self, task: Task) -> float:
        """Estimated probability that ``task``'s result is right when run here.

        1.0 for exact devices (classical simulation of a circuit included);
        QPUs return their estimated success probability.
        """
        return 1.0

    # -- reading specs ---------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, source: str | None = None) -> "Device":
        """Build a device from a platform-file entry, checking every field."""
        name = text(spec.get("name"), "device: name", source=source)
        item = f"device {name!r}"
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {"name": name}
        for key, value in spec.items():
            if key in ("name", "kind", "count") or key.startswith("source"):
                continue
            key = cls.aliases.get(key, key)
            if key not in known:
                raise InputError(f"unknown field {key!r} for a {cls.kind} (known: "
                                 f"{', '.join(sorted(k for k in known if k != 'name'))})",
                                 source=source, item=item)
            kwargs[key] = cls._read_field(known[key], value, f"{item}: {key}", source)
        device = cls(**kwargs)
        device._validate(source)
        return device

    @staticmethod
    def _read_field(f: dataclasses.Field, value: Any, item: str, source: str | None) -> Any:
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        if kind == "int":
            return number(value, item, source=source, positive=True, integer=True)
        if kind == "float":
            return number(value, item, source=source)
        if kind == "str":
            return text(value, item, source=source)
        return value

    def _validate(self, source: str | None) -> None:
        item = f"device {self.name!r}"
        if self.billing not in BILLING_RULES:
            raise InputError(f"billing must be one of {', '.join(BILLING_RULES)}, got {self.billing!r}",
                             source=source, item=item)
        if self.busy_w < self.idle_w:
            raise InputError(f"busy_w ({self.busy_w}) is below idle_w ({self.idle_w})",
                             source=source, item=item)
        if not isinstance(self.failures, (FailureModel, type(None))):
            self.failures = read_failures(self.failures, f"{item}: failures", source)
        if not isinstance(self.downtime, tuple):
            self.downtime = read_downtime(self.downtime, f"{item}: downtime", source)

    @property
    def has_faults(self) -> bool:
        """Whether the device can fail or has scheduled downtime."""
        return self.failures is not None or bool(self.downtime)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


@dataclass(eq=False, repr=False)
class CPU(Device):
    """A multi-core CPU: a task holds ``task.cores`` cores and runs at
    ``flops_per_core`` per core, bounded by ``mem_bandwidth`` (roofline)."""

    kind: ClassVar[str] = "cpu"
    aliases: ClassVar[dict[str, str]] = {"cores": "slots"}

    #: Peak floating-point operations per second of one core.
    flops_per_core: float = 0.0
    #: Memory bandwidth available to one task, bytes per second.
    mem_bandwidth: float = 0.0

    def slots_needed(self, task: Task) -> int:
        return task.cores

    def model_time(self, task: Task) -> float | None:
        if task.kind == "quantum":  # a circuit runs here as a statevector simulation
            return simulation_time(task, self.flops_per_core * task.cores, self.mem_bandwidth)
        return roofline(task, self.flops_per_core * task.cores, self.mem_bandwidth)

    def memory_needed(self, task: Task) -> float:
        return simulation_memory(task)

    @property
    def cores(self) -> int:
        return self.slots


@dataclass(eq=False, repr=False)
class GPU(Device):
    """A GPU: one task at a time, at ``peak_flops`` bounded by ``mem_bandwidth``."""

    kind: ClassVar[str] = "gpu"

    peak_flops: float = 0.0
    mem_bandwidth: float = 0.0

    def model_time(self, task: Task) -> float | None:
        if task.kind == "quantum":  # a circuit runs here as a statevector simulation
            return simulation_time(task, self.peak_flops, self.mem_bandwidth)
        return roofline(task, self.peak_flops, self.mem_bandwidth)

    def memory_needed(self, task: Task) -> float:
        return simulation_memory(task)


def roofline(task: Task, flops_per_s: float, bytes_per_s: float) -> float | None:
    """``max(flops / flops_per_s, mem_bytes / bytes_per_s)``; None when the
    task has work the device has no speed for (Williams et al., CACM 2009)."""
    if task.kind != "classical" or (task.flops == 0 and task.mem_bytes == 0):
        return None
    if (task.flops and not flops_per_s) or (task.mem_bytes and not bytes_per_s):
        return None
    compute = task.flops / flops_per_s if task.flops else 0.0
    memory = task.mem_bytes / bytes_per_s if task.mem_bytes else 0.0
    return max(compute, memory)
