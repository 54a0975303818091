"""Metrics, computed from a trace and the platform, never from the engine.

Formulas (time in seconds, power in watts, energy in joules):

* makespan ``M``: the last finish of a task or transfer, from time 0.
* device energy: ``idle_w * M + (busy_w - idle_w) * sum(share * duration)``
  over its task runs, where ``share`` is the fraction of the device's slots
  a run held (SimGrid's linear host-energy model: Heinrich et al.,
  SimuTools 2017). ``energy_j`` is the sum over devices (IT energy).
* facility energy: ``energy_j * PUE`` (The Green Grid, WP #49, 2012).
* carbon: ``facility energy in kWh * carbon_g_per_kwh`` (grams CO2e; the
  location-based method of the GHG Protocol Scope 2 Guidance, 2015). A site
  with an hourly series charges each hour's energy at that hour's intensity
  (:mod:`scheduler.hourly`, which also gives ``carbon_by_hour``). With
  further ``sites``, each device's energy is charged at its own site's grid.
* links (platforms with a ``network:``): bytes and ``idle_w * M +
  j_per_byte * bytes`` per link; link energy counts in ``energy_j``.
* cost: per device, ``usd_per_hour / 3600`` times ``M`` for ``reserved``
  billing, or times ``sum(share * duration)`` for ``per-use``.
* QPU sessions (:mod:`scheduler.qpu_service`): a session's idle time on a
  QPU (trace waits of kind ``session-idle``) is held, so it counts as busy
  time in the QPU's ``per-use`` bill and its attributed energy (IBM: session
  usage is the session's wall-clock time while active, idle included); no
  task is charged for it. Queue waits cost nothing. ``queue_wait_s`` and
  ``session_idle_s`` total them.
* utilisation: ``sum(share * duration) / M`` per device.
* task energy: ``busy_w * share * duration`` of its run (the device's busy
  power over its run); what is left of a device's energy is its idle energy.
* SLR: ``M / sum over the critical path (by minimum costs, CP_MIN) of each
  task's minimum execution time`` (Topcuoglu et al. 2002, eq. 7); >= 1.
* speedup: the best single device's sequential time over ``M`` (eq. 8).
* task cost: ``usd_per_hour / 3600 * share * duration`` of its run (its busy
  time's price; a reserved device's idle time is the device's, not a task's);
  task carbon: its energy times PUE in kWh times ``carbon_g_per_kwh``.
* task fidelity (quantum tasks): the device's estimate for the task
  (:meth:`devices.device.Device.fidelity`: the ESP on a QPU, 1.0 for an exact
  classical simulation), or a measured figure that :mod:`scheduler.quantum`
  puts in its place; ``fidelity_mean``, ``fidelity_min`` and
  ``fidelity_product`` (the chance that every circuit succeeds) over them.
  A QPU task run with error mitigation also gets its mitigated estimate
  (:meth:`devices.qpu.QPU.mitigated_fidelity`) in ``task_mitigated_fidelity``.
* wasted energy and cost: attempts that a fault aborted (trace status
  ``"failed"``) count in device energy and cost like any run; ``wasted_*``
  is their part: ``busy_w * share * duration`` joules and
  ``usd_per_hour / 3600 * share * duration`` dollars each.
"""

from __future__ import annotations

import math
import sys

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from devices.device import PER_USE
from devices.platform import Platform
from scheduler import hourly
from scheduler.trace import Trace

J_PER_KWH = 3.6e6


@dataclass
class DeviceMetrics:
    device: str
    kind: str
    busy_s: float
    utilisation: float
    energy_j: float
    idle_energy_j: float
    cost_usd: float


