"""Per-link figures and hour-by-hour carbon, from a trace and the platform.

* link bytes: the data of every transfer whose route crosses it; link
  energy: ``idle_w * M + j_per_byte * bytes`` (devices/network.py).
* carbon by hour: the run's power (device idle power over ``[0, M]``, each
  run's ``(busy_w - idle_w) * share`` over its run, each link's idle power,
  each transfer's ``j_per_byte * bytes`` spread evenly over its duration),
  times PUE, cut at the hours of the site's series; each hour's facility
  energy in kWh times that hour's intensity. With no series every hour has
  the site's constant intensity, and hours count from simulated time 0.
  With further ``sites``, each device's power is charged at its site's grid
  (links and transfers at the platform's own site) and each grid has its rows.
* task carbon: the task's energy charged the same way over its run's hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from devices.carbon import HOUR, MAX_HOURS, CarbonSeries, format_time, hour_span, hourly_energy
from workloads.errors import InputError
from devices.platform import Platform
from scheduler.trace import Trace

J_PER_KWH = 3.6e6


@dataclass
class LinkMetrics:
    link: str
    bandwidth: float
    transfers: int
    bytes: float
    energy_j: float
    idle_energy_j: float


def link_metrics(trace: Trace, platform: Platform, makespan: float) -> list[LinkMetrics]:
    network = platform.network
    if network is None:
        return []
    count = [0] * len(network.links)
    moved = [0.0] * len(network.links)
    index = network.index
    for t in trace.transfers:
        for name in t.links:
            k = index[name]
            count[k] += 1
            moved[k] += t.data_bytes
    return [LinkMetrics(link=link.name, bandwidth=link.bandwidth, transfers=count[k], bytes=moved[k],
                        energy_j=link.idle_w * makespan + link.j_per_byte * moved[k],
                        idle_energy_j=link.idle_w * makespan)
            for k, link in enumerate(network.links)]


def _intervals(trace: Trace, platform: Platform, makespan: float) -> dict[str, tuple[list, list, list]]:
    """Constant-power intervals ``(begins, ends, watts)`` by grid name: devices at their site,
    links and transfers at the platform's own."""
    by_grid: dict[str, tuple[list, list, list]] = {grid.name: ([], [], []) for grid, _ in platform.grids()}
    grid_of = {d.name: platform.grid(d.name).name for d in platform.devices}
    own = platform.grid().name

    def add(device: str | None, b: float, e: float, w: float) -> None:
        begin, end, watts = by_grid[grid_of[device] if device is not None else own]
        begin.append(b), end.append(e), watts.append(w)

    for d in platform.devices:
        if d.idle_w:
            add(d.name, 0.0, makespan, d.idle_w)
    for run in trace.tasks:
        device = platform.device(run.device)
        w = (device.busy_w - device.idle_w) * run.share
        if w and run.finish > run.start:
            add(device.name, run.start, run.finish, w)
    network = platform.network
    if network is not None:
        for link in network.links:
            if link.idle_w:
                add(None, 0.0, makespan, link.idle_w)
        per_byte = {link.name: link.j_per_byte for link in network.links}
        for t in trace.transfers:
            j = sum(per_byte[n] for n in t.links) * t.data_bytes
            if j:
                span = t.finish - t.start
                # A transfer of no duration: its energy in the hour it happens (a 1 ns stand-in span).
                add(None, t.start, t.finish if span > 0 else t.start + 1e-9, j / (span if span > 0 else 1e-9))
    return by_grid


def carbon_by_hour(trace: Trace, platform: Platform, makespan: float) -> list[dict[str, Any]]:
    """Facility energy and carbon of each hour the run touches, in hour order, for each grid in
    turn (the platform's own site first; with further ``sites`` each row names its ``site``)."""
    rows = []
    intervals = _intervals(trace, platform, makespan)
    for grid, _ in platform.grids():
        begin, end, watts = intervals[grid.name]
        series, start = grid.hourly(platform.start)
        hours = _span(grid.series is not None, series, start, makespan)
        if hours is None or not begin:
            continue
        joules = hourly_energy(series, start, (np.array(begin), np.array(end), np.array(watts)), hours)
        first = series.hour_index(start)
        for k, j in enumerate(joules.tolist(), start=hours[0]):
            facility = j * platform.pue
            g = series.value(k)
            row = {"hour": k - first,
                   "start": format_time(series.first + k * HOUR) if grid.series is not None else None,
                   "g_per_kwh": g, "facility_energy_j": facility, "carbon_g": facility / J_PER_KWH * g}
            if platform.sites:
                row = {"site": grid.name, **row}
            rows.append(row)
    return rows


def _span(hourly: bool, series: CarbonSeries, start: float, makespan: float) -> tuple[int, int] | None:
    """The series rows the run touches; None (no hourly rows) for a very long run without a series."""
    if not np.isfinite(makespan) or makespan / HOUR > MAX_HOURS:
        if not hourly:
            return None
        raise InputError(f"the run lasts {makespan:.3g} s, more than the {MAX_HOURS} hours hourly carbon "
                         f"is computed for", source=series.source, item="site: carbon_series")
    first, last = hour_span(series, start, makespan)
    series.value(first)  # refuses a run that starts or ends outside a series that does not repeat
    series.value(last)
    return first, last


def task_carbon(trace: Trace, platform: Platform, task_energy: dict[str, float]) -> dict[str, float]:
    """Grams CO2e of each completed task: its energy over its run's hours at its device's grid,
    times PUE."""
    out: dict[str, float] = {}
    runs_by_grid: dict[str, list] = {}
    for r in trace.tasks:
        if r.status == "done":
            runs_by_grid.setdefault(platform.grid(r.device).name, []).append(r)
    for grid, _ in platform.grids():
        runs = runs_by_grid.get(grid.name)
        if runs:
            series, start = grid.hourly(platform.start)
            out.update(_task_carbon(series, start, runs, task_energy, platform.pue))
    return {r.task: out[r.task] for r in trace.tasks if r.task in out}


def _task_carbon(series: CarbonSeries, start: float, runs: list, task_energy: dict[str, float],
                 pue: float) -> dict[str, float]:
    b = np.array([r.start for r in runs])
    e = np.array([r.finish for r in runs])
    j = np.array([task_energy.get(r.task, 0.0) for r in runs])
    offset = start - series.first
    kb = np.floor((b + offset) / HOUR).astype(np.int64)
    ke = np.maximum(np.ceil((e + offset) / HOUR).astype(np.int64) - 1, kb)
    scale = pue / J_PER_KWH
    values = np.array(series.values)
    out = np.empty(len(runs))
    one = kb == ke
    if series.repeat:
        g = values[kb[one] % len(values)]
    else:
        for k in (kb.min(), ke.max()):  # refuses hours outside the series, with its message
            series.value(int(k))
        g = values[kb[one]]
    out[one] = j[one] * g * scale
    for idx in np.flatnonzero(~one):  # a run across hours: its energy split by the one hour splitter
        rows = (int(kb[idx]), int(ke[idx]))
        watts = np.array([j[idx] / (e[idx] - b[idx])])
        joules = hourly_energy(series, start, (b[idx:idx + 1], e[idx:idx + 1], watts), rows)
        g = np.array([series.value(k) for k in range(rows[0], rows[1] + 1)])
        out[idx] = float(joules @ g) * scale
    return {r.task: float(c) for r, c in zip(runs, out)}
