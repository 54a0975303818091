"""Hourly breakdowns of long runs: full hours summed without a loop per hour, and a cap."""

from __future__ import annotations

import pytest

from devices.carbon import MAX_HOURS, parse_time, read_series
from devices.device import Device
from devices.platform import Platform
from scheduler.api import simulate
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow

SERIES = "timestamp,g\n2024-06-01T00:00:00Z,100\n2024-06-01T01:00:00Z,200\n2024-06-01T02:00:00Z,300\n"


def run(tmp_path, seconds, **site):
    device = Device("d", idle_w=0, busy_w=1000)  # 1 kWh per busy hour, nothing idle
    if site:
        path = tmp_path / "s.csv"
        path.write_text(SERIES)
        site = {"carbon_series": read_series(str(path), repeat=True),
                "start": parse_time("2024-06-01T00:15:00Z", source=None, item="start")}
    platform = Platform("p", [device], carbon_g_per_kwh=400, **site)
    workflow = Workflow.build("w", [Task("t", times={"d": seconds})])
    return simulate(workflow, platform, "heft").metrics


def test_a_run_over_five_hours_is_split_by_hand(tmp_path):
    # 00:15 for 5 h: 0.75 kWh at 100, 1 at 200, 1 at 300, 1 at 100, 1 at 200, 0.25 at 300 (wrapped)
    # = 75 + 200 + 300 + 100 + 200 + 75 = 950 g.
    m = run(tmp_path, 5 * 3600, series=True)
    assert [h["facility_energy_j"] / 3.6e6 for h in m.carbon_by_hour] == pytest.approx([0.75, 1, 1, 1, 1, 0.25])
    assert m.carbon_g == pytest.approx(950)
    assert m.task_carbon_g["t"] == pytest.approx(950)


def test_a_constant_site_longer_than_the_cap_keeps_its_total_and_drops_the_breakdown(tmp_path):
    hours = 2 * MAX_HOURS
    m = run(tmp_path, hours * 3600.0)
    assert m.carbon_by_hour == []
    assert m.carbon_g == pytest.approx(hours * 400)  # 1 kWh an hour at 400 g/kWh


def test_a_series_site_longer_than_the_cap_is_refused_in_one_line(tmp_path):
    with pytest.raises(InputError) as err:
        run(tmp_path, 2 * MAX_HOURS * 3600.0, series=True)
    assert "hourly carbon" in str(err.value) and "\n" not in str(err.value)
