"""The backend snapshot on disk: a warm process scores without building the backend."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

import devices.qpu as qpu_module
from devices import backend_snapshot, transpile_cache
from devices.qpu import QPU, compile_circuit, load_backend
from tests.conftest import DATA, ROOT
from workloads.loaders import load_workflow
from workloads.task import Task

CIRCUITS = ("ghz5.qasm", "conditional.qasm", "custom_gates.qasm")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDSCHED_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HYBRIDSCHED_TRANSPILE_CACHE", raising=False)
    monkeypatch.setattr(backend_snapshot, "_SNAPSHOTS", {})  # as in a fresh process
    monkeypatch.setattr(qpu_module, "_TRANSPILED", {})
    return tmp_path / "backends"


def _circuit(name: str):
    (task,) = load_workflow(DATA / "qasm" / name).tasks
    return task.circuit


def _built(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = backend_snapshot.build
    monkeypatch.setattr(backend_snapshot, "build", lambda key: calls.append(key) or real(key))
    return calls


@pytest.mark.parametrize("key", ["fake:torino", "generic:20"])
def test_a_snapshot_read_back_scores_as_the_backend_does(cache, monkeypatch, key):
    backend = load_backend(key)
    backend_snapshot.snapshot(key)
    assert len(list(cache.glob(f"{key.replace(':', '-')}-*.pickle"))) == 1
    monkeypatch.setattr(backend_snapshot, "_SNAPSHOTS", {})
    calls = _built(monkeypatch)
    read = backend_snapshot.snapshot(key)
    assert calls == [] and read.target is not backend.target  # from the file
    assert read.name == backend.name
    assert read.default_rep_delay_s == qpu_module.default_rep_delay(backend)
    for name in CIRCUITS:
        mine, theirs = compile_circuit(_circuit(name), read, 2), compile_circuit(_circuit(name), backend, 2)
        assert (mine.duration_s, mine.reset_s, mine.esp, mine.qubits, mine.feedforwards) == \
            (theirs.duration_s, theirs.reset_s, theirs.esp, theirs.qubits, theirs.feedforwards)
        assert mine.circuit == theirs.circuit


def test_a_damaged_or_foreign_snapshot_is_rebuilt_and_rewritten(cache, monkeypatch):
    expected = backend_snapshot.snapshot("generic:5")
    (path,) = cache.glob("*.pickle")
    for damage in (b"\x80\x05trunc", pickle.dumps({"identity": ["another"], "target": expected.target,
                                                   "name": "x", "default_rep_delay_s": 1.0}), b""):
        path.write_bytes(damage)
        monkeypatch.setattr(backend_snapshot, "_SNAPSHOTS", {})
        calls = _built(monkeypatch)
        again = backend_snapshot.snapshot("generic:5")
        assert calls == ["generic:5"]
        assert (again.name, again.default_rep_delay_s, again.target.num_qubits) == \
            (expected.name, expected.default_rep_delay_s, 5)
        assert backend_snapshot.read(path, "generic:5") is not None  # rewritten whole


def test_the_file_key_follows_backend_calibration_and_versions(cache, monkeypatch):
    keys = {backend_snapshot.file_key(k) for k in ("fake:torino", "fake:fez", "generic:20", "generic:21")}
    assert len(keys) == 4
    before = backend_snapshot.file_key("fake:torino")
    monkeypatch.setattr(backend_snapshot, "_runtime_version", lambda: "0.0.0")
    assert backend_snapshot.file_key("fake:torino") != before
    assert backend_snapshot.file_key("generic:20") in keys  # a generic backend is Qiskit's alone
    monkeypatch.setattr(transpile_cache, "source_digest", lambda: "0" * 64)  # devices/qpu.py changed
    assert backend_snapshot.file_key("generic:20") not in keys


def test_no_snapshot_is_kept_when_the_cache_is_off(cache, monkeypatch):
    monkeypatch.setenv("HYBRIDSCHED_TRANSPILE_CACHE", "off")
    assert backend_snapshot.snapshot("generic:4").target.num_qubits == 4
    assert not cache.exists()


def test_a_warm_process_never_imports_qiskit_ibm_runtime(tmp_path):
    """Two processes score the same circuits on FakeTorino; the second, on a filled cache,
    gives the same figures without importing qiskit_ibm_runtime (1.1 s of CPU)."""
    code = (
        "import sys\n"
        "from devices.qpu import QPU\n"
        "from workloads.loaders import load_workflow\n"
        "from workloads.task import Task\n"
        "qpu = QPU.from_spec({'name': 'q', 'backend': 'FakeTorino'})\n"
        f"for name in {CIRCUITS!r}:\n"
        "    (t,) = load_workflow('tests/data/qasm/' + name).tasks\n"
        "    t = Task(t.id, kind='quantum', circuit=t.circuit, shots=100)\n"
        "    print(qpu.check(t), repr(qpu.exec_time(t)), repr(qpu.fidelity(t)))\n"
        "print('qiskit_ibm_runtime' in sys.modules)\n")
    env = _child_env(tmp_path)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                           check=True).stdout.splitlines() for _ in range(2)]
    assert runs[0][:-1] == runs[1][:-1] and runs[0][0].startswith("None ")
    assert (runs[0][-1], runs[1][-1]) == ("True", "False")


def test_a_qpu_reads_its_target_and_rep_delay_from_the_snapshot(cache, monkeypatch):
    qpu = QPU.from_spec({"name": "torino", "backend": "FakeTorino"})
    task = Task("g", kind="quantum", circuit=_circuit("ghz5.qasm"), shots=1000)
    expected = qpu.exec_time(task)
    monkeypatch.setattr(backend_snapshot, "_SNAPSHOTS", {})
    monkeypatch.setattr(qpu_module, "_TRANSPILED", {})
    monkeypatch.setattr(qpu_module, "load_backend", lambda key: pytest.fail("built the backend"))
    again = QPU.from_spec({"name": "torino", "backend": "FakeTorino"})
    assert again.exec_time(task) == expected and again.rep_delay == pytest.approx(250e-6)
    assert again.num_qubits == 133 and again.target is backend_snapshot.snapshot("fake:torino").target


def test_two_processes_writing_the_snapshot_at_once_leave_a_whole_file(tmp_path):
    code = ("from devices import backend_snapshot\n"
            "for _ in range(20):\n"
            "    backend_snapshot.clear()\n"
            "    path = backend_snapshot.cache_path('generic:20')\n"
            "    path.unlink(missing_ok=True)\n"
            "    backend_snapshot.snapshot('generic:20')\n"
            "print('ok')\n")
    env = _child_env(tmp_path)
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    assert [p.communicate(timeout=300)[0].strip() for p in procs] == ["ok", "ok"]
    (path,) = (tmp_path / "backends").iterdir()  # no temporary file left behind
    assert backend_snapshot.read(path, "generic:20").target.num_qubits == 20


def test_a_runs_calibration_record_comes_from_the_snapshot_as_from_the_backend(cache, monkeypatch):
    from devices.platform import load_platform
    from scheduler.experiments.runs import platform_ids

    backend = load_backend("fake:torino")
    expected = {"backend": "FakeTorino", "backend_name": backend.name,
                "backend_version": str(backend.backend_version),
                "calibration_date": str(backend.properties().last_update_date)}
    platform_ids(load_platform("hybrid-lab"))  # writes the snapshot
    monkeypatch.setattr(backend_snapshot, "_SNAPSHOTS", {})
    monkeypatch.setattr(qpu_module, "load_backend", lambda key: pytest.fail("built the backend"))
    (record,) = platform_ids(load_platform("hybrid-lab"))["calibrations"].values()
    assert record == expected and record["calibration_date"].startswith("20")


def _child_env(cache_dir) -> dict:
    """The environment of a child process caching in ``cache_dir`` (cache on)."""
    env = {**os.environ, "HYBRIDSCHED_CACHE_DIR": str(cache_dir)}
    env.pop("HYBRIDSCHED_TRANSPILE_CACHE", None)
    return env
