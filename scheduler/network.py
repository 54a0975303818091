"""Flows sharing links: max-min fair bandwidth sharing in a SimPy environment.

The flow-level model of SimGrid (Casanova, Giersch, Legrand, Quinson &
Suter, "Versatile, scalable, and accurate simulation of distributed
applications and platforms", JPDC 74(10), 2014; Velho et al., "On the
validity of flow-level TCP network models for grid and cloud simulations",
ACM TOMACS 23(4), 2013) without its correction factors:

* a flow over route ``r`` first waits the sum of its links' latencies, using
  no bandwidth (SimGrid's latency phase);
* then it moves its bytes at a rate set by **max-min fairness** over the
  flows in their bandwidth phase: no link carries more than its bandwidth, and
  no flow's rate can grow without lowering the rate of a flow that has no
  more (progressive filling: raise all rates together; a link that fills
  freezes its flows at its fair share; repeat with what is left);
* rates are recomputed when a flow enters or leaves its bandwidth phase
  (once per instant however many do); on networks of more than
  ``LOCAL_ABOVE`` links only for the flows that share a link with it,
  directly or through other flows (the rest keep their rates: the same
  numbers, found faster). The filling itself is compiled
  (:mod:`scheduler.maxmin`); this module keeps the events.

Flows on one route always have equal rates, so the model keeps one *class*
per route in use, a slot in a few numpy arrays: its flow count, its
per-flow rate and the bytes each of its flows has received since the class
began (``progress``). A flow that
joins with ``b`` bytes ends when the progress has grown by ``b``: rate
changes cost one update per class, not per flow, and the flows of a class
end in the order of their targets (a heap).

Every flow has weight 1 (pure max-min). SimGrid's CM02 model gives a flow
the weight ``1 / route latency`` (its RTT-unfairness); the two agree when
concurrent flows have equal route latencies, which the validation platforms
in ``tests/test_network_simgrid.py`` keep.

A link carries flows in both directions on one capacity (SimGrid's
``SHARED`` links); a full-duplex link is two links with one-way routes.
"""

from __future__ import annotations

import heapq
import math
from typing import Callable

import numpy as np
import simpy

from scheduler.maxmin import reshare

#: Flows whose target lies within this relative distance of their class's progress end
#: together: the error of summing rate x time in floating point, far below SimGrid's 1e-6 check.
_SAME = 1e-12
#: Networks of more links recompute only the flows connected to a change; smaller ones
#: recompute all (finding the component costs about as much as the filling there).
LOCAL_ABOVE = 64
_NO_LINKS = np.zeros(0, np.int64)


