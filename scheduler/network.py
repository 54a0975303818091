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
  (once per instant however many do), and only for the flows that share a
  link with it, directly or through other flows (the rest keep their rates,
  so a busy node-local switch costs a WAN flow nothing).

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


class _Class:
    """The flows in their bandwidth phase on one route."""

    __slots__ = ("route", "flows", "rate", "progress", "since", "version")

    def __init__(self, route: tuple[int, ...], now: float):
        self.route = route
        #: (target progress, flow number, done callback): a min-heap.
        self.flows: list[tuple[float, int, Callable[[], None]]] = []
        self.rate = 0.0
        self.progress = 0.0
        self.since = now
        self.version = 0

    def advance(self, now: float) -> None:
        self.progress += self.rate * (now - self.since)
        self.since = now


class FlowModel:
    """Links of given bandwidths (bytes/s) shared max-min fairly by the flows crossing them."""

    def __init__(self, env: simpy.Environment, bandwidths: list[float]):
        self.env = env
        self.bandwidth = [float(b) for b in bandwidths]
        self.classes: dict[tuple[int, ...], _Class] = {}
        #: Classes crossing each link, by route (insertion order: deterministic).
        self.on_link: list[dict[tuple[int, ...], _Class]] = [{} for _ in bandwidths]
        self._heap: list[tuple[float, int, int, _Class]] = []  # (next end, tie, version, class)
        self._wakes: set[float] = set()
        self._dirty: dict[int, None] = {}
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
        if latency > 0:
            self.env.timeout(latency).callbacks.append(lambda _e: self._enter(route, float(nbytes), done))
        else:
            self._enter(route, float(nbytes), done)

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
        heapq.heappush(cls.flows, (cls.progress + nbytes, self._serial, done))
        self._mark(route)

    def _mark(self, links) -> None:
        """Rates on ``links`` need recomputing before time moves on."""
        for link in links:
            self._dirty[link] = None
        if not self._flush_pending:
            self._flush_pending = True
            self.env.timeout(0).callbacks.append(self._flush)

    def _flush(self, _event) -> None:
        self._flush_pending = False
        links, self._dirty = tuple(self._dirty), {}
        self._reshare(links)

    def _wake(self, at: float) -> None:
        now = self.env.now
        self._wakes.discard(at)
        heap = self._heap
        ended: list[tuple[int, Callable[[], None]]] = []
        touched: list[tuple[int, ...]] = []
        while heap and heap[0][0] <= at:
            _, _, version, cls = heapq.heappop(heap)
            if version != cls.version:
                continue
            cls.advance(now)
            flows = cls.flows
            limit = cls.progress * (1 + _SAME)
            # Due by progress, or so nearly due that the time left rounds away.
            while flows and (flows[0][0] <= limit or now + (flows[0][0] - cls.progress) / cls.rate <= now):
                _, serial, done = heapq.heappop(flows)
                ended.append((serial, done))
            touched.append(cls.route)
            cls.version += 1
            if not flows:
                del self.classes[cls.route]
                for link in cls.route:
                    del self.on_link[link][cls.route]
            else:
                self._push(cls)  # a flow that was not quite due keeps its class in the heap
        for route in touched:
            self._mark(route)
        if not ended:
            self._schedule()
        ended.sort()
        for _, done in ended:  # in start order
            done()

    def _push(self, cls: _Class) -> None:
        if cls.rate > 0:
            at = cls.since + (cls.flows[0][0] - cls.progress) / cls.rate
            self._serial += 1
            heapq.heappush(self._heap, (at, self._serial, cls.version, cls))

    def _reshare(self, links: tuple[int, ...]) -> None:
        """Recompute max-min rates of the classes connected to ``links``."""
        self.recomputations += 1
        on_link = self.on_link
        # The connected component: links reachable through shared classes.
        comp_links: dict[int, None] = {}
        comp: dict[tuple[int, ...], _Class] = {}
        stack = [link for link in links if on_link[link]]
        while stack:
            link = stack.pop()
            if link in comp_links:
                continue
            comp_links[link] = None
            for route, cls in on_link[link].items():
                if route not in comp:
                    comp[route] = cls
                    stack.extend(route)
        if not comp:
            self._schedule()
            return
        # Progressive filling, a class of m flows counting m times.
        bandwidth = self.bandwidth
        cap = {link: bandwidth[link] for link in comp_links}
        count = dict.fromkeys(comp_links, 0)
        for route, cls in comp.items():
            m = len(cls.flows)
            for link in route:
                count[link] += m
        new_rate: dict[tuple[int, ...], float] = {}
        while count:
            best, share = -1, math.inf
            for link, n in count.items():
                s = cap[link] / n
                if s < share:
                    best, share = link, s
            for route, cls in on_link[best].items():
                if route in new_rate:
                    continue
                new_rate[route] = share
                m = len(cls.flows)
                used = share * m
                for link in route:
                    n = count[link] - m
                    if n:
                        count[link] = n
                        left = cap[link] - used
                        cap[link] = left if left > 0.0 else 0.0
                    else:
                        del count[link]
        now = self.env.now
        for route, cls in comp.items():
            rate = new_rate[route]
            if rate == cls.rate:
                continue
            cls.advance(now)
            cls.rate = rate
            cls.version += 1
            self._push(cls)
        self._schedule()

    def _schedule(self) -> None:
        heap = self._heap
        while heap and heap[0][2] != heap[0][3].version:
            heapq.heappop(heap)
        if not heap:
            return
        at = heap[0][0]
        if at in self._wakes or (self._wakes and at >= min(self._wakes)):
            return
        self._wakes.add(at)
        self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(lambda _e: self._wake(at))
