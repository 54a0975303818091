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
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from functools import partial
from typing import Any, Callable, Iterator

from scheduler.experiments import results
from scheduler.experiments.lock import folder_lock
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
              on_done: Callable[[RunSpec, dict], None] | None = None,
              decision_timeout: float | None = None, wait: bool = False,
              on_warning: Callable[[str], None] | None = None) -> Outcome:
    """Run every unfinished run of ``suite`` into ``out`` and write the results folder.

    ``on_start(to_run, already_done)`` and ``on_done(spec, record)`` report progress;
    ``on_warning(line)`` gets one line about stored results found invalid (they run
    again; default: printed on stderr). ``processes=False`` makes a Dask
    LocalCluster use threads (quick to start; for tests). ``decision_timeout``: as in
    :func:`scheduler.api.simulate`. The folder is locked while the suite runs: a
    second run on it refuses naming the first, or with ``wait`` waits for it.
    """
    from scheduler.api import check_writable, remove_stale_temporaries

    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r} (known: {', '.join(EXECUTORS)})", item="--executor")
    out = Path(out)
    workers = workers or default_workers()
    if workers < 1:
        raise InputError(f"expected at least 1 worker, got {workers}", item="--workers")
    check_writable(out, folder=True, need_bytes=_bytes_needed(suite))
    if executor == "dask" and scheduler:
        check_reachable(scheduler)  # before anything is written: an unreachable cluster leaves no files
    with folder_lock(out, wait=wait, on_wait=on_warning):
        remove_stale_temporaries(out)  # half-written files of killed earlier attempts (runs, tables, plots)
        return _run_locked(suite, out, workers=workers, executor=executor, scheduler=scheduler,
                           processes=processes, on_start=on_start, on_done=on_done,
                           decision_timeout=decision_timeout, on_warning=on_warning or _warn)


def _warn(line: str) -> None:
    print(f"hybridsched: warning: {line}", file=sys.stderr)


def _bytes_needed(suite: Suite) -> int:
    # A record and a trace are a few KB per run for the workflows of a suite: refuse a
    # nearly full disk up front rather than fail half-way (it is still caught after).
    return 16_384 * len(suite.runs) + (1 << 20)


def _run_locked(suite: Suite, out: Path, *, workers: int, executor: str, scheduler: str | None,
                processes: bool, on_start, on_done, decision_timeout, on_warning) -> Outcome:
    results.copy_suite(out, suite)
    records: dict[str, dict] = {}
    todo: list[RunSpec] = []
    invalid: list[str] = []
    for spec in suite.runs:
        found, why = results.check_run(out, spec)
        if found is None:
            todo.append(spec)
            if why:
                invalid.append(f"{results.run_dir(out, spec) / 'result.json'}: {why}")
        else:
            records[spec.run_id] = found
    if invalid:
        more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
        on_warning(f"{len(invalid)} stored result{'s are' if len(invalid) > 1 else ' is'} invalid and "
                   f"will run again: {invalid[0]}{more}")
    outcome = Outcome(out, records, resumed=len(records))
    results.write_manifest(out, results.manifest(suite, records, executor=executor, complete=False))
    if on_start:
        on_start(len(todo), outcome.resumed)

    run = _local if executor == "local" else _dask
    job = execute_run if decision_timeout is None else partial(execute_run, decision_timeout=decision_timeout)
    for spec, (record, trace_csv) in run(todo, workers=workers, scheduler=scheduler, processes=processes,
                                         job=job):
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


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """InputError unless a TCP connection to a Dask scheduler ``address`` opens within ``timeout``."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return  # inproc://, ucx://: let Dask say
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError as err:
        raise InputError(f"not a scheduler address: {err}", item=f"--scheduler {address}") from None
    if not host:
        raise InputError("not a scheduler address (expected tcp://HOST:PORT)", item=f"--scheduler {address}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        reason = "no answer" if isinstance(err, TimeoutError) else (err.strerror or str(err))
        raise InputError(f"cannot reach the Dask scheduler at {host}:{port}: {reason}",
                         item=f"--scheduler {address}") from None


def _worker_init(parent: int) -> None:
    """Run in every local worker process: die with the parent, and hold none of its pipes.

    On Linux the kernel sends the worker SIGKILL when its parent dies, however it
    dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread watches the parent.
    The worker's stdin, stdout and stderr become /dev/null, so that a ``| tee`` or
    a CI log capture ends when the parent does (a worker reports through its
    return value only).
    """
    import signal
    import threading

    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)
    if not armed:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, name="hybridsched-parent-watch", daemon=True).start()
    from scheduler.experiments import lock

    for fd, _ in list(lock._held.values()):  # a forked worker must not keep the folder locked
        os.close(fd)
    lock._held.clear()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _local(todo: list[RunSpec], *, workers: int, job: Callable = execute_run,
           **_: Any) -> Iterator[tuple[RunSpec, tuple[dict, str]]]:
    if workers == 1 or len(todo) <= 1:
        for spec in todo:
            yield spec, job(spec)
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_worker_init,
                               initargs=(os.getpid(),))
    try:
        pending = {pool.submit(job, spec): spec for spec in todo}
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
          job: Callable = execute_run, **_: Any) -> Iterator[tuple[RunSpec, tuple[dict, str]]]:
    if not todo:
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                   dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError) as err:
        raise InputError(f"cannot reach the Dask scheduler: {err}", item=f"--scheduler {scheduler}") from None
    try:
        futures = client.map(job, todo, pure=False)
        spec_of = {f.key: s for f, s in zip(futures, todo)}
        for future in as_completed(futures):
            spec = spec_of[future.key]
            yield spec, future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
