"""The carbon-aware policy: deferrable tasks wait for the greenest hour within their deadline."""

from __future__ import annotations

import pytest

from devices.carbon import read_series
from devices.device import Device
from devices.platform import Platform
from scheduler.api import simulate
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow


def platform(tmp_path):
    # Hours at 300, 100, 200 gCO2e/kWh; a 1000 W device (1 kWh per hour), nothing idle; PUE 1.
    path = tmp_path / "s.csv"
    path.write_text("timestamp,g_co2e_per_kwh\n2024-06-01T00:00:00Z,300\n"
                    "2024-06-01T01:00:00Z,100\n2024-06-01T02:00:00Z,200\n")
    return Platform("p", [Device("d", idle_w=0, busy_w=1000)], carbon_series=read_series(str(path)))


def workflow(**meta):
    return Workflow.build("w", [Task("t", times={"d": 1800}, meta=meta)])


def test_a_deferrable_task_waits_for_the_greenest_hour(tmp_path):
    # greedy: 0-1800 s in the 300 g hour: 0.5 kWh x 300 = 150 g.
    # carbon-aware: holds it to 3600 s, the 100 g hour: 0.5 kWh x 100 = 50 g; makespan 5400 s.
    greedy = simulate(workflow(deferrable=True), platform(tmp_path), "greedy-eft")
    aware = simulate(workflow(deferrable=True), platform(tmp_path), "carbon-aware")
    assert (greedy.metrics.makespan, greedy.metrics.carbon_g) == (1800, pytest.approx(150))
    assert aware.trace.tasks[0].start == 3600
    assert (aware.metrics.makespan, aware.metrics.carbon_g) == (5400, pytest.approx(50))


def test_a_deadline_that_forbids_waiting_runs_it_now(tmp_path):
    # finish by 3000 s: the latest start is 3000 - 1800 = 1200 s, before the green hour at 3600.
    aware = simulate(workflow(deferrable=True, deadline_s=3000), platform(tmp_path), "carbon-aware")
    assert aware.trace.tasks[0].start == 0


def test_tasks_not_marked_deferrable_run_at_once(tmp_path):
    assert simulate(workflow(), platform(tmp_path), "carbon-aware").trace.tasks[0].start == 0


def test_all_deferrable_option_and_a_bad_window(tmp_path):
    from scheduler.policies.carbon_aware import CarbonAware

    aware = simulate(workflow(), platform(tmp_path), CarbonAware(all_deferrable=True))
    assert aware.trace.tasks[0].start == 3600
    with pytest.raises(InputError, match="window_s"):
        CarbonAware(window_s=-1)


def test_a_workflow_deadline_leaves_room_for_what_follows(tmp_path):
    # a -> b, 1800 s each, both deferrable, one deadline for the workflow at 10800 s.
    # a's tail is 3600 s (itself and b): latest start 7200; hours from 0: 300, 100, 200 -> a at 3600.
    # b is ready at 5400, in the 100 g hour already: it runs at once. 1 kWh x 100 g = 100 g in all.
    from scheduler.policies.carbon_aware import CarbonAware

    tasks = [Task("a", times={"d": 1800}, meta={"deferrable": True}),
             Task("b", times={"d": 1800}, meta={"deferrable": True})]
    wf = Workflow.build("w", tasks, [("a", "b", {"cost": 0})])
    result = simulate(wf, platform(tmp_path), CarbonAware(deadline_s=10800))
    assert [(r.task, r.start) for r in result.trace.tasks] == [("a", 3600), ("b", 5400)]
    assert result.metrics.carbon_g == pytest.approx(100)
    # a deadline of 5000 s leaves a no time to wait: latest start 5000 - 3600 = 1400 < 3600.
    result = simulate(wf, platform(tmp_path), CarbonAware(deadline_s=5000))
    assert [r.start for r in result.trace.tasks] == [0, 1800]
