"""Quantum processors backed by a Qiskit ``Target``.

A :class:`QPU` is one of qiskit-ibm-runtime's offline fake backends, which
carry real calibration snapshots (``backend: FakeTorino``, ``fake_torino``
or ``torino``), or a synthetic ``GenericBackendV2`` of any size
(``backend: generic``, ``qubits: N``). It answers the device questions:

* **check**: the task is a circuit with bound parameters that fits the
  processor's qubits and can be mapped onto its coupling map;
* **time**: the circuit is transpiled once per (circuit, target) at
  ``optimization_level`` >= 2 (level 1 can land on qubits whose calibrated
  error is 1.0), then charged IBM's usage model (IBM Quantum documentation,
  "Estimate job run time" / "Workload usage", and "Dynamic repetition rate
  execution")::

      job_overhead_s + shots * (rep_delay_s + circuit duration + reset_s)

  where the circuit duration is Qiskit's own
  ``QuantumCircuit.estimate_duration(target)``, ``rep_delay_s`` defaults to
  the backend's ``default_rep_delay`` (250 us on IBM's backends;
  ``GenericBackendV2`` has none, so 250 us), and ``reset_s`` (the implicit
  reset IBM inserts when ``init_qubits`` is on, the default) defaults to the
  longest calibrated ``reset`` duration among the qubits the circuit uses.
  ``job_overhead_s`` (2 s) is the per-job overhead IBM's guide quotes.
  A dynamic circuit (if_else, switch_case, for_loop) is timed on its worst
  case by :mod:`devices.circuit_timing`, each feed-forward on that path
  adding ``feedforward_s``; a while loop has no bound and cannot run.
* **fidelity**: the estimated success probability (ESP): the product of
  ``1 - error`` over the transpiled circuit's gates and measurements, from
  the target's calibration (Nishio et al., "Extracting success from IBM's
  20-qubit machines using error-aware compilation", ACM JETC 16(3), 2020).
* **power and price**: ``power_w`` around the clock (a dilution refrigerator
  and its control electronics draw nearly the same with or without jobs) and
  ``usd_per_second`` of QPU time. ``attribution: dedicated`` charges the
  whole draw over the makespan and bills reserved time; ``attribution:
  shared`` (a cloud QPU) charges only its busy seconds and bills per use.
* **queue**: a shared QPU makes each job wait behind other users' jobs.
  ``queue_model: sampled`` (the default): a lognormal draw (heavy-tailed)
  with median ``queue_median_s`` and shape ``queue_sigma`` from the engine's
  per-device seeded stream. ``queue_model: tenants``: other tenants' jobs
  arrive (Poisson, offered load ``utilisation``, lognormal usages of mean
  ``background_mean_s``) and the QPU serves them and ours in ``fifo`` or
  ``round-robin`` order, so a wait is the queue a job meets
  (:mod:`scheduler.qpu_service`).

Qiskit is imported on first use, not when this module is imported.
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from devices import backend_snapshot, mitigation
from devices.device import PER_USE, RESERVED, Device
from workloads.errors import InputError
from workloads.task import Task
from workloads.validate import number

if TYPE_CHECKING:
    import numpy as np

DEDICATED = "dedicated"
SHARED = "shared"
ATTRIBUTIONS = (DEDICATED, SHARED)
SAMPLED = "sampled"
TENANTS = "tenants"
QUEUE_MODELS = (SAMPLED, TENANTS)
FIFO = "fifo"
ROUND_ROBIN = "round-robin"
QUEUE_ORDERS = (FIFO, ROUND_ROBIN)
#: Mean QPU usage of another tenant's job, seconds: Ravi et al., "Quantum computing in the cloud:
#: analyzing job and machine characteristics", IISWC 2021 (arXiv:2203.13121): ~10 billion shots in
#: ~6000 jobs on IBM QPUs, ~1.67 M executions per job, charged by IBM's quick estimate
#: "2 + 0.00035 * executions" seconds ("Estimate job run time"): 2 + 0.00035 * 1.67e6 = 585 s.
BACKGROUND_MEAN_S = 585.0
#: Lognormal shape of background job usages. Assumption: a heavy tail (Ravi et al. report job sizes
#: spanning orders of magnitude); 1.5, the shape the sampled queue uses.
BACKGROUND_SIGMA = 1.5
#: Other tenants sharing a round-robin queue. Assumption.
TENANTS_DEFAULT = 20

#: Shots when a quantum task gives none: the default of Qiskit's SamplerV2 (BackendSamplerV2).
DEFAULT_SHOTS = 1024
#: IBM's default repetition delay, for targets that carry none ("Dynamic repetition rate execution").
DEFAULT_REP_DELAY_S = 250e-6
#: Seed of every transpilation, so that layouts (and so times and ESPs) are reproducible.
TRANSPILE_SEED = 11
#: Instructions that carry no error and take no part in ESP.
NO_ERROR = frozenset({"barrier", "delay"})
#: Feed-forward latency of a dynamic circuit's branch, seconds: the time from a mid-circuit
#: measurement's end to the conditioned gates. ASSUMPTION: IBM documents none (the fake
#: backends' ``conditional_latency`` is empty; the guide "Hardware considerations and limitations
#: for classical feedforward and control flow" gives no figure); 1 us is the order of magnitude of
#: the control-system round trip. Set ``feedforward_s`` per device.
FEEDFORWARD_S = 1e-6


@dataclass(frozen=True)
class Compiled:
    """A circuit transpiled to one target, and what the QPU model reads from it."""

    circuit: Any
    #: One shot's duration, Qiskit's ``estimate_duration(target)``, seconds.
    duration_s: float
    #: Longest calibrated reset among the physical qubits used, seconds.
    reset_s: float
    #: Estimated success probability.
    esp: float
    #: Physical qubits the circuit uses, in ascending order.
    qubits: tuple[int, ...]
    #: Feed-forward points on a dynamic circuit's worst-case path (each adds the QPU's latency).
    feedforwards: int = 0


@dataclass(eq=False, repr=False)
class QPU(Device):
    """A gate-based quantum processor with a Qiskit target; one job at a time."""

    kind: ClassVar[str] = "qpu"

    #: A fake backend of qiskit_ibm_runtime.fake_provider (FakeTorino, fake_torino, torino), or "generic".
    backend: str = "generic"
    #: Qubits of a generic backend (GenericBackendV2); ignored for fake backends.
    qubits: int = 0
    optimization_level: int = 2
    #: Per-job overhead, seconds (IBM "Estimate job run time": about 2 s per job).
    job_overhead_s: float = 2.0
    #: Delay between shots, seconds; None: the backend's default_rep_delay.
    rep_delay_s: Any = None
    #: Reset per shot, seconds; None: the target's reset duration when init_qubits.
    reset_s: Any = None
    #: Whether each shot starts with IBM's implicit reset (primitive option init_qubits).
    init_qubits: Any = True
    #: Feed-forward latency of a dynamic circuit's branch, seconds (see FEEDFORWARD_S).
    feedforward_s: float = FEEDFORWARD_S
    #: Power draw around the clock, watts; sets idle_w and busy_w by attribution.
    power_w: float = 0.0
    #: dedicated (whole draw over the makespan) or shared (busy seconds only).
    attribution: str = SHARED
    #: Price of a QPU second, USD; sets usd_per_hour.
    usd_per_second: float = 0.0
    #: Median wait behind other users' jobs, seconds (0: no queue).
    queue_median_s: float = 0.0
    #: Lognormal shape of the queue wait (larger: heavier tail).
    queue_sigma: float = 1.0
    #: "sampled" (a lognormal wait per queue entry) or "tenants" (other tenants' jobs, simulated).
    queue_model: str = SAMPLED
    #: Offered load of other tenants' jobs on a "tenants" queue: the fraction of time they keep it busy.
    utilisation: float = 0.0
    #: Mean and lognormal shape of another tenant's job usage, seconds.
    background_mean_s: float = BACKGROUND_MEAN_S
    background_sigma: float = BACKGROUND_SIGMA
    #: "fifo", or "round-robin" between tenants, ours one of them (a stand-in for IBM's fair share).
    queue_order: str = FIFO
    #: Other tenants on a round-robin queue.
    tenants: int = TENANTS_DEFAULT

    def __post_init__(self) -> None:
        if self.power_w:
            self.busy_w = self.power_w
            self.idle_w = self.power_w if self.attribution == DEDICATED else 0.0
        if self.usd_per_second:
            self.usd_per_hour = self.usd_per_second * 3600.0
        # Billing follows attribution unless a platform file states it (from_spec).
        self.billing = RESERVED if self.attribution == DEDICATED else PER_USE
        self._compiled: dict[int, tuple[Any, Compiled | str]] = {}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, source: str | None = None) -> "QPU":
        if "power_w" in spec and ("idle_w" in spec or "busy_w" in spec):
            raise InputError("give power_w, or idle_w and busy_w, not both",
                             source=source, item=f"device {spec.get('name')!r}")
        device = super().from_spec(spec, source=source)
        if "billing" in spec:
            device.billing = spec["billing"]
            device._validate(source)
        return device

    def _validate(self, source: str | None) -> None:
        super()._validate(source)
        item = f"device {self.name!r}"
        if self.attribution not in ATTRIBUTIONS:
            raise InputError(f"attribution must be one of {', '.join(ATTRIBUTIONS)}, got {self.attribution!r}",
                             source=source, item=item)
        if self.optimization_level not in (2, 3):
            raise InputError("optimization_level must be 2 or 3 (level 1 can map onto qubits whose "
                             "calibrated error is 1.0)", source=source, item=item)
        for key in ("rep_delay_s", "reset_s"):
            value = getattr(self, key)
            if value is not None:
                setattr(self, key, number(value, f"{item}: {key}", source=source))
        if not isinstance(self.init_qubits, bool):
            raise InputError(f"init_qubits must be true or false, got {self.init_qubits!r}",
                             source=source, item=item)
        for key in ("job_overhead_s", "power_w", "usd_per_second", "queue_median_s", "queue_sigma",
                    "feedforward_s", "background_sigma"):
            if getattr(self, key) < 0:
                raise InputError(f"{key} must be >= 0, got {getattr(self, key)}", source=source, item=item)
        if self.queue_model not in QUEUE_MODELS:
            raise InputError(f"queue_model must be one of {', '.join(QUEUE_MODELS)}, got {self.queue_model!r}",
                             source=source, item=item)
        if self.queue_order not in QUEUE_ORDERS:
            raise InputError(f"queue_order must be one of {', '.join(QUEUE_ORDERS)}, got {self.queue_order!r}",
                             source=source, item=item)
        if not 0 <= self.utilisation < 1:
            raise InputError(f"utilisation must be in [0, 1) (at 1 or more the queue grows without bound), "
                             f"got {self.utilisation}", source=source, item=item)
        if not 0 < self.background_mean_s < math.inf:
            raise InputError(f"background_mean_s must be a positive number of seconds, got {self.background_mean_s}",
                             source=source, item=item)
        if isinstance(self.tenants, bool) or not isinstance(self.tenants, int) or self.tenants < 1:
            raise InputError(f"tenants must be an integer >= 1, got {self.tenants!r}", source=source, item=item)
        self._backend_key = backend_key(self.backend, self.qubits, source=source, item=item)

    # -- the backend -------------------------------------------------------------

    @property
    def backend_key(self) -> str:
        """The canonical backend name (``fake:torino``, ``generic:20``); checked on first use."""
        key = self.__dict__.get("_backend_key")
        if key is None:
            key = self._backend_key = backend_key(self.backend, self.qubits, item=f"device {self.name!r}")
        return key

    @property
    def qiskit_backend(self) -> Any:
        """The Qiskit backend (built on first use and shared by the process); scoring needs only
        :attr:`backend_snapshot`, which a warm process reads from disk without building this."""
        return load_backend(self.backend_key)

    @property
    def backend_snapshot(self) -> Any:
        """The backend's name, target and default rep delay (:mod:`devices.backend_snapshot`)."""
        return backend_snapshot.snapshot(self.backend_key)

    @property
    def target(self) -> Any:
        return self.backend_snapshot.target

    @property
    def num_qubits(self) -> int:
        return self.target.num_qubits

    @property
    def rep_delay(self) -> float:
        """Seconds between shots: ``rep_delay_s`` or the backend's default."""
        if self.rep_delay_s is not None:
            return self.rep_delay_s
        return self.backend_snapshot.default_rep_delay_s

    def compiled(self, task: Task) -> Compiled:
        """``task``'s circuit transpiled to this target (cached by circuit and target)."""
        found = self._compile(task)
        if isinstance(found, str):
            raise ValueError(f"{task.id} cannot run on {self.name}: {found}")
        return found

    def _compile(self, task: Task) -> Compiled | str:
        circuit = task.circuit
        memo = self._compiled.get(id(circuit))
        if memo is not None and memo[0] is circuit:
            return memo[1]
        key = (circuit_fingerprint(circuit), self.backend_key, self.optimization_level)
        result = _TRANSPILED.get(key)
        if result is None:  # then the disk cache (devices/transpile_cache.py), then transpile
            from devices.transpile_cache import compile_cached

            result = _TRANSPILED[key] = compile_cached(circuit, key[0], self.backend_key,
                                                       lambda: self.backend_snapshot, self.optimization_level)
        self._compiled[id(circuit)] = (circuit, result)  # holding the circuit keeps its id unique
        return result

    # -- the device questions ------------------------------------------------------

    def check(self, task: Task) -> str | None:
        if task.accelerator is not None and task.accelerator != self.kind:
            return f"needs a {task.accelerator}, this is a {self.kind}"
        if task.kind != "quantum" or task.circuit is None:
            return f"{self.name} is a QPU and runs only quantum circuits"
        if task.table_time(self.name, self.kind) is None:
            need, have = task.circuit.num_qubits, self.num_qubits
            if need > have:
                return f"needs {need} qubits, {self.name} ({self.backend}) has {have}"
            if task.circuit.parameters:
                return f"its circuit has {len(task.circuit.parameters)} unbound parameter(s)"
            found = self._compile(task)
            if isinstance(found, str):
                return found
        return super().check(task)

    def model_time(self, task: Task) -> float | None:
        """Seconds of QPU usage: ``job_overhead_s + shots * (rep_delay + duration + reset)``;
        with error mitigation, the circuits and shots it adds (:mod:`devices.mitigation`)."""
        if task.circuit is None:
            return None
        c = self.compiled(task)
        m = mitigation.of(task)
        if m is not None:
            return mitigation.usage(self, task, c, m).seconds
        return self.job_overhead_s + shots_of(task) * self.shot_s(c)

    def shot_s(self, c: Compiled, duration_s: float | None = None, feedforwards: int | None = None) -> float:
        """One shot: ``rep_delay + duration + feed-forwards * feedforward_s + reset``."""
        reset = 0.0
        if self.init_qubits:
            reset = c.reset_s if self.reset_s is None else self.reset_s
        duration = c.duration_s if duration_s is None else duration_s
        ff = c.feedforwards if feedforwards is None else feedforwards
        return self.rep_delay + duration + ff * self.feedforward_s + reset

    def fidelity(self, task: Task) -> float:
        """Estimated success probability of ``task``'s transpiled circuit here."""
        if task.circuit is None:
            return 1.0
        return self.compiled(task).esp

    def mitigated_fidelity(self, task: Task) -> float | None:
        """With error mitigation, the estimated share of the ideal signal it keeps; else None."""
        m = mitigation.of(task) if task.circuit is not None else None
        return None if m is None else mitigation.usage(self, task, self.compiled(task), m).mitigated_esp

    def queue_wait(self, task: Task, rng: "np.random.Generator") -> float:
        if self.queue_median_s <= 0:
            return 0.0
        return float(rng.lognormal(math.log(self.queue_median_s), self.queue_sigma))

    def mean_sampled_wait(self) -> float:
        """The mean of the sampled wait: ``median * exp(sigma^2 / 2)`` (a lognormal's mean)."""
        if self.queue_median_s <= 0:
            return 0.0
        return self.queue_median_s * math.exp(self.queue_sigma ** 2 / 2)


