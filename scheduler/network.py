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
  numbers, found faster).

Flows on one route always have equal rates, so the model keeps one *class*
per route in use: its flow count, its per-flow rate and the bytes each of
its flows has received since the class began (``progress``). A flow that
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

import simpy

#: Flows whose target lies within this relative distance of their class's progress end
#: together: the error of summing rate x time in floating point, far below SimGrid's 1e-6 check.
_SAME = 1e-12
#: Networks of more links recompute only the flows connected to a change; smaller ones
#: recompute all (finding the component costs about as much as the filling there).
LOCAL_ABOVE = 64


class _Class:
    """The flows in their bandwidth phase on one route."""

    __slots__ = ("route", "flows", "rate", "progress", "since", "end", "m", "share")

    def __init__(self, route: tuple[int, ...], now: float):
        self.route = route
        #: (target progress, flow number, done callback): a min-heap.
        self.flows: list[tuple[float, int, Callable[[], None]]] = []
        self.rate = 0.0
        self.progress = 0.0
        self.since = now
        #: When the first of its flows ends at the current rate.
        self.end = math.inf
        #: Flows in the class, and the filling's scratch: the share found (-1: not yet).
        self.m = 0
        self.share = -1.0

    def advance(self, now: float) -> None:
        self.progress += self.rate * (now - self.since)
        self.since = now

    def set_end(self) -> None:
        self.end = self.since + (self.flows[0][0] - self.progress) / self.rate if self.rate > 0 else math.inf


class FlowModel:
    """Links of given bandwidths (bytes/s) shared max-min fairly by the flows crossing them."""

    def __init__(self, env: simpy.Environment, bandwidths: list[float]):
        self.env = env
        self.bandwidth = [float(b) for b in bandwidths]
        self.classes: dict[tuple[int, ...], _Class] = {}
        #: Classes crossing each link, by route (insertion order: deterministic).
        self.on_link: list[dict[tuple[int, ...], _Class]] = [{} for _ in bandwidths]
        #: Flows in their bandwidth phase on each link.
        self.count = [0] * len(bandwidths)
        self._wakes: set[float] = set()
        self._dirty: dict[int, None] = {}
        #: Flows in their latency phase: (end of it, serial, route, bytes, done), a min-heap.
        self._arrivals: list[tuple[float, int, tuple[int, ...], float, Callable[[], None]]] = []
        self._flush_pending = False
        self._serial = 0
        #: Flows started and rate recomputations done (for benchmarks and tests).
        self.flows_started = 0
        self.recomputations = 0

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
        cls = self.classes.get(route)
        if cls is None:
            cls = self.classes[route] = _Class(route, now)
            for link in route:
                self.on_link[link][route] = cls
        else:
            cls.advance(now)
        self._serial += 1
        count = self.count
        for link in route:
            count[link] += 1
        cls.m += 1
        target = cls.progress + nbytes
        if cls.flows and target < cls.flows[0][0]:
            heapq.heappush(cls.flows, (target, self._serial, done))
            cls.set_end()
        else:
            heapq.heappush(cls.flows, (target, self._serial, done))

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
        for cls in [c for c in self.classes.values() if c.end <= at]:
            cls.advance(now)
            flows = cls.flows
            limit = cls.progress * (1 + _SAME)
            # Due by progress, or so nearly due that the time left rounds away.
            before = len(flows)
            while flows and (flows[0][0] <= limit or now + (flows[0][0] - cls.progress) / cls.rate <= now):
                _, serial, done = heapq.heappop(flows)
                ended.append((serial, done))
            gone = before - len(flows)
            cls.m -= gone
            for link in cls.route:
                self.count[link] -= gone
            if flows:
                cls.set_end()
            else:
                del self.classes[cls.route]
                for link in cls.route:
                    del self.on_link[link][cls.route]
            for link in cls.route:
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
        on_link = self.on_link
        comp = self.classes
        if not comp:
            self._schedule()
            return
        local = len(self.bandwidth) > LOCAL_ABOVE
        if local:
            comp = self._component(links)
        # Progressive filling, a class of m flows counting m times (lists: links are small ints).
        cap = self.bandwidth[:]
        count = self.count[:]
        active = ([link for link in range(len(cap)) if count[link]] if not local else
                  sorted({link for cls in comp.values() for link in cls.route}))
        while active:
            best, share = -1, math.inf
            for link in active:
                s = cap[link] / count[link]
                if s < share:
                    best, share = link, s
            if share <= 0.0:  # rounding left a link a hair below zero: give its flows a hair
                share = 1e-300
            for cls in on_link[best].values():
                if cls.share >= 0.0:
                    continue
                cls.share = share
                m = cls.m
                used = share * m
                for link in cls.route:
                    count[link] -= m
                    cap[link] -= used  # >= its flows' fair share there, up to rounding
            active = [link for link in active if count[link]]
        now = self.env.now
        first = math.inf
        for cls in comp.values():
            rate = cls.share
            cls.share = -1.0
            if rate != cls.rate:
                cls.progress += cls.rate * (now - cls.since)
                cls.since = now
                cls.rate = rate
                cls.end = now + (cls.flows[0][0] - cls.progress) / rate
            if cls.end < first:
                first = cls.end
        self._schedule(None if local else first)

    def _component(self, links: tuple[int, ...]) -> dict[tuple[int, ...], _Class]:
        """The classes reachable from ``links`` through links they share."""
        on_link = self.on_link
        seen: set[int] = set()
        comp: dict[tuple[int, ...], _Class] = {}
        stack = [link for link in links if on_link[link]]
        while stack:
            link = stack.pop()
            if link in seen:
                continue
            seen.add(link)
            for route, cls in on_link[link].items():
                if route not in comp:
                    comp[route] = cls
                    stack.extend(route)
        return comp

    def _schedule(self, at: float | None = None) -> None:
        """Wake up when the next flow ends (``at``, if known), unless a wake-up at or before
        then is pending."""
        if at is None:
            at = min((cls.end for cls in self.classes.values()), default=math.inf)
        if self._arrivals and self._arrivals[0][0] < at:
            at = self._arrivals[0][0]
        if at == math.inf or at in self._wakes or (self._wakes and at >= min(self._wakes)):
            return
        self._wakes.add(at)
        self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(lambda _e: self._wake(at))
