"""Inferred QPU queue waits and idle gaps (scheduler.reports.states), hand-worked."""

from scheduler.reports.states import idle_gaps, qpu_waits


def row(kind, task, device, start, finish, src=""):
    return {"type": kind, "task": task, "device": device, "start": start, "finish": finish, "src_device": src}


ROWS = [
    row("task", "a", "gpu", 0.0, 10.0),
    row("transfer", "a->q1", "qpu", 10.0, 11.0, "gpu"),
    row("transfer", "a->q2", "qpu", 10.0, 11.0, "gpu"),
    row("task", "q1", "qpu", 50.0, 52.0),   # inputs in at 11, QPU free: waited 11..50
    row("task", "q2", "qpu", 52.0, 54.0),   # QPU busy until 52, starts at once: no wait
    row("task", "b", "gpu", 54.0, 60.0),
]


def test_a_qpu_task_waits_from_inputs_in_and_device_free_to_its_start():
    assert qpu_waits(ROWS, {"qpu"}) == [("qpu", "q1", 11.0, 50.0)]


def test_idle_gaps_leave_out_runs_and_waits():
    assert idle_gaps(ROWS, "qpu", 60.0, [(11.0, 50.0)]) == [(0.0, 11.0), (54.0, 60.0)]
    assert idle_gaps(ROWS, "gpu", 60.0) == [(10.0, 54.0)]
