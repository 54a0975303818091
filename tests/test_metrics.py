"""Energy, cost and carbon on hand-worked instances: the formulas of scheduler.metrics."""

from __future__ import annotations

import pytest

from devices.device import CPU, Device
from devices.link import Link
from devices.platform import Platform
from scheduler.api import simulate
from workloads.task import Task
from workloads.workflow import Workflow


def two_device_run():
    # t1 runs on A for 10 s, then t2 on B for 5 s; the edge's data is free (cost 0).
    a = Device("A", idle_w=10, busy_w=50, usd_per_hour=3.6, billing="reserved")
    b = Device("B", idle_w=0, busy_w=100, usd_per_hour=7.2, billing="per-use")
    platform = Platform("two", [a, b], pue=1.5, carbon_g_per_kwh=400)
    workflow = Workflow.build("w", [Task("t1", times={"A": 10}), Task("t2", times={"B": 5})],
                              [("t1", "t2", {"cost": 0})])
    return simulate(workflow, platform, "heft")


def test_energy_cost_carbon_by_hand():
    m = two_device_run().metrics
    assert m.makespan == 15
    # A: idle 10 W x 15 s + (50 - 10) W x 10 s busy = 150 + 400 = 550 J
    # B: idle  0 W x 15 s + (100 - 0) W x 5 s busy  =   0 + 500 = 500 J
    assert [d.energy_j for d in m.devices] == [550, 500]
    assert m.energy_j == 1050
    # facility energy = 1050 J x PUE 1.5 = 1575 J
    assert m.facility_energy_j == pytest.approx(1575)
    # carbon = 1575 J / 3.6e6 J/kWh x 400 g/kWh = 0.175 g
    assert m.carbon_g == pytest.approx(0.175)
    # A reserved: 3.6 USD/h x 15 s / 3600 = 0.015; B per-use: 7.2 USD/h x 5 s / 3600 = 0.010
    assert [d.cost_usd for d in m.devices] == pytest.approx([0.015, 0.010])
    assert m.cost_usd == pytest.approx(0.025)
    # utilisation: A busy 10 of 15 s, B 5 of 15 s
    assert [d.utilisation for d in m.devices] == pytest.approx([10 / 15, 5 / 15])
    # task energy: its device's busy power over its run: 50 W x 10 s, 100 W x 5 s
    assert m.task_energy_j == {"t1": 500, "t2": 500}
    # idle energy is what the tasks do not account for: 550 - 500 on A, 500 - 500 on B
    assert [d.idle_energy_j for d in m.devices] == [50, 0]


def test_multicore_cpu_power_is_linear_in_busy_cores():
    # 4 cores, 20 W idle, 100 W with all cores busy; one task holds 2 cores for 10 s.
    cpu = CPU("cpu", slots=4, idle_w=20, busy_w=100, flops_per_core=1e9, usd_per_hour=36, billing="per-use")
    platform = Platform("one", [cpu])
    workflow = Workflow.build("w", [Task("t", cores=2, flops=2e10)])  # 2e10 / (2 x 1e9) = 10 s
    m = simulate(workflow, platform, "heft").metrics
    assert m.makespan == 10
    # 20 W x 10 s + (100 - 20) W x (2/4 cores) x 10 s = 200 + 400 = 600 J
    assert m.energy_j == 600
    # per-use billing weighs busy time by the share of cores: 36 USD/h x 0.5 x 10 s / 3600 = 0.05
    assert m.cost_usd == pytest.approx(0.05)
    # the task's energy: 100 W x 0.5 x 10 s
    assert m.task_energy_j == {"t": 500}


def test_transfer_time_is_latency_plus_bytes_over_bandwidth():
    a, b = Device("A"), Device("B")
    platform = Platform("two", [a, b], default_link=Link(latency=0.5, bandwidth=100))
    # t2 can only run on B, so t1's 200 bytes cross the link: 0.5 + 200 / 100 = 2.5 s.
    workflow = Workflow.build("w", [Task("t1", times={"A": 1}), Task("t2", times={"B": 1})],
                              [("t1", "t2", {"data_bytes": 200})])
    result = simulate(workflow, platform, "heft")
    (transfer,) = result.trace.transfers
    assert (transfer.start, transfer.finish) == (1, 3.5)
    assert result.metrics.makespan == 4.5


def test_slr_and_speedup_on_the_paper_example(topcuoglu_path):
    from scheduler.api import load

    workflow, platform = load(topcuoglu_path)
    m = simulate(workflow, platform, "heft").metrics
    # CP_MIN: n1 -> n2 -> n9 -> n10 by minimum costs: 9 + 13 + 12 + 7 = 41; SLR = 80 / 41
    assert m.slr == pytest.approx(80 / 41)
    # best single processor: sums of the cost columns are 127, 130, 143; speedup = 127 / 80
    assert m.speedup == pytest.approx(127 / 80)
