"""Placement beyond makespan: energy, cost, carbon and fidelity.

Three policies, each a different trade-off (options are given with
``--option key=value`` or ``make_policy(name, key=value)``):

* ``weighted`` (dynamic): each ready task, in workflow order, to the device
  with the lowest weighted sum of its finish time, added energy, price,
  carbon and infidelity (1 - fidelity), each min-max normalised over the
  devices that can run the task, so that weights compare unitless terms
  (the weighted-sum scalarisation of multi-objective optimisation, e.g.
  Marler & Arora, Struct. Multidisc. Optim. 26, 2004). Options ``time``,
  ``energy``, ``cost``, ``carbon``, ``fidelity``: non-negative weights,
  defaults 1, 1, 1, 0, 1 (carbon is energy times the site's constant
  intensity, so it repeats the energy term unless energy's weight is 0).
  Greedy and local: it never delays one task to help another.
* ``energy-heft`` (static): HEFT's order and insertion, but each task goes
  to the device of least added energy among those finishing it at most
  ``slack`` times its fastest execution time after its earliest finish
  (option ``slack``, default 0.5; 0 is HEFT with energy as tie-breaker).
  Bounds the delay per task, not the makespan.
* ``deadline`` (static): the cheapest schedule that aims at a makespan
  deadline. The deadline (option ``deadline``, seconds; default: ``(1 +
  slack)`` times HEFT's makespan, option ``slack`` default 0.5) is shared
  out along HEFT's upward ranks: task ``t`` gets the sub-deadline
  ``D * (R - rank_u(t) + mean w(t)) / R``, ``R`` the largest entry rank
  (the proportional sub-deadlines of ProLiS: Wu et al., "Deadline-constrained
  cost optimization approaches for workflow scheduling in clouds", IEEE
  TPDS 28(12), 2017). In HEFT order, each task goes to the device of least
  ``objective`` (option: ``cost``, ``energy`` or ``carbon``; default cost)
  among those finishing it by its sub-deadline, else to its earliest
  finish. Early cheap choices can make later sub-deadlines unreachable, so
  when the schedule misses the deadline the same is done with sub-deadlines
  from 0.9, 0.8, ... 0.5 of it until one meets it; HEFT's schedule is a
  candidate too. The policy returns the cheapest candidate that meets the
  deadline, or, when none does, the one of least makespan. It never fails; it meets the deadline whenever HEFT
  does.

Terms: *added energy* is what running the task adds to the platform's
total, ``(busy_w - idle_w) * share * time`` (the idle draw is paid whatever
the placement; it grows only with makespan); *price* is the device's hourly
price times the task's share and time, what per-use billing charges;
*carbon* is added energy times the site's PUE and grid intensity.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from devices.device import Device
from devices.platform import Platform
from scheduler.metrics import J_PER_KWH
from scheduler.policies.heft import heft, priority_order, upward_rank
from scheduler.policies.planner import Option, PlanBuilder
from scheduler.policy import Plan, Policy
from scheduler.problem import Problem
from scheduler.view import View
from workloads.errors import InputError
from workloads.task import Task

OBJECTIVES = ("cost", "energy", "carbon")


def added_energy_j(device: Device, task: Task, seconds: float) -> float:
    """Joules a run of ``seconds`` adds to ``device``'s draw above idle."""
    return (device.busy_w - device.idle_w) * device.share(task) * seconds


def price_usd(device: Device, task: Task, seconds: float) -> float:
    """USD for the task's share of ``device`` over ``seconds`` at its hourly price."""
    return device.usd_per_hour * device.share(task) * seconds / 3600.0


def carbon_g(platform: Platform, joules: float) -> float:
    """Grams CO2e for ``joules`` of IT energy at the platform's site."""
    return joules * platform.pue / J_PER_KWH * platform.carbon_g_per_kwh


def option_number(policy: str, key: str, value: Any) -> float:
    """A non-negative number from an option value (numbers, or text from the command line)."""
    item = f"policy {policy!r}: option {key}"
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {value!r}", item=item) from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"expected a finite non-negative number, got {value!r}", item=item)
    return number


