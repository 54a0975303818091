"""Command area: the whole ``hybridsched simulate FILE --policy heft --json`` against a
bare-SimPy replay of the same plan, in one run.

The command runs as a user runs it, in a child process (start-up, loading the
file, planning, simulating, metrics, writing the summary to a file); its CPU
seconds are the child's user + system time (``RUSAGE_CHILDREN``) and its peak
memory the child's ``ru_maxrss``. The floor is :func:`scheduler.bench.engine.bare_simpy`
replaying the HEFT plan of the same instance, its inputs computed in advance and
its heap frozen (``gc.freeze``) so that the collector does not walk the loaded
instance: what a careful hand-written SimPy program would take. The makespans
are checked equal. The in-process phases (load, plan, simulate) are timed too, to
show where the command's time goes.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from scheduler.bench import instances
from scheduler.bench.engine import _close, bare_inputs, bare_simpy
from scheduler.bench.timing import timed

#: Execution times per processor: the task's work over one of ``p`` speeds (assumption).
SPEED_RANGE = (0.5, 2.0)
#: Transfer time of an edge between two processors, uniform in this range (assumption).
EDGE_COST_RANGE = (0.1, 2.0)


def write_cost_matrix(n: int, p: int, path: Path, seed: int = 0) -> Path:
    """A cost-matrix instance (``../shared/README.md``) of the benchmark DAG of ``n`` tasks
    (:func:`scheduler.bench.instances.dag_arrays`) on ``p`` unrelated processors."""
    flops, edges = instances.dag_arrays(n, seed=seed)
    rng = np.random.default_rng([seed, 2])
    speed = rng.uniform(*SPEED_RANGE, p)
    cost = np.round(flops[:, None] / 1.0e12 / speed[None, :], 6)
    ids = [f"t{i}" for i in range(n)]
    edge_cost = np.round(rng.uniform(*EDGE_COST_RANGE, len(edges)), 6).tolist()
    path.write_text(json.dumps({
        "name": f"bench-cost-matrix-{n}x{p}", "tasks": ids, "processors": [f"p{j}" for j in range(p)],
        "cost": dict(zip(ids, cost.tolist())),
        "edges": [[f"t{u}", f"t{v}", c] for (u, v), c in zip(edges, edge_cost)]}))
    return path


def run_case(tasks: int, devices: int, seed: int = 0) -> dict[str, Any]:
    """One whole command and the bare-SimPy replay of its plan, in this process's run."""
    from scheduler.api import load
    from scheduler.engine import Engine
    from scheduler.policies.heft import HEFT
    from scheduler.problem import Problem

    with tempfile.TemporaryDirectory(prefix="hybridsched-bench-") as tmp:
        path = write_cost_matrix(tasks, devices, Path(tmp) / "big.json", seed=seed)
        out = Path(tmp) / "summary.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        with open(out, "w") as stdout:
            subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(path), "--policy", "heft",
                            "--json"], stdout=stdout, check=True)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        command_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        summary = json.loads(out.read_text())
        (workflow, platform), load_s, _ = timed(lambda: load(path))
    problem = Problem(workflow, platform)
    plan, plan_s, _ = timed(lambda: HEFT().plan(problem))
    inputs = bare_inputs(workflow, platform, plan)

    class Fixed(HEFT):  # the engine replays the plan already made
        def plan(self, problem):
            return plan

    _, simulate_s, _ = timed(lambda: Engine(workflow, platform, Fixed(), seed=seed).run())
    gc.collect()
    gc.freeze()  # the floor does not pay for walking the loaded instance
    try:
        bare_makespan, bare_s, _ = timed(lambda: bare_simpy(**inputs))
    finally:
        gc.unfreeze()
    return {
        "tasks": tasks, "devices": devices, "edges": workflow.graph.number_of_edges(),
        "command_s": command_s, "command_wall_s": wall, "bare_simpy_s": bare_s,
        "command_ratio": command_s / bare_s, "command_peak_rss_mb": after.ru_maxrss / 1024,
        "load_s": load_s, "plan_s": plan_s, "engine_s": simulate_s,
        "makespan": summary["makespan"], "makespans_equal": _close(summary["makespan"], bare_makespan)
        and summary["makespan"] == plan.makespan,
    }