#: (circuit fingerprint, backend key, optimization level) -> Compiled, or a reason it cannot run.
_TRANSPILED: dict[tuple[str, str, int], Compiled | str] = {}
_BACKENDS: dict[str, Any] = {}


def shots_of(task: Task) -> int:
    """The task's shots, or :data:`DEFAULT_SHOTS` when it gives none."""
    return task.shots or DEFAULT_SHOTS


def fake_backend_dir() -> str:
    spec = importlib.util.find_spec("qiskit_ibm_runtime")  # finds it without importing it (slow)
    if spec is None or not spec.submodule_search_locations:
        raise InputError("fake backends need qiskit-ibm-runtime (pip install qiskit-ibm-runtime)")
    return os.path.join(spec.submodule_search_locations[0], "fake_provider", "backends")


def fake_backend_names() -> list[str]:
    """Short names of the installed fake backends (``torino``, ``sherbrooke``, ...)."""
    root = fake_backend_dir()
    return sorted(d for d in os.listdir(root) if not d.startswith("_") and os.path.isdir(os.path.join(root, d)))


def backend_key(name: str, qubits: int = 0, *, source: str | None = None, item: str | None = None) -> str:
    """A canonical backend name: ``fake:torino`` or ``generic:N``; InputError if unknown."""
    short = name.strip().lower()
    if short == "generic":
        if qubits < 1:
            raise InputError("a generic backend needs qubits: N", source=source, item=item)
        return f"generic:{qubits}"
    for prefix in ("fake_", "fake", "ibm_"):
        if short.startswith(prefix):
            short = short[len(prefix):]
            break
    known = fake_backend_names()
    if short not in known:
        raise InputError(f"unknown backend {name!r} (generic, or a fake backend: {', '.join(known)})",
                         source=source, item=item)
    return f"fake:{short}"


