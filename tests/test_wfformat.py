"""WfCommons WfFormat instances: both layouts, partial instances, errors, offline generation."""

from __future__ import annotations

import json
import socket

import pytest

from scheduler.api import load, simulate
from workloads.errors import InputError
from workloads.loaders import load_workflow

INSTANCE_14 = {
    "name": "tiny-montage",
    "schemaVersion": "1.5",
    "workflow": {
        "specification": {
            "tasks": [
                {"name": "mProject", "id": "p1", "parents": [], "children": ["d1"],
                 "inputFiles": ["in1"], "outputFiles": ["proj1"]},
                {"name": "mProject", "id": "p2", "parents": [], "children": ["d1"],
                 "inputFiles": ["in2"], "outputFiles": ["proj2", "log2"]},
                {"name": "mDiffFit", "id": "d1", "parents": ["p1", "p2"], "children": [],
                 "inputFiles": ["proj1", "proj2"], "outputFiles": ["diff"]},
            ],
            "files": [{"id": "in1", "sizeInBytes": 10}, {"id": "in2", "sizeInBytes": 10},
                      {"id": "proj1", "sizeInBytes": 1000}, {"id": "proj2", "sizeInBytes": 3000},
                      {"id": "log2", "sizeInBytes": 7}, {"id": "diff", "sizeInBytes": 5}],
        },
        "execution": {
            "makespanInSeconds": 30,
            "tasks": [{"id": "p1", "runtimeInSeconds": 10.0, "coreCount": 2, "machines": ["n1"]},
                      {"id": "p2", "runtimeInSeconds": 12.0, "machines": ["n1"]},
                      {"id": "d1", "runtimeInSeconds": 5.0, "memoryInBytes": 1e9}],
            "machines": [{"nodeName": "n1", "cpu": {"coreCount": 8, "speedInMHz": 2400}}],
        },
    },
}

INSTANCE_13 = {
    "name": "old-layout",
    "schemaVersion": "1.3",
    "workflow": {
        "makespan": 20,
        "machines": [{"nodeName": "m", "cpu": {"count": 4, "speed": 2000}}],
        "tasks": [
            {"name": "a", "type": "compute", "runtime": 4.0, "parents": [], "machine": "m",
             "files": [{"link": "output", "name": "x", "size": 500}]},
            {"name": "b", "type": "compute", "runtime": 6.0, "cores": 2, "parents": ["a"],
             "files": [{"link": "input", "name": "x", "size": 500}, {"link": "output", "name": "y", "size": 1}]},
        ],
    },
}


def write(tmp_path, data, name="instance.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_reads_a_wfformat_14_instance(tmp_path):
    wf = load_workflow(write(tmp_path, INSTANCE_14))
    assert wf.name == "tiny-montage" and [t.id for t in wf.tasks] == ["p1", "p2", "d1"]
    p1 = wf.task("p1")
    assert p1.times == {"cpu": 10.0, "processor": 10.0} and p1.cores == 2
    assert p1.meta == {"category": "mProject", "machine_speed_mhz": 2400}
    assert wf.task("p2").cores == 1  # stated default
    assert wf.task("d1").memory_bytes == 1e9
    assert wf.edge("p1", "d1")["data_bytes"] == 1000.0
    assert wf.edge("p2", "d1")["data_bytes"] == 3000.0  # the log file is not read by d1


def test_reads_the_13_layout(tmp_path):
    wf = load_workflow(write(tmp_path, INSTANCE_13))
    assert [t.id for t in wf.tasks] == ["a", "b"]
    assert wf.edge("a", "b")["data_bytes"] == 500.0
    assert wf.task("b").cores == 2 and wf.task("a").meta["machine_speed_mhz"] == 2000


def test_partial_instance_uses_stated_defaults(tmp_path):
    data = json.loads(json.dumps(INSTANCE_14))
    del data["workflow"]["execution"]["machines"]
    data["workflow"]["specification"]["files"] = []
    wf = load_workflow(write(tmp_path, data))
    assert "machine_speed_mhz" not in wf.task("p1").meta
    assert wf.edge("p1", "d1")["data_bytes"] == 0.0


def test_missing_runtime_and_unknown_parent_name_the_task(tmp_path):
    data = json.loads(json.dumps(INSTANCE_14))
    data["workflow"]["execution"]["tasks"].pop()
    with pytest.raises(InputError, match=r"instance.json: task 'd1': no runtime"):
        load_workflow(write(tmp_path, data))
    data = json.loads(json.dumps(INSTANCE_14))
    data["workflow"]["specification"]["tasks"][2]["parents"].append("ghost")
    with pytest.raises(InputError, match=r"task 'd1': unknown parent 'ghost'"):
        load_workflow(write(tmp_path, data))


def test_instance_runs_on_a_cpu_preset(tmp_path):
    workflow, platform = load(write(tmp_path, INSTANCE_14), "dual-socket-server")
    result = simulate(workflow, platform, "heft")
    # p1 and p2 run side by side on the 96-core CPUs; d1 follows the slower one.
    assert result.metrics.makespan == pytest.approx(12.0 + 5.0, abs=1e-3)


def test_wfcommons_generates_offline_and_deterministically(monkeypatch):
    pytest.importorskip("wfcommons")
    from workloads.generators import generate

    def no_network(*args, **kwargs):
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    a = generate("wfcommons", recipe="montage", num_tasks=60, seed=3)
    b = generate("wfcommons", recipe="montage", num_tasks=60, seed=3)
    c = generate("wfcommons", recipe="montage", num_tasks=60, seed=4)
    assert a.name == "montage-60" and 40 <= len(a) <= 60

    def signature(wf):
        return [(t.id, t.times["cpu"], sorted((v, wf.edge(t.id, v)["data_bytes"]) for v in wf.successors(t.id)))
                for t in wf.tasks]

    assert signature(a) == signature(b) and signature(a) != signature(c)
    for recipe in ("epigenomics", "1000genome"):
        assert len(generate("wfcommons", recipe=recipe, num_tasks=100, seed=1)) > 50
    with pytest.raises(InputError, match="recipe"):
        generate("wfcommons", recipe="no-such", num_tasks=50)