class FlowModel:
    """Links of given bandwidths (bytes/s) shared max-min fairly by the flows crossing them."""

    def __init__(self, env: simpy.Environment, bandwidths: list[float]):
        self.env = env
        self.bandwidth = np.array(bandwidths, dtype=np.float64)
        #: The slot of each route in use; free slots for reuse (last freed first).
        self.classes: dict[tuple[int, ...], int] = {}
        self._free: list[int] = []
        self._next_end = math.inf
        #: Per slot: its route, and its flows as a min-heap of (target progress, flow number, done).
        self._routes: list[tuple[int, ...]] = []
        self._flows: list[list[tuple[float, int, Callable[[], None]]]] = []
        self._grow(8, 4)
        self._wakes: set[float] = set()
        self._dirty: dict[int, None] = {}
        #: Flows in their latency phase: (end of it, serial, route, bytes, done), a min-heap.
        self._arrivals: list[tuple[float, int, tuple[int, ...], float, Callable[[], None]]] = []
        self._flush_pending = False
        self._serial = 0
        #: Flows started and rate recomputations done (for benchmarks and tests).
        self.flows_started = 0
        self.recomputations = 0

    def _grow(self, slots: int, width: int) -> None:
        """Room for ``slots`` classes on routes of up to ``width`` links (arrays kept, padded)."""
        old = len(self._routes)
        route = np.full((slots, width), -1, np.int64)
        m = np.zeros(slots, np.int64)
        state = np.zeros((5, slots))  # one array, so the kernel takes one argument for five
        state[4] = np.inf
        if old:
            route[:old, :self.route.shape[1]] = self.route
            m[:old] = self.m
            state[:, :old] = self.state
        self.route, self.m, self.state = route, m, state
        #: Per slot: rate (B/s per flow), progress (B since the class began) at ``since`` (s),
        #: the first flow's target progress, and when it ends at this rate.
        self.rate, self.progress, self.since, self.head, self.end = state
        self._routes += [()] * (slots - old)
        self._flows += [[] for _ in range(slots - old)]
        self._free.extend(range(slots - 1, old - 1, -1))  # the lowest slot first

    def start(self, route: tuple[int, ...], nbytes: float, latency: float, done: Callable[[], None]) -> None:
        """Send ``nbytes`` over the links ``route``; call ``done()`` when the last byte arrives."""
        self.flows_started += 1
        if nbytes <= 0 or not route:
            if latency > 0:
                self.env.timeout(latency).callbacks.append(lambda _e: done())
            else:
                done()
            return
        if latency > 0:  # the latency phase: kept here, so one wake-up serves arrivals and ends alike
            at = self.env.now + latency
            self._serial += 1
            heapq.heappush(self._arrivals, (at, self._serial, route, float(nbytes), done))
            self._schedule(at)
        else:
            self._enter(route, float(nbytes), done)
            self._mark(route)

    # -- the model ---------------------------------------------------------------

    def _enter(self, route: tuple[int, ...], nbytes: float, done: Callable[[], None]) -> None:
        now = self.env.now
        slot = self.classes.get(route)
        if slot is None:
            if len(route) > self.route.shape[1]:
                self._grow(len(self._routes), len(route))
            if not self._free:
                self._grow(2 * len(self._routes), self.route.shape[1])
            slot = self._free.pop()
            self.classes[route] = slot
            self._routes[slot] = route
            self.route[slot, :] = -1
            self.route[slot, :len(route)] = route
            self.rate[slot] = self.progress[slot] = 0.0
            self.since[slot] = now
            self.end[slot] = math.inf
            progress = 0.0
        else:
            progress = self._advance(slot, now)
        self._serial += 1
        self.m[slot] += 1
        flows = self._flows[slot]
        target = progress + nbytes
        heapq.heappush(flows, (target, self._serial, done))
        if flows[0][0] == target:  # a new first flow: the class ends sooner at its current rate
            self.head[slot] = target
            rate = self.rate.item(slot)
            end = self.end[slot] = now + (target - progress) / rate if rate > 0 else math.inf
            if end < self._next_end:
                self._next_end = end

    def _advance(self, slot: int, now: float) -> float:
        """Bring the class's progress up to ``now``; return it."""
        progress = self.progress.item(slot) + self.rate.item(slot) * (now - self.since.item(slot))
        self.progress[slot] = progress
        self.since[slot] = now
        return progress

    def _mark(self, links) -> None:
        """Rates on ``links`` need recomputing before time moves on."""
        for link in links:
            self._dirty[link] = None
        if not self._flush_pending:
            self._flush_pending = True
            self.env.timeout(0).callbacks.append(self._flush)

    def _flush(self, _event) -> None:
        self._flush_pending = False
        if self._dirty:
            links, self._dirty = tuple(self._dirty), {}
            self._reshare(links)

    def _wake(self, at: float) -> None:
        now = self.env.now
        self._wakes.discard(at)
        ended: list[tuple[int, Callable[[], None]]] = []
        dirty = self._dirty
        arrivals = self._arrivals
        while arrivals and arrivals[0][0] <= at:
            _, _, route, nbytes, done = heapq.heappop(arrivals)
            self._enter(route, nbytes, done)
            for link in route:
                dirty[link] = None
        if self._next_end <= at:
            m, head, end = self.m, self.head, self.end
            for slot in (end <= at).nonzero()[0].tolist():
                progress = self._advance(slot, now)
                rate = self.rate.item(slot)
                flows = self._flows[slot]
                limit = progress * (1 + _SAME)
                before = len(flows)
                # Due by progress, or so nearly due that the time left rounds away.
                while flows and (flows[0][0] <= limit or now + (flows[0][0] - progress) / rate <= now):
                    _, serial, done = heapq.heappop(flows)
                    ended.append((serial, done))
                m[slot] -= before - len(flows)
                route = self._routes[slot]
                if flows:
                    head[slot] = flows[0][0]
                    end[slot] = now + (flows[0][0] - progress) / rate
                else:
                    del self.classes[route]
                    self._free.append(slot)
                    end[slot] = math.inf
                for link in route:
                    dirty[link] = None
        if dirty:  # one recomputation for everything that happened now
            links, self._dirty = tuple(dirty), {}
            self._reshare(links)
        else:
            self._schedule()
        ended.sort()
        for _, done in ended:  # in start order
            done()

    def _reshare(self, links: tuple[int, ...]) -> None:
        """Recompute max-min rates of the classes connected to ``links``."""
        self.recomputations += 1
        local = len(self.bandwidth) > LOCAL_ABOVE
        self._next_end = float(reshare(self.env.now, self.bandwidth, np.array(links, np.int64) if local else _NO_LINKS,
                                       local, self.m, self.route, self.state))
        self._schedule(self._next_end)

    def _schedule(self, at: float | None = None) -> None:
        """Wake up when the next flow ends (``at``, if known), unless a wake-up at or before
        then is pending."""
        if at is None:
            at = self._next_end = float(self.end.min())  # free slots hold inf
        if self._arrivals and self._arrivals[0][0] < at:
            at = self._arrivals[0][0]
        if at == math.inf or at in self._wakes or (self._wakes and at >= min(self._wakes)):
            return
        self._wakes.add(at)
        self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(lambda _e: self._wake(at))
