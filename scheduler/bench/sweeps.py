"""Sweeps area: runs per second of one suite on 1 and 2 local workers and on Dask.

The suite is classical (random DAGs of the Topcuoglu et al. generator on
their own processors, HEFT and PEFT), so each run costs a fraction of a
second and the figure measures the experiment machinery as much as the
engine; every executor runs the same runs into a fresh folder. Wall time,
because parallelism is the point; the load average of the machine is in the
results' meta data (other work on the same cores lowers the 2-worker figure).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

SUITE = """\
format: hybridsched-suite/1
name: bench-sweep
seed: 7
repeats: {repeats}
workflows:
  - generator: random-dag
    params: {{v: {tasks}, q: 16, ccr: 1.0}}
policies: [heft, peft]
"""


def run_case(runs: int = 24, quick: bool = False) -> dict[str, Any]:
    try:
        from scheduler.experiments import load_suite, run_suite
    except ImportError as err:
        return {"available": False, "reason": f"scheduler.experiments: {err}"}
    tasks = 1000 if quick else 5000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.yaml"
        path.write_text(SUITE.format(repeats=max(1, runs // 2), tasks=tasks))
        suite = load_suite(path)
        # Imports and caches warm in this process first, so that 1 worker (which runs
        # here) is not charged for them and 2 workers are not flattered.
        from scheduler.experiments.runs import execute_run

        execute_run(suite.runs[0])
        rows = {}
        for label, options in (("local-1", {"workers": 1}), ("local-2", {"workers": 2}),
                               ("dask-2", {"workers": 2, "executor": "dask"})):
            start = time.perf_counter()
            try:
                outcome = run_suite(suite, Path(tmp) / label, **options)
            except Exception as err:  # Dask missing or refusing: report, keep the others
                rows[label] = {"error": f"{type(err).__name__}: {err}"}
                continue
            seconds = time.perf_counter() - start
            rows[label] = {"runs": outcome.executed, "seconds": seconds, "runs_per_s": outcome.executed / seconds,
                           "errors": len(outcome.errors)}
    base = rows.get("local-1", {}).get("runs_per_s")
    for row in rows.values():
        if base and "runs_per_s" in row:
            row["speedup"] = row["runs_per_s"] / base
    return {"available": True, "runs": len(suite.runs), "tasks_per_run": tasks, "executors": rows}
