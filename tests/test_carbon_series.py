"""Hourly carbon intensity: energy of each hour charged at that hour's intensity, worked by hand."""

from __future__ import annotations

import pytest

from devices.carbon import parse_time, read_series
from devices.device import Device
from devices.platform import Platform, load_platform
from scheduler.api import simulate
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow

SERIES = "timestamp,g_co2e_per_kwh\n2024-06-01T00:00:00Z,100\n2024-06-01T01:00:00Z,200\n2024-06-01T02:00:00Z,300\n"


def write(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def one_task_run(tmp_path, hours, *, repeat=False, start="2024-06-01T00:30:00Z"):
    # One device drawing 1000 W while busy (1 kWh per hour) and nothing idle; PUE 1.
    series = read_series(str(write(tmp_path, SERIES)), repeat=repeat)
    device = Device("d", idle_w=0, busy_w=1000)
    platform = Platform("p", [device], carbon_series=series, start=parse_time(start, source=None, item="start"))
    workflow = Workflow.build("w", [Task("t", times={"d": hours * 3600})])
    return simulate(workflow, platform, "heft").metrics


def test_a_run_across_two_hours_pays_each_hours_intensity(tmp_path):
    # From 00:30 for 1 h: 0.5 kWh at 100 g/kWh + 0.5 kWh at 200 g/kWh = 50 + 100 = 150 g.
    m = one_task_run(tmp_path, 1.0)
    assert m.carbon_g == pytest.approx(150)
    assert m.task_carbon_g == {"t": pytest.approx(150)}
    assert [(h["hour"], h["start"], h["carbon_g"]) for h in m.carbon_by_hour] == [
        (0, "2024-06-01T00:00:00Z", pytest.approx(50)), (1, "2024-06-01T01:00:00Z", pytest.approx(100))]


def test_a_run_outlasting_the_series_is_refused_in_one_line(tmp_path):
    # 00:30 + 3 h = 03:30: the hour starting 03:00 is not in the series.
    with pytest.raises(InputError) as err:
        one_task_run(tmp_path, 3.0)
    text = str(err.value)
    assert "s.csv" in text and "2024-06-01T03:00:00Z" in text and "\n" not in text


def test_a_repeating_series_wraps(tmp_path):
    # 0.5 h at 100 + 1 h at 200 + 1 h at 300 + 0.5 h at 100 (wrapped) = 50 + 200 + 300 + 50 = 600 g.
    m = one_task_run(tmp_path, 3.0, repeat=True)
    assert m.carbon_g == pytest.approx(600)
    assert m.task_carbon_g["t"] == pytest.approx(600)


@pytest.mark.parametrize("text, message", [
    ("timestamp,g\n2024-06-01T01:00:00Z,1\n2024-06-01T00:00:00Z,2\n", "timestamps must increase"),
    ("timestamp,g\n2024-06-01T00:00:00Z,1\n2024-06-01T02:00:00Z,2\n", "gap in the series"),
    ("timestamp,g\n2024-06-01T00:00:00Z,-1\n", "finite number >= 0"),
    ("timestamp,g\nyesterday,1\n", "not an ISO 8601 timestamp"),
])
def test_bad_series_is_one_line_naming_the_row(tmp_path, text, message):
    with pytest.raises(InputError) as err:
        read_series(str(write(tmp_path, text)))
    assert message in str(err.value) and "s.csv" in str(err.value) and "row " in str(err.value)


def test_platform_file_names_a_built_in_series(tmp_path):
    path = write(tmp_path, "devices: [{name: d, busy_w: 1000}]\n"
                           "site: {carbon_series: solar-duck-day, carbon_repeat: true, start: '2024-06-01T12:00:00Z'}\n",
                 "p.yaml")
    platform = load_platform(path)
    assert platform.carbon_at(0) == 110  # 12:00 in solar-duck-day
    assert platform.carbon_at(8 * 3600) == 300  # 20:00


def test_constant_site_keeps_its_single_figure():
    device = Device("d", idle_w=0, busy_w=1000)
    platform = Platform("p", [device], carbon_g_per_kwh=400)
    m = simulate(Workflow.build("w", [Task("t", times={"d": 5400})]), platform, "heft").metrics
    # 1.5 kWh x 400 g/kWh = 600 g, split 400 + 200 over the run's two hours
    assert m.carbon_g == pytest.approx(600)
    assert [h["carbon_g"] for h in m.carbon_by_hour] == pytest.approx([400, 200])
