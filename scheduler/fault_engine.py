"""The engine on a platform whose devices fail or go down for maintenance.

:class:`FaultEngine` is :class:`~scheduler.engine.Engine` plus the fault
models of :mod:`devices.faults`. The caller chooses it: :func:`engine_class`
gives it for a platform with a device that has ``failures`` or ``downtime``
(and the plain engine otherwise, so platforms without faults pay nothing);
:func:`scheduler.api.simulate` does that.

The rules, each exact:

* A device is **down** from a failure until its repair, and during each
  downtime window. A device going down aborts every task it holds: an
  attempt that had started is recorded in the trace with status
  ``"failed"`` and keeps the energy and money it burned; a task still in a
  queue wait is simply put back. Tasks queued on it are unbound too.
* A down device starts nothing; what is queued on it waits for it.
* A task whose attempts have failed more than the policy's ``retry_limit``
  times is **given up**, with every task that depends on it; they are listed
  in ``Trace.failed`` with the reason. Every task ends completed or there.
* Where the unbound tasks go: a dynamic policy answers
  :meth:`~scheduler.policy.Policy.on_failure` for each (a device, or None to
  place it again with the ready tasks); a static plan is re-planned: the
  policy's :meth:`~scheduler.policy.Policy.plan` runs again on the tasks
  that have not started, over the devices that are up (all devices when some
  task can run on no device that is up), as in the rescheduling of
  Sakellariou & Zhao, "A low-cost rescheduling policy for efficient mapping
  of workflows on grid systems", Scientific Programming 12(4), 2004 (here on
  every failure and repair, not selectively). The new plan does not see
  work still running or where finished outputs sit; the engine still moves
  that data correctly.
* Failure and repair draws come from a random stream per device, separate
  from the stream for queue waits, so adding faults changes no queue wait
  and the same seed gives the same run. Fault events stop once every task
  has ended.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from devices.faults import Window
from devices.platform import Platform
from scheduler.engine import Engine
from scheduler.policy import PolicyError
from scheduler.problem import Problem
from scheduler.trace import TaskRun
from workloads.workflow import Workflow

#: Fault events in a row with no task starting or ending, after which the fault
#: processes stop so that a stuck policy ends the run (and gets its error)
#: instead of simulating failures forever.
IDLE_FAULT_EVENTS = 1000

#: Mixed into each device's fault seed so its draws differ from its queue-wait draws.
FAULT_STREAM = 0xFA17


def engine_class(platform: Platform) -> type[Engine]:
    """The engine ``platform`` needs: :class:`FaultEngine` when a device fails or has
    downtime, else the plain :class:`~scheduler.engine.Engine`."""
    return FaultEngine if any(d.has_faults for d in platform.devices) else Engine


class FaultEngine(Engine):
    """The engine with device failures, repairs and downtime windows."""

    models_faults = True

    def __init__(self, workflow, platform, policy, *, seed: int = 0, **options):
        super().__init__(workflow, platform, policy, seed=seed, **options)
        n, P = len(self.tasks), len(self.devices)
        #: Why each device is down: failures and windows open on it now (0: up).
        self.down = [0] * P
        #: Per device, when it is expected back: the end of a window, or the failure time plus MTTR.
        self.down_until = [0.0] * P
        #: Per device, the tasks it holds: index -> (start of execution or None in a queue wait, slots).
        self.holding: list[dict[int, tuple[float | None, int]]] = [{} for _ in range(P)]
        #: Bumped when a task is unbound or aborted, so its pending events are ignored.
        self.token = [0] * n
        #: Failed attempts of each task.
        self.attempts = [0] * n
        #: Completed or given up.
        self.ended = [False] * n
        self.unfinished = n
        self.retry_limit = int(getattr(policy, "retry_limit", 3))
        self.fault_rngs = [np.random.default_rng([seed, j, FAULT_STREAM]) for j in range(P)]
        self._progress = 0
        self._progress_seen = -1
        self._idle_events = 0
        self._faults_stopped = False

    # -- running --------------------------------------------------------------------

    def run(self):
        for p, device in enumerate(self.devices):
            if device.failures is not None:
                self._after(device.failures.time_to_failure(self.fault_rngs[p]), self._fail, p)
            for window in device.downtime:
                self._next_window(p, window, window.windows())
        return super().run()

    def _after(self, delay: float, fn, *args) -> None:
        if delay <= 0:
            fn(*args)
        else:
            self.env.timeout(delay).callbacks.append(lambda _e: fn(*args))

    def _later(self, i: int, delay: float, fn, *args) -> None:
        call = self._guarded(i, fn, *args)
        self.env.timeout(delay).callbacks.append(lambda _e: call())

    def _guarded(self, i: int, fn, *args):
        # Data, queue waits and runs of an attempt that a fault has since aborted are dropped.
        token = self.token[i]
        return lambda: self.token[i] == token and fn(*args)

    def _try_start(self, p: int) -> None:
        if not self.down[p]:
            super()._try_start(p)

    def _claimed(self, i: int, p: int, need: int) -> None:
        self.holding[p][i] = (None, need)
        self._progress += 1

    def _run(self, i: int, p: int, need: int) -> None:
        self.holding[p][i] = (self.env.now, need)
        super()._run(i, p, need)

    def _finish(self, i: int, p: int, start: float, need: int) -> None:
        del self.holding[p][i]
        self.ended[i] = True
        self.unfinished -= 1
        self._progress += 1
        super()._finish(i, p, start, need)

    # -- going down and coming back ------------------------------------------------------

    def _fail(self, p: int) -> None:
        if self._stopping():
            return
        failures = self.devices[p].failures
        repair = failures.time_to_repair(self.fault_rngs[p])
        self._go_down(p, self.env.now + failures.mttr_s, "failed")
        self._after(repair, self._repair, p)

    def _repair(self, p: int) -> None:
        self._go_up(p)
        if not self._stopping():
            self._after(self.devices[p].failures.time_to_failure(self.fault_rngs[p]), self._fail, p)

    def _next_window(self, p: int, window: Window, windows) -> None:
        found = next(windows, None)
        if found is not None:
            start, end = found
            self._after(start - self.env.now, self._window_opens, p, window, windows, end)

    def _window_opens(self, p: int, window: Window, windows, end: float) -> None:
        if self._stopping():
            return
        self._go_down(p, end, "went down for scheduled downtime")
        self._after(end - self.env.now, self._window_closes, p, window, windows)

    def _window_closes(self, p: int, window: Window, windows) -> None:
        self._go_up(p)
        if not self._stopping():
            self._next_window(p, window, windows)

    def _stopping(self) -> bool:
        """Whether fault events should stop: all tasks ended, or nothing has moved for long."""
        if self.unfinished == 0 or self._faults_stopped:
            return True
        if self._progress == self._progress_seen:
            self._idle_events += 1
            if self._idle_events > IDLE_FAULT_EVENTS * len(self.devices):
                self._faults_stopped = True
                self.trace.notes.append(f"fault events stopped at t={self.env.now:.6g} s: "
                                        f"nothing started or ended for {self._idle_events} of them")
                return True
        else:
            self._progress_seen, self._idle_events = self._progress, 0
        return False

    def _go_down(self, p: int, until: float, how: str) -> None:
        self.down[p] += 1
        self.down_until[p] = max(self.down_until[p], until)
        if self.down[p] > 1:
            return
        now = self.env.now
        device = self.devices[p]
        aborted = []
        for i, (start, need) in sorted(self.holding[p].items()):
            self.token[i] += 1
            self.free_slots[p] += need
            self.bound[i] = -1
            if start is not None:
                self.attempts[i] += 1
                self.trace.tasks.append(TaskRun(self.tasks[i].id, device.name, start, now,
                                                need / device.slots, status="failed"))
            aborted.append(i)
        self.holding[p].clear()
        if self.qpu_service is not None:  # the QPU lets the aborted jobs (and their sessions) go
            for i in aborted:
                self.qpu_service.aborted(i, p, now)
        queued = list(self.queues[p])
        for i in queued:
            self._unbind(i)
        if self._view is not None:
            self._view._reset_device(p, self.down_until[p])
        for i in aborted:
            if self.attempts[i] > self.retry_limit:
                self._give_up(i, f"{device.name} {how} under it on each of its {self.attempts[i]} attempts "
                                 f"(retry limit {self.retry_limit})")
        moved = [i for i in aborted + queued if not self.ended[i]]
        if self.plan is not None:
            if moved or self.queues[p]:
                self._replan()
            return
        self._recover(moved, p)

    def _go_up(self, p: int) -> None:
        self.down[p] -= 1
        if self.down[p]:
            return
        self.down_until[p] = self.env.now
        view = self._get_view()
        self._call(lambda: self.policy.on_repair(self.devices[p], view), "handling a repair")
        if self.plan is not None:
            if self.unfinished:
                self._replan()
        else:
            self._try_start(p)
            self._request_decision()

    # -- where the tasks go ----------------------------------------------------------------

    def _unbind(self, i: int) -> None:
        p = self.bound[i]
        if p >= 0:
            self.queues[p].remove(i)
        self.bound[i] = -1
        self.missing[i] = 0
        self.token[i] += 1

    def _give_up(self, i: int, reason: str) -> None:
        doomed = [i] + sorted(self.workflow.index[t] for t in nx.descendants(self.workflow.graph, self.tasks[i].id))
        dropped = set()
        for j in doomed:
            if self.ended[j]:
                continue
            if self.bound[j] >= 0:
                self._unbind(j)
            self.ended[j] = True
            self.unfinished -= 1
            dropped.add(j)
            self.trace.failed[self.tasks[j].id] = reason if j == i else f"depends on {self.tasks[i].id!r}, which failed"
        self.ready = [j for j in self.ready if j not in dropped]
        self._progress += 1

    def _get_view(self):
        from scheduler.view import View

        if self._view is None:
            self._view = View(self)
        return self._view

    def _recover(self, moved: list[int], p: int) -> None:
        """Ask a dynamic policy where each unbound task goes."""
        view = self._get_view()
        device = self.devices[p]
        for i in moved:
            task = self.tasks[i]
            choice = self._call(lambda: self.policy.on_failure(task, device, view), "recovering from a failure",
                                task.id)
            if choice is None:
                self.ready.append(i)
            else:
                self._call(lambda: view.place(task, choice), "recovering from a failure", task.id)
        view.take_placed()
        self._request_decision()

    def _replan(self) -> None:
        """Plan the tasks that have not started again, on the devices that are up."""
        pending = [i for i in range(len(self.tasks))
                   if not self.ended[i] and not any(i in h for h in self.holding)]
        if not pending:
            return
        for i in pending:
            if self.bound[i] >= 0:
                self._unbind(i)
        up = [d for p, d in enumerate(self.devices) if not self.down[p]]
        tasks = [self.tasks[i] for i in pending]
        if not up or any(all(d.check(t) for d in up) for t in tasks):
            up = list(self.devices)
        names = {d.name for d in up}
        platform = Platform(self.platform.name, up, default_link=self.platform.default_link,
                            links={k: v for k, v in self.platform.links.items() if set(k) <= names},
                            pue=self.platform.pue, carbon_g_per_kwh=self.platform.carbon_g_per_kwh,
                            carbon_series=self.platform.carbon_series, start=self.platform.start,
                            sites=self.platform.sites,
                            device_sites={d: s for d, s in self.platform.device_sites.items() if d in names})
        ids = {t.id for t in tasks}
        graph = self.workflow.graph
        edges = [(u, v, {"data_bytes": a.get("data_bytes", 0.0), "cost": a.get("cost")})
                 for u, v, a in graph.subgraph(ids).edges(data=True)]
        edges.sort(key=lambda e: (self.workflow.index[e[0]], self.workflow.index[e[1]]))
        rest = Workflow.build(self.workflow.name, tasks, edges, source=self.workflow.source,
                              groups=self.workflow.groups)
        plan = self._plan(Problem(rest, platform), "re-planning after a fault")
        if plan is None:
            raise PolicyError("returned no plan when asked to re-plan after a fault",
                              item=f"policy {self.policy.name!r}")
        order = []
        for i in pending:
            task = self.tasks[i]
            p = self.device_index.get(plan.device.get(task.id))
            if p is None or self.devices[p].check(task):
                raise PolicyError(f"the re-plan puts it on {plan.device.get(task.id)!r}, which is not a device "
                                  f"that can run it", item=f"policy {self.policy.name!r}: task {task.id!r}")
            order.append((plan.start.get(task.id, 0.0), i, p))
        for _, i, p in sorted(order):
            self.bind(i, p)

    # -- the end -------------------------------------------------------------------------

    def _check_complete(self) -> None:
        if self.unfinished == 0:
            return
        super()._check_complete()
