"""Error mitigation as a cost: what Qiskit Runtime's resilience options add to a QPU job.

A quantum task may ask for mitigation (native format: ``mitigation:`` on the
task, with the option names of ``qiskit_ibm_runtime``'s ``EstimatorOptions``)::

    mitigation: {resilience_level: 2}                      # TREX + ZNE + gate twirling
    mitigation: {measure_mitigation: true, zne_mitigation: true,
                 zne: {noise_factors: [1, 3, 5], extrapolator: exponential},
                 twirling: {enable_gates: true, num_randomizations: auto}}
    mitigation: {pec_mitigation: true, pec: {max_overhead: 100}}

As in ``EstimatorV2``, ``resilience_level`` is 1 (TREX) unless given, and
explicit options override what the level implies. Defaults are those
documented in qiskit-ibm-runtime 0.51's option classes
(``EstimatorOptions``, ``ZneOptions``, ``PecOptions``, ``TwirlingOptions``,
``MeasureNoiseLearningOptions``, ``LayerNoiseLearningOptions``; IBM Quantum
guide "Configure error mitigation"). :func:`usage` counts the circuits and
shots they need, charged in IBM's usage model
(``job_overhead_s + shots * shot time``, :class:`devices.qpu.QPU`), so QPU
time, energy and price follow; :attr:`Usage.mitigated_esp` estimates what
fraction of the ideal signal the mitigated estimate keeps, reported next to
the raw ESP. Per technique:

* **twirling** (gates, measurements): ``shots_per_randomization`` "auto" is
  ``max(64, ceil(shots/32))`` (64 under PEC) and ``num_randomizations``
  ``ceil(shots/shots_per_randomization)`` (TwirlingOptions), so the shots
  run are rounded up to a multiple; each randomization is its own circuit.
  Twirling changes no bias in this model.
* **TREX** (``measure_mitigation``; Van den Berg, Minev & Temme, PRA 105,
  032620, 2022): measurement twirling plus a readout-learning experiment of
  ``num_randomizations`` (32) circuits of ``shots_per_randomization`` shots
  ("auto" here: the twirling's; an assumption, IBM says only "chosen
  based on the input PUBs"), each a measurement of the circuit's qubits.
  Mitigated: the measurement errors leave the ESP.
* **ZNE** (Temme, Bravyi & Gambetta, PRL 119, 180509, 2017; Kandala et al.,
  Nature 567, 491, 2019): every noise factor ``x`` (default 1, 3, 5) runs the
  full shots with each 2-qubit gate folded to ``x`` times its duration and
  error exponent (``amplifier: gate_folding``, the default). Mitigated:
  under the model that the signal decays as the ESP, ``y(x) = rest * e2**x``
  (``e2``: the 2-qubit gates' success probability), the extrapolator fitted
  to ``(x, y(x))`` and evaluated at 0 (``exponential`` recovers ``rest``
  exactly; ``linear`` and ``polynomial_degree_k`` fall short). The default
  ``("exponential", "linear")`` fits both and keeps the better fit: the
  exponential here.
* **PEC** (Temme et al. 2017; Van den Berg et al., "Probabilistic error
  cancellation with sparse Pauli-Lindblad models", Nat. Phys. 19, 1116,
  2023): each 2-qubit gate's error ``p`` is one Pauli-Lindblad generator of
  rate ``lambda = -ln(1 - 2p) / 2``, so ``gamma = exp(2 sum lambda) =
  prod 1 / (1 - 2p)`` and the shots grow by the sampling overhead
  ``gamma**2``. Above ``max_overhead`` (100) the runtime removes only part
  of the noise (``noise_gain`` "auto"): the fraction ``ln(max_overhead) /
  ln(gamma**2)`` of it, at overhead ``max_overhead``. Layer noise learning
  runs ``9 * num_randomizations (32) * shots_per_randomization (128)`` shots
  at each of ``layer_pair_depths`` (0, 1, 2, 4, 16, 32) for up to
  ``max_layers_to_learn`` (4) layers; the circuit's 2-qubit layers are taken
  as distinct (an upper bound). Mitigated: the learned 2-qubit noise leaves
  the ESP (the model assumes the learned noise is exact).

Assumptions are marked in docs/quantum.md. Single-qubit gate errors are not
mitigated by any of these techniques here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from workloads.errors import InputError

EXTRAPOLATORS = ("exponential", "linear", "fallback") + tuple(f"polynomial_degree_{k}" for k in range(1, 8))
#: ZneOptions.noise_factors default.
ZNE_NOISE_FACTORS = (1.0, 3.0, 5.0)
#: PecOptions.max_overhead default.
PEC_MAX_OVERHEAD = 100.0
#: MeasureNoiseLearningOptions.num_randomizations default.
TREX_RANDOMIZATIONS = 32
#: LayerNoiseLearningOptions defaults.
LEARN_MAX_LAYERS = 4
LEARN_SHOTS_PER_RANDOMIZATION = 128
LEARN_RANDOMIZATIONS = 32
LEARN_PAIR_DEPTHS = (0, 1, 2, 4, 16, 32)
#: Measurement bases of a layer-learning configuration (LayerNoiseLearningOptions note).
LEARN_BASES = 9
AUTO = "auto"


@dataclass(frozen=True)
class Mitigation:
    """The resilience options a task asks for, defaults filled in."""

    measure: bool = False
    zne_factors: tuple[float, ...] = ()
    extrapolator: str = "exponential"
    pec: bool = False
    pec_max_overhead: float | None = PEC_MAX_OVERHEAD
    gate_twirling: bool = False
    measure_twirling: bool = False
    num_randomizations: int | str = AUTO
    shots_per_randomization: int | str = AUTO
    trex_randomizations: int = TREX_RANDOMIZATIONS
    trex_shots_per_randomization: int | str = AUTO
    learn_max_layers: int | None = LEARN_MAX_LAYERS
    learn_shots_per_randomization: int = LEARN_SHOTS_PER_RANDOMIZATION
    learn_randomizations: int = LEARN_RANDOMIZATIONS
    learn_pair_depths: tuple[int, ...] = LEARN_PAIR_DEPTHS

    @property
    def twirled(self) -> bool:
        return self.gate_twirling or self.measure_twirling or self.pec


@dataclass(frozen=True)
class Usage:
    """What mitigation makes a task's job run, and what it buys."""

    #: Seconds of QPU usage, job overhead included.
    seconds: float
    #: Distinct circuits run (randomizations x noise factors, learning circuits).
    circuits: int
    #: Shots run, learning included.
    shots: int
    #: PEC's sampling overhead (1 without PEC).
    sampling_overhead: float
    #: Estimated fraction of the ideal signal the mitigated result keeps (vs the raw ESP).
    mitigated_esp: float
    notes: tuple[str, ...] = field(default_factory=tuple)