class Weighted(Policy):
    name = "weighted"
    description = ("weighted normalised sum of finish time, added energy, price, carbon "
                   "and infidelity (options time, energy, cost, carbon, fidelity)")

    def __init__(self, *, time: Any = 1.0, energy: Any = 1.0, cost: Any = 1.0, carbon: Any = 0.0,
                 fidelity: Any = 1.0, **options: Any):
        super().__init__(**options)
        given = {"time": time, "energy": energy, "cost": cost, "carbon": carbon, "fidelity": fidelity}
        self.weights = {k: option_number(self.name, k, v) for k, v in given.items()}
        if not any(self.weights.values()):
            raise InputError("at least one weight must be positive", item=f"policy {self.name!r}")

    def terms(self, task: Task, device: Device, view: View) -> list[float]:
        """Finish time, added energy, price, carbon and infidelity of ``task`` on ``device``."""
        seconds = view.exec_time(task, device)
        joules = added_energy_j(device, task, seconds)
        return [view.finish_time(task, device), joules, price_usd(device, task, seconds),
                carbon_g(view.platform, joules), 1.0 - view.fidelity(task, device)]

    def select(self, ready: Sequence[Task], view: View) -> None:
        w = np.array(list(self.weights.values()))
        for task in self.order(ready, view):
            ok = [d for d in view.feasible(task) if self.filter(task, d, view)]
            if not ok:
                continue
            values = np.array([self.terms(task, d, view) for d in ok])
            low, high = values.min(axis=0), values.max(axis=0)
            span = np.where(high > low, high - low, 1.0)
            scores = ((values - low) / span) @ w
            view.place(task, ok[int(np.argmin(scores))])  # argmin: first of equals


class EnergyHEFT(Policy):
    name = "energy-heft"
    description = "HEFT order; least added energy among devices finishing within slack of the earliest"

    def __init__(self, *, slack: Any = 0.5, **options: Any):
        super().__init__(**options)
        self.slack = option_number(self.name, "slack", slack)

    def plan(self, problem: Problem) -> Plan:
        builder = PlanBuilder(problem)
        times = problem.exec_times
        for i in priority_order(problem, upward_rank(problem)):
            earliest = builder.earliest(i).finish
            limit = earliest + self.slack * float(times[i][np.isfinite(times[i])].min())
            task = problem.tasks[i]
            best = min(builder.options(i, upto=limit),
                       key=lambda o: (added_energy_j(problem.devices[o.device], task, o.finish - o.start),
                                      o.finish, o.device))
            builder.place(i, best)
        return builder.plan


class Deadline(Policy):
    name = "deadline"
    description = ("cheapest placement (cost, energy or carbon) that meets a makespan deadline "
                   "(options deadline, slack, objective)")

    def __init__(self, *, deadline: Any = None, slack: Any = 0.5, objective: str = "cost", **options: Any):
        super().__init__(**options)
        self.deadline = None if deadline is None else option_number(self.name, "deadline", deadline)
        self.slack = option_number(self.name, "slack", slack)
        if objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}",
                             item=f"policy {self.name!r}: option objective")
        self.objective = objective

    def sub_deadlines(self, problem: Problem, rank: np.ndarray, deadline: float) -> np.ndarray:
        """Each task's share of ``deadline``, proportional to its place along the upward ranks."""
        entry = max(rank[i] for i, preds in enumerate(problem.preds) if not preds)
        if entry <= 0:
            return np.full(len(rank), deadline)
        return deadline * (entry - rank + problem.mean_exec_times) / entry

    def cost_of(self, problem: Problem, i: int, o: Option) -> float:
        device, task = problem.devices[o.device], problem.tasks[i]
        seconds = o.finish - o.start
        if self.objective == "cost":
            return price_usd(device, task, seconds)
        joules = added_energy_j(device, task, seconds)
        return joules if self.objective == "energy" else carbon_g(problem.platform, joules)

    def plan(self, problem: Problem) -> Plan:
        rank = upward_rank(problem)
        fastest = heft(problem)
        deadline = self.deadline
        if deadline is None:
            deadline = (1 + self.slack) * fastest.makespan
        # Greedy choices early can make later sub-deadlines unreachable, so tighter
        # sub-deadlines are tried until a plan meets the deadline; HEFT's plan is a
        # candidate too, and the last resort.
        candidates = []
        for share in TIGHTER:
            candidates.append(self._plan_by(problem, rank, deadline * share))
            if candidates[-1].makespan <= deadline * (1 + 1e-12):
                break
        candidates.append(fastest)
        meeting = [c for c in candidates if c.makespan <= deadline * (1 + 1e-12)]
        if meeting:
            return min(meeting, key=lambda c: self.total(problem, c))  # first of equals
        return min(candidates, key=lambda c: c.makespan)

    def _plan_by(self, problem: Problem, rank: np.ndarray, deadline: float) -> Plan:
        due = self.sub_deadlines(problem, rank, deadline)
        builder = PlanBuilder(problem)
        for i in priority_order(problem, rank):
            meeting = builder.options(i, upto=due[i] * (1 + 1e-12))
            if meeting:
                best = min(meeting, key=lambda o: (self.cost_of(problem, i, o), o.finish, o.device))
            else:
                best = builder.earliest(i)
            builder.place(i, best)
        return builder.plan

    def total(self, problem: Problem, plan: Plan) -> float:
        """The plan's summed objective over its tasks."""
        index = {d.name: p for p, d in enumerate(problem.devices)}
        return math.fsum(
            self.cost_of(problem, i, Option(plan.finish[t.id], plan.start[t.id], index[plan.device[t.id]]))
            for i, t in enumerate(problem.tasks))


#: Shares of the deadline tried as the target of the sub-deadlines, loosest first.
TIGHTER = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
