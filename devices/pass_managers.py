"""One Qiskit preset pass manager per (target, optimisation level, seed), reused across circuits.

``qiskit.transpile(circuit, target=t, optimization_level=l, seed_transpiler=s)``
builds ``generate_preset_pass_manager(l, target=t, seed_transpiler=s)`` on every
call (7-9 ms on FakeTorino, more than running it on a small circuit) and then
runs it on the one circuit. With a target and no backend that is all it does
(Qiskit 2.x, ``qiskit/compiler/transpiler.py``): every other argument keeps the
default both functions share, the width check needs a backend or coupling map
(neither is given), one circuit is run in this process, and the output is
renamed to the input's name (which ``PassManager.run`` already gives it).
:func:`transpile` runs a kept pass manager instead; the preset passes hold no
state from one run to the next (Sabre and VF2 draw from the seed afresh per
run), so the output is the same circuit and layout: tests/test_pass_managers.py
compares both paths over QASMBench-style, dynamic and library circuits.

A pass manager is not re-entrant (``run`` keeps its property set on itself),
so a caller takes one out of its pool and puts it back after a run that
returned: two threads never share one, and one interrupted mid-run (an
error, a time limit's asynchronous exception) is dropped. Pools are keyed
by the target object (held, so its ``id`` cannot be reused) and bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: Targets (x levels x seeds) whose pass managers are kept; the least recently used goes first.
MAX_KEYS = 16
#: Idle pass managers kept per key: one per thread that transpiles at the same time.
MAX_IDLE = 4

_LOCK = threading.Lock()
#: (id(target), level, seed) -> (target, idle pass managers).
_POOLS: OrderedDict[tuple[int, int, int | None], tuple[Any, list[Any]]] = OrderedDict()


def transpile(circuit: Any, target: Any, optimization_level: int, seed: int | None) -> Any:
    """What ``qiskit.transpile(circuit, target=target, optimization_level=optimization_level,
    seed_transpiler=seed)`` returns, from a pass manager kept for (target, level, seed)."""
    key = (id(target), optimization_level, seed)
    pm = _take(key, target)
    if pm is None:
        from qiskit.transpiler import generate_preset_pass_manager

        pm = generate_preset_pass_manager(optimization_level, target=target, seed_transpiler=seed)
    out = pm.run(circuit)
    out.name = circuit.name  # as transpile() does
    _give_back(key, target, pm)
    return out


def clear() -> None:
    """Drop every kept pass manager (tests; a target changed in place)."""
    with _LOCK:
        _POOLS.clear()


def _take(key: tuple[int, int, int | None], target: Any) -> Any:
    with _LOCK:
        entry = _POOLS.get(key)
        if entry is None or entry[0] is not target or not entry[1]:
            return None
        _POOLS.move_to_end(key)
        return entry[1].pop()


def _give_back(key: tuple[int, int, int | None], target: Any, pm: Any) -> None:
    with _LOCK:
        entry = _POOLS.get(key)
        if entry is None or entry[0] is not target:
            entry = _POOLS[key] = (target, [])
            while len(_POOLS) > MAX_KEYS:
                _POOLS.popitem(last=False)
        _POOLS.move_to_end(key)
        if len(entry[1]) < MAX_IDLE:
            entry[1].append(pm)
