"""hybridsched's benchmark harness: ``hybridsched bench`` or ``python -m scheduler.bench``.

Areas (one module each):

* ``startup``: ``hybridsched --help`` wall time; no Qiskit import for a
  classical workflow;
* ``command``: the whole ``hybridsched simulate FILE --policy heft --json`` on a
  cost-matrix instance against a bare-SimPy replay of its plan
  (:mod:`scheduler.bench.command`);
* ``engine``: our simulate and engine against a bare-SimPy program running
  the same placement (:mod:`scheduler.bench.engine`); ``scale``: one
  1M-task simulate;
* ``planners``: HEFT, CPOP, PEFT and the batch planners, and SAGA's HEFT
  (:mod:`scheduler.bench.planners`);
* ``loader``: loading a 1M-task fan-out file against ``json.loads`` of it
  (:mod:`scheduler.bench.loader`);
* ``quantum``: transpile-and-estimate per circuit, cold and warm cache;
* ``circuits``: a 100-circuit workflow loaded and scored with a cold and a
  warm on-disk transpile cache, and cutting a 40-qubit circuit
  (:mod:`scheduler.bench.circuits`);
* ``sweeps``: runs per second of a suite on 1 and 2 local workers and on Dask;
* ``rl``: steps per second of the Gymnasium env with random actions (:mod:`scheduler.bench.rl`);
* ``qpu-modes``: a 1,000-iteration VQE in a session on a loaded shared QPU, and
  what simulating ~10^5 background tenants' jobs adds (:mod:`scheduler.bench.qpu_modes`);
* ``network``: a 100k-task run over shared links against the same run without
  contention, and the same flows in SimGrid when it is installed (:mod:`scheduler.bench.network`).

Every case runs in a fresh child process (``spawn``), which reports its peak
resident memory (``resource.getrusage``). Times are medians over
``repeat`` runs of the CPU seconds of the measuring process
(``time.process_time``) and of wall seconds: the CPU time is what ratios
and goals quote, because this machine is shared and wall time then measures
the neighbours; sweeps, which are about parallelism, quote wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import platform as platform_module
import resource
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

AREAS = ("startup", "command", "engine", "scale", "loader", "planners", "quantum", "circuits", "sweeps", "rl", "qpu-modes", "network")


@dataclass
class Case:
    area: str
    #: "module:function" under scheduler.bench, called with ``kwargs`` in a child.
    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: Seconds after which the child is stopped and the case reported as not finished.
    timeout: float = 900.0
    #: Cases of one group are skipped at sizes (componentwise) at or above one that
    #: took longer than ``budget`` CPU seconds or timed out.
    group: str | None = None
    size: tuple[int, ...] = ()
    budget: float = math.inf


def cases(quick: bool, areas: tuple[str, ...] = AREAS) -> list[Case]:
    """The cases of each area, small ones for ``quick`` (about a minute in all)."""
    from scheduler.bench import planners

    out: list[Case] = []
    if "startup" in areas:
        out.append(Case("startup", "startup:run_case", {"repeat": 3 if quick else 7}))
    if "command" in areas:
        for n in ((10_000,) if quick else (10_000, 100_000)):
            out.append(Case("command", "command:run_case", {"tasks": n, "devices": 16}, timeout=1800))
    if "engine" in areas:
        grid = [(1_000, 16), (10_000, 256)] if quick else \
            [(n, p) for n in (1_000, 10_000, 100_000) for p in (16, 256, 1_000)]
        for n, p in grid:
            out.append(Case("engine", "engine:run_case", {"tasks": n, "devices": p, "repeat": 3}))
    if "scale" in areas and not quick:
        out.append(Case("scale", "engine:scale_case", {"tasks": 1_000_000, "devices": 256}, timeout=1800))
    if "loader" in areas and not quick:
        out.append(Case("loader", "loader:fanout_case", {"tasks": 1_000_000}, timeout=1800))
    if "planners" in areas:
        for row in planners.plan_grid(quick):
            group = row["policy"] + (f"-cpu{row['cores']}" if row.get("cores") else "")
            out.append(Case("planners", "planners:plan_case", row, timeout=600, group=group,
                            size=(row["tasks"], row["devices"]), budget=planners.BUDGET_S))
        for row in planners.batch_grid(quick):
            out.append(Case("planners", "planners:batch_case", row, timeout=1200))
        for row in planners.saga_grid(quick):
            out.append(Case("planners", "planners:saga_case", row, timeout=1200))
    if "quantum" in areas:
        out.append(Case("quantum", "quantum:run_case", {"circuits": 3 if quick else 8}))
    if "circuits" in areas:
        import os
        import tempfile

        # shared by cold (which empties it first) and warm (which removes it)
        cache = os.path.join(tempfile.gettempdir(), f"hybridsched-bench-cache-{os.getpid()}")
        size = 20 if quick else 100
        out.append(Case("circuits", "circuits:cache_case", {"cache_dir": cache, "phase": "cold", "circuits": size}))
        out.append(Case("circuits", "circuits:cache_case", {"cache_dir": cache, "phase": "warm", "circuits": size,
                                                             "cleanup": True}))
        out.append(Case("circuits", "circuits:cut_case", {"qubits": 40, "width": 20}))
    if "sweeps" in areas:
        out.append(Case("sweeps", "sweeps:run_case", {"runs": 8 if quick else 32, "quick": quick}))
    if "rl" in areas:
        out.append(Case("rl", "rl:run_case", {"steps": 5_000 if quick else 20_000}))
    if "qpu-modes" in areas:
        import os
        import tempfile

        # cold (an emptied cache: the first simulate transpiles), then a new process's rerun on it
        cache = os.path.join(tempfile.gettempdir(), f"hybridsched-bench-qpu-cache-{os.getpid()}")
        iterations = 100 if quick else 1000
        out.append(Case("qpu-modes", "qpu_modes:run_case", {"iterations": iterations, "repeat": 1 if quick else 3,
                                                            "cache_dir": cache, "phase": "cold"}))
        out.append(Case("qpu-modes", "qpu_modes:run_case", {"iterations": iterations, "repeat": 1,
                                                            "cache_dir": cache, "phase": "rerun", "cleanup": True}))
    if "network" in areas:
        out.append(Case("network", "network:bench_case", {"tasks": 2_000 if quick else 100_000},
                        timeout=3600))
    return out


def _child(target: str, kwargs: dict[str, Any], conn) -> None:
    import importlib

    try:
        module, _, name = target.partition(":")
        fn = getattr(importlib.import_module(f"scheduler.bench.{module}"), name)
        row = fn(**kwargs)
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send(row)
    except BaseException as err:  # report, do not hang the parent
        conn.send({"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc(limit=5)})
    finally:
        conn.close()


def run_case(case: Case) -> dict[str, Any]:
    """Run one case in a fresh process; its row, with ``peak_rss_mb`` or an ``error``."""
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case.target, case.kwargs, send))
    t = time.perf_counter()
    proc.start()
    send.close()
    row: dict[str, Any]
    if recv.poll(case.timeout):
        try:
            row = recv.recv()
        except EOFError:
            row = {"error": "the child process died (out of memory?)"}
    else:
        row = {"error": f"did not finish in {case.timeout:.0f} s", "timeout": True}
        proc.kill()
    proc.join()
    row.setdefault("case", case.target.split(":")[1])
    row["args"] = case.kwargs
    row["case_wall_s"] = time.perf_counter() - t
    return row


def run(quick: bool = False, areas: tuple[str, ...] = AREAS,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the harness; the results as one JSON-ready dict."""
    results: dict[str, list[dict[str, Any]]] = {area: [] for area in areas}
    started = time.time()
    too_slow: dict[str, list[tuple[int, ...]]] = {}
    for case in cases(quick, areas):
        if progress:
            progress(f"{case.area}: {case.target.split(':')[1]} {_args(case.kwargs)}")
        slower = [s for s in too_slow.get(case.group, []) if all(a <= b for a, b in zip(s, case.size))]
        if slower:
            row = {"case": case.target.split(":")[1], "args": case.kwargs,
                   "skipped": f"size {slower[0]} already took over {case.budget:.0f} s"}
        else:
            row = run_case(case)
            if case.group and (row.get("timeout") or row.get("seconds", 0.0) > case.budget):
                too_slow.setdefault(case.group, []).append(case.size)
        results[case.area].append(row)
        if progress and "error" in row:
            progress(f"  {row['error']}")
    return {"meta": meta(quick, time.time() - started), "areas": results}


