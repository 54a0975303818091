"""A suite killed with SIGKILL at random points, again and again, resumes with
nothing lost, nothing run twice and nothing half-written.

A real ``hybridsched run`` process (and its workers: the whole process group)
is killed at delays drawn from a seeded generator over the whole length of an
uninterrupted run: during start-up, in the middle of the runs and while the
tables are written. After every kill, every result on disk must be whole, and
every result an earlier attempt finished must still be there, untouched (same
bytes, same modification time: kept, not run again). The last attempt runs to
the end; its ``results.csv`` must equal, byte for byte, that of a run that was
never interrupted.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from scheduler.experiments import load_suite, run_suite
from tests.conftest import ROOT

SUITE = """\
name: sigkill
seed: 11
repeats: 3
workflows:
  - generator: random-dag
    params: {v: 150, q: 3}
    grid: {ccr: [0.1, 1.0, 10.0]}
platforms: [own]
policies: [heft, greedy-eft]
"""

#: Kills: one in start-up, two during the runs, one while the tables are written, one anywhere.
KILLS = 5


def _start(suite: Path, out: Path, hash_seed: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", str(suite), "--out", str(out),
                             "--workers", "1", "--no-plots"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _finished(out: Path) -> dict[str, tuple[bytes, int]]:
    """Each finished run's result bytes and modification time; every one must be whole JSON."""
    found = {}
    for path in sorted(out.glob("runs/*/result.json")):
        raw = path.read_bytes()
        record = json.loads(raw)  # a half-written file fails here
        assert record, path
        found[path.parent.name] = (raw, path.stat().st_mtime_ns)
    return found


def test_sigkill_at_random_points_then_resume(tmp_path):
    suite_path = tmp_path / "suite.yaml"
    suite_path.write_text(SUITE)
    total = len(load_suite(suite_path).runs)

    # An uninterrupted run, timed: start-up, the runs, then the tables.
    started = time.monotonic()
    whole = _start(suite_path, tmp_path / "whole", hash_seed=0)
    first = last = None
    while whole.poll() is None:
        done = len(list((tmp_path / "whole").glob("runs/*/result.json")))
        now = time.monotonic() - started
        if done and first is None:
            first = now
        if done == total and last is None:
            last = now
        time.sleep(0.01)
    whole.communicate()
    assert whole.returncode == 0
    end = time.monotonic() - started
    first = first or end
    last = last or end
    # One kill in each phase, the rest anywhere; the points are seeded, the phases measured.
    rng = random.Random(2026)
    windows = [(0.05, first), (first, last), (first, last), (last, end)] + [(0.05, end)] * (KILLS - 4)
    delays = [rng.uniform(a, max(a, b)) for a, b in windows]

    out = tmp_path / "killed"
    kept: dict[str, tuple[bytes, int]] = {}
    for attempt, delay in enumerate(delays):
        proc = _start(suite_path, out, hash_seed=attempt + 1)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        now = _finished(out)
        for run_id, before in kept.items():  # nothing lost, nothing redone
            assert now.get(run_id) == before, f"attempt {attempt}: {run_id} was lost or run again"
        kept = now
        table = out / "results.csv"
        if table.exists():  # written atomically: whole or absent
            assert len(pd.read_csv(table)) == total

    final = _start(suite_path, out, hash_seed=99)
    stdout, stderr = final.communicate(timeout=120)
    assert final.returncode == 0, stderr
    done = _finished(out)
    assert len(done) == total
    for run_id, before in kept.items():
        assert done[run_id] == before, f"{run_id} was run again after the kills"
    if 0 < len(kept) < total:
        assert f"{total - len(kept)} runs now, {len(kept)} kept from before" in stdout

    assert not list(out.rglob("*.tmp")), "temporary files of the killed attempts were left"
    table = pd.read_csv(out / "results.csv")
    assert len(table) == total and table["run_id"].is_unique and (table["status"] == "ok").all()
    assert (out / "results.csv").read_text() == (tmp_path / "whole" / "results.csv").read_text()
    baseline = tmp_path / "in-process"
    run_suite(load_suite(suite_path), baseline, workers=1)
    assert (out / "results.csv").read_text() == (baseline / "results.csv").read_text()
