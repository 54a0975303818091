"""Devices at different sites: each device's energy charged at its own site's grid, worked by hand."""

from __future__ import annotations

import pytest

from devices.platform import load_platform, platform_from_spec, platform_to_spec
from scheduler.api import simulate
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow

# Two hours at the cloud site: 100 then 300 g/kWh.
SERIES = "timestamp,g_co2e_per_kwh\n2024-06-01T00:00:00Z,100\n2024-06-01T01:00:00Z,300\n"


def platform(tmp_path, cloud: str = "carbon_series: cloud.csv"):
    (tmp_path / "cloud.csv").write_text(SERIES)
    path = tmp_path / "p.yaml"
    path.write_text(
        "devices:\n"
        "  - {name: gpu, kind: gpu, peak_flops: 1.0e12, idle_w: 0, busy_w: 100}\n"
        "  - {name: qpu, kind: cpu, idle_w: 0, busy_w: 100}\n"
        "site: {carbon_g_per_kwh: 400}\n"
        f"sites:\n  cloud: {{{cloud}, devices: [qpu]}}\n")
    return load_platform(path)


def workflow():
    # t0 only on the GPU for 1800 s, then t1 only on the cloud device for 3600 s (00:30 to 01:30).
    return Workflow.build("w", [Task("t0", times={"gpu": 1800}), Task("t1", times={"qpu": 3600})],
                          [("t0", "t1", {})])


def test_each_device_pays_its_own_sites_grid(tmp_path):
    m = simulate(workflow(), platform(tmp_path), "heft").metrics
    # t0: 100 W x 0.5 h = 0.05 kWh at the platform's 400 g/kWh = 20 g.
    # t1: 0.05 kWh in 00:30-01:00 at 100 g/kWh + 0.05 kWh in 01:00-01:30 at 300 g/kWh = 5 + 15 = 20 g.
    assert m.task_carbon_g == {"t0": pytest.approx(20), "t1": pytest.approx(20)}
    assert m.carbon_g == pytest.approx(40)
    rows = [(h["site"], h["hour"], h["g_per_kwh"], h["carbon_g"]) for h in m.carbon_by_hour]
    assert rows == [("default", 0, 400, pytest.approx(20)), ("default", 1, 400, pytest.approx(0)),
                    ("cloud", 0, 100, pytest.approx(5)), ("cloud", 1, 300, pytest.approx(15))]


def test_a_constant_site_charges_its_constant(tmp_path):
    # t1's 0.1 kWh at the cloud site's 50 g/kWh = 5 g; t0's 20 g as above.
    m = simulate(workflow(), platform(tmp_path, "carbon_g_per_kwh: 50"), "heft").metrics
    assert m.task_carbon_g == {"t0": pytest.approx(20), "t1": pytest.approx(5)}
    assert m.carbon_g == pytest.approx(25)


def test_carbon_aware_places_a_deferrable_task_where_and_when_it_is_greenest(tmp_path):
    # One task that either device runs in 600 s, deferrable. Now (00:00) the cloud grid is at
    # 100 g/kWh against the platform's 400: the greenest hour is now, at the cloud site, although
    # the GPU (first in platform order) would finish as early.
    wf = Workflow.build("w", [Task("t", times={"gpu": 600, "qpu": 600}, meta={"deferrable": True})])
    run = simulate(wf, platform(tmp_path), "carbon-aware")
    assert [(r.device, r.start) for r in run.trace.tasks] == [("qpu", 0)]
    assert simulate(wf, platform(tmp_path), "greedy-eft").trace.tasks[0].device == "gpu"


def test_sites_survive_a_round_trip_through_the_file_format(tmp_path):
    p = platform(tmp_path)
    again = platform_from_spec(platform_to_spec(p), source=str(tmp_path / "again.yaml"))
    assert again.device_sites == {"qpu": "cloud"}
    assert again.grid("qpu").series.values == (100.0, 300.0)
    assert again.start == p.start


@pytest.mark.parametrize("sites, fragment", [
    ("  cloud: {carbon_g_per_kwh: 5, devices: [tpu]}\n", "unknown device 'tpu'"),
    ("  a: {carbon_g_per_kwh: 5, devices: [qpu]}\n  b: {carbon_g_per_kwh: 6, devices: [qpu]}\n",
     "already in site 'a'"),
    ("  default: {carbon_g_per_kwh: 5, devices: [qpu]}\n", "'default' names the platform's own site"),
    ("  cloud: {carbon_series: nowhere.csv, devices: [qpu]}\n", "sites: cloud: carbon_series"),
    ("  cloud: {devices: [qpu]}\n", "a site needs carbon_series or carbon_g_per_kwh"),
])
def test_bad_sites_are_refused_in_one_line(tmp_path, sites, fragment):
    path = tmp_path / "p.yaml"
    path.write_text("devices:\n  - {name: gpu, kind: gpu, peak_flops: 1.0e12}\n  - {name: qpu, kind: cpu}\n"
                    "sites:\n" + sites)
    with pytest.raises(InputError) as err:
        load_platform(path)
    text = str(err.value)
    assert "p.yaml" in text and fragment in text and "\n" not in text


def test_cli_refuses_a_site_naming_an_unknown_device(tmp_path):
    from tests.test_bad_input import assert_clear_error, run_cli

    (tmp_path / "p.yaml").write_text("devices: [{name: a}]\nsites:\n  eu: {carbon_g_per_kwh: 5, devices: [b]}\n")
    (tmp_path / "w.yaml").write_text("name: w\ntasks:\n  - {id: t, times: {a: 1}}\n")
    result = run_cli("simulate", str(tmp_path / "w.yaml"), "--platform", str(tmp_path / "p.yaml"))
    assert_clear_error(result, "p.yaml", "unknown device 'b'")


def test_two_series_sites_split_idle_and_busy_energy_by_hour(tmp_path):
    # Own site: 200 then 400 g/kWh; cloud: 100 then 300 g/kWh; both from 00:00, one shared start.
    (tmp_path / "own.csv").write_text("timestamp,g\n2024-06-01T00:00:00Z,200\n2024-06-01T01:00:00Z,400\n")
    (tmp_path / "cloud.csv").write_text(SERIES)
    path = tmp_path / "p.yaml"
    path.write_text(
        "devices:\n"
        "  - {name: gpu, kind: gpu, peak_flops: 1.0e12, idle_w: 50, busy_w: 150}\n"
        "  - {name: qpu, kind: cpu, idle_w: 0, busy_w: 100}\n"
        "site: {carbon_series: own.csv}\n"
        "sites:\n  cloud: {carbon_series: cloud.csv, devices: [qpu]}\n")
    m = simulate(workflow(), load_platform(path), "heft").metrics
    # Makespan 5400 s. Own site, hour 0: gpu idle 50 W x 1 h + busy extra 100 W x 0.5 h = 0.1 kWh x 200 = 20 g;
    # hour 1: idle 50 W x 0.5 h = 0.025 kWh x 400 = 10 g. Cloud: 0.05 kWh x 100 = 5 g, 0.05 kWh x 300 = 15 g.
    rows = [(h["site"], h["hour"], h["facility_energy_j"], h["carbon_g"]) for h in m.carbon_by_hour]
    assert rows == [("default", 0, pytest.approx(3.6e5), pytest.approx(20)),
                    ("default", 1, pytest.approx(9e4), pytest.approx(10)),
                    ("cloud", 0, pytest.approx(1.8e5), pytest.approx(5)),
                    ("cloud", 1, pytest.approx(1.8e5), pytest.approx(15))]
    assert m.carbon_g == pytest.approx(50)