def load_backend(key: str) -> Any:
    """The Qiskit backend for a :func:`backend_key`, built once per process."""
    backend = _BACKENDS.get(key)
    if backend is None:
        family, _, name = key.partition(":")
        if family == "generic":
            from qiskit.providers.fake_provider import GenericBackendV2

            # control_flow adds if_else/for_loop/... without changing the seeded calibration
            backend = GenericBackendV2(int(name), seed=TRANSPILE_SEED, control_flow=True)
        else:
            module = importlib.import_module(f"qiskit_ibm_runtime.fake_provider.backends.{name}")
            cls = next((obj for attr, obj in sorted(vars(module).items())
                        if attr.startswith("Fake") and getattr(obj, "backend_name", None) == f"fake_{name}"), None)
            if cls is None:
                raise InputError(f"qiskit-ibm-runtime has no fake backend class for {name!r}")
            backend = cls()
        _BACKENDS[key] = backend
    return backend


def default_rep_delay(backend: Any) -> float:
    """The backend's ``default_rep_delay`` in seconds, or IBM's 250 us when it has none."""
    config = getattr(backend, "configuration", None)
    if callable(config):
        delay = getattr(config(), "default_rep_delay", None)
        if delay is not None:
            return float(delay)
    return DEFAULT_REP_DELAY_S


