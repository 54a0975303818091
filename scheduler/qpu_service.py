"""How a cloud QPU serves a run's jobs: queues, sessions and batches.

The engine stays policy- and mode-agnostic: when a task claims a QPU's slot
it asks :meth:`QPUService.claim` how long the job waits before it runs, and
tells :meth:`QPUService.finished` when it ends. This module keeps the rest:

* **execution modes** (:mod:`workloads.groups`): a task without a group (or
  in a ``job`` group) queues on its own. The first job of a ``session`` or
  ``batch`` group queues; from its start the group holds the QPU, and its
  later jobs start without a wait, until the group's last task ends, a job
  starts more than the interactive TTL after the previous one ended, or the
  maximum TTL has passed since the group started. A group that lapsed queues
  again with its next job. A session is billed for the time it held the QPU,
  idle included: its idle gaps are written to the trace as ``session-idle``
  waits (a gap that ran out its TTL counts up to the TTL), which metrics add
  to the QPU's billed seconds and attributed energy.
* **queues**: with ``queue_model: sampled`` each queue entry draws the QPU's
  lognormal wait from the engine's per-device stream (in job mode exactly
  the draws of a run without groups). With ``queue_model: tenants``,
  :class:`TenantQueue` simulates the other tenants' jobs, so a wait is the
  work actually ahead of the job and consecutive waits are correlated.

Queue waits are written to the trace as ``queue`` waits.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from devices.qpu import QPU, ROUND_ROBIN, TENANTS
from scheduler.trace import Wait
from workloads.errors import InputError
from workloads.groups import JOB, SESSION

if TYPE_CHECKING:
    from scheduler.engine import Engine

#: Seed-stream tag of the background tenants, so they change no other random stream.
QUEUE_STREAM = 0x0B5E
#: Background jobs drawn at a time.
CHUNK = 8192


class TenantQueue:
    """One QPU serving other tenants' jobs and ours, one job at a time.

    Other tenants' jobs arrive as a Poisson process of rate ``utilisation /
    background_mean_s`` with lognormal usages of mean ``background_mean_s``
    (:data:`devices.qpu.BACKGROUND_MEAN_S`), each from one of ``tenants``
    tenants. The arrivals start a warm-up period before time 0 (``200 /
    (1 - u)`` mean usages, many mean busy periods), so the first job of the
    run meets a queue in its steady state. ``fifo`` serves jobs in arrival
    order; ``round-robin`` serves the tenants with queued jobs in turn, one
    job per turn, with our run one tenant (hybridsched's stand-in for IBM's
    fair-share scheduler, which balances tenants by their allocations and
    usage; so it has a name of its own). The service is simulated lazily, only up to
    the times the run asks about, so its cost grows with the run's span.
    """

    def __init__(self, qpu: QPU, rng: np.random.Generator):
        self.rng = rng
        u = qpu.utilisation
        self.active = u > 0
        self.mean = qpu.background_mean_s
        self.sigma = qpu.background_sigma
        self.rate = u / self.mean if self.active else 0.0
        self.fair = qpu.queue_order == ROUND_ROBIN
        self.tenants = qpu.tenants if self.fair else 1
        #: Our tenant: the one FIFO queue, or a round-robin tenant of its own.
        self.us = self.tenants if self.fair else 0
        start = -200.0 * self.mean / (1.0 - u) if self.active else 0.0
        self._last_arrival = start
        self.arrival: list[float] = []
        self.size: list[float] = []
        self.owner: list[int] = []
        self.k = 0  # next arrival not yet admitted
        self.free = start  # when the server finishes the work it has started
        self.held = False
        self.queues: list[deque[int]] = [deque() for _ in range(self.tenants + 1)]
        self.ring: deque[int] = deque()  # tenants with queued jobs, in turn order
        self.queued_work = 0.0
        self.served = 0

    # -- the arrival process -----------------------------------------------------

    def _more(self) -> None:
        rng = self.rng
        gaps = rng.exponential(1.0 / self.rate, CHUNK)
        times = self._last_arrival + np.cumsum(gaps)
        mu = math.log(self.mean) - self.sigma ** 2 / 2  # a lognormal of mean self.mean
        sizes = rng.lognormal(mu, self.sigma, CHUNK)
        owners = rng.integers(0, self.tenants, CHUNK)
        self._last_arrival = float(times[-1])
        self.arrival.extend(times.tolist())
        self.size.extend(sizes.tolist())
        self.owner.extend(owners.tolist())

    def _next_arrival(self) -> float:
        if not self.active:
            return math.inf
        if self.k >= len(self.arrival):
            self._more()
        return self.arrival[self.k]

    def _admit(self, until: float) -> None:
        """Queue every background job that arrived before ``until``."""
        while self._next_arrival() <= until:
            j = self.k
            self.k += 1
            tenant = self.owner[j]
            if not self.queues[tenant]:
                self.ring.append(tenant)
            self.queues[tenant].append(j)
            self.queued_work += self.size[j]

    def _serve_next(self) -> int:
        """Start the next queued job in turn at ``free``; returns its tenant."""
        tenant = self.ring.popleft()
        queue = self.queues[tenant]
        j = queue.popleft()
        if queue:
            self.ring.append(tenant)
        if j >= 0:
            self.free += self.size[j]
            self.queued_work -= self.size[j]
            self.served += 1
        return tenant

    # -- what the service asks ------------------------------------------------------

    def advance(self, t: float) -> None:
        """Run the background service up to ``t``: every job that starts before ``t`` starts."""
        if self.held:
            return
        while True:
            self._admit(min(self.free, t))
            if not self.ring:
                a = self._next_arrival()
                if a >= t:
                    return
                self.free = max(self.free, a)
                continue
            if self.free >= t:
                return
            self._serve_next()

    def enter(self, t: float) -> float:
        """Our job joins the queue at ``t``; returns when it starts. The QPU is then ours
        until :meth:`release`."""
        self.advance(t)
        self._admit(t)
        # Our job is queued as job -1 of our tenant; serve in turn until it is picked.
        if not self.queues[self.us]:
            self.ring.append(self.us)
        self.queues[self.us].append(-1)
        while True:
            # FIFO: later arrivals are behind us. Fair-share: they may take a turn before ours. (So
            # calls come at times >= the previous job's start, as the engine's one job at a time does.)
            self._admit(self.free if self.fair else t)
            if self.ring[0] == self.us and self.queues[self.us][0] == -1:
                self._serve_next()
                break
            self._serve_next()
        start = max(self.free, t)
        self.held = True
        return start

    def release(self, t: float) -> None:
        """Our job or group stopped holding the QPU at ``t``."""
        self.held = False
        self.free = max(self.free, t)

    def expected_wait(self, t: float) -> float:
        """The wait a job joining at ``t`` meets: the job in service's remaining time plus the
        queued work ahead of it (FIFO), or one queued job per other tenant with queued work
        (round-robin); exact, as later arrivals queue behind it. 0 while the run itself holds the
        QPU (the view's finish time counts the run's own bound work)."""
        if self.held:
            return 0.0
        self.advance(t)
        self._admit(t)
        residual = max(self.free - t, 0.0)
        if not self.fair:
            return residual + self.queued_work
        return residual + sum(self.size[self.queues[k][0]] for k in self.ring if k != self.us)


class _Activation:
    """A group's hold on its QPU: from its first job's start to its close."""

    __slots__ = ("start", "last_end", "running")

    def __init__(self, start: float):
        self.start = start
        self.last_end: float | None = None
        self.running = True


class QPUService:
    """Per run: the QPU side of every quantum task's start (see the module docstring)."""

    def __init__(self, engine: "Engine"):
        self.engine = engine
        self.trace = engine.trace
        workflow = engine.workflow
        self.groups = workflow.groups
        devices = engine.devices
        #: Per device: a TenantQueue, or None (sampled waits, or not a QPU).
        self.queues: list[TenantQueue | None] = [
            TenantQueue(d, np.random.default_rng([engine.seed, j, QUEUE_STREAM]))
            if isinstance(d, QPU) and d.queue_model == TENANTS else None
            for j, d in enumerate(devices)]
        self.is_qpu = [isinstance(d, QPU) for d in devices]
        #: Per task: its group's name when the group is a session or batch, else None.
        self.group_of: list[str | None] = [
            t.group if t.group is not None and self.groups[t.group].mode != JOB else None
            for t in engine.tasks]
        #: Per group: members that may still need the QPU (unfinished, not bound off a QPU).
        self.remaining: dict[str, int] = {}
        for g in self.group_of:
            if g is not None:
                self.remaining[g] = self.remaining.get(g, 0) + 1
        #: Members already counted off ``remaining`` (a task re-bound after a fault counts once).
        self.counted: set[int] = set()
        self.device_of_group: dict[str, int] = {}
        self.active: dict[str, _Activation] = {}

    @staticmethod
    def needed(engine: "Engine") -> bool:
        """Whether a run needs the service: a session or batch group, or a tenants queue."""
        if any(g.mode != JOB for g in engine.workflow.groups.values()):
            return True
        return any(isinstance(d, QPU) and d.queue_model == TENANTS for d in engine.devices)

    # -- engine hooks ---------------------------------------------------------------

    def bound(self, i: int, p: int) -> None:
        """Task ``i`` was bound to device ``p``: a group's QPU tasks share one QPU."""
        g = self.group_of[i]
        if g is None:
            return
        if not self.is_qpu[p]:
            self._member_done(i, g, self.engine.env.now)
            return
        q = self.device_of_group.setdefault(g, p)
        if q != p:
            devices = self.engine.devices
            raise InputError(f"its {self.groups[g].mode} spans QPUs {devices[q].name} and {devices[p].name}: a "
                             f"{self.groups[g].mode} holds one QPU (pin its tasks to one, or use mode job)",
                             source=self.engine.workflow.source, item=f"group {g!r}")

    def claim(self, i: int, p: int, rng: np.random.Generator) -> float:
        """Task ``i`` took device ``p``'s slot now: seconds until its job runs."""
        engine = self.engine
        now = engine.env.now
        device = engine.devices[p]
        task = engine.tasks[i]
        if not self.is_qpu[p]:
            return device.queue_wait(task, rng)
        g = self.group_of[i]
        if g is None:
            return self._queue(i, p, now, rng)
        group = self.groups[g]
        act = self.active.get(g)
        if act is not None:
            end = self._lapse(group, act, now)
            if end is not None:
                self._close(g, p, act, end)
                act = None
        if act is None:
            wait = self._queue(i, p, now, rng)
            self.active[g] = _Activation(now + wait)
            return wait
        if group.mode == SESSION and now > act.last_end:
            self.trace.waits.append(Wait(g, device.name, act.last_end, now, "session-idle"))
        act.running = True
        return 0.0

    def finished(self, i: int, p: int, now: float) -> None:
        """Task ``i``'s job on device ``p`` ended now."""
        if not self.is_qpu[p]:
            return
        g = self.group_of[i]
        if g is None:
            queue = self.queues[p]
            if queue is not None:
                queue.release(now)
            return
        act = self.active[g]
        act.last_end = now
        act.running = False
        self._member_done(i, g, now)

    def aborted(self, i: int, p: int, now: float) -> None:
        """A fault aborted task ``i``'s job (or its wait) on device ``p`` now: the QPU is let go,
        and a group's session or batch ends there (its next job opens one wherever it goes)."""
        if not self.is_qpu[p]:
            return
        self._cut_wait(self.engine.tasks[i].id, now)
        g = self.group_of[i]
        if g is None:
            queue = self.queues[p]
            if queue is not None and queue.held:
                queue.release(now)
            return
        act = self.active.get(g)
        if act is not None and self.device_of_group.get(g) == p:
            act.last_end = now if act.last_end is None or act.running else act.last_end
            act.running = False
            self._close(g, p, act, now)
        self.device_of_group.pop(g, None)

    def close(self) -> None:
        """The run ended: release whatever is still held (nothing, when every task ran)."""
        for g, act in list(self.active.items()):
            self._close(g, self.device_of_group[g], act, act.last_end if act.last_end is not None else act.start)

    def expected_wait(self, task: Any, p: int, now: float) -> float:
        """Seconds a job of ``task`` placed on device ``p`` now is expected to wait for the QPU."""
        if not self.is_qpu[p]:
            return 0.0
        i = self.engine.workflow.index[task.id]
        g = self.group_of[i]
        if g is not None and g in self.active and self.device_of_group.get(g) == p:
            act = self.active[g]
            if act.running or self._lapse(self.groups[g], act, now) is None:
                return 0.0
        queue = self.queues[p]
        if queue is None:
            return self.engine.devices[p].mean_sampled_wait()
        return queue.expected_wait(now)

    def pending(self, task: Any) -> int:
        """Jobs of ``task``'s session or batch group still to run on a QPU (it included); 1 without one."""
        g = self.group_of[self.engine.workflow.index[task.id]]
        return 1 if g is None else max(1, self.remaining[g])

    def _cut_wait(self, task_id: str, now: float) -> None:
        """A queue wait that a fault cut short ends now in the trace."""
        waits = self.trace.waits
        for k in range(len(waits) - 1, -1, -1):
            w = waits[k]
            if w.task == task_id and w.kind == "queue":
                if w.finish > now:
                    waits[k] = Wait(w.task, w.device, w.start, now, w.kind)
                return

    # -- the rules ------------------------------------------------------------------

    def _queue(self, i: int, p: int, now: float, rng: np.random.Generator) -> float:
        # Another idle group holding this QPU lets it go: the run's jobs are one at a time there.
        for g, act in list(self.active.items()):
            if self.device_of_group.get(g) == p and not act.running:
                lapsed = self._lapse(self.groups[g], act, now)
                self._close(g, p, act, now if lapsed is None else lapsed)
        queue = self.queues[p]
        device = self.engine.devices[p]
        if queue is None:
            wait = device.queue_wait(self.engine.tasks[i], rng)
        else:
            wait = queue.enter(now) - now
        if wait > 0:
            self.trace.waits.append(Wait(self.engine.tasks[i].id, device.name, now, now + wait, "queue"))
        return wait

    @staticmethod
    def _lapse(group: Any, act: _Activation, now: float) -> float | None:
        """When an idle activation lapsed (interactive or maximum TTL), or None if it holds at ``now``."""
        if act.running or act.last_end is None:
            return None
        idle_end = act.last_end + group.ttl
        hard_end = max(act.start + group.max_ttl_s, act.last_end)
        end = min(idle_end, hard_end)
        return end if now > end else None

    def _close(self, g: str, p: int, act: _Activation, end: float) -> None:
        if self.groups[g].mode == SESSION and act.last_end is not None and end > act.last_end:
            self.trace.waits.append(Wait(g, self.engine.devices[p].name, act.last_end, end, "session-idle"))
        queue = self.queues[p]
        if queue is not None:
            queue.release(end)
        del self.active[g]

    def _member_done(self, i: int, g: str, now: float) -> None:
        if i in self.counted:
            return
        self.counted.add(i)
        self.remaining[g] -= 1
        act = self.active.get(g)
        if self.remaining[g] == 0 and act is not None and not act.running:
            lapsed = self._lapse(self.groups[g], act, now)  # it may have lapsed before its last member ended
            self._close(g, self.device_of_group[g], act, now if lapsed is None else lapsed)
