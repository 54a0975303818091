"""The Python API: load, simulate, read the result.

>>> from scheduler.api import load, simulate
>>> workflow, platform = load("../shared/cases/topcuoglu2002.json")
>>> result = simulate(workflow, platform, policy="heft")
>>> result.metrics.makespan
80.0
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from devices.platform import Platform, load_platform
from scheduler.fault_engine import engine_class
from scheduler.metrics import Metrics, compute
from scheduler.policy import Plan, Policy
from scheduler.trace import Trace
from workloads.errors import InputError
from workloads.workflow import Workflow


@dataclass
class Result:
    """One run: what ran where (trace), what it cost (metrics), and any static plan."""

    workflow: Workflow
    platform: Platform
    policy: str
    seed: int
    trace: Trace
    metrics: Metrics
    plan: Plan | None = None

    def summary(self, *, schedule: bool = True) -> dict[str, Any]:
        """The JSON summary: headline metrics, per-device figures and the schedule
        (with ``schedule=False``, ``"schedule": null`` and the task count in
        ``"schedule_omitted"``: for very large runs, whose schedule is in trace.csv)."""
        m = self.metrics
        return {
            "workflow": self.workflow.name,
            "platform": self.platform.name,
            "policy": self.policy,
            "seed": self.seed,
            "makespan": m.makespan,
            "energy_j": m.energy_j,
            "facility_energy_j": m.facility_energy_j,
            "carbon_g": m.carbon_g,
            "cost_usd": m.cost_usd,
            "slr": m.slr,
            "speedup": m.speedup,
            "fidelity_mean": m.fidelity_mean,
            "fidelity_product": m.fidelity_product,
            "fidelity_min": m.fidelity_min,
            "queue_wait_s": m.queue_wait_s,
            "session_idle_s": m.session_idle_s,
            "planned_makespan": self.plan.makespan if self.plan else None,
            "devices": [vars(d) for d in m.devices],
            **({"links": [vars(k) for k in m.links]} if m.links else {}),
            "carbon_by_hour": m.carbon_by_hour,
            "schedule": None if not schedule else [
                {"task": r.task, "device": r.device, "start": r.start, "finish": r.finish,
                 "energy_j": m.task_energy_j.get(r.task, 0.0),
                 "cost_usd": m.task_cost_usd.get(r.task, 0.0), "carbon_g": m.task_carbon_g.get(r.task, 0.0),
                 **({"fidelity": m.task_fidelity[r.task], "fidelity_source": m.fidelity_source.get(r.task, "estimate")}
                    if r.task in m.task_fidelity else {}),
                 **({"mitigated_fidelity": m.task_mitigated_fidelity[r.task]}
                    if r.task in m.task_mitigated_fidelity else {})}
                for r in self.trace.tasks if r.status == "done"],
            **({} if schedule else {"schedule_omitted": sum(r.status == "done" for r in self.trace.tasks)}),
            "wasted_energy_j": m.wasted_energy_j,
            "wasted_cost_usd": m.wasted_cost_usd,
            "failed_attempts": m.failed_attempts,
            "failed": dict(self.trace.failed),
            "notes": list(self.trace.notes),
        }


def load(workflow_path: str | Path, platform: str | Path | None = None) -> tuple[Workflow, Platform]:
    """Read a workflow and the platform to run it on.

    ``platform`` is a platform file or preset name; without it, the platform
    the workflow file carries (cost-matrix instances carry one).
    """
    from workloads.loaders import load_workflow

    workflow = load_workflow(workflow_path)
    if platform is not None:
        return workflow, load_platform(platform)
    if workflow.platform is None:
        raise InputError("this workflow carries no platform: give one with --platform FILE|PRESET",
                         source=str(workflow_path))
    return workflow, workflow.platform


def simulate(workflow: Workflow, platform: Platform, policy: str | Policy = "heft", *,
             seed: int = 0, decision_timeout: float | None = None, **options: Any) -> Result:
    """Run ``workflow`` on ``platform`` under ``policy`` (a name or an instance).

    ``decision_timeout``: seconds one call into a policy that is not built in may
    take (default: $HYBRIDSCHED_DECISION_TIMEOUT, else 300; 0: no limit).
    """
    from scheduler.policies import make_policy

    if not workflow.tasks:
        raise InputError("the workflow has no tasks: nothing to simulate", source=workflow.source)
    # Circuit cutting is a workflow transformation before planning (workloads/cutting.py): a
    # quantum task wider than the QPUs at hand, or than cut_width when asked, becomes its
    # subexperiments and a reconstruction.
    cut_width = options.pop("cut_width", None)
    if workflow.has_quantum():
        from workloads.cutting import cut_workflow

        workflow = cut_workflow(workflow, platform, cut_width, seed=seed)
    elif cut_width is not None:
        from workloads.cutting import check_width

        check_width(cut_width, source=workflow.source)
    if isinstance(policy, str):
        policy = make_policy(policy, seed=seed, **options)
    engine = engine_class(platform)(workflow, platform, policy, seed=seed, decision_timeout=decision_timeout)
    check_time_range(engine.problem)
    # Sums near the float limit overflow to inf inside planners and metrics; the check
    # below reports that in one line, so numpy's warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        trace = engine.run()
        metrics = compute(trace, platform, engine.problem)
    for name in ("makespan", "energy_j", "cost_usd", "carbon_g"):
        if not math.isfinite(getattr(metrics, name)):  # never report inf or NaN as a result
            raise InputError(f"the run's {name} overflows a float: some times, powers or prices are too large "
                             f"(near 1e308)", source=workflow.source)
    return Result(workflow, platform, policy.name, seed, trace, metrics, engine.plan)


def check_time_range(problem: Any) -> None:
    """Refuse, before any planning, a workflow whose every schedule overflows a float:
    its critical path, each task on its fastest device and no transfer time, is past
    the largest float (about 1.8e308)."""
    with np.errstate(over="ignore", invalid="ignore"):
        fastest = problem.exec_columns[0].min(axis=1)
        if math.isfinite(float(fastest.sum())):  # no path is longer than all tasks in a row
            return
        finish = fastest.tolist()
        preds = problem.preds
        for i in problem.topological_order():
            if preds[i]:
                finish[i] += max(finish[u] for u in preds[i])
    if not math.isfinite(max(finish)):
        raise InputError("the run's makespan overflows a float: some times, powers or prices are too large "
                         "(near 1e308)", source=problem.workflow.source)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""

    def write_text(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    replace_atomic(path, write_text)


#: Every temporary file of an atomic write is named ``.NAME.PID@HOST.RANDOM.tmp``: hidden,
#: beside its target, and naming its writer, so that a clean-up can tell a file
#: whose writer is gone (a killed run) from one being written right now.
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)@(?P<host>[^./]*)\.[A-Za-z0-9_]+\.tmp$")


def _host() -> str:
    # Dots would break the name's fields; a host name's first label is enough here.
    return re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname().split(".")[0])[:40]


def replace_atomic(path: Path, write: Callable[[str], Any], suffix: str = TEMP_SUFFIX) -> None:
    """Let ``write(tmp)`` make a file beside ``path``, then put it in ``path``'s place
    in one rename; on any failure ``path`` is untouched and the temporary file removed.

    The file gets the mode a plain ``open`` would give it (0666 less the umask).
    ``suffix`` is kept for callers' compatibility; every temporary ends in ``.tmp``
    (``write`` must not rely on the name to pick a format).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}@{_host()}.",
                               suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600 whatever the umask
    finally:
        os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


