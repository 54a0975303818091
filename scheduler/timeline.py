"""Device timelines for planners: when can a task of a given length start?

A :class:`Timeline` holds the intervals already planned on one device and
answers the insertion question of list scheduling (Topcuoglu et al. 2002,
section 4.1): the earliest start at or after ``ready`` at which the task
fits, in a gap between planned tasks or after the last one. Devices with
several slots (CPU cores) hold overlapping intervals up to their slot count.
"""

from __future__ import annotations

import bisect


class Timeline:
    """Planned ``(start, finish, slots)`` intervals on a device with ``capacity`` slots."""

    __slots__ = ("capacity", "starts", "finishes", "needs", "end")

    def __init__(self, capacity: int = 1):
        self.capacity = capacity
        self.starts: list[float] = []
        self.finishes: list[float] = []
        self.needs: list[int] = []
        #: Latest planned finish (the append-only start bound).
        self.end = 0.0

    def earliest_start(self, ready: float, duration: float, need: int = 1, insertion: bool = True) -> float:
        """Earliest time >= ready at which ``need`` slots stay free for ``duration``."""
        if not insertion:
            if self.capacity == 1:
                return max(ready, self.end)
            ready = max(ready, self.starts[-1] if self.starts else 0.0)
        if self.capacity == 1:
            return self._gap_single(ready, duration)
        return self._fit_profile(ready, duration, need)

    def _gap_single(self, ready: float, duration: float) -> float:
        starts, finishes = self.starts, self.finishes
        # Intervals are disjoint and sorted, so finishes are sorted too.
        k = bisect.bisect_right(finishes, ready)
        prev_end = finishes[k - 1] if k else 0.0
        for j in range(k, len(starts)):
            begin = max(ready, prev_end)
            if begin + duration <= starts[j]:
                return begin
            prev_end = finishes[j]
        return max(ready, prev_end)

    def _fit_profile(self, ready: float, duration: float, need: int) -> float:
        limit = self.capacity - need
        candidates = sorted({ready, *(f for f in self.finishes if f > ready)})
        for t in candidates:
            if self._peak(t, t + duration) <= limit:
                return t
        return candidates[-1]

    def _peak(self, lo: float, hi: float) -> int:
        """Most slots in use at any moment of [lo, hi)."""
        events = []
        for s, f, n in zip(self.starts, self.finishes, self.needs):
            if s < hi and f > lo and f > s:
                events.append((max(s, lo), n))
                events.append((f, -n))
        events.sort(key=lambda e: (e[0], e[1]))
        peak = used = 0
        for _, delta in events:
            used += delta
            peak = max(peak, used)
        return peak

    def add(self, start: float, finish: float, need: int = 1) -> None:
        k = bisect.bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.finishes.insert(k, finish)
        self.needs.insert(k, need)
        self.end = max(self.end, finish)
