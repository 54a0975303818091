"""Running a suite: resume, execute on local processes or Dask, write the results.

:func:`run_suite` skips every run whose ``result.json`` is already in the
results folder with the same fingerprint, sends the others to an executor,
writes each one as soon as it comes back (atomically, so an interrupted
suite never loses or duplicates a finished run) and then writes the tables
and the manifest. Executors:

* ``local``: worker processes (:class:`concurrent.futures.ProcessPoolExecutor`;
  one worker runs in the calling process);
* ``dask``: a Dask distributed cluster: a :class:`distributed.LocalCluster`
  when no scheduler address is given, else the cluster at that address.

Both call :func:`~scheduler.experiments.runs.execute_run` on the same specs,
and every number depends only on the spec, so both give the same table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from scheduler.experiments import results
from scheduler.experiments.runs import execute_run
from scheduler.experiments.suite import RunSpec, Suite
from workloads.errors import InputError

EXECUTORS = ("local", "dask")


@dataclass
class Outcome:
    out: Path
    records: dict[str, dict]
    #: Runs found already done in the folder.
    resumed: int = 0
    #: Runs executed now.
    executed: int = 0
    errors: list[dict] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_suite(suite: Suite, out: str | Path, *, workers: int | None = None, executor: str = "local",
              scheduler: str | None = None, processes: bool = True,
              on_start: Callable[[int, int], None] | None = None,
              on_done: Callable[[RunSpec, dict], None] | None = None) -> Outcome:
    """Run every unfinished run of ``suite`` into ``out`` and write the results folder.

    ``on_start(to_run, already_done)`` and ``on_done(spec, record)`` report progress.
    ``processes=False`` makes a Dask LocalCluster use threads (quick to start; for tests).
    """
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r} (known: {', '.join(EXECUTORS)})", item="--executor")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", source=str(out))
    workers = workers or default_workers()
    if workers < 1:
        raise InputError(f"expected at least 1 worker, got {workers}", item="--workers")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("runs/*/.*.tmp"):  # half-written files of a killed earlier attempt
        stale.unlink(missing_ok=True)
    results.copy_suite(out, suite)

    records: dict[str, dict] = {}
    todo: list[RunSpec] = []
    for spec in suite.runs:
        found = results.read_run(out, spec)
        if found is None:
            todo.append(spec)
        else:
            records[spec.run_id] = found
    outcome = Outcome(out, records, resumed=len(records))
    results.write_manifest(out, results.manifest(suite, records, executor=executor, complete=False))
    if on_start:
        on_start(len(todo), outcome.resumed)

    run = _local if executor == "local" else _dask
    for spec, (record, trace_csv) in run(todo, workers=workers, scheduler=scheduler, processes=processes):
        results.write_run(out, spec, record, trace_csv)
        records[spec.run_id] = record
        outcome.executed += 1
        if record.get("status") != "ok":
            outcome.errors.append(record)
        if on_done:
            on_done(spec, record)

    outcome.tables = results.write_tables(out, results.table(suite.runs, records))
    complete = all(records.get(s.run_id, {}).get("status") == "ok" for s in suite.runs)
    results.write_manifest(out, results.manifest(suite, records, executor=executor, complete=complete))
    return outcome


def _local(todo: list[RunSpec], *, workers: int, **_: Any) -> Iterator[tuple[RunSpec, tuple[dict, str]]]:
    if workers == 1 or len(todo) <= 1:
        for spec in todo:
            yield spec, execute_run(spec)
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)))
    try:
        pending = {pool.submit(execute_run, spec): spec for spec in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].index):
                spec = pending.pop(future)
                try:
                    yield spec, future.result()
                except BrokenProcessPool:
                    raise InputError(f"a worker process died; {len(pending) + 1} runs are unfinished: "
                                     f"run the same command again to resume") from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _dask(todo: list[RunSpec], *, workers: int, scheduler: str | None, processes: bool = True,
          **_: Any) -> Iterator[tuple[RunSpec, tuple[dict, str]]]:
    if not todo:
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                   dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError) as err:
        raise InputError(f"cannot reach the Dask scheduler: {err}", item=f"--scheduler {scheduler}") from None
    try:
        futures = client.map(execute_run, todo, pure=False)
        spec_of = {f.key: s for f, s in zip(futures, todo)}
        for future in as_completed(futures):
            spec = spec_of[future.key]
            yield spec, future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