@dataclass
class Metrics:
    makespan: float
    energy_j: float
    facility_energy_j: float
    carbon_g: float
    cost_usd: float
    devices: list[DeviceMetrics] = field(default_factory=list)
    #: Joules attributed to each task's completed run.
    task_energy_j: dict[str, float] = field(default_factory=dict)
    slr: float | None = None
    speedup: float | None = None
    #: Energy and money of aborted attempts (device faults), and how many there were.
    wasted_energy_j: float = 0.0
    wasted_cost_usd: float = 0.0
    failed_attempts: int = 0
    #: Dollars and grams CO2e attributed to each task's completed run.
    task_cost_usd: dict[str, float] = field(default_factory=dict)
    task_carbon_g: dict[str, float] = field(default_factory=dict)
    #: Fidelity of each quantum task's completed run, and where a measured one came from.
    task_fidelity: dict[str, float] = field(default_factory=dict)
    fidelity_source: dict[str, str] = field(default_factory=dict)
    #: Mitigated fidelity estimate of quantum tasks run with error mitigation (next to the raw one).
    task_mitigated_fidelity: dict[str, float] = field(default_factory=dict)
    fidelity_mean: float | None = None
    fidelity_min: float | None = None
    #: Per named network link: transfers, bytes and energy (scheduler.hourly.LinkMetrics).
    links: list = field(default_factory=list)
    #: Per hour of the run: intensity, facility energy and carbon (scheduler.hourly.carbon_by_hour).
    carbon_by_hour: list = field(default_factory=list)
    #: Seconds quantum jobs waited in QPU queues, and seconds sessions held a QPU idle.
    queue_wait_s: float = 0.0
    session_idle_s: float = 0.0
    #: Product over the quantum tasks: the chance that every circuit of the run succeeds.
    fidelity_product: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(trace: Trace, platform: Platform, problem: Any = None) -> Metrics:
    """All metrics of a run. ``problem`` (a :class:`~scheduler.problem.Problem`)
    adds SLR and speedup, which need every task's cost on every device."""
    makespan = trace.makespan
    weighted_busy: dict[str, float] = {}
    task_energy: dict[str, float] = {}
    task_cost: dict[str, float] = {}
    wasted_j = wasted_usd = 0.0
    failed_attempts = 0
    for run in trace.tasks:
        busy = run.share * (run.finish - run.start)
        weighted_busy[run.device] = weighted_busy.get(run.device, 0.0) + busy
        device = platform.device(run.device)
        joules, dollars = device.busy_w * busy, device.usd_per_hour * busy / 3600.0
        if run.status == "done":
            task_energy[run.task], task_cost[run.task] = joules, dollars
        else:
            wasted_j += joules
            wasted_usd += dollars
            failed_attempts += 1
    held = trace.wait_seconds("session-idle") if trace.waits else {}
    devices = []
    for d in platform.devices:
        busy = weighted_busy.get(d.name, 0.0)
        billed_busy = busy + held.get(d.name, 0.0)  # a session's idle time is held: billed, powered
        energy = d.idle_w * makespan + (d.busy_w - d.idle_w) * billed_busy
        billed = billed_busy if d.billing == PER_USE else makespan
        devices.append(DeviceMetrics(
            device=d.name, kind=d.kind, busy_s=busy,
            utilisation=busy / makespan if makespan else 0.0,
            energy_j=energy, idle_energy_j=energy - d.busy_w * busy,
            cost_usd=d.usd_per_hour * billed / 3600.0))
    links = hourly.link_metrics(trace, platform, makespan)
    energy = sum(m.energy_j for m in devices) + sum(m.energy_j for m in links)
    facility = energy * platform.pue
    by_hour = hourly.carbon_by_hour(trace, platform, makespan)
    metrics = Metrics(
        makespan=makespan, energy_j=energy, facility_energy_j=facility,
        carbon_g=_carbon(platform, devices, links, by_hour),
        links=links, carbon_by_hour=by_hour,
        cost_usd=sum(m.cost_usd for m in devices), devices=devices, task_energy_j=task_energy,
        task_cost_usd=task_cost, wasted_energy_j=wasted_j, wasted_cost_usd=wasted_usd, failed_attempts=failed_attempts,
        queue_wait_s=sum(trace.wait_seconds("queue").values()), session_idle_s=sum(held.values()))
    if problem is not None and makespan > 0:
        metrics.slr = makespan / cp_min_length(problem)
        sequential = sequential_time(problem)
        # No single device may run every task (a GPU-only kernel, a circuit): then
        # speedup has no meaning and is left out rather than reported as infinite.
        metrics.speedup = sequential / makespan if np.isfinite(sequential) else None
    _task_figures(metrics, trace, platform, problem)
    return metrics


