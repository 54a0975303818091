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
import sys

import numpy as np

from scheduler.policy import Plan, Policy
from scheduler.problem import Problem
from scheduler.timeline import GAP_CLASSES, Timeline


def upward_rank(problem: Problem) -> np.ndarray:
    """``rank_u`` of every task (Topcuoglu et al. 2002, eq. 4)."""
    if not _compiled(problem):
        return _upward_rank_python(problem)
    from scheduler import eft as kernels

    ptr, pred, cost, nbytes = problem.edge_arrays
    # Platform.mean_transfer_time's arithmetic, for every edge at once.
    latency, inverse_bw = problem.platform.mean_link
    comm = np.where(np.isnan(cost), latency + nbytes * inverse_bw, cost)
    reverse = np.array(problem.topological_order()[::-1], dtype=np.int64)
    return kernels.upward_rank(reverse, problem.mean_exec_times, ptr, pred, comm)


def _upward_rank_python(problem: Problem) -> np.ndarray:
    """:func:`upward_rank` edge by edge in Python (the same floats: max is order-free)."""
    mean_w = problem.mean_exec_times.tolist()
    mean_comm = problem.platform.mean_transfer_time
    succs, out, ids = problem.succs, problem.out_edges, problem._ids
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
    order = np.argsort(-rank, kind="stable")
    ptr, pred, _, _ = problem.edge_arrays
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    child = np.repeat(np.arange(len(order)), np.diff(ptr))
    if (position[pred] < position[child]).all():
        return order.tolist()
    # Some child ranks as high as its parent (zero-cost tasks): take the ready task of
    # highest rank each time, which is the sorted order wherever that order is topological.
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

    Single-slot devices with one transfer time per edge (its ``cost``, or one link
    between all devices) take the compiled kernel (:func:`scheduler.eft.list_schedule`)
    from :data:`COMPILED_ABOVE` task x device pairs. Otherwise data-ready times come for
    all devices at once (numpy rows of
    :meth:`Problem.comm_times_from`); the insertion search then runs only on
    devices that could beat the best append-at-the-end finish time, since a
    task can start no earlier than its data is ready and no later than the
    device's last planned finish; they are tried by increasing lower bound
    until none left can finish first. Same result as trying every device.
    """
    devices = problem.devices
    tasks = problem.tasks
    n_dev = len(devices)
    single = [d.slots == 1 for d in devices]  # a runnable task holds the one slot
    uniform = uniform_link(problem)
    if all(single) and n_dev and _compiled(problem):
        compiled = _list_schedule_compiled(problem, order, insertion, uniform)
        if compiled is not None:
            return compiled
    times = problem.exec_times
    preds = problem.preds
    comm_times_from = problem.comm_times_from
    timelines = [Timeline(d.slots) for d in devices]
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
    if n_dev <= SCALAR_DEVICES:
        return _list_schedule_scalar(problem, order, insertion, timelines, single, classes, uniform)
    for i in order:
        task = tasks[i]
        w = times[i]
        ready = ready_row(i, preds[i], finish, placed_on, out, ids, n_dev, uniform)
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


def _list_schedule_compiled(problem: Problem, order: list[int], insertion: bool,
                            uniform: tuple[float, float] | None) -> Plan | None:
    """:func:`list_schedule` by :func:`scheduler.eft.list_schedule` when every device has
    one slot and every edge one transfer time between distinct devices (its ``cost``, or
    the ``uniform`` link's); None otherwise."""
    from scheduler import eft as kernels

    ptr, pred, cost, nbytes = problem.edge_arrays
    missing = np.isnan(cost)
    if missing.any():
        if uniform is None:
            return None
        # Problem.comm_times_from's arithmetic, for a link the same between every two devices.
        latency, bandwidth = uniform
        cost = np.where(missing, np.where(nbytes == 0, latency, latency + nbytes / bandwidth), cost)
    columns, column_of = problem.exec_columns  # devices alike share a column: no n x P copy
    device, start, finish = kernels.list_schedule(np.asarray(order, dtype=np.int64),
                                                  np.ascontiguousarray(columns), column_of.astype(np.int64),
                                                  ptr, pred, cost, insertion)
    ids, names = problem._ids, [d.name for d in problem.devices]
    device, start, finish = device.tolist(), start.tolist(), finish.tolist()
    return Plan(device={ids[i]: names[device[i]] for i in order}, start={ids[i]: start[i] for i in order},
                finish={ids[i]: finish[i] for i in order})


#: (tasks x devices) from which :func:`list_schedule` takes the compiled kernel: numba's
#: first call in a process costs ~0.7 s (its compiler's set-up, even with the code cached),
#: about what the Python paths take for 25k tasks x 16 devices.
COMPILED_ABOVE = 400_000


def _compiled(problem: Problem) -> bool:
    """Whether to take the compiled kernels: for a large problem, or once they are loaded
    (numba is imported only then: a small run does without its start-up)."""
    if len(problem.tasks) * len(problem.devices) >= COMPILED_ABOVE:
        return True
    kernels = sys.modules.get("scheduler.eft")
    return kernels is not None and kernels.loaded()


#: Up to this many devices, :func:`list_schedule` compares devices with plain floats: on
#: short rows a numpy call costs more than the Python arithmetic it replaces.
SCALAR_DEVICES = 64


def _list_schedule_scalar(problem: Problem, order: list[int], insertion: bool, timelines: list[Timeline],
                          single: list[bool], classes: np.ndarray | None,
                          uniform: tuple[float, float] | None) -> Plan:
    """:func:`list_schedule` with Python floats: every device's finish time is exact
    without a search when nothing is planned after the task's data-ready time or no
    idle gap could hold it (it appends); the others are searched by increasing lower
    bound while one could still finish first. The same (finish, device) minimum."""
    times = problem.exec_times
    devices, tasks, preds = problem.devices, problem.tasks, problem.preds
    comm_times_from = problem.comm_times_from
    out, ids = problem.out_edges, problem._ids
    n_dev = len(devices)
    ends = [0.0] * n_dev
    last = [0.0] * n_dev
    gaps = [t.gap_ends.tolist() for t in timelines]
    placed_on = [-1] * len(tasks)
    finish = [0.0] * len(tasks)
    plan = Plan(device={})
    inf = math.inf
    for i in order:
        task = tasks[i]
        w = times[i].tolist()
        scalars = _ready_scalars(i, preds[i], finish, placed_on, out, ids, uniform)
        if scalars is None:  # some edge uses the link model: numpy rows, as list_schedule
            row = np.zeros(n_dev)
            for u in preds[i]:
                np.maximum(row, finish[u] + comm_times_from(u, i, placed_on[u]), out=row)
            ready = row.tolist()
        else:
            top, own = scalars
            ready = [top] * n_dev
            for p, value in own:
                ready[p] = value
        cls = classes[i].tolist() if insertion else None
        best_eft, best_start, best_p = inf, inf, -1
        searches = []
        for p in range(n_dev):
            r, wp = ready[p], w[p]
            if r >= ends[p]:  # nothing planned after r: no gap to search
                start = r
            elif insertion and gaps[p][cls[p]] < r + wp:  # no gap holds it: it appends
                start = last[p] if last[p] > r else r  # max(r, last[p]) without the call
            else:
                searches.append((r + wp, p))
                continue
            eft = start + wp
            if eft < best_eft:  # devices in order: ties keep the earlier device
                best_eft, best_start, best_p = eft, start, p
        if searches:
            searches.sort()
            for lower, p in searches:
                if lower > best_eft:
                    break
                r, wp = ready[p], w[p]
                need = 1 if single[p] else devices[p].slots_needed(task)
                start = timelines[p].earliest_start(r, wp, need, insertion)
                eft = start + wp
                if eft < best_eft or (eft == best_eft and p < best_p):
                    best_eft, best_start, best_p = eft, start, p
        p = best_p
        timeline = timelines[p]
        timeline.add(best_start, best_eft, devices[p].slots_needed(task))
        ends[p] = timeline.end
        if single[p]:
            gaps[p] = timeline.gap_ends.tolist()
            last[p] = timeline.finishes[-1]
        placed_on[i], finish[i] = p, best_eft
        plan.device[task.id] = devices[p].name
        plan.start[task.id] = best_start
        plan.finish[task.id] = best_eft
    return plan


def uniform_link(problem: Problem) -> tuple[float, float] | None:
    """``(latency, bandwidth)`` when one link joins every two devices (no named links, no
    network), the form :func:`ready_row` takes; else None."""
    platform = problem.platform
    n_dev = len(problem.devices)
    if platform.links or getattr(platform, "network", None) is not None or not n_dev:
        return None
    latency, bandwidth = problem._link_matrices
    return (float(latency[0, -1]), float(bandwidth[0, -1])) if n_dev > 1 else (0.0, math.inf)


def ready_row(i: int, preds: list[int], finish: list[float], placed_on: list[int], out: list[dict],
               ids: list[str], n_dev: int, uniform: tuple[float, float] | None = None) -> np.ndarray | None:
    """When every input edge of task ``i`` has an explicit ``cost`` or the platform one
    link between every two devices (``uniform``: its latency, bandwidth), the data-ready time
    of ``i`` on each device (what the rows of :meth:`Problem.comm_times_from` give:
    ``finish + cost`` from another device, ``finish`` on the predecessor's own) built
    from scalars: one value everywhere but on the predecessors' devices. Else None."""
    scalars = _ready_scalars(i, preds, finish, placed_on, out, ids, uniform)
    if scalars is None:
        return None
    top, own = scalars
    ready = np.full(n_dev, top)
    for p, value in own:
        ready[p] = value
    return ready


def _ready_scalars(i: int, preds: list[int], finish: list[float], placed_on: list[int], out: list[dict],
                   ids: list[str], uniform: tuple[float, float] | None):
    """:func:`ready_row` as ``(value on every other device, [(device, value), ...])``, or None."""
    if not preds:
        return 0.0, ()
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
    if len(arrivals) == 1:
        return top, ((arrivals[0][0], arrivals[0][1]),)
    own = []
    for p in {p for p, _, _ in arrivals}:
        value = 0.0
        for q, f, a in arrivals:
            v = f if q == p else a
            if v > value:
                value = v
        own.append((p, value))
    return top, own


def heft(problem: Problem, *, insertion: bool = True) -> Plan:
    """The HEFT schedule of ``problem``."""
    return list_schedule(problem, priority_order(problem, upward_rank(problem)), insertion=insertion)


class HEFT(Policy):
    name = "heft"
    description = "HEFT (Topcuoglu et al. 2002): upward rank, insertion-based earliest finish time"

    def plan(self, problem: Problem) -> Plan:
        return heft(problem)
