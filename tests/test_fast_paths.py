"""The fast paths of issue #16 give what the item-by-item paths give: the bulk-checked
cost-matrix loader (same workflow, same errors), the loader's cost matrix handed to
planners (same execution-time table), HEFT's scalar data-ready rows (same plans),
libyaml (same data) and the --json summary without its schedule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scheduler.api import load, simulate
from scheduler.cli import main
from scheduler.policies import heft as heft_module
from scheduler.problem import Problem
from workloads import loaders
from workloads.errors import InputError
from workloads.schema import parse_yaml


def _instance(n: int, p: int, seed: int, *, backward: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    ids = [f"n{i}" for i in range(n)]
    edges = [[f"n{u}", f"n{v}", float(rng.integers(0, 5))] for v in range(1, n)
             for u in sorted(set(rng.integers(0, v, 2).tolist()))]
    if backward:  # list the tasks in reverse: edges then point backward, the DAG is the same
        ids = ids[::-1]
    cost = {t: rng.integers(1, 20, p).tolist() for t in ids}
    return {"name": "x", "tasks": ids, "edges": edges, "processors": [f"p{j}" for j in range(p)], "cost": cost}


def _slow(monkeypatch):
    monkeypatch.setattr(loaders, "_checked_cost_matrix", lambda data, names: None)


def _signature(workflow):
    graph = workflow.graph
    return ([(t.id, dict(t.times), t.kind, t.cores) for t in workflow.tasks],
            list(graph.edges(data=True)), [d.name for d in workflow.platform.devices])


@pytest.mark.parametrize("backward", [False, True])
def test_bulk_checked_cost_matrix_loads_what_the_item_by_item_path_loads(tmp_path, monkeypatch, backward):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_instance(40, 3, 1, backward=backward)))
    fast = loaders.load_workflow(path)
    assert fast.exec_table is not None
    with monkeypatch.context() as m:
        _slow(m)
        slow = loaders.load_workflow(path)
    assert slow.exec_table is None
    assert _signature(fast) == _signature(slow)
    # The handed-over matrix is the table the devices give, and HEFT plans alike on both.
    a, b = Problem(fast, fast.platform), Problem(slow, slow.platform)
    assert np.array_equal(a.exec_times, b.exec_times)
    assert simulate(fast, fast.platform, "heft").plan == simulate(slow, slow.platform, "heft").plan
    # The loaders' edge arrays (bulk, and Workflow.build's) give the adjacency the graph gives.
    assert fast.edge_table is not None and slow.edge_table is not None
    slow.edge_table = None
    c = Problem(slow, slow.platform)
    for table_read in (a, b):
        assert (table_read.preds, table_read.succs) == (c.preds, c.succs)
        for x, y in zip(table_read.edge_arrays, c.edge_arrays):
            assert np.array_equal(x, y, equal_nan=True)


def test_a_graph_edited_after_loading_is_read_from_the_graph(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_instance(30, 2, 4)))
    workflow = loaders.load_workflow(path)
    workflow.graph.add_edge("n0", "n29", data_bytes=0.0, cost=7.0)
    problem = Problem(workflow, workflow.platform)
    assert 0 in problem.preds[29] and 29 in problem.succs[0]
    assert problem.edge_arrays[2][problem.edge_arrays[0][29]:problem.edge_arrays[0][30]].tolist()[0] == 7.0


@pytest.mark.parametrize("change, words", [
    (lambda d: d["cost"].__setitem__("n3", [1, True, 2]), "expected a number, got True"),
    (lambda d: d["cost"].__setitem__("n3", [1, 2**60, 2]), None),  # loads: a big whole number
    (lambda d: d["edges"].append(["n5", "n2", 1]), "cycle"),
    (lambda d: d["edges"].append(["n1", "n1", 1]), "cannot depend on itself"),
    (lambda d: d["edges"].append(list(d["edges"][0])), "duplicate edge"),
    (lambda d: d["tasks"].append("n1"), "duplicate task id"),
    (lambda d: d["edges"].append([0, "n1", 1]), "unknown task '0'"),
])
def test_the_bulk_path_leaves_every_doubtful_file_to_the_item_by_item_path(tmp_path, monkeypatch, change, words):
    data = _instance(10, 3, 2)
    change(data)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))

    def outcome():
        try:
            return _signature(loaders.load_workflow(path))
        except InputError as err:
            return str(err)

    fast = outcome()
    with monkeypatch.context() as m:
        _slow(m)
        assert outcome() == fast
    if words:
        assert words in fast


@pytest.mark.parametrize("kind", ["cost matrix", "links", "multi-core"])
@pytest.mark.parametrize("insertion", [True, False])
def test_heft_scalar_paths_give_the_plans_of_numpy_rows(tmp_path, monkeypatch, kind, insertion):
    from scheduler.bench import instances

    for seed in range(3):
        if kind == "cost matrix":
            path = tmp_path / f"m{seed}.json"
            path.write_text(json.dumps(_instance(120, 4, seed)))
            workflow, platform = load(path)
        elif kind == "links":
            workflow, platform = instances.workflow(300, seed=seed, window=40), instances.platform(5)
        else:
            workflow = instances.workflow(150, seed=seed, window=30, max_cores=3)
            platform = instances.cpu_platform(3, cores=4)
        order = heft_module.priority_order(Problem(workflow, platform),
                                           heft_module.upward_rank(Problem(workflow, platform)))
        fast = heft_module.list_schedule(Problem(workflow, platform), order, insertion=insertion)
        with monkeypatch.context() as m:  # numpy rows per predecessor, numpy over devices
            m.setattr(heft_module, "_ready_scalars", lambda *args: None)
            m.setattr(heft_module, "SCALAR_DEVICES", 0)
            plain = heft_module.list_schedule(Problem(workflow, platform), order, insertion=insertion)
        assert (fast.device, fast.start, fast.finish) == (plain.device, plain.start, plain.finish)


def test_libyaml_reads_the_same_data_and_leaves_errors_to_pyyaml():
    text = "a: 1e9\nb: [1, 2.5, .inf]\nc: {d: null, e: 'x'}\nf: &x [1]\ng: *x\n"
    assert parse_yaml(text, "f.yaml") == {"a": 1e9, "b": [1, 2.5, float("inf")], "c": {"d": None, "e": "x"},
                                          "f": [1], "g": [1]}
    with pytest.raises(InputError, match=r"f.yaml: duplicate key 'a' at line 2"):
        parse_yaml("a: 1\na: 2\n", "f.yaml")


def test_json_summary_leaves_out_a_large_schedule_unless_asked(tmp_path, monkeypatch, capsys):
    from scheduler.commands import simulate as command

    path = tmp_path / "m.json"
    path.write_text(json.dumps(_instance(30, 2, 3)))
    monkeypatch.setattr(command, "SCHEDULE_LIMIT", 10)
    assert main(["simulate", str(path), "--json"]) == 0
    short = json.loads(capsys.readouterr().out)
    assert short["schedule"] is None and short["schedule_omitted"] == 30
    assert main(["simulate", str(path), "--json", "--schedule"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert len(full["schedule"]) == 30 and "schedule_omitted" not in full
    assert {k: v for k, v in full.items() if k != "schedule"} == {k: v for k, v in short.items()
                                                                   if k not in ("schedule", "schedule_omitted")}
