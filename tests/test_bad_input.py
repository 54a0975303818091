"""Bad input: one clear line naming the file and the item, exit 2, no traceback, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE = json.loads((Path(__file__).parent / "data" / "topcuoglu2002.json").read_text())


def cost_matrix(tmp_path: Path, **changes) -> Path:
    data = json.loads(json.dumps(BASE))
    data.update(changes)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True)


def assert_clear_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert proc.stdout == ""


CASES = {
    "cycle": (dict(edges=BASE["edges"] + [["n10", "n1", 3]]), ["cycle", "n10 -> n1"]),
    "unknown task in edge": (dict(edges=BASE["edges"] + [["n1", "n99", 3]]), ["edge 'n1' -> 'n99'", "unknown task 'n99'"]),
    "negative cost": (dict(cost={**BASE["cost"], "n3": [11, -13, 19]}), ["cost['n3'][1]", "non-negative"]),
    "non-numeric cost": (dict(cost={**BASE["cost"], "n3": [11, "fast", 19]}), ["cost['n3'][1]", "expected a number"]),
    "cost row of the wrong length": (dict(cost={**BASE["cost"], "n4": [13, 8]}), ["cost['n4']", "has 2 entries, expected 3"]),
    "negative edge cost": (dict(edges=[["n1", "n2", -1]]), ["edges[0] cost", "non-negative"]),
    "duplicate task": (dict(tasks=BASE["tasks"] + ["n1"]), ["task 'n1'", "duplicate"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_cost_matrix(tmp_path, name):
    changes, fragments = CASES[name]
    path = cost_matrix(tmp_path, **changes)
    out = tmp_path / "out"
    proc = run_cli("simulate", str(path), "--out", str(out))
    assert_clear_error(proc, str(path), *fragments)
    assert not out.exists()


def test_malformed_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"tasks": [}')
    assert_clear_error(run_cli("simulate", str(path)), str(path), "malformed JSON at line 1")


def test_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("tasks:\n  - id: a\n   - id: b\n")
    assert_clear_error(run_cli("simulate", str(path), "--platform", "edge-box"), str(path), "malformed YAML at line")


def test_duplicate_yaml_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("tasks: []\ntasks: []\n")
    assert_clear_error(run_cli("simulate", str(path), "--platform", "edge-box"), str(path), "duplicate key 'tasks'")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    assert_clear_error(run_cli("simulate", str(path)), str(path), "no such file")


def test_unknown_policy(tmp_path):
    path = cost_matrix(tmp_path)
    assert_clear_error(run_cli("simulate", str(path), "--policy", "nosuch"), "policy 'nosuch'", "unknown policy")


def test_unknown_preset(tmp_path):
    path = cost_matrix(tmp_path)
    assert_clear_error(run_cli("simulate", str(path), "--platform", "nosuch"), "nosuch", "no such platform")


def test_task_no_device_can_run(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("tasks:\n  - {id: big, accelerator: gpu, flops: 1.0e12}\n")
    assert_clear_error(run_cli("simulate", str(path), "--platform", "dual-socket-server"),
                       str(path), "task 'big'", "no device can run this task", "needs a gpu")


def test_native_schema_error_names_the_item(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("tasks:\n  - {id: a, flops: -3}\n")
    assert_clear_error(run_cli("simulate", str(path), "--platform", "edge-box"), str(path), "tasks[0].flops")


def test_nan_in_yaml_is_refused(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("tasks:\n  - {id: a, flops: .nan}\n")
    assert_clear_error(run_cli("simulate", str(path), "--platform", "edge-box"), str(path), "task 'a': flops", "finite")


def test_bad_platform_file(tmp_path):
    workflow = cost_matrix(tmp_path)
    platform = tmp_path / "p.yaml"
    platform.write_text("devices:\n  - {name: c, kind: cpu, cores: 4, busy_w: 10, idle_w: 20}\n")
    assert_clear_error(run_cli("simulate", str(workflow), "--platform", str(platform)),
                       str(platform), "device 'c'", "busy_w (10.0) is below idle_w (20.0)")


def test_failed_run_keeps_earlier_results(tmp_path):
    good = cost_matrix(tmp_path)
    out = tmp_path / "out"
    assert run_cli("simulate", str(good), "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert run_cli("simulate", str(bad), "--out", str(out)).returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