_KEYS = {"resilience_level", "measure_mitigation", "zne_mitigation", "zne", "pec_mitigation", "pec",
         "twirling", "measure_noise_learning", "layer_noise_learning"}


def parse(spec: Any, *, source: str | None = None, item: str | None = None) -> Mitigation | None:
    """A task's ``mitigation:`` mapping as :class:`Mitigation` (None when it asks for none)."""
    if spec is None:
        return None
    if isinstance(spec, Mitigation):
        return spec

    def fail(message: str) -> InputError:
        return InputError(f"mitigation: {message}", source=source, item=item)

    if not isinstance(spec, Mapping):
        raise fail(f"expected a mapping of resilience options, got {spec!r}")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise fail(f"unknown option {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")

    def sub(name: str, keys: set[str]) -> Mapping[str, Any]:
        value = spec.get(name) or {}
        if not isinstance(value, Mapping):
            raise fail(f"{name} must be a mapping, got {value!r}")
        bad = sorted(set(value) - keys)
        if bad:
            raise fail(f"unknown option {name}.{bad[0]} (known: {', '.join(sorted(keys))})")
        return value

    def flag(mapping: Mapping[str, Any], key: str, default: bool) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            raise fail(f"{key} must be true or false, got {value!r}")
        return value

    def count(mapping: Mapping[str, Any], key: str, default: Any, auto: bool = False) -> Any:
        value = mapping.get(key, default)
        if auto and value == AUTO:
            return AUTO
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail(f"{key} must be a positive integer{' or auto' if auto else ''}, got {value!r}")
        return value

    level = spec.get("resilience_level", 1)  # EstimatorOptions.resilience_level default: 1
    if level not in (0, 1, 2):
        raise fail(f"resilience_level must be 0, 1 or 2, got {level!r}")
    # EstimatorOptions: level 1 = TREX (measurement twirling + readout learning), level 2 adds ZNE
    # and gate twirling.
    measure = flag(spec, "measure_mitigation", level >= 1)
    zne_on = flag(spec, "zne_mitigation", level >= 2)
    pec_on = flag(spec, "pec_mitigation", False)
    if zne_on and pec_on:
        raise fail("zne_mitigation and pec_mitigation cannot both be on (Qiskit Runtime refuses it)")
    zne = sub("zne", {"noise_factors", "extrapolator", "amplifier"})
    factors = zne.get("noise_factors", ZNE_NOISE_FACTORS)
    if not isinstance(factors, (list, tuple)) or not factors or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 1 for x in factors):
        raise fail(f"zne.noise_factors must be a list of numbers >= 1, got {factors!r}")
    extrapolator = zne.get("extrapolator", ("exponential", "linear"))
    if isinstance(extrapolator, (list, tuple)):
        extrapolator = extrapolator[0] if extrapolator else "exponential"
    if extrapolator not in EXTRAPOLATORS:
        raise fail(f"zne.extrapolator must be one of {', '.join(EXTRAPOLATORS)}, got {extrapolator!r}")
    if extrapolator == "fallback":
        extrapolator = "exponential"
    degree = int(extrapolator.rsplit("_", 1)[1]) if extrapolator.startswith("polynomial") else 1
    if zne_on and len(set(factors)) < degree + 1:
        raise fail(f"zne.extrapolator {extrapolator} needs at least {degree + 1} distinct noise factors")
    if zne.get("amplifier", "gate_folding") not in ("gate_folding", "gate_folding_front", "gate_folding_back"):
        raise fail("zne.amplifier: only gate folding is modelled (gate_folding, gate_folding_front, "
                   "gate_folding_back), not pea")
    pec = sub("pec", {"max_overhead", "noise_gain"})
    max_overhead = pec.get("max_overhead", PEC_MAX_OVERHEAD)
    if max_overhead is not None and (isinstance(max_overhead, bool) or not isinstance(max_overhead, (int, float))
                                     or max_overhead < 1):
        raise fail(f"pec.max_overhead must be a number >= 1 or null, got {max_overhead!r}")
    if pec.get("noise_gain", AUTO) != AUTO:
        raise fail("pec.noise_gain: only auto is modelled")
    twirl = sub("twirling", {"enable_gates", "enable_measure", "num_randomizations", "shots_per_randomization",
                             "strategy"})
    trex = sub("measure_noise_learning", {"num_randomizations", "shots_per_randomization"})
    learn = sub("layer_noise_learning", {"max_layers_to_learn", "shots_per_randomization", "num_randomizations",
                                         "layer_pair_depths"})
    depths = learn.get("layer_pair_depths", LEARN_PAIR_DEPTHS)
    if not isinstance(depths, (list, tuple)) or not all(isinstance(d, int) and d >= 0 for d in depths):
        raise fail(f"layer_noise_learning.layer_pair_depths must be a list of integers >= 0, got {depths!r}")
    max_layers = learn.get("max_layers_to_learn", LEARN_MAX_LAYERS)
    if max_layers is not None:
        max_layers = count(learn, "max_layers_to_learn", LEARN_MAX_LAYERS)
    mitigation = Mitigation(
        measure=measure, zne_factors=tuple(float(x) for x in factors) if zne_on else (),
        extrapolator=extrapolator, pec=pec_on, pec_max_overhead=None if max_overhead is None else float(max_overhead),
        gate_twirling=flag(twirl, "enable_gates", level >= 2), measure_twirling=flag(twirl, "enable_measure", measure),
        num_randomizations=count(twirl, "num_randomizations", AUTO, auto=True),
        shots_per_randomization=count(twirl, "shots_per_randomization", AUTO, auto=True),
        trex_randomizations=count(trex, "num_randomizations", TREX_RANDOMIZATIONS),
        trex_shots_per_randomization=count(trex, "shots_per_randomization", AUTO, auto=True),
        learn_max_layers=max_layers,
        learn_shots_per_randomization=count(learn, "shots_per_randomization", LEARN_SHOTS_PER_RANDOMIZATION),
        learn_randomizations=count(learn, "num_randomizations", LEARN_RANDOMIZATIONS),
        learn_pair_depths=tuple(depths))
    return None if mitigation == Mitigation() else mitigation


