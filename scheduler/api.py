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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from devices.platform import Platform, load_platform
from scheduler.engine import Engine
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

    def summary(self) -> dict[str, Any]:
        """The JSON summary: headline metrics, per-device figures and the schedule."""
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
            "fidelity_min": m.fidelity_min,
            "planned_makespan": self.plan.makespan if self.plan else None,
            "devices": [vars(d) for d in m.devices],
            "schedule": [
                {"task": r.task, "device": r.device, "start": r.start, "finish": r.finish,
                 "energy_j": m.task_energy_j.get(r.task, 0.0),
                 "cost_usd": m.task_cost_usd.get(r.task, 0.0), "carbon_g": m.task_carbon_g.get(r.task, 0.0),
                 **({"fidelity": m.task_fidelity[r.task], "fidelity_source": m.fidelity_source.get(r.task, "estimate")}
                    if r.task in m.task_fidelity else {}),
                 **({"mitigated_fidelity": m.task_mitigated_fidelity[r.task]}
                    if r.task in m.task_mitigated_fidelity else {})}
                for r in self.trace.tasks if r.status == "done"],
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
    engine = Engine(workflow, platform, policy, seed=seed, decision_timeout=decision_timeout)
    trace = engine.run()
    metrics = compute(trace, platform, engine.problem)
    for name in ("makespan", "energy_j", "cost_usd", "carbon_g"):
        if not math.isfinite(getattr(metrics, name)):  # never report inf or NaN as a result
            raise InputError(f"the run's {name} overflows a float: some times, powers or prices are too large "
                             f"(near 1e308)", source=workflow.source)
    return Result(workflow, platform, policy.name, seed, trace, metrics, engine.plan)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""

    def write_text(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    replace_atomic(path, write_text)


def replace_atomic(path: Path, write: Callable[[str], Any], suffix: str = ".tmp") -> None:
    """Let ``write(tmp)`` make a file beside ``path``, then put it in ``path``'s place
    in one rename; on any failure ``path`` is untouched and the temporary file removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
