"""The engine: a SimPy environment that executes a workflow on a platform.

Few concepts, each exact:

* A task is **bound** to a device: all at time 0 for a static plan, or when a
  dynamic policy places it. Each device runs its bound tasks in bind order.
* When a task and its predecessor are both bound and the predecessor has
  finished, the edge's data moves: a SimPy timeout of the transfer time
  (none when both ran on one device), or, over the shared links of a
  platform's ``network:``, a flow of :mod:`scheduler.network`. Under a static
  plan that is at the predecessor's finish; a dynamic policy binds a task only
  once all its predecessors have finished, so its inputs start to move when it
  is placed (a planner's estimate, producer finish + transfer, is then not reached).
* A task **starts** when all its inputs have arrived, it heads its device's
  queue and the device has the slots it needs; it **finishes** after its
  execution time, a SimPy timeout.
* A dynamic policy is asked to place the ready tasks once per instant at
  which some became ready or a device freed up, after all events of that
  instant.

Everything is event-driven: one timeout per task and one per transfer
between devices, no polling. Ties follow SimPy's event order, which follows
workflow and platform order, so equal inputs give equal traces.

Devices that fail or have downtime windows need more rules (aborts, retries,
re-planning): those are :class:`~scheduler.fault_engine.FaultEngine`, a
subclass the caller chooses (:func:`scheduler.fault_engine.engine_class` picks
the one a platform needs; :func:`scheduler.api.simulate` uses it). This
engine stays as lean, refuses a platform with faults rather than ignore them,
and imports nothing of the fault rules: imports flow one way, fault engine ->
engine -> view, problem, policy.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np
import simpy

from devices.platform import Platform
from scheduler.policy import Plan, Policy, PolicyError
from scheduler.problem import Problem, unrunnable_reason
from scheduler.timelimit import ENV_VAR as _LIMIT_VAR
from scheduler.timelimit import DecisionTimeout, configured_limit, time_limit
from scheduler.trace import TaskRun, Trace, Transfer, Wait
from workloads.errors import InputError
from workloads.memory import check_run
from workloads.workflow import Workflow


class Engine:
    """Runs one workflow on one platform under one policy; :meth:`run` returns the trace."""

    #: Whether this engine carries out device failures, downtime and repair.
    models_faults = False

    def __init__(self, workflow: Workflow, platform: Platform, policy: Policy, *, seed: int = 0,
                 decision_timeout: float | None = None):
        if not self.models_faults and any(d.has_faults for d in platform.devices):
            raise ValueError(f"platform {platform.name!r} has devices that fail or go down: run it on "
                             f"scheduler.fault_engine.FaultEngine (engine_class(platform) picks the engine)")
        self.workflow = workflow
        self.seed = seed
        self.platform = platform
        self.policy = policy
        self.env = simpy.Environment(initial_time=0.0)
        # Refuse a run that cannot fit in memory before allocating for it.
        check_run(len(workflow.tasks), workflow.edge_count, len(platform.devices),
                  source=workflow.source)
        self.problem = Problem(workflow, platform)
        n = len(workflow.tasks)
        self.tasks = workflow.tasks
        self.devices = platform.devices
        self.device_index = {d.name: j for j, d in enumerate(self.devices)}
        self._ids = self.problem._ids  # task ids by index
        self._names = [d.name for d in self.devices]
        self.preds = self.problem.preds
        self.succs = self.problem.succs
        #: Device index each task is bound to, or -1.
        self.bound = [-1] * n
        #: Inputs not yet arrived, counted once a task is bound.
        self.missing = [0] * n
        #: Predecessors not yet finished.
        self.waiting_on = [len(p) for p in self.preds]
        self.finish_at: list[float | None] = [None] * n
        self.queues: list[deque[int]] = [deque() for _ in self.devices]
        self.free_slots = [d.slots for d in self.devices]
        self.ready: list[int] = []
        self.plan: Plan | None = None
        self.trace = Trace()
        self._decision_pending = False
        self._view = None
        #: One random stream per device, so that adding a device changes no other's draws.
        self.device_rngs = [np.random.default_rng([seed, j]) for j in range(len(self.devices))]
        #: The QPU side of quantum jobs (sessions, batches, simulated tenants), when the run has any.
        self.qpu_service = None
        if workflow.groups or any(getattr(d, "queue_model", None) == "tenants" for d in self.devices):
            from scheduler.qpu_service import QPUService

            if QPUService.needed(self):
                self.qpu_service = QPUService(self)
        #: Seconds one call into the policy may take (None: no limit); see :mod:`scheduler.timelimit`.
        #: Built-in policies are hybridsched's own code and run without one.
        self.decision_timeout = (None if type(policy).__module__.startswith("scheduler.policies.")
                                 else configured_limit(decision_timeout))
        self._setup_network()
        #: Times a policy asked to be called again at (View.wake_at).
        self._wakes: set[float] = set()

    # -- running ------------------------------------------------------------

    def run(self) -> Trace:
        """Execute the workflow to the end and return its trace."""
        self.plan = self._plan(self.problem, "planning")
        if self.plan is not None:
            self._bind_plan(self.plan)
        else:
            self.ready = [i for i, w in enumerate(self.waiting_on) if w == 0]
            self._request_decision()
        self.env.run()
        if self.qpu_service is not None:
            self.qpu_service.close()
        self._check_complete()
        self.trace.tasks.sort(key=lambda r: (r.start, self.workflow.index[r.task]))
        self.trace.transfers.sort(key=lambda t: t.start)
        self.trace.waits.sort(key=lambda w: w.start)
        return self.trace

    def _plan(self, problem: Problem, doing: str) -> Plan | None:
        """Ask the policy for a static plan of ``problem``: a Plan, or None to decide dynamically."""
        plan = self._call(lambda: self.policy.plan(problem), doing)
        if plan is not None and not isinstance(plan, Plan):
            raise PolicyError(f"plan() returned {type(plan).__name__}, expected a Plan or None",
                              item=f"policy {self.policy.name!r}")
        return plan

    def bind(self, i: int, p: int) -> None:
        """Queue task ``i`` on device ``p``; start the transfers it can."""
        if self.qpu_service is not None:
            self.qpu_service.bound(i, p)
        self.bound[i] = p
        self.queues[p].append(i)
        self.missing[i] = len(self.preds[i])
        for u in self.preds[i]:
            if self.finish_at[u] is not None:
                self._transfer(u, i)
        self._try_start(p)

    def _bind_plan(self, plan: Plan) -> None:
        name = self.policy.name
        device_of = plan.device
        order = []
        # A finite planned execution time already proves a task can run on its device.
        table, column_of = self.problem.__dict__.get("exec_columns") or (None, None)
        column_of = column_of.tolist() if column_of is not None else None
        finite = np.isfinite(table).tolist() if table is not None else None  # lists: cheap to index
        for i, task in enumerate(self.tasks):
            dev = device_of.get(task.id)
            if dev is None:
                raise PolicyError("the plan leaves this task out", item=f"policy {name!r}: task {task.id!r}")
            p = self.device_index.get(dev)
            if p is None:
                raise PolicyError(f"the plan names unknown device {dev!r}", item=f"policy {name!r}: task {task.id!r}")
            proven = finite is not None and finite[i][column_of[p]]
            reason = None if proven else self.devices[p].check(task)
            if reason:
                raise PolicyError(f"the plan puts it on {dev}, which cannot run it: {reason}",
                                  item=f"policy {name!r}: task {task.id!r}")
            order.append((plan.start.get(task.id, 0.0), i, p))
        for _, i, p in sorted(order):
            self.bind(i, p)

    def _setup_network(self) -> None:
        """Routes by device index pair: (link indices, link names, latency), and the flow model
        that shares them (None: every transfer alone on its route, the contention-free mode)."""
        network = self.platform.network
        self.routes: dict[tuple[int, int], tuple[tuple[int, ...], tuple[str, ...], float]] = {}
        self.network = None
        if network is None:
            return
        index = self.device_index
        for (a, b), names in network.routes.items():
            links = tuple(network.index[n] for n in names)
            self.routes[index[a], index[b]] = (links, names, sum(network.links[k].latency for k in links))
        if network.shared:
            from scheduler.network import FlowModel

            self.network = FlowModel(self.env, [link.bandwidth for link in network.links])

    def _transfer(self, u: int, v: int) -> None:
        pu, pv = self.bound[u], self.bound[v]
        if pu == pv:
            self._arrive(v)
            return
        now = self.env.now
        ids, names = self._ids, self._names
        edge = self.problem.edge(u, v)
        route = self.routes.get((pu, pv)) if self.routes else None
        if route is not None and self.network is not None and edge.get("cost") is None:
            # Shared links: the flow model says when the last byte arrives.
            nbytes = edge.get("data_bytes", 0.0)
            arrive = self._guarded(v, self._arrive, v)

            def done() -> None:
                self.trace.transfers.append(Transfer(
                    self.tasks[u].id, self.tasks[v].id, self.devices[pu].name, self.devices[pv].name,
                    now, self.env.now, nbytes, route[1]))
                arrive()

            self.network.start(route[0], nbytes, route[2], done)
            return
        # Problem.comm_time for two distinct devices, with the edge already at hand.
        seconds = self.platform.transfer_time(edge, names[pu], names[pv])
        self.trace.transfers.append(Transfer(ids[u], ids[v], names[pu], names[pv], now, now + seconds,
                                             edge.get("data_bytes", 0.0), route[1] if route else ()))
        if seconds == 0:
            self._arrive(v)
        else:
            self._later(v, seconds, self._arrive, v)

    def _guarded(self, i: int, fn: Callable, *args) -> Callable[[], None]:
        """``fn(*args)`` as a call to make later on behalf of task ``i`` (the fault engine
        drops it if a fault aborts that attempt of ``i`` meanwhile)."""
        return lambda: fn(*args)

    def _later(self, i: int, delay: float, fn: Callable, *args) -> None:
        """Call ``fn(*args)`` after ``delay`` on behalf of task ``i`` (the fault engine
        drops calls for an attempt of ``i`` that a fault has aborted meanwhile)."""
        self.env.timeout(delay).callbacks.append(lambda _e: fn(*args))

    def _arrive(self, v: int) -> None:
        self.missing[v] -= 1
        if self.missing[v] == 0:
            self._try_start(self.bound[v])

    def _try_start(self, p: int) -> None:
        queue = self.queues[p]
        device = self.devices[p]
        while queue:
            i = queue[0]
            if self.missing[i]:
                return
            task = self.tasks[i]
            need = device.slots_needed(task)
            if self.free_slots[p] < need:
                return
            queue.popleft()
            self.free_slots[p] -= need
            self._claimed(i, p, need)
            service = self.qpu_service
            if service is None:
                wait = device.queue_wait(task, self.device_rngs[p])
                if wait > 0:
                    now = self.env.now
                    self.trace.waits.append(Wait(task.id, device.name, now, now + wait, "queue"))
            else:  # sessions, batches and simulated tenants decide the wait (and record it)
                wait = service.claim(i, p, self.device_rngs[p])
            if wait > 0:  # the slot is held while other users' jobs run
                self._later(i, wait, self._run, i, p, need)
            else:
                self._run(i, p, need)

    def _claimed(self, i: int, p: int, need: int) -> None:
        """Task ``i`` took ``need`` slots of device ``p`` (a hook for the fault engine)."""

    def _run(self, i: int, p: int, need: int) -> None:
        start = self.env.now
        seconds = self.devices[p].exec_time(self.tasks[i])
        self._later(i, seconds, self._finish, i, p, start, need)

    def _finish(self, i: int, p: int, start: float, need: int) -> None:
        now = self.env.now
        device = self.devices[p]
        self.free_slots[p] += need
        self.finish_at[i] = now
        if self.qpu_service is not None:
            self.qpu_service.finished(i, p, now)
        self.trace.tasks.append(TaskRun(self._ids[i], device.name, start, now, need / device.slots))
        for v in self.succs[i]:
            self.waiting_on[v] -= 1
            if self.bound[v] >= 0:
                self._transfer(i, v)
            elif self.waiting_on[v] == 0:
                self.ready.append(v)
        self._try_start(p)
        if self.plan is None and self.ready:
            self._request_decision()

    # -- dynamic decisions -------------------------------------------------------

    def _request_decision(self) -> None:
        if self._decision_pending or not self.ready:
            return
        self._decision_pending = True
        event = self.env.event()
        event.callbacks.append(self._decide)
        event.succeed()

    def _wake_at(self, t: float) -> None:
        """A decision at time ``t`` (once per time asked for), for ready tasks a policy holds back."""
        if t > self.env.now and t not in self._wakes:
            self._wakes.add(t)
            self.env.timeout(t - self.env.now).callbacks.append(lambda _e: self._request_decision())

    def _decide(self, _event: simpy.Event) -> None:
        from scheduler.view import View

        self._decision_pending = False
        self.ready.sort()
        if self._view is None:
            self._view = View(self)
        view = self._view
        ready = [self.tasks[i] for i in self.ready]
        self._call(lambda: self.policy.select(ready, view), "placing ready tasks", ready[0].id)
        placed = set(view.take_placed())
        if placed:
            self.ready = [i for i in self.ready if i not in placed]

    def _call(self, fn: Callable, doing: str, task_id: str | None = None):
        try:
            if self.decision_timeout is None:
                return fn()
            with time_limit(self.decision_timeout, f"policy {self.policy.name!r} while {doing}"):
                return fn()
        except InputError:
            raise
        except SystemExit as err:  # a policy must not end the process (and exit 0 with nothing printed)
            at = f": task {task_id!r}" if task_id else ""
            raise PolicyError(f"called sys.exit({err.code!r}) while {doing}; a policy must not end the process",
                              item=f"policy {self.policy.name!r}{at}") from None
        except DecisionTimeout:
            at = f": task {task_id!r}" if task_id else ""
            raise PolicyError(f"took more than {self.decision_timeout:g} s while {doing} (the time limit per "
                              f"decision; --decision-timeout SECONDS or {_LIMIT_VAR} changes it)",
                              item=f"policy {self.policy.name!r}{at}") from None
        except Exception as err:  # a policy's bug must not look like ours
            at = f": task {task_id!r}" if task_id else ""
            raise PolicyError(f"raised {type(err).__name__} while {doing}: {err}",
                              item=f"policy {self.policy.name!r}{at}") from err

    # -- the end ----------------------------------------------------------------

    def _check_complete(self) -> None:
        if all(f is not None for f in self.finish_at):
            return
        name = self.policy.name
        if self.ready:
            task = self.tasks[self.ready[0]]
            if not any(d.can_run(task) for d in self.devices):
                raise InputError(unrunnable_reason(task, self.devices),
                                 source=self.workflow.source, item=f"task {task.id!r}")
            raise PolicyError("never placed this ready task, and nothing else was left to run",
                              item=f"policy {name!r}: task {task.id!r}")
        for p, queue in enumerate(self.queues):
            if queue:
                task = self.tasks[queue[0]]
                raise PolicyError(f"deadlock: {task.id!r} heads the queue of {self.devices[p].name} but "
                                  f"waits for a predecessor queued behind it",
                                  item=f"policy {name!r}: task {task.id!r}")
        raise PolicyError("the run ended with tasks unfinished", item=f"policy {name!r}")


def execute(workflow: Workflow, platform: Platform, policy: Policy, *,
            seed: int = 0) -> tuple[Trace, Plan | None]:
    """Run ``workflow`` on ``platform`` under ``policy``; return the trace and any static plan."""
    engine = Engine(workflow, platform, policy, seed=seed)
    trace = engine.run()
    return trace, engine.plan
