"""A static plan built one placement at a time: the state of a scheduling episode.

Numpy only (no Gymnasium), so that a trained policy runs as an ordinary
hybridsched policy without the ``rl`` extra. :class:`Instance` holds what
never changes for one workflow on one platform (cost rows, the task order,
scales); :class:`Episode` holds one partial plan.

**Order.** Tasks are placed in HEFT's order: decreasing upward rank, ties by
task order, never a child before its parent (:func:`~scheduler.policies.heft.priority_order`).

**Timing.** Each placement is planned as HEFT plans it: earliest start at or
after the task's data is ready on the device, inserted into an idle gap when
one fits (Topcuoglu et al. 2002, section 4.1; ``insertion=False``: appended
after the device's last planned task). Choosing the earliest-finish device
at every step therefore gives exactly HEFT's plan. Planned times do not
include a shared QPU's queue wait (it is drawn at run time); the observation
shows its expected value instead.

**The end.** :func:`run_plan` executes the finished :class:`~scheduler.policy.Plan`
on the real engine, so the run's metrics are those of ``hybridsched simulate``
for the same placement and seed.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from devices.platform import Platform
from scheduler.metrics import J_PER_KWH, Metrics, compute, cp_min_length
from scheduler.policies.heft import priority_order, upward_rank
from scheduler.policies.planner import Option, PlanBuilder
from scheduler.policy import Plan, Policy
from scheduler.problem import Problem
from workloads.errors import InputError
from workloads.workflow import Workflow

#: What a reward can weigh, in the order of the estimate vectors. ``infidelity``
#: is ``1 - fidelity_mean`` over the quantum tasks (0 when there are none).
METRICS = ("makespan", "energy_j", "cost_usd", "carbon_g", "infidelity")
TASK_FEATURES = 8
DEVICE_FEATURES = 12
#: Device kind -> code in the observation (others: 0).
KIND_CODE = {"cpu": 1 / 3, "gpu": 2 / 3, "qpu": 1.0}


def observation_size(max_devices: int) -> int:
    return TASK_FEATURES + max_devices * DEVICE_FEATURES


def split_observation(obs: np.ndarray, max_devices: int) -> tuple[np.ndarray, np.ndarray]:
    """``(task features, device features)`` of a flat observation; the latter ``max_devices x 12``."""
    return obs[:TASK_FEATURES], obs[TASK_FEATURES:].reshape(max_devices, DEVICE_FEATURES)


def expected_wait(device) -> float:
    """Mean seconds a task waits behind other users' jobs on ``device``: a shared QPU's
    sampled-wait mean (:meth:`devices.qpu.QPU.mean_sampled_wait`), 0 elsewhere."""
    mean = getattr(device, "mean_sampled_wait", None)
    return mean() if mean is not None else 0.0


class Instance:
    """One workflow on one platform: cost rows, order and scales, computed once."""

    def __init__(self, problem: Problem, *, insertion: bool = True):
        self.problem = problem
        self.insertion = insertion
        workflow, devices = problem.workflow, problem.devices
        self.workflow: Workflow = workflow
        self.platform: Platform = problem.platform
        n, d = len(problem.tasks), len(devices)
        self.n_tasks, self.n_devices = n, d
        #: ``W[i, p]`` seconds, inf where task i cannot run on device p.
        self.W = problem.exec_times
        self.feasible = np.isfinite(self.W)
        share = np.zeros((n, d))
        for p, device in enumerate(devices):
            for i in np.flatnonzero(self.feasible[:, p]).tolist():
                share[i, p] = device.share(problem.tasks[i])
        w = np.where(self.feasible, self.W, 0.0)
        busy_w = np.array([dv.busy_w for dv in devices], dtype=float)
        idle_w = np.array([dv.idle_w for dv in devices], dtype=float)
        rate = np.array([dv.usd_per_hour for dv in devices], dtype=float) / 3600.0
        per_use = np.array([dv.billing == "per-use" for dv in devices])
        #: Busy joules, busy joules above idle, busy dollars and per-use dollars of each placement.
        self.energy = busy_w * share * w
        self.extra_energy = (busy_w - idle_w) * share * w
        self.price = rate * share * w
        self.per_use_price = np.where(per_use, self.price, 0.0)
        self.idle_w_sum = float(idle_w.sum())
        self.reserved_rate_sum = float(rate[~per_use].sum())
        self.g_per_j = self.platform.pue / J_PER_KWH * self.platform.carbon_g_per_kwh
        self.quantum = np.array([t.kind == "quantum" for t in problem.tasks])
        self.n_quantum = int(self.quantum.sum())
        self.fidelity = np.where(self.feasible, 1.0, 0.0)
        for i in np.flatnonzero(self.quantum).tolist():
            for p in np.flatnonzero(self.feasible[i]).tolist():
                self.fidelity[i, p] = devices[p].fidelity(problem.tasks[i])
        self.rank = upward_rank(problem)
        #: HEFT's order: decreasing upward rank, never a child before its parent.
        self.order = priority_order(problem, self.rank)
        self.in_degree = np.log1p([len(p) for p in problem.preds])
        self.out_degree = np.log1p([len(s) for s in problem.succs])
        self.mean_w = problem.mean_exec_times
        cp = cp_min_length(problem)
        #: Time unit of the observation and scale of makespan rewards: the critical
        #: path by minimum execution times (SLR's denominator, never above the makespan).
        self.time_scale = cp if cp > 0 else 1.0
        min_extra = np.where(self.feasible, self.extra_energy, np.inf).min(axis=1).sum()
        min_cost = np.where(self.feasible, self.per_use_price, np.inf).min(axis=1).sum()
        energy_scale = self.idle_w_sum * self.time_scale + float(min_extra)
        cost_scale = self.reserved_rate_sum * self.time_scale + float(min_cost)
        carbon_scale = energy_scale * self.g_per_j
        #: Reference value of each metric for ``normalize=True``: what it would be if
        #: the run took the critical path's time and each task its cheapest device.
        self.scales = np.array([self.time_scale, energy_scale or 1.0, cost_scale or 1.0, carbon_scale or 1.0, 1.0])
        wait = np.array([expected_wait(dv) for dv in devices])
        ts = self.time_scale
        # Everything of the observation that depends on (task, device) alone, computed once;
        # the step fills in columns 2-4 (ready, finish and wait offsets) and feature 7.
        rows = np.zeros((n, d, DEVICE_FEATURES))
        rows[:, :, 0] = self.feasible
        rows[:, :, 1] = np.log1p(w / ts)
        rows[:, :, 5] = np.log1p(wait / ts)
        rows[:, :, 6] = np.log1p(self.energy / self.scales[1])
        rows[:, :, 7] = np.log1p(self.price / self.scales[2])
        rows[:, :, 8] = self.fidelity
        rows[:, :, 9] = np.log1p(busy_w / 1e3)
        rows[:, :, 10] = np.log1p(rate * 3600.0)
        rows[:, :, 11] = [KIND_CODE.get(dv.kind, 0.0) for dv in devices]
        rows[~self.feasible] = 0.0
        self.device_rows = rows
        tasks = np.zeros((n, TASK_FEATURES))
        tasks[:, 1] = np.log1p(self.mean_w / ts)
        tasks[:, 2] = np.log1p(np.maximum(self.rank, 0.0) / ts)
        tasks[:, 3], tasks[:, 4] = self.in_degree, self.out_degree
        tasks[:, 5] = self.quantum
        self.task_rows = tasks
        self.feasible_devices = [np.flatnonzero(row).tolist() for row in self.feasible]

    @classmethod
    def of(cls, workflow: Workflow, platform: Platform, *, insertion: bool = True) -> "Instance":
        if not workflow.tasks:
            raise InputError("the workflow has no tasks: nothing to schedule", source=workflow.source)
        return cls(Problem(workflow, platform), insertion=insertion)

    def estimate(self, makespan: float, extra_j: float, per_use_usd: float, infidelity_sum: float) -> list[float]:
        """The :data:`METRICS` of a plan from its running sums (the engine's formulas on planned times)."""
        energy = self.idle_w_sum * makespan + extra_j
        return [makespan, energy, self.reserved_rate_sum * makespan + per_use_usd, energy * self.g_per_j,
                infidelity_sum / self.n_quantum if self.n_quantum else 0.0]


class Episode:
    """A partial plan of an :class:`Instance`: place :attr:`task` on a device, step by step."""

    def __init__(self, instance: Instance, max_devices: int | None = None):
        self.instance = instance
        self.max_devices = instance.n_devices if max_devices is None else max_devices
        if self.max_devices < instance.n_devices:
            raise InputError(f"the platform has {instance.n_devices} devices, more than max_devices="
                             f"{self.max_devices}", source=instance.platform.source, item="max_devices")
        self.builder = PlanBuilder(instance.problem, insertion=instance.insertion)
        self.step_index = 0
        self.makespan = self.extra_j = self.per_use_usd = self.infidelity_sum = 0.0
        self._options()

    @property
    def done(self) -> bool:
        return self.step_index >= self.instance.n_tasks

    @property
    def task(self) -> int:
        """Index of the task to place now (valid while not :attr:`done`)."""
        return self.instance.order[self.step_index]

    def _options(self) -> None:
        """Data-ready, start and finish times of the current task on every device (inf: cannot run)."""
        inst = self.instance
        d = inst.n_devices
        mask = np.zeros(self.max_devices, dtype=np.int8)
        self.mask = mask
        if self.done:
            self.start = self.finish = np.full(d, math.inf)
            self._offsets = []
            return
        i = self.task
        ready = self.builder.data_ready(i)
        ready_list = ready.tolist()
        start, finish = [math.inf] * d, [math.inf] * d
        option = self.builder.option
        feasible = inst.feasible_devices[i]
        for p in feasible:
            opt = option(i, p, ready)
            start[p], finish[p] = opt.start, opt.finish
        self.start, self.finish = np.array(start), np.array(finish)
        mask[:d] = inst.feasible[i]
        # Observation columns 2-4 of each feasible device, in plain floats: devices are few
        # and the loop above already visits each one.
        ts = inst.time_scale
        r0 = min(ready_list[p] for p in feasible)
        f0 = min(finish[p] for p in feasible)
        log1p = math.log1p
        self._offsets = [(p, log1p((ready_list[p] - r0) / ts), log1p((finish[p] - f0) / ts),
                          log1p((start[p] - ready_list[p]) / ts)) for p in feasible]

    def best(self) -> int:
        """The device of earliest planned finish (HEFT's choice); ties: the earlier device."""
        return int(np.argmin(self.finish))

    def estimate(self) -> list[float]:
        return self.instance.estimate(self.makespan, self.extra_j, self.per_use_usd, self.infidelity_sum)

    def place(self, p: int) -> None:
        """Place the current task on device ``p`` (which must be feasible) and move on."""
        inst = self.instance
        i = self.task
        self.builder.place(i, Option(float(self.finish[p]), float(self.start[p]), p))
        self.makespan = max(self.makespan, float(self.finish[p]))
        self.extra_j += float(inst.extra_energy[i, p])
        self.per_use_usd += float(inst.per_use_price[i, p])
        if inst.quantum[i]:
            self.infidelity_sum += 1.0 - float(inst.fidelity[i, p])
        self.step_index += 1
        self._options()

    def observation(self) -> np.ndarray:
        """The flat observation (float32): :data:`TASK_FEATURES` values, then
        :data:`DEVICE_FEATURES` per device, zero rows for padding (docs/rl.md lists them)."""
        inst = self.instance
        obs = np.zeros(observation_size(self.max_devices), dtype=np.float32)
        ts = inst.time_scale
        if self.done:
            obs[0], obs[7] = 1.0, math.log1p(self.makespan / ts)
            return obs
        i = self.task
        head = inst.task_rows[i].copy()
        head[0] = self.step_index / inst.n_tasks
        head[6] = len(inst.feasible_devices[i]) / self.max_devices
        head[7] = math.log1p(self.makespan / ts)
        rows = inst.device_rows[i].copy()
        for p, ready, finish, wait in self._offsets:
            rows[p, 2], rows[p, 3], rows[p, 4] = ready, finish, wait
        obs[:TASK_FEATURES] = head
        obs[TASK_FEATURES:TASK_FEATURES + inst.n_devices * DEVICE_FEATURES] = rows.ravel()
        return obs

    @property
    def plan(self) -> Plan:
        return self.builder.plan


class PlanPolicy(Policy):
    """Runs a given :class:`Plan` (what an episode built) through the engine."""

    name = "rl-plan"
    description = "a fixed plan, built step by step in a hybridsched Gymnasium episode"

    def __init__(self, plan: Plan, **options):
        super().__init__(**options)
        self._plan = plan

    def plan(self, problem: Problem) -> Plan:
        return self._plan


def run_plan(instance: Instance, plan: Plan, seed: int = 0) -> tuple[Metrics, Plan]:
    """Execute ``plan`` on the engine (seed ``seed``, as ``simulate`` would) and return its metrics."""
    from scheduler.fault_engine import engine_class

    engine = engine_class(instance.platform)(instance.workflow, instance.platform, PlanPolicy(plan), seed=seed,
                                             decision_timeout=0)
    trace = engine.run()
    # The instance's Problem answers as the engine's own (same workflow and platform), and
    # already holds the execution-time table that SLR needs.
    return compute(trace, instance.platform, instance.problem), plan


def final_figures(metrics: Metrics) -> list[float]:
    """The :data:`METRICS` of a finished run."""
    fid = metrics.fidelity_mean
    return [metrics.makespan, metrics.energy_j, metrics.cost_usd, metrics.carbon_g, 0.0 if fid is None else 1.0 - fid]


def reward_weights(reward: str | Mapping[str, float]) -> np.ndarray:
    """Weights over :data:`METRICS` from a metric name or a ``{metric: weight}`` mapping."""
    if isinstance(reward, str):
        reward = {reward: 1.0}
    if not isinstance(reward, Mapping) or not reward:
        raise InputError(f"expected a metric name or a {{metric: weight}} mapping, got {reward!r}", item="reward")
    weights = np.zeros(len(METRICS))
    for key, value in reward.items():
        if key not in METRICS:
            raise InputError(f"unknown metric {key!r} (known: {', '.join(METRICS)})", item="reward")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"weight of {key} must be a finite number, got {value!r}", item="reward")
        weights[METRICS.index(key)] = float(value)
    return weights