_PARSED: dict[int, tuple[Any, Mitigation | None]] = {}


def of(task: Any) -> Mitigation | None:
    """The mitigation a task asks for (``task.meta["mitigation"]``, a mapping), or None."""
    meta = task.meta
    if not meta or "mitigation" not in meta:
        return None
    spec = meta["mitigation"]
    memo = _PARSED.get(id(spec))
    if memo is None or memo[0] is not spec:
        memo = _PARSED[id(spec)] = (spec, parse(spec, item=f"task {task.id!r}"))
    return memo[1]


def twirl_shots(m: Mitigation, shots: int) -> tuple[int, int]:
    """(randomizations, shots per randomization) for ``shots`` (TwirlingOptions' "auto" rules)."""
    if not m.twirled:
        return 1, shots
    per, count = m.shots_per_randomization, m.num_randomizations
    if per == AUTO and count == AUTO:
        per = 64 if m.pec else max(64, math.ceil(shots / 32))
    if per == AUTO:
        per = math.ceil(shots / count)
    if count == AUTO:
        count = math.ceil(shots / per)
    return int(count), int(per)


def extrapolate(xs: list[float], ys: list[float], extrapolator: str) -> float:
    """The extrapolator's fit through ``(xs, ys)`` at ``x = 0`` (least squares)."""
    import numpy as np

    x, y = np.asarray(xs, float), np.asarray(ys, float)
    if extrapolator == "exponential":
        if np.any(y <= 0):
            return 0.0
        slope, intercept = np.polyfit(x, np.log(y), 1) if len(set(xs)) > 1 else (0.0, math.log(ys[0]))
        return float(math.exp(intercept))
    degree = 1 if extrapolator == "linear" else int(extrapolator.rsplit("_", 1)[1])
    if len(set(xs)) <= degree:
        return float(y.mean())
    return float(np.polyval(np.polyfit(x, y, degree), 0.0))