def circuit_fingerprint(circuit: Any) -> str:
    """A SHA-256 of the circuit's content, independent of its name and process
    (:func:`devices.fingerprint.circuit_digest`; QPY bytes depend on PYTHONHASHSEED)."""
    from devices.fingerprint import circuit_digest

    return circuit_digest(circuit)


def compile_circuit(circuit: Any, backend: Any, optimization_level: int = 2) -> Compiled | str:
    """Transpile ``circuit`` to ``backend``'s target and read its duration, reset and ESP.

    ``backend`` is a Qiskit backend or a :class:`devices.backend_snapshot.Snapshot`: only its
    ``target`` and ``name`` are read.

    Returns a one-line reason instead when the circuit cannot be mapped.
    """
    from qiskit.transpiler.exceptions import TranspilerError

    from devices import circuit_timing, pass_managers

    why = circuit_timing.unbounded_loop(circuit)
    if why:
        return why
    target = backend.target
    try:  # qiskit.transpile's output, from a pass manager kept per (target, level, seed)
        isa = pass_managers.transpile(circuit, target, optimization_level, TRANSPILE_SEED)
    except TranspilerError as err:
        return f"cannot be mapped onto {getattr(backend, 'name', 'the target')}: {_one_line(err)}"
    except Exception as err:  # never a Qiskit traceback in planning: the reason, in one line
        name = getattr(backend, "name", "the target")
        return f"cannot be transpiled for {name}: {type(err).__name__}: {_one_line(err)}"
    if circuit_timing.has_control_flow(isa):  # estimate_duration refuses control flow
        timing = circuit_timing.worst_case(isa, target, FEEDFORWARD_S)
        return Compiled(isa, timing.duration_s, _reset_s(target, timing.qubits), timing.esp,
                        tuple(sorted(timing.qubits)), timing.feedforwards)
    index = {bit: i for i, bit in enumerate(isa.qubits)}
    esp = 1.0
    used: set[int] = set()
    for inst in isa.data:
        name = inst.operation.name
        if name in NO_ERROR:
            continue
        qargs = tuple(index[q] for q in inst.qubits)
        used.update(qargs)
        props = target[name].get(qargs) if name in target else None
        if props is not None and props.error is not None:
            esp *= 1.0 - props.error
    try:
        duration = float(isa.estimate_duration(target))
    except Exception:  # an instruction without a calibrated duration: the same longest path, by our rule
        duration = circuit_timing.worst_case(isa, target, FEEDFORWARD_S).duration_s
    return Compiled(isa, duration, _reset_s(target, used), esp, tuple(sorted(used)))


def _reset_s(target: Any, qubits: Any) -> float:
    """The longest calibrated reset among ``qubits``, seconds."""
    reset = 0.0
    if "reset" in target:
        for q in qubits:
            props = target["reset"].get((q,))
            if props is not None and props.duration:
                reset = max(reset, props.duration)
    return reset


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__
