"""Device timelines for planners: when can a task of a given length start?

A :class:`Timeline` holds the intervals already planned on one device and
answers the insertion question of list scheduling (Topcuoglu et al. 2002,
section 4.1): the earliest start at or after ``ready`` at which the task
fits, in a gap between planned tasks or after the last one. Devices with
several slots (CPU cores) hold overlapping intervals up to their slot count.
"""

from __future__ import annotations

import bisect
import math
from itertools import islice


class Timeline:
    """Planned ``(start, finish, slots)`` intervals on a device with ``capacity`` slots."""

    __slots__ = ("capacity", "starts", "finishes", "needs", "end", "_gap_max")

    def __init__(self, capacity: int = 1):
        self.capacity = capacity
        self.starts: list[float] = []
        self.finishes: list[float] = []
        self.needs: list[int] = []
        #: Latest planned finish (the append-only start bound).
        self.end = 0.0
        #: Single slot: ``_gap_max[j]`` is the longest idle gap before interval j or
        #: any later one (gap j runs from interval j-1's finish, or 0, to interval j's
        #: start), so a search can see at once that no gap fits.
        self._gap_max: list[float] = []

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
        if k == len(starts):
            return prev_end if prev_end > ready else ready
        # No gap from k on is long enough (with a margin far above rounding error,
        # so this never skips a gap the scan below would take): append.
        if self._gap_max[k] + 1e-9 * (self.end + duration) < duration:
            last = finishes[-1]
            return last if last > ready else ready
        # The hot loop of insertion scheduling: no calls, just comparisons.
        for start, finish in zip(islice(starts, k, None), islice(finishes, k, None)):
            begin = prev_end if prev_end > ready else ready
            if begin + duration <= start:
                return begin
            prev_end = finish
        return prev_end if prev_end > ready else ready

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
        if self.capacity == 1:
            self._update_gaps(k)

    def _update_gaps(self, k: int) -> None:
        """Refresh ``_gap_max`` after inserting interval ``k``: gaps k and k+1 changed."""
        starts, finishes, gap_max = self.starts, self.finishes, self._gap_max
        gap_max.insert(k, 0.0)
        n = len(starts)
        j = min(k + 1, n - 1)
        after = gap_max[j + 1] if j + 1 < n else -math.inf
        while j >= 0:
            gap = starts[j] - (finishes[j - 1] if j else 0.0)
            value = gap if gap > after else after
            if j < k and value == gap_max[j]:
                break  # unchanged here, so unchanged before
            gap_max[j] = value
            after = value
            j -= 1
