"""Engine area: our simulate against a bare-SimPy program on the same placement.

The bare program is what one would write by hand with SimPy: a process per
task that waits for its predecessors and for the task before it on its
device (devices run their tasks in plan order, as the engine does), then
for its slowest input to arrive, then runs (a timeout). Its inputs
(execution and transfer times, placement) are computed before the clock
starts, so it is a floor: it models nothing, checks nothing and records
only finish times. Both run the :class:`~scheduler.bench.instances.FixedPlacement`
plan, so the comparison times the engines and not a planner; the makespans
are checked equal.
"""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path
from typing import Any

import simpy

from scheduler.bench import instances
from scheduler.bench.timing import median, timed
from scheduler.api import load, simulate
from scheduler.engine import Engine
from scheduler.problem import Problem


def bare_inputs(workflow, platform, plan) -> dict[str, Any]:
    """Placement, per-task execution time and per-edge transfer time, precomputed."""
    problem = Problem(workflow, platform)
    index = {d.name: j for j, d in enumerate(platform.devices)}
    device_of = [index[plan.device[t.id]] for t in problem.tasks]
    order = sorted(range(len(problem.tasks)), key=lambda i: (plan.start[problem.tasks[i].id], i))
    prev = [-1] * len(problem.tasks)
    last: dict[int, int] = {}
    for i in order:
        prev[i] = last.get(device_of[i], -1)
        last[device_of[i]] = i
    exec_time = [platform.devices[device_of[i]].exec_time(t) for i, t in enumerate(problem.tasks)]
    arrivals = [[(u, problem.comm_time(u, i, device_of[u], device_of[i])) for u in problem.preds[i]]
                for i in range(len(problem.tasks))]
    return {"preds": problem.preds, "prev": prev, "exec_time": exec_time, "arrivals": arrivals}


def bare_simpy(preds, prev, exec_time, arrivals) -> float:
    """Run the placement with plain SimPy; return the makespan."""
    env = simpy.Environment()
    n = len(preds)
    done = [env.event() for _ in range(n)]
    finish = [0.0] * n

    def task(i, waits, inputs, seconds):
        if waits:
            yield env.all_of(waits)
        ready = max((finish[u] + c for u, c in inputs), default=0.0)
        if ready > env.now:
            yield env.timeout(ready - env.now)
        yield env.timeout(seconds)
        finish[i] = env.now
        done[i].succeed()

    for i in range(n):
        waits = [done[u] for u in preds[i]]
        if prev[i] >= 0:
            waits.append(done[prev[i]])
        env.process(task(i, waits, arrivals[i], exec_time[i]))
    env.run()
    return max(finish, default=0.0)


def run_case(tasks: int, devices: int, repeat: int, seed: int = 0) -> dict[str, Any]:
    """Medians of bare SimPy, our engine alone and our full simulate, interleaved in one process."""
    (workflow, platform), _, build_s = timed(lambda: (instances.workflow(tasks, seed=seed),
                                                     instances.platform(devices)))
    plan = instances.FixedPlacement(seed=seed).plan(Problem(workflow, platform))
    inputs = bare_inputs(workflow, platform, plan)
    cpu: dict[str, list[float]] = {"bare": [], "engine": [], "simulate": []}
    wall: dict[str, list[float]] = {"bare": [], "engine": [], "simulate": []}
    makespans: dict[str, float] = {}
    runs = {
        "bare": lambda: bare_simpy(**inputs),
        "engine": lambda: Engine(workflow, platform, instances.FixedPlacement(seed=seed), seed=seed).run().makespan,
        "simulate": lambda: simulate(workflow, platform, instances.FixedPlacement(seed=seed),
                                     seed=seed).metrics.makespan,
    }
    for _ in range(repeat):
        for name, fn in runs.items():
            makespans[name], c, w = timed(fn)
            cpu[name].append(c)
            wall[name].append(w)
    bare_s, engine_s, full_s = (median(cpu[k]) for k in ("bare", "engine", "simulate"))
    with tempfile.TemporaryDirectory() as tmp:  # loading a file: once (100k tasks take seconds)
        paths = instances.write_files(workflow, platform, Path(tmp))
        (loaded, _), load_s, load_wall = timed(lambda: load(*paths))
    if len(loaded.tasks) != tasks:
        raise AssertionError("the loaded workflow differs")
    equal = _close(makespans["bare"], makespans["engine"]) and makespans["engine"] == makespans["simulate"]
    return {
        "tasks": tasks, "devices": devices, "edges": workflow.graph.number_of_edges(),
        "build_wall_s": build_s, "bare_simpy_s": bare_s, "engine_s": engine_s, "simulate_s": full_s,
        "engine_ratio": engine_s / bare_s, "simulate_ratio": full_s / bare_s,
        "simulate_tasks_per_s": tasks / full_s, "makespan": makespans["engine"],
        "load_s": load_s, "load_simulate_ratio": (load_s + full_s) / bare_s,
        "makespans_equal": equal, "repeat": repeat,
        "wall": {**{k: median(v) for k, v in wall.items()}, "load": load_wall},
    }


def scale_case(tasks: int, devices: int, seed: int = 0) -> dict[str, Any]:
    """Simulates of a very large DAG, the static placement's and HEFT's (plan included),
    and a bare-SimPy replay of HEFT's plan: that they complete, their times and memory."""
    workflow, _, build_s = timed(lambda: instances.workflow(tasks, seed=seed))
    platform = instances.platform(devices)
    gc.collect()
    gc.freeze()  # the instance lives to the end: no run pays for walking it
    try:
        result, cpu_s, wall_s = timed(lambda: simulate(workflow, platform, instances.FixedPlacement(seed=seed),
                                                       seed=seed))
        completed = len(result.trace.tasks) == tasks
        del result
        heft, heft_s, heft_wall = timed(lambda: simulate(workflow, platform, "heft", seed=seed))
        heft_makespan, heft_plan = heft.metrics.makespan, heft.plan
        heft_completed = len(heft.trace.tasks) == tasks
        del heft
        inputs = bare_inputs(workflow, platform, heft_plan)
        bare_makespan, bare_s, _ = timed(lambda: bare_simpy(**inputs))
    finally:
        gc.unfreeze()
    return {"tasks": tasks, "devices": devices, "edges": workflow.edge_count,
            "build_s": build_s, "simulate_s": cpu_s, "simulate_wall_s": wall_s,
            "simulate_tasks_per_s": tasks / cpu_s, "makespan": heft_makespan,
            "completed": completed and heft_completed,
            "heft_simulate_s": heft_s, "heft_simulate_wall_s": heft_wall, "heft_bare_simpy_s": bare_s,
            "heft_ratio": heft_s / bare_s, "makespans_equal": _close(heft_makespan, bare_makespan)}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