def error_parts(isa: Any, target: Any) -> tuple[float, float, float, float]:
    """``(ln e_measure, ln e_2q, ln e_other, sum of PEC generator rates 2*lambda)`` over every
    instruction of a transpiled circuit (blocks flattened, loops by their bound)."""
    parts = [0.0, 0.0, 0.0, 0.0]
    index = {bit: i for i, bit in enumerate(isa.qubits)}
    _parts(isa, [index[q] for q in isa.qubits], target, 1.0, parts)
    return parts[0], parts[1], parts[2], parts[3]


def _parts(circuit: Any, physical: list[int], target: Any, weight: float, parts: list[float]) -> None:
    qindex = {bit: i for i, bit in enumerate(circuit.qubits)}
    for inst in circuit.data:
        op = inst.operation
        phys = tuple(physical[qindex[q]] for q in inst.qubits)
        blocks = getattr(op, "blocks", None)
        if blocks:
            w = weight * (len(op.params[0]) if op.name == "for_loop" else 1)
            for block in blocks:
                _parts(block, list(phys), target, w, parts)
            continue
        if op.name in ("barrier", "delay") or op.name not in target:
            continue
        props = target[op.name].get(phys)
        if props is None or not props.error:
            continue
        error = min(props.error, 0.499999)  # an error of 1/2 or more cannot be inverted
        log = math.log1p(-props.error) if props.error < 1 else -math.inf
        if op.name == "measure":
            parts[0] += weight * log
        elif len(phys) == 2:
            parts[1] += weight * log
            parts[3] += weight * -math.log1p(-2 * error)
        else:
            parts[2] += weight * log


_USAGE: dict[tuple[int, int], tuple[Any, Any, Any, Usage]] = {}


def usage(qpu: Any, task: Any, compiled: Any, m: Mitigation) -> Usage:
    """QPU seconds, circuits and shots of ``task`` under mitigation ``m`` on ``qpu`` (memoised:
    policies ask for a task's time on a device many times)."""
    key = (id(qpu), id(task))
    memo = _USAGE.get(key)
    if memo is not None and memo[0] is qpu and memo[1] is task and memo[2] is compiled:
        return memo[3]
    result = _usage(qpu, task, compiled, m)
    _USAGE[key] = (qpu, task, compiled, result)  # holding them keeps their ids unique
    return result


