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
* rates are recomputed when a flow enters or leaves its bandwidth phase, and
  only for the flows that share a link with it, directly or through other
  flows (the rest keep their rates, so a busy node-local switch costs a WAN
  flow nothing).

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

#: Flows whose projected end lies within this relative distance of now end together:
#: the error of summing rate x time in floating point, far below the 1e-6 SimGrid check.
_SAME_TIME = 1e-12


class _Flow:
    __slots__ = ("id", "route", "size", "remaining", "rate", "since", "version", "done")

    def __init__(self, fid: int, route: tuple[int, ...], size: float, done: Callable[[], None]):
        self.id = fid
        self.route = route
        self.size = size
        self.remaining = size
        self.rate = 0.0
        self.since = 0.0
        self.version = 0
        self.done = done


class FlowModel:
    """Links of given bandwidths (bytes/s) shared max-min fairly by the flows crossing them."""

    def __init__(self, env: simpy.Environment, bandwidths: list[float]):
        self.env = env
        self.bandwidth = [float(b) for b in bandwidths]
        #: Flows in their bandwidth phase on each link, by flow id (insertion order: deterministic).
        self.on_link: list[dict[int, _Flow]] = [{} for _ in bandwidths]
        self._heap: list[tuple[float, int, int, _Flow]] = []  # (projected end, flow id, version, flow)
        self._wakes: set[float] = set()
        self._next_id = 0
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
        flow = _Flow(self._next_id, route, float(nbytes), done)
        self._next_id += 1
        if latency > 0:
            self.env.timeout(latency).callbacks.append(lambda _e: self._enter(flow))
        else:
            self._enter(flow)

    def rate(self, flow_links: tuple[int, ...]) -> list[float]:
        """Current rates of the flows on the first link of ``flow_links`` (for tests)."""
        return [f.rate for f in self.on_link[flow_links[0]].values()]

    # -- the model ---------------------------------------------------------------

    def _enter(self, flow: _Flow) -> None:
        flow.since = self.env.now
        for link in flow.route:
            self.on_link[link][flow.id] = flow
        self._reshare(flow.route)

    def _wake(self, at: float) -> None:
        now = self.env.now
        self._wakes.discard(at)
        heap = self._heap
        limit = now + _SAME_TIME * max(now, 1.0)
        ended: list[_Flow] = []
        while heap and heap[0][0] <= limit:
            _, _, version, flow = heapq.heappop(heap)
            if version == flow.version:
                flow.remaining = 0.0
                flow.version += 1
                ended.append(flow)
        if not ended:
            self._schedule()
            return
        touched: dict[int, None] = {}
        for flow in ended:
            for link in flow.route:
                del self.on_link[link][flow.id]
                touched[link] = None
        self._reshare(tuple(touched))
        for flow in ended:  # in flow-id order, after the rates are settled
            flow.done()

    def _reshare(self, links: tuple[int, ...]) -> None:
        """Recompute max-min rates of the flows connected to ``links``."""
        self.recomputations += 1
        on_link = self.on_link
        # The connected component: links reachable through shared flows.
        comp_links: dict[int, None] = {}
        flows: dict[int, _Flow] = {}
        stack = [link for link in links if on_link[link]]
        while stack:
            link = stack.pop()
            if link in comp_links:
                continue
            comp_links[link] = None
            for fid, flow in on_link[link].items():
                if fid not in flows:
                    flows[fid] = flow
                    for other in flow.route:
                        if other not in comp_links:
                            stack.append(other)
        if not flows:
            self._schedule()
            return
        # Progressive filling.
        cap = {link: self.bandwidth[link] for link in comp_links}
        count = {link: len(on_link[link]) for link in comp_links}
        new_rate: dict[int, float] = {}
        while count:
            best, share = -1, math.inf
            for link, n in count.items():
                s = cap[link] / n
                if s < share or (s == share and link < best):
                    best, share = link, s
            for fid, flow in on_link[best].items():
                if fid in new_rate:
                    continue
                new_rate[fid] = share
                for link in flow.route:
                    n = count[link] - 1
                    if n:
                        count[link] = n
                        cap[link] = max(cap[link] - share, 0.0)
                    else:
                        del count[link]
        now = self.env.now
        heap = self._heap
        for fid, flow in flows.items():
            rate = new_rate[fid]
            if rate == flow.rate:
                continue
            flow.remaining -= flow.rate * (now - flow.since)
            flow.since = now
            flow.rate = rate
            flow.version += 1
            heapq.heappush(heap, (now + flow.remaining / rate, fid, flow.version, flow))
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
