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

import numpy as np

#: Duration classes of :attr:`Timeline.gap_ends`: 0, then 2**-20 s to 2**20 s in steps of 2**(1/8).
GAP_CLASSES = np.concatenate(([0.0], 2.0 ** (np.arange(-160, 161) / 8)))
_CLASS_LIST = GAP_CLASSES.tolist()


class Timeline:
    """Planned ``(start, finish, slots)`` intervals on a device with ``capacity`` slots."""

    __slots__ = ("capacity", "starts", "finishes", "needs", "end", "gap_ends", "_starts", "_prev_ends",
                 "_by_finish")

    def __init__(self, capacity: int = 1):
        self.capacity = capacity
        self.starts: list[float] = []
        self.finishes: list[float] = []
        self.needs: list[int] = []
        #: Latest planned finish (the append-only start bound).
        self.end = 0.0
        #: Single slot: ``gap_ends[c]`` is no earlier than the end of any idle gap
        #: in which a task lasting ``GAP_CLASSES[c]`` or more could fit; so a task
        #: of class ``c`` whose ``ready + duration`` is later can only be appended
        #: (planners use it to skip searches for whole arrays of devices).
        self.gap_ends = np.full(len(GAP_CLASSES), -math.inf if capacity == 1 else math.inf)
        #: Single slot: array copies of ``starts`` and of each interval's previous
        #: finish (0 for the first), grown by doubling, for long gap searches.
        self._starts = np.empty(16)
        self._prev_ends = np.empty(16)
        #: Several slots: ``(finish, start, need)`` of every interval, by finish, so that
        #: a search looks only at the intervals still running after ``ready``.
        self._by_finish: list[tuple[float, float, int]] = []

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
        # No gap a task this long fits in ends late enough: append.
        if self.gap_ends[bisect.bisect_right(_CLASS_LIST, duration) - 1] < ready + duration:
            last = finishes[-1]
            return last if last > ready else ready
        if len(starts) - k > 24:  # a long tail: search it with numpy
            begins = np.maximum(self._prev_ends[k:len(starts)], ready)
            fits = begins + duration <= self._starts[k:len(starts)]
            j = int(fits.argmax())
            if fits[j]:
                return float(begins[j])
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
        # Candidates are ready and later finishes; intervals finished by ready overlap none.
        running = self._by_finish[bisect.bisect_right(self._by_finish, (ready, math.inf, math.inf)):]
        candidates = sorted({ready, *(f for f, _, _ in running)})
        if duration > 0 and len(running) > 8:
            # The same rule with numpy: a task lasting > 0 cannot start where the
            # device is already too full, so those candidates are skipped unchecked.
            finish, start, need = (np.array(column) for column in zip(*running))
            held = finish > start  # zero-length intervals hold nothing
            finish, start, need = finish[held], start[held], need[held]
            for t, used in zip(candidates, _in_use(finish, start, need, candidates)):
                if used <= limit and _peak_arrays(finish, start, need, t, t + duration) <= limit:
                    return t
            return candidates[-1]
        for t in candidates:
            if self._peak(running, t, t + duration) <= limit:
                return t
        return candidates[-1]

    @staticmethod
    def _peak(intervals: list[tuple[float, float, int]], lo: float, hi: float) -> int:
        """Most slots ``(finish, start, need)`` intervals use at any moment of [lo, hi)."""
        events = []
        for f, s, n in intervals:
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
        else:
            bisect.insort(self._by_finish, (finish, start, need))

    def _update_gaps(self, k: int) -> None:
        """Extend ``gap_ends`` with the (at most two) gaps inserting interval ``k``
        made; insert it into the array copies."""
        starts, finishes = self.starts, self.finishes
        n = len(starts)
        if n > len(self._starts):
            self._starts = np.resize(self._starts, 2 * n)
            self._prev_ends = np.resize(self._prev_ends, 2 * n)
        sa, pe = self._starts, self._prev_ends
        sa[k + 1:n] = sa[k:n - 1].copy()
        pe[k + 1:n] = pe[k:n - 1].copy()
        sa[k] = starts[k]
        pe[k] = finishes[k - 1] if k else 0.0
        if k + 1 < n:
            pe[k + 1] = finishes[k]
        for j in range(k, min(k + 2, len(starts))):
            end = starts[j]
            length = end - (finishes[j - 1] if j else 0.0)
            # Class membership with a margin far above rounding error. The classes are
            # sorted, so the gap fits a prefix of them: raise that prefix to ``end``.
            fits = bisect.bisect_right(_CLASS_LIST, length + 1e-9 * end)
            prefix = self.gap_ends[:fits]
            np.maximum(prefix, end, out=prefix)



def _in_use(finish: np.ndarray, start: np.ndarray, need: np.ndarray, times: list[float]) -> list[int]:
    """Slots that intervals (sorted by finish, none of zero length) hold at each time."""
    order = np.argsort(start, kind="stable")
    started = np.concatenate(([0], np.cumsum(need[order])))
    ended = np.concatenate(([0], np.cumsum(need)))
    at = np.array(times)
    # started at or before t, minus finished at or before t (which also started before t)
    return (started[np.searchsorted(start[order], at, side="right")]
            - ended[np.searchsorted(finish, at, side="right")]).tolist()


def _peak_arrays(finish: np.ndarray, start: np.ndarray, need: np.ndarray, lo: float, hi: float) -> int:
    """:meth:`Timeline._peak` over arrays of intervals of non-zero length."""
    overlap = (start < hi) & (finish > lo)
    if not overlap.any():
        return 0
    n = need[overlap]
    times = np.concatenate((np.maximum(start[overlap], lo), finish[overlap]))
    deltas = np.concatenate((n, -n))
    order = np.lexsort((deltas, times))  # by time, then ends before starts
    return max(0, int(np.cumsum(deltas[order]).max()))
