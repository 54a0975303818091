"""Killing a suite half-way and resuming it; Dask gives the local executor's table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from scheduler.experiments import load_suite, run_suite

SUITE = """\
name: resume
seed: 5
repeats: 4
workflows:
  - generator: random-dag
    params: {v: 250, q: 4}
    grid: {ccr: [0.1, 1.0, 10.0]}
platforms: [own]
policies: [heft, greedy-eft, minmin]
"""


def _done(out: Path) -> int:
    return len(list((out / "runs").glob("*/result.json"))) if (out / "runs").is_dir() else 0


def test_killed_suite_resumes_and_equals_an_uninterrupted_run(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    suite = load_suite(path)
    total = len(suite.runs)

    # The interrupted run: a real `hybridsched run` process, killed (SIGKILL, no clean-up)
    # once some runs are written, with a different hash seed from the resumed one.
    killed = tmp_path / "killed"
    env = dict(os.environ, PYTHONHASHSEED="1")
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", str(path), "--out", str(killed),
                             "--workers", "1", "--no-plots"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while _done(killed) < total // 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _done(killed)
    assert 0 < done_before < total, f"not killed half-way: {done_before} of {total} done"
    assert not (killed / "results.csv").exists()

    env["PYTHONHASHSEED"] = "2"
    resumed = subprocess.run([sys.executable, "-m", "scheduler.cli", "run", str(path), "--out", str(killed),
                              "--workers", "2", "--no-plots"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {done_before} of {total} runs already done" in resumed.stdout
    assert f"{total - done_before} runs now, {done_before} kept from before" in resumed.stdout

    whole = tmp_path / "whole"
    run_suite(suite, whole, workers=1)
    assert (killed / "results.csv").read_text() == (whole / "results.csv").read_text()
    table = pd.read_csv(killed / "results.csv")
    assert len(table) == total and table["run_id"].is_unique and (table["status"] == "ok").all()
    assert _done(killed) == total


def test_changed_run_is_rerun_and_unchanged_runs_are_kept(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.replace("v: 250", "v: 20"))
    out = tmp_path / "out"
    first = run_suite(load_suite(path), out, workers=1)
    assert first.executed == 36 and first.resumed == 0
    again = run_suite(load_suite(path), out, workers=1)
    assert again.executed == 0 and again.resumed == 36
    path.write_text(SUITE.replace("v: 250", "v: 20").replace("[heft, greedy-eft, minmin]", "[heft, greedy-eft, mct]"))
    changed = run_suite(load_suite(path), out, workers=1)
    assert changed.executed == 12 and changed.resumed == 24
    assert set(pd.read_csv(out / "results.csv")["policy"]) == {"heft", "greedy-eft", "mct"}


def test_dask_executor_gives_the_local_table(tmp_path):
    pytest.importorskip("distributed")
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.replace("v: 250", "v: 40"))
    suite = load_suite(path)
    run_suite(suite, tmp_path / "local", workers=2)
    started = time.monotonic()
    run_suite(suite, tmp_path / "dask", workers=2, executor="dask", processes=False)
    assert time.monotonic() - started < 60
    assert (tmp_path / "dask" / "results.csv").read_text() == (tmp_path / "local" / "results.csv").read_text()
    import json

    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["executor"] == "dask"


@pytest.mark.slow
def test_dask_local_cluster_with_worker_processes(tmp_path):
    pytest.importorskip("distributed")
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE.replace("v: 250", "v: 30").replace("repeats: 4", "repeats: 1"))
    suite = load_suite(path)
    run_suite(suite, tmp_path / "local", workers=1)
    run_suite(suite, tmp_path / "dask", workers=2, executor="dask", processes=True)
    assert (tmp_path / "dask" / "results.csv").read_text() == (tmp_path / "local" / "results.csv").read_text()