def _carbon(platform: Platform, devices: list, links: list, by_hour: list) -> float:
    """Grams CO2e: the hourly rows where a grid has a series; energy times the constant elsewhere."""
    total = 0.0
    for grid, names in platform.grids():
        if grid.series is not None:
            total += sum(h["carbon_g"] for h in by_hour if h.get("site", "default") == grid.name)
        else:
            on_site = set(names)
            joules = sum(m.energy_j for m in devices if m.device in on_site)
            if grid.name == "default":
                joules += sum(m.energy_j for m in links)
            total += joules * platform.pue / J_PER_KWH * grid.g_per_kwh
    return total


def _task_figures(metrics: Metrics, trace: Trace, platform: Platform, problem: Any) -> None:
    g_per_j = platform.pue / J_PER_KWH * platform.carbon_g_per_kwh
    by_grid = platform.hourly_carbon or bool(platform.sites)  # else one constant: energy x g_per_j
    if by_grid:
        metrics.task_carbon_g.update(hourly.task_carbon(trace, platform, metrics.task_energy_j))
    for run in trace.tasks:
        if run.status != "done":
            continue
        if not by_grid:
            metrics.task_carbon_g[run.task] = metrics.task_energy_j.get(run.task, 0.0) * g_per_j
        if problem is not None:
            task = problem.tasks[problem.workflow.index[run.task]]
            if task.kind == "quantum":
                device = platform.device(run.device)
                metrics.task_fidelity[run.task] = device.fidelity(task)
                mitigated = getattr(device, "mitigated_fidelity", None)
                if mitigated is not None and (value := mitigated(task)) is not None:
                    metrics.task_mitigated_fidelity[run.task] = value
    summarise_fidelity(metrics)


def summarise_fidelity(metrics: Metrics) -> None:
    """Set ``fidelity_mean``, ``fidelity_min`` and ``fidelity_product`` from the per-task fidelities."""
    values = list(metrics.task_fidelity.values())
    metrics.fidelity_mean = sum(values) / len(values) if values else None
    metrics.fidelity_min = min(values) if values else None
    metrics.fidelity_product = math.prod(values) if values else None


def cp_min_length(problem: Any) -> float:
    """Sum of minimum execution times along the critical path by minimum
    costs, ignoring communication (the denominator of SLR)."""
    columns, _ = problem.exec_columns  # the distinct columns of exec_times: same minima
    kernels = sys.modules.get("scheduler.eft")
    if kernels is not None and kernels.loaded():  # a planner has paid for them: the same sums
        ptr, pred, _, _ = problem.edge_arrays
        reverse = np.array(problem.topological_order()[::-1], dtype=np.int64)
        longest = kernels.upward_rank(reverse, np.min(columns, axis=1), ptr, pred, np.zeros(len(pred)))
        return float(longest.max(initial=0.0))
    w_min = np.min(columns, axis=1).tolist()
    longest = [0.0] * len(problem.tasks)
    succs = problem.succs
    for i in reversed(problem.topological_order()):
        tail = max([longest[j] for j in succs[i]], default=0.0)
        longest[i] = w_min[i] + tail
    return max(longest, default=0.0)


def sequential_time(problem: Any) -> float:
    """Time of the whole workflow run on the single device that does it fastest
    (infinite when no single device can run every task)."""
    columns, _ = problem.exec_columns  # devices sharing a column have equal sums
    return float(np.min(columns.sum(axis=0)))