def meta(quick: bool, seconds: float) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("hybridsched", "simpy", "networkx", "numpy", "qiskit", "qiskit-aer", "dask", "anrg-saga"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "quick": quick, "seconds": seconds, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0], "machine": platform_module.machine(),
        "cpus": multiprocessing.cpu_count(), "load_average": list(_loadavg()), "versions": versions,
    }


def _loadavg() -> tuple[float, ...]:
    try:
        import os

        return os.getloadavg()
    except OSError:
        return ()


def _args(kwargs: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("repeat", "quick"))


def render(results: dict[str, Any]) -> str:
    """The results as a plain-text table per area."""
    from scheduler.bench.report import render_areas

    return render_areas(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler.bench", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return execute(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes only (about a minute)")
    parser.add_argument("--area", action="append", choices=AREAS, metavar="AREA",
                        help=f"run only this area (repeatable; {', '.join(AREAS)})")
    parser.add_argument("--out", metavar="FILE", help="also write the results as JSON to FILE")


def execute(args: argparse.Namespace) -> int:
    from pathlib import Path

    areas = tuple(args.area) if args.area else AREAS
    results = run(quick=args.quick, areas=areas, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(render(results))
    if args.out:
        from scheduler.api import write_atomic

        write_atomic(Path(args.out), json.dumps(results, indent=2, sort_keys=True) + "\n")
    failed = any("error" in row and not row.get("timeout") for rows in results["areas"].values() for row in rows)
    return 1 if failed else 0
