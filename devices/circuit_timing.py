"""Worst-case timing and ESP of dynamic circuits (classical control flow).

Qiskit's ``QuantumCircuit.estimate_duration(target)`` refuses a circuit with
control flow (``Duration not found for if_else``), so a dynamic circuit is
timed here by the same rule, a longest path over the circuit's qubit and
clbit wires with each instruction's calibrated duration, extended to blocks:

* ``if_else`` and ``switch_case``: the longest branch (a missing ``else`` is
  an empty branch), plus the backend's **feed-forward latency** once: the
  time from the end of the measurement to the start of the conditioned
  operations (``QPU.feedforward_s``);
* ``for_loop``: the body times the number of iterations (the loop is
  unrolled by the control system at compile time: no feed-forward);
* ``while_loop``: no bound is known, so the circuit cannot be timed: a
  one-line error (``UnboundedLoop``).

The ESP follows the same worst case: the least likely branch to succeed,
the body's ESP to the power of the iterations. Without control flow the
longest path equals ``estimate_duration`` (checked in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Names of Qiskit's control-flow instructions.
CONTROL_FLOW = frozenset({"if_else", "while_loop", "for_loop", "switch_case", "box"})
FEEDFORWARD = frozenset({"if_else", "switch_case"})
#: Instructions that carry no error (as devices.qpu.NO_ERROR).
NO_ERROR = frozenset({"barrier", "delay"})


class UnboundedLoop(ValueError):
    """A ``while`` loop: a dynamic circuit whose duration has no bound."""


@dataclass(frozen=True)
class Timing:
    """One shot of a (dynamic) circuit on a target, on its worst-case path."""

    #: Gate, measurement and delay time on the longest path, seconds (feed-forward latency excluded).
    duration_s: float
    #: Feed-forward points (if_else, switch_case) on that path; each costs the backend's latency.
    feedforwards: int
    esp: float
    #: Physical qubits the circuit uses, blocks included.
    qubits: frozenset[int]


def has_control_flow(circuit: Any) -> bool:
    """Whether any instruction of ``circuit`` is classical control flow."""
    return any(inst.operation.name in CONTROL_FLOW for inst in circuit.data)


def unbounded_loop(circuit: Any) -> str | None:
    """Why ``circuit`` cannot be timed (a ``while`` loop anywhere in it), or None."""
    for inst in circuit.data:
        op = inst.operation
        if op.name == "while_loop":
            return unbounded_loop_message()
        for block in getattr(op, "blocks", ()):
            why = unbounded_loop(block)
            if why:
                return why
    return None


def worst_case(isa: Any, target: Any, feedforward_s: float, two_qubit_scale: float = 1.0) -> Timing:
    """Worst-case one-shot timing of a circuit transpiled to ``target``.

    ``feedforward_s`` only picks the longest branch; the latency is not in
    ``duration_s`` but counted in ``feedforwards``, so that a device can
    charge its own. ``two_qubit_scale`` stretches every two-qubit gate's
    duration and exponent of its success probability (ZNE's 2-qubit gate
    folding at that noise factor, :mod:`devices.mitigation`). Raises
    :class:`UnboundedLoop` for a ``while`` loop.
    """
    index = {bit: i for i, bit in enumerate(isa.qubits)}
    used: set[int] = set()
    length, ff, esp = _walk(isa, [index[q] for q in isa.qubits], target, feedforward_s, used, two_qubit_scale)
    return Timing(length, ff, esp, frozenset(used))


def _walk(circuit: Any, physical: list[int], target: Any, latency: float,
          used: set[int], scale: float = 1.0) -> tuple[float, int, float]:
    """(duration, feed-forwards, ESP) of the longest path through ``circuit``, whose
    qubit ``i`` is physical qubit ``physical[i]``."""
    qindex = {bit: i for i, bit in enumerate(circuit.qubits)}
    cindex = {bit: i for i, bit in enumerate(circuit.clbits)}
    # Per wire: (time including latencies, latency count) at which it becomes free.
    qfree = [(0.0, 0)] * circuit.num_qubits
    cfree = [(0.0, 0)] * circuit.num_clbits
    dt = getattr(target, "dt", None)
    esp = 1.0
    for inst in circuit.data:
        op = inst.operation
        name = op.name
        qs = [qindex[q] for q in inst.qubits]
        cs = [cindex[c] for c in inst.clbits]  # a control-flow op lists the clbits its condition reads
        start = max([qfree[q] for q in qs] + [cfree[c] for c in cs], default=(0.0, 0))
        phys = tuple(physical[q] for q in qs)
        if name in CONTROL_FLOW:
            length, ff, block_esp = _block(op, phys, target, latency, used, scale)
        else:
            if name not in NO_ERROR:
                used.update(phys)
            length, ff, block_esp = _instruction(op, phys, target, dt), 0, 1.0
            if name not in NO_ERROR:
                props = target[name].get(phys) if name in target else None
                if props is not None and props.error is not None:
                    block_esp = 1.0 - props.error
            if scale != 1.0 and len(phys) == 2 and name not in NO_ERROR:
                length, block_esp = length * scale, block_esp ** scale
        esp *= block_esp
        finish = (start[0] + length + ff * latency, start[1] + ff)
        for q in qs:
            qfree[q] = finish
        for c in cs:
            cfree[c] = finish
    end = max(qfree + cfree, default=(0.0, 0))
    return end[0] - end[1] * latency, end[1], esp


def _block(op: Any, phys: tuple[int, ...], target: Any, latency: float,
           used: set[int], scale: float = 1.0) -> tuple[float, int, float]:
    name = op.name
    if name == "while_loop":
        raise UnboundedLoop(unbounded_loop_message())
    paths = [_walk(block, list(phys), target, latency, used, scale) for block in op.blocks]
    if name == "for_loop":
        (length, ff, esp), = paths
        n = len(op.params[0])  # the index set
        return length * n, ff * n, esp ** n
    if name == "if_else" and len(op.blocks) == 1:
        paths.append((0.0, 0, 1.0))  # no else: the empty branch
    if name == "box":
        (length, ff, esp), = paths
        return length, ff, esp
    length, ff, _ = max(paths, key=lambda p: p[0] + p[1] * latency)
    return length, ff + 1, min(p[2] for p in paths)


def unbounded_loop_message() -> str:
    return ("has a while loop, whose number of iterations is not known before it runs; "
            "hybridsched times only bounded loops (for, or unroll it)")


def _instruction(op: Any, phys: tuple[int, ...], target: Any, dt: float | None) -> float:
    name = op.name
    if name == "barrier":
        return 0.0
    if name == "delay":
        unit = getattr(op, "unit", "dt")
        value = float(op.duration)
        if unit == "dt":
            return value * (dt or 0.0)
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}.get(unit, 1.0)
        return value * scale
    if name not in target:
        return 0.0
    props = target[name].get(phys)
    if props is None or props.duration is None:
        return 0.0
    return float(props.duration)
