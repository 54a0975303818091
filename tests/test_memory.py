"""Huge inputs: a memory estimate before parsing and before a run, and a clear refusal."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from devices.platform import load_platform
from scheduler.api import load, simulate
from scheduler.cli import main
from tests.conftest import TOPCUOGLU
from workloads.errors import InputError
from workloads.memory import available_bytes, run_bytes
from workloads.task import Task
from workloads.workflow import Workflow


def test_available_memory_is_known_here_and_can_be_overridden(monkeypatch):
    monkeypatch.delenv("HYBRIDSCHED_MEMORY_LIMIT", raising=False)
    assert available_bytes() > 2**20
    monkeypatch.setenv("HYBRIDSCHED_MEMORY_LIMIT", "1.5G")
    assert available_bytes() == int(1.5 * 2**30)
    monkeypatch.setenv("HYBRIDSCHED_MEMORY_LIMIT", "lots")
    with pytest.raises(InputError, match="HYBRIDSCHED_MEMORY_LIMIT"):
        available_bytes()


def test_a_file_too_big_to_parse_is_refused_before_parsing(monkeypatch):
    monkeypatch.setenv("HYBRIDSCHED_MEMORY_LIMIT", "10K")
    with pytest.raises(InputError, match=r"parsing this 1.83 KiB file needs an estimated 18.3 KiB"):
        load(TOPCUOGLU)


def test_a_run_too_big_is_refused_before_it_starts(monkeypatch, capsys):
    workflow, platform = load(TOPCUOGLU)
    monkeypatch.setenv("HYBRIDSCHED_MEMORY_LIMIT", "30K")
    with pytest.raises(InputError, match="simulating 10 tasks and 15 edges on 3 devices needs an estimated"):
        simulate(workflow, platform, "heft")
    assert main(["simulate", str(TOPCUOGLU)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "memory" in err


def test_the_run_estimate_covers_a_measured_run():
    rng = random.Random(1)
    n = 4000
    tasks = [Task(f"t{i}", flops=rng.uniform(1e11, 1e13)) for i in range(n)]
    edges = [(f"t{j}", f"t{i}", {"data_bytes": 1e6}) for i in range(1, n)
             for j in rng.sample(range(max(0, i - 20), i), min(i, 2))]
    platform = load_platform("dual-socket-server")
    tracemalloc.start()
    try:
        workflow = Workflow.build("dag", tasks, edges)
        summary = simulate(workflow, platform, "heft").summary()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(summary["schedule"]) == n
    estimate = run_bytes(n, workflow.graph.number_of_edges(), len(platform.devices))
    assert peak < estimate < 10 * peak
