"""Earliest-finish-time list scheduling over flat arrays, compiled with numba.

The kernel of :func:`scheduler.policies.heft.list_schedule` for the common
case: every device has one slot and every edge's transfer time is one number
wherever its ends are on distinct devices (an explicit ``cost``, or one link
between every two devices), so a task's data is ready on a predecessor's own
device at that predecessor's finish and elsewhere after the transfer.

Tasks are placed in the given order, each on the device of least
``(finish, device index)``, with insertion into idle gaps (Topcuoglu et al.
2002, section 4.1) as :meth:`scheduler.timeline.Timeline.earliest_start`
finds them: the same comparisons in the same order, so the same floats. A
device whose ``ready + duration`` cannot beat the best finish so far is not
searched; a device's gaps are searched from the first interval finishing
after the data is ready, skipping blocks of intervals whose widest gap is too
short (a bound with a margin, so no gap that fits is skipped).

``cache=True`` keeps the compiled code beside this file (numba's user cache
when the folder is read-only); ``NUMBA_DISABLE_JIT=1`` runs it as Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Intervals per block of a device's gap index (:func:`_widest`).
BLOCK = 32


def loaded() -> bool:
    """Whether this process has already called a kernel here (later calls are cheap)."""
    # (NUMBA_DISABLE_JIT=1 leaves plain functions, without signatures)
    return bool(getattr(list_schedule, "signatures", None) or getattr(upward_rank, "signatures", None))


@njit(cache=True)
def _bisect_right(a, n, x):  # pragma: no cover - compiled
    """CPython's ``bisect.bisect_right(a[:n], x)``, step for step."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def _earliest_start(starts, finishes, widest, n, ready, duration):  # pragma: no cover - compiled
    """``Timeline._gap_single(ready, duration)`` over the first ``n`` intervals."""
    k = _bisect_right(finishes, n, ready)
    prev_end = finishes[k - 1] if k else 0.0
    j = k
    while j < n:
        if j % BLOCK == 0 and j + BLOCK <= n and widest[j // BLOCK] < duration:
            # No gap of this block is wide enough: each begins no earlier than the
            # finish before it (prev_end for the first), which is what widest measures.
            prev_end = finishes[j + BLOCK - 1]
            j += BLOCK
            continue
        start = starts[j]
        begin = prev_end if prev_end > ready else ready
        if begin + duration <= start:
            return begin
        prev_end = finishes[j]
        j += 1
    return prev_end if prev_end > ready else ready


@njit(cache=True)
def _widest(starts, finishes, widest, first, n):  # pragma: no cover - compiled
    """Recompute ``widest[b]``, from block ``first`` on: an upper bound of every gap
    ``starts[j] - finishes[j - 1]`` (from 0 for j = 0) in block b, with a margin far
    above rounding error so that ``begin + duration <= start`` implies ``duration <= widest``."""
    for b in range(first, (n + BLOCK - 1) // BLOCK):
        top = -np.inf
        for j in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            prev = finishes[j - 1] if j else 0.0
            gap = starts[j] - prev
            gap += 1e-9 * (abs(starts[j]) + abs(prev)) + 1e-300
            if gap > top:
                top = gap
        widest[b] = top


@njit(cache=True)
def list_schedule(order, times, column_of, pred_ptr, pred_idx, pred_cost, insertion):  # pragma: no cover
    """Place tasks in ``order`` (task indices) on single-slot devices; returns
    ``(device, start, finish)`` arrays by task index.

    ``times[i, column_of[p]]``: task i's seconds on device p (``inf``: cannot run there;
    :attr:`scheduler.problem.Problem.exec_columns`). Task i's
    predecessors are ``pred_idx[pred_ptr[i]:pred_ptr[i + 1]]`` and ``pred_cost`` the
    transfer time of each such edge between two distinct devices.
    """
    n, n_dev = times.shape[0], column_of.shape[0]
    device = np.full(n, -1, np.int64)
    start_of = np.zeros(n)
    finish_of = np.zeros(n)
    count = np.zeros(n_dev, np.int64)
    end = np.zeros(n_dev)
    starts = [np.empty(16) for _ in range(n_dev)]
    finishes = [np.empty(16) for _ in range(n_dev)]
    widest = [np.empty(1) for _ in range(n_dev)]
    ready = np.zeros(n_dev)
    own_f = np.full(n_dev, -np.inf)  # scratch, per device: reset after each task
    own_a = np.full(n_dev, -np.inf)
    touched = np.empty(n_dev, np.int64)
    for i in order:
        # Data ready on device q: the latest of its predecessors' finishes on q and their
        # arrivals (finish + transfer) from elsewhere, at least 0. Per device that has a
        # predecessor, the latest finish and arrival of those on it; the latest arrival
        # from any other device is the best or, on the best's own device, the second best.
        used = 0
        for e in range(pred_ptr[i], pred_ptr[i + 1]):
            u = pred_idx[e]
            q = device[u]
            f = finish_of[u]
            a = f + pred_cost[e]
            if own_f[q] == -np.inf:  # its first predecessor on q (finishes are >= 0)
                touched[used] = q
                used += 1
            if f > own_f[q]:
                own_f[q] = f
            if a > own_a[q]:
                own_a[q] = a
        a1, d1, a2 = -np.inf, -1, -np.inf
        for k in range(used):
            a = own_a[touched[k]]
            if a > a1:
                a1, d1, a2 = a, touched[k], a1
            elif a > a2:
                a2 = a
        ready[:] = a1 if a1 > 0.0 else 0.0
        for k in range(used):
            q = touched[k]
            value = a1 if q != d1 else a2
            if own_f[q] > value:
                value = own_f[q]
            ready[q] = value if value > 0.0 else 0.0
            own_f[q] = own_a[q] = -np.inf
        best_eft, best_start, best_p = np.inf, np.inf, -1
        for p in range(n_dev):
            w = times[i, column_of[p]]
            r = ready[p]
            if not r + w < best_eft:  # cannot finish first (ties go to the earlier device)
                continue
            if r >= end[p]:  # nothing planned after r: no gap to search
                s = r
            elif not insertion:
                s = end[p]
            else:
                s = _earliest_start(starts[p], finishes[p], widest[p], count[p], r, w)
            f = s + w
            if f < best_eft:
                best_eft, best_start, best_p = f, s, p
        p = best_p
        m = count[p]
        if m == starts[p].shape[0]:  # grow by doubling
            grown_s, grown_f = np.empty(2 * m), np.empty(2 * m)
            grown_s[:m] = starts[p]
            grown_f[:m] = finishes[p]
            starts[p], finishes[p] = grown_s, grown_f
        s_arr, f_arr = starts[p], finishes[p]
        k = _bisect_right(s_arr, m, best_start)
        for j in range(m, k, -1):
            s_arr[j] = s_arr[j - 1]
            f_arr[j] = f_arr[j - 1]
        s_arr[k] = best_start
        f_arr[k] = best_eft
        count[p] = m + 1
        if best_eft > end[p]:
            end[p] = best_eft
        if insertion:
            blocks = (m + 1 + BLOCK - 1) // BLOCK
            if widest[p].shape[0] < blocks:
                grown = np.empty(2 * blocks)
                grown[:widest[p].shape[0]] = widest[p]
                widest[p] = grown
            _widest(s_arr, f_arr, widest[p], k // BLOCK, m + 1)
        device[i], start_of[i], finish_of[i] = p, best_start, best_eft
    return device, start_of, finish_of


@njit(cache=True)
def upward_rank(reverse_order, mean_w, pred_ptr, pred_idx, comm):  # pragma: no cover - compiled
    """``rank[i] = mean_w[i] + max(0, max over successors j of (comm(i, j) + rank[j]))``,
    tasks visited in ``reverse_order`` (a reversed topological order); ``comm[e]`` is the
    mean transfer time of the input edge ``pred_idx[e]`` -> its task. Each finished rank
    raises its predecessors' maxima, so only the predecessor arrays are needed."""
    n = mean_w.shape[0]
    rank = np.zeros(n)
    best = np.zeros(n)
    for i in reverse_order:
        r = mean_w[i] + best[i]
        rank[i] = r
        for e in range(pred_ptr[i], pred_ptr[i + 1]):
            u = pred_idx[e]
            value = comm[e] + r
            if value > best[u]:
                best[u] = value
    return rank