def temp_writer(path: Path) -> tuple[int, str] | None:
    """(pid, host) of the writer of a temporary file of :func:`replace_atomic`; None for other files."""
    m = _TEMP_NAME.match(Path(path).name)
    return (int(m["pid"]), m["host"]) if m else None


def writer_alive(pid: int, host: str) -> bool:
    """Whether the process ``pid`` on ``host`` may still be running (True when it cannot be known)."""
    if host != _host():
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files under ``folder`` whose writer is gone; return them."""
    removed = []
    for tmp in Path(folder).rglob(f".*{TEMP_SUFFIX}"):
        writer = temp_writer(tmp)
        if writer is not None and not writer_alive(*writer):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def check_writable(path: str | Path, *, folder: bool = False, need_bytes: int = 0) -> None:
    """Refuse, before any work, an output path that cannot be written: InputError naming
    the path and why (a file where a folder must be, no permission, a name too long,
    too little free space). ``folder``: ``path`` is a folder to write files into."""
    path = Path(path)
    target_dir = path if folder else path.parent
    limit = _name_max(target_dir)
    for part in path.parts:
        if len(part.encode("utf-8", "surrogateescape")) > limit:
            raise InputError(f"a name in this path is longer than the file system allows ({limit} bytes)",
                             source=str(path))
    if folder and path.exists() and not path.is_dir():
        raise InputError("exists and is not a directory", source=str(path))
    if not folder and path.is_dir():
        raise InputError("is a directory, expected a file name", source=str(path))
    existing = target_dir
    while not _exists(existing):
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"cannot create a folder here: {existing} is not a directory", source=str(path))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"no permission to write in {existing}", source=str(path))
    if need_bytes:
        import shutil

        free = shutil.disk_usage(existing).free
        if free < need_bytes:
            raise InputError(f"needs about {need_bytes / 2**20:.1f} MiB, {existing} has "
                             f"{free / 2**20:.1f} MiB free", source=str(path))


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, a loop of links
        return False


def _name_max(folder: Path) -> int:
    probe = folder
    while not _exists(probe) and probe.parent != probe:
        probe = probe.parent
    try:
        return os.pathconf(probe, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def output_error(err: OSError) -> InputError:
    """An OSError met while writing output, as one line naming the path and the reason."""
    path = err.filename if err.filename is not None else "output"
    reason = err.strerror or type(err).__name__
    return InputError(reason[0].lower() + reason[1:] if reason else "cannot write", source=str(path))


def write_result(result: Result, out_dir: str | Path) -> list[Path]:
    """Write ``trace.csv`` and ``summary.json`` into ``out_dir``, each atomically."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", source=str(out))
    files = [(out / "trace.csv", result.trace.to_csv()),
             (out / "summary.json", json.dumps(result.summary(), indent=2) + "\n")]
    for path, text in files:
        write_atomic(path, text)
    return [p for p, _ in files]
