"""Max-min fair rates by progressive filling, compiled with numba.

The kernel of :class:`scheduler.network.FlowModel`. A *class* is the set of
flows on one route (they always have equal rates); class ``c`` has ``m[c]``
flows (0: the slot is free) over the links ``route[c, :]`` (padded with -1).
Every flow has weight 1 (pure max-min, SimGrid's model without its
correction factors).

Progressive filling: raise every rate together; the first link to fill
(least ``capacity / flows`` among links still carrying unfrozen flows, the
lowest link number among equals) freezes the classes crossing it at that
share; take what they use from every link they cross; repeat. Each class is
visited once per filling, so a recomputation costs O(iterations x classes x
route length) machine operations, which in pure Python was ~35 us for the
~50 classes of a 16-GPU node pair and set the speed of every shared-link run
(benchmarks/README.md, "Shared network").

``cache=True`` keeps the compiled code beside this file (or in numba's user
cache when the package folder is read-only), so only a machine's first run
compiles it. ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _crosses(route, c, marked):  # pragma: no cover - compiled
    """Whether class ``c``'s route crosses a marked link."""
    for k in range(route.shape[1]):
        link = route[c, k]
        if link < 0:
            return False
        if marked[link]:
            return True
    return False


@njit(cache=True)
def reshare(now, bandwidth, dirty, local, m, route, state):  # pragma: no cover - compiled
    """Recompute the rates of the classes that ``dirty`` links touch (all classes unless ``local``).

    ``state`` holds five rows per slot: ``rate, progress, since, head, end``. A class whose
    rate changes is advanced to ``now`` (its ``progress`` grows by the old rate times the time
    since ``since``) and gets the new rate and the time its first flow ends (``head``: that
    flow's target progress). Returns the earliest ``end`` of all classes.
    """
    rate, progress, since, head, end = state[0], state[1], state[2], state[3], state[4]
    slots = m.shape[0]
    width = route.shape[1]
    links = bandwidth.shape[0]
    member = m > 0
    if local:  # the classes reachable from the dirty links through links they share
        marked = np.zeros(links, np.bool_)
        for i in range(dirty.shape[0]):
            marked[dirty[i]] = True
        member[:] = False
        grown = True
        while grown:
            grown = False
            for c in range(slots):
                if m[c] == 0 or member[c]:
                    continue
                if _crosses(route, c, marked):
                    member[c] = True
                    grown = True
                    for k in range(width):
                        link = route[c, k]
                        if link < 0:
                            break
                        marked[link] = True
    cap = bandwidth.copy()
    count = np.zeros(links, np.int64)
    filled = np.zeros(links, np.bool_)
    left = 0
    for c in range(slots):
        if member[c]:
            left += 1
            for k in range(width):
                link = route[c, k]
                if link < 0:
                    break
                count[link] += m[c]
    while left > 0:
        best = -1
        share = np.inf
        for link in range(links):
            if count[link] > 0:
                s = cap[link] / count[link]
                if s < share:
                    best = link
                    share = s
        if best < 0:
            break
        if share <= 0.0:  # rounding left a link a hair below zero: give its flows a hair
            share = 1e-300
        filled[best] = True  # links filled before hold no unfrozen class: marking them is harmless
        for c in range(slots):
            if not member[c]:
                continue
            if not _crosses(route, c, filled):
                continue
            member[c] = False
            left -= 1
            flows = m[c]
            used = share * flows
            for k in range(width):
                link = route[c, k]
                if link < 0:
                    break
                count[link] -= flows
                cap[link] -= used  # >= its flows' fair share there, up to rounding
            if share != rate[c]:
                progress[c] += rate[c] * (now - since[c])
                since[c] = now
                rate[c] = share
                end[c] = now + (head[c] - progress[c]) / share
    first = np.inf
    for c in range(slots):
        if m[c] > 0 and end[c] < first:
            first = end[c]
    return first
