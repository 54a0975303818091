"""HEFT: Heterogeneous Earliest Finish Time.

H. Topcuoglu, S. Hariri and M.-Y. Wu, "Performance-effective and
low-complexity task scheduling for heterogeneous computing", IEEE TPDS
13(3):260-274, 2002.

Tasks are taken in decreasing upward rank (eq. 4: mean execution time plus
the largest mean communication cost plus rank of a successor); each goes to
the device giving it the earliest finish time, with insertion into idle
gaps (section 4.1). Ties: task order for equal ranks, device order for equal
finish times. A task whose equal-rank parent is still unplaced (possible
only with zero-cost tasks) waits for it, so the order stays topological.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from scheduler.policy import Plan, Policy
from scheduler.problem import Problem
from scheduler.timeline import GAP_CLASSES, Timeline


def upward_rank(problem: Problem) -> np.ndarray:
    """``rank_u`` of every task (Topcuoglu et al. 2002, eq. 4)."""
    mean_w = problem.mean_exec_times.tolist()
    mean_comm = problem.platform.mean_transfer_time
    succs, out, ids = problem.succs, problem.out_edges, [t.id for t in problem.tasks]
    # Plain floats and the edges' attribute dicts: Problem.mean_comm_time's arithmetic
    # without a call and an array read per edge.
    rank = [0.0] * len(mean_w)
    for i in reversed(problem.topological_order()):
        best = 0.0
        row = out[i]
        for j in succs[i]:
            value = mean_comm(row[ids[j]]) + rank[j]
            if value > best:
                best = value
        rank[i] = mean_w[i] + best
    return np.array(rank)


def priority_order(problem: Problem, rank: np.ndarray) -> list[int]:
    """Tasks by decreasing rank, ties by task order, never a child before its parent."""
    waiting = [len(p) for p in problem.preds]
    heap = [(-rank[i], i) for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, i = heapq.heappop(heap)
        order.append(i)
        for j in problem.succs[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(heap, (-rank[j], j))
    return order


def list_schedule(problem: Problem, order: list[int], *, insertion: bool = True) -> Plan:
    """Place tasks in ``order``, each on the device of earliest finish time.

    Data-ready times come for all devices at once (numpy rows of
    :meth:`Problem.comm_times_from`); the insertion search then runs only on
    devices that could beat the best append-at-the-end finish time, since a
    task can start no earlier than its data is ready and no later than the
    device's last planned finish; they are tried by increasing lower bound
    until none left can finish first. Same result as trying every device.
    """
    times = problem.exec_times
    devices = problem.devices
    tasks = problem.tasks
    preds = problem.preds
    comm_times_from = problem.comm_times_from
    timelines = [Timeline(d.slots) for d in devices]
    single = [d.slots == 1 for d in devices]  # a runnable task holds the one slot
    #: Each timeline's latest finish, as an array and as a list (cheap to index).
    ends = np.zeros(len(devices))
    ends_list = ends.tolist()
    #: Per device: each duration class's latest fitting gap end (Timeline.gap_ends),
    #: and the finish of the last planned task (where an appended task starts).
    gap_ends = np.stack([t.gap_ends for t in timelines])
    last = np.zeros(len(devices))
    rows = np.arange(len(devices))
    placed_on = [-1] * len(tasks)
    finish = [0.0] * len(tasks)
    plan = Plan(device={})
    # Each task's duration class on each device (Timeline.gap_ends), for all tasks at once.
    classes = (np.searchsorted(GAP_CLASSES, times, side="right") - 1).astype(np.int16) if insertion else None
    out, ids = problem.out_edges, problem._ids
    n_dev = len(devices)
    platform = problem.platform
    uniform = None
    if not platform.links and getattr(platform, "network", None) is None and n_dev:
        latency, bandwidth = problem._link_matrices
        uniform = (float(latency[0, -1]), float(bandwidth[0, -1])) if n_dev > 1 else (0.0, math.inf)
    for i in order:
        task = tasks[i]
        w = times[i]
        ready = _ready_row(i, preds[i], finish, placed_on, out, ids, n_dev, uniform)
        if ready is None:  # some edge uses the link model: one row per predecessor
            ready = np.zeros(n_dev)
            for u in preds[i]:
                np.maximum(ready, finish[u] + comm_times_from(u, i, placed_on[u]), out=ready)
        lower = ready + w
        if insertion:
            # No gap ends late enough: the search would append; its result is exact here.
            appended = gap_ends[rows, classes[i]] < lower
            lower = np.where(appended, np.maximum(ready, last) + w, lower)
        else:
            appended = np.zeros(len(devices), dtype=bool)
        upper = np.maximum(ready, ends)
        upper += w
        # Only devices whose lower bound is within the best append-at-the-end finish,
        # most promising first; stop once no device left can finish as early.
        bound = float(upper.min())
        candidates = np.argsort(lower, kind="stable").tolist()
        lower_list, ready_list, w_list = lower.tolist(), ready.tolist(), w.tolist()
        appended_list = appended.tolist()
        best = (math.inf, math.inf, -1)
        for p in candidates:
            if lower_list[p] > best[0] or lower_list[p] > bound:
                break
            r, wp = ready_list[p], w_list[p]
            if r >= ends_list[p]:  # nothing planned after r: no gap to search
                start = r
            elif appended_list[p]:
                start = max(r, float(last[p]))
            else:
                need = 1 if single[p] else devices[p].slots_needed(task)
                start = timelines[p].earliest_start(r, wp, need, insertion)
            if (start + wp, p) < best[::2]:
                best = (start + wp, start, p)
        eft, est, p = best
        timelines[p].add(est, eft, devices[p].slots_needed(task))
        ends[p] = ends_list[p] = timelines[p].end
        if single[p]:
            gap_ends[p] = timelines[p].gap_ends
            last[p] = timelines[p].finishes[-1]
        placed_on[i], finish[i] = p, eft
        plan.device[task.id] = devices[p].name
        plan.start[task.id] = est
        plan.finish[task.id] = eft
    return plan


def _ready_row(i: int, preds: list[int], finish: list[float], placed_on: list[int], out: list[dict],
               ids: list[str], n_dev: int, uniform: tuple[float, float] | None = None) -> np.ndarray | None:
    """When every input edge of task ``i`` has an explicit ``cost`` or the platform one
    link between every two devices (``uniform``: its latency, bandwidth), the data-ready time
    of ``i`` on each device (what the rows of :meth:`Problem.comm_times_from` give:
    ``finish + cost`` from another device, ``finish`` on the predecessor's own) built
    from scalars: one value everywhere but on the predecessors' devices. Else None."""
    if not preds:
        return np.zeros(n_dev)
    tid = ids[i]
    top = 0.0
    arrivals = []
    for u in preds:
        edge = out[u][tid]
        cost = edge.get("cost")
        if cost is None:
            if uniform is None:
                return None
            # Problem.comm_times_from's arithmetic, for a link the same between every two devices.
            nbytes = edge.get("data_bytes", 0.0)
            cost = uniform[0] if nbytes == 0 else uniform[0] + nbytes / uniform[1]
        f = finish[u]
        a = f + float(cost)
        arrivals.append((placed_on[u], f, a))
        if a > top:
            top = a
    ready = np.full(n_dev, top)
    if len(arrivals) == 1:
        ready[arrivals[0][0]] = arrivals[0][1]
        return ready
    for p in {p for p, _, _ in arrivals}:
        value = 0.0
        for q, f, a in arrivals:
            v = f if q == p else a
            if v > value:
                value = v
        ready[p] = value
    return ready


def heft(problem: Problem, *, insertion: bool = True) -> Plan:
    """The HEFT schedule of ``problem``."""
    return list_schedule(problem, priority_order(problem, upward_rank(problem)), insertion=insertion)


class HEFT(Policy):
    name = "heft"
    description = "HEFT (Topcuoglu et al. 2002): upward rank, insertion-based earliest finish time"

    def plan(self, problem: Problem) -> Plan:
        return heft(problem)