def _usage(qpu: Any, task: Any, compiled: Any, m: Mitigation) -> Usage:
    from devices.circuit_timing import worst_case
    from devices.qpu import FEEDFORWARD_S, shots_of

    target = qpu.target
    shots = shots_of(task)
    notes: list[str] = []
    ln_m, ln_2, ln_1, pec_rate = error_parts(compiled.circuit, target)
    # Scale the flattened parts onto the worst-case path's ESP (equal for a circuit without branches).
    total = ln_m + ln_2 + ln_1
    k = math.log(compiled.esp) / total if math.isfinite(total) and total < 0 and compiled.esp > 0 else 1.0
    e_meas, e_2q, e_rest = math.exp(k * ln_m), math.exp(k * ln_2), math.exp(k * ln_1)
    randomizations, per = twirl_shots(m, shots)
    run_shots = randomizations * per
    circuits = randomizations if m.twirled else 1
    overhead = 1.0
    gain = 1.0  # the fraction of the 2-qubit noise left in the mitigated result
    if m.pec:
        gamma_sq = math.exp(2 * k * pec_rate)
        overhead = gamma_sq
        gain = 0.0
        if m.pec_max_overhead is not None and gamma_sq > m.pec_max_overhead:
            gain = 1.0 - math.log(m.pec_max_overhead) / math.log(gamma_sq)
            overhead = m.pec_max_overhead
            notes.append(f"{task.id}: PEC's sampling overhead {gamma_sq:.4g} exceeds max_overhead "
                         f"{m.pec_max_overhead:g}: {1 - gain:.0%} of the 2-qubit noise is removed")
        run_shots = math.ceil(run_shots * overhead)
        circuits = max(circuits, math.ceil(run_shots / per))
    factors = m.zne_factors or (1.0,)
    seconds = qpu.job_overhead_s
    for x in factors:
        duration = compiled.duration_s if x == 1.0 else \
            worst_case(compiled.circuit, target, FEEDFORWARD_S, two_qubit_scale=x).duration_s
        seconds += run_shots * qpu.shot_s(compiled, duration)
    total_shots = run_shots * len(factors)
    circuits *= len(factors)
    measure_s = _longest(target, "measure", [(q,) for q in compiled.qubits])
    if m.measure:  # TREX's readout learning: measurement-only circuits
        trex_per = per if m.trex_shots_per_randomization == AUTO else m.trex_shots_per_randomization
        trex_shots = m.trex_randomizations * trex_per
        seconds += trex_shots * qpu.shot_s(compiled, measure_s, feedforwards=0)
        total_shots += trex_shots
        circuits += m.trex_randomizations
    if m.pec:  # layer noise learning
        layers = _two_qubit_layers(compiled.circuit)
        if m.learn_max_layers is not None:
            layers = min(layers, m.learn_max_layers)
        pairs = {tuple(sorted(p)) for p in _two_qubit_pairs(compiled.circuit)}
        layer_s = _longest(target, None, sorted(pairs))
        per_config = LEARN_BASES * m.learn_randomizations * m.learn_shots_per_randomization
        for depth in m.learn_pair_depths:
            seconds += layers * per_config * qpu.shot_s(compiled, 2 * depth * layer_s + measure_s, feedforwards=0)
        total_shots += layers * per_config * len(m.learn_pair_depths)
        circuits += layers * LEARN_BASES * m.learn_randomizations * len(m.learn_pair_depths)
    # The mitigated estimate's share of the ideal signal (model: the signal decays as the ESP).
    kept_meas = 1.0 if m.measure else e_meas
    if m.zne_factors:
        ys = [e_rest * kept_meas * e_2q ** x for x in m.zne_factors]
        mitigated = extrapolate(list(m.zne_factors), ys, m.extrapolator)
    else:
        mitigated = e_rest * kept_meas * e_2q ** gain
    return Usage(seconds, int(circuits), int(total_shots), overhead, min(max(mitigated, 0.0), 1.0), tuple(notes))


def _longest(target: Any, name: str | None, qargs: list[tuple[int, ...]]) -> float:
    """The longest calibrated duration of ``name`` (None: any instruction) on ``qargs``."""
    longest = 0.0
    for n in [name] if name else list(target.operation_names):
        if n not in target:
            continue
        for q in qargs:
            for args in (q, q[::-1]):
                props = target[n].get(args)
                if props is not None and props.duration:
                    longest = max(longest, props.duration)
    return longest


def _two_qubit_pairs(circuit: Any) -> list[tuple[int, int]]:
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    pairs = []
    for inst in circuit.data:
        if len(inst.qubits) == 2 and inst.operation.name != "barrier":
            pairs.append((index[inst.qubits[0]], index[inst.qubits[1]]))
    return pairs


def _two_qubit_layers(circuit: Any) -> int:
    """Layers of 2-qubit gates (the depth counting only them)."""
    try:
        return int(circuit.depth(lambda inst: len(inst.qubits) == 2 and inst.operation.name != "barrier"))
    except Exception:  # a depth Qiskit cannot take (control flow): every gate its own layer
        return len(_two_qubit_pairs(circuit))
