"""Device states read from a trace (scheduler.reports.states): recorded waits and idle gaps, hand-worked."""

from scheduler.reports.states import idle_gaps, recorded_waits


def row(kind, task, device, start, finish, src="", status="done"):
    return {"type": kind, "task": task, "device": device, "start": start, "finish": finish, "src_device": src,
            "status": status}


ROWS = [
    row("task", "a", "gpu", 0.0, 10.0),
    row("transfer", "a->q1", "qpu", 10.0, 11.0, "gpu", ""),
    row("wait", "q1", "qpu", 11.0, 50.0, status="queue"),
    row("task", "q1", "qpu", 50.0, 52.0),
    row("wait", "vqe", "qpu", 52.0, 54.0, status="session-idle"),
    row("task", "q2", "qpu", 54.0, 56.0),
    row("task", "b", "gpu", 56.0, 60.0),
]


def test_waits_are_the_traces_wait_rows_with_their_kind():
    assert recorded_waits(ROWS) == [("qpu", "q1", 11.0, 50.0, "queue"), ("qpu", "vqe", 52.0, 54.0, "session-idle")]


def test_idle_gaps_leave_out_runs_and_waits():
    waits = [(a, b) for _, _, a, b, _ in recorded_waits(ROWS)]
    assert idle_gaps(ROWS, "qpu", 60.0, waits) == [(0.0, 11.0), (56.0, 60.0)]
    assert idle_gaps(ROWS, "gpu", 60.0) == [(10.0, 56.0)]
