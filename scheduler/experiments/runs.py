"""One run of a suite, as a plain function any worker process can call.

:func:`execute_run` takes a :class:`~scheduler.experiments.suite.RunSpec`
and returns the run's record (the row of the results table and what the
plots need) and its trace as CSV text. It writes nothing: the process that
drives the suite writes each finished run atomically, so a worker on
another machine needs no shared file system.
"""

from __future__ import annotations

import json
import time
import traceback
from functools import lru_cache
from typing import Any

from scheduler.experiments.suite import RunSpec
from workloads.errors import InputError

#: Metric columns of the results table, in order.
METRICS = ("makespan", "energy_j", "facility_energy_j", "carbon_g", "cost_usd", "slr", "speedup", "fidelity_product",
           "fidelity_mean", "queue_wait_s", "session_idle_s")
#: Objectives: column -> True when lower is better.
OBJECTIVES = {"makespan": True, "energy_j": True, "cost_usd": True, "carbon_g": True, "fidelity_product": False}


@lru_cache(maxsize=32)
def _workflow(spec_json: str):
    """Workflows are cached per process: every policy of a repeat reuses the same instance."""
    from workloads.generators import generate
    from workloads.loaders import load_workflow

    spec = json.loads(spec_json)
    if "file" in spec:
        return load_workflow(spec["file"])
    return generate(spec["generator"], **spec["params"])


def build_workflow(spec: RunSpec):
    return _workflow(json.dumps(spec.workflow, sort_keys=True))


def build_platform(spec: RunSpec, workflow: Any):
    """The run's platform: a preset, a file or the workflow's own, moved to the suite's site."""
    from devices.platform import load_platform

    p = spec.platform
    if p.get("own"):
        if workflow.platform is None:
            raise InputError("the workflow carries no platform, so it cannot run on 'own'",
                             item=f"platform {p['label']!r}")
        platform = workflow.platform
    else:
        platform = load_platform(p.get("preset") or p["file"])
    site = p.get("site")
    if site:
        # A fresh object per run: never change the cached workflow's platform in place.
        from devices.platform import Platform

        platform = Platform(platform.name, platform.devices, links=_named_links(platform),
                            default_link=platform.default_link,
                            pue=site.get("pue", platform.pue),
                            carbon_g_per_kwh=site.get("carbon_g_per_kwh", platform.carbon_g_per_kwh),
                            source=platform.source, meta=platform.meta, network=platform.network,
                            carbon_series=platform.carbon_series, start=platform.start,
                            sites=platform.sites, device_sites=platform.device_sites)
    return platform


def _named_links(platform: Any) -> dict:
    seen: dict = {}
    routed = platform.network.routes if platform.network else {}
    for (a, b), link in platform.links.items():
        if (b, a) not in seen and (a, b) not in routed:
            seen[a, b] = link
    return seen


def fidelity(result: Any) -> float | None:
    """Product of the estimated success probabilities of the quantum tasks'
    runs (``Device.fidelity``); None when the workflow has no quantum task."""
    metric = getattr(result.metrics, "fidelity", None)
    if metric is not None:
        return float(metric)
    quantum = [t for t in result.workflow.tasks if t.kind == "quantum"]
    if not quantum:
        return None
    runs = result.trace.runs()
    value = 1.0
    for task in quantum:
        run = runs.get(task.id)
        if run is not None:
            value *= result.platform.device(run.device).fidelity(task)
    return value


def execute_run(spec: RunSpec, decision_timeout: float | None = None) -> tuple[dict[str, Any], str]:
    """Run one suite run; return its record and its trace CSV ('' when it failed).

    Bad input or a failing policy gives a record with ``status: "error"`` and
    the message, so one broken combination does not stop a sweep.
    ``decision_timeout``: as in :func:`scheduler.api.simulate` (it changes no number).
    """
    from scheduler.api import simulate

    started = time.perf_counter()
    base = {"run_id": spec.run_id, "key": spec.key, "fingerprint": spec.fingerprint}
    try:
        workflow = build_workflow(spec)
        platform = build_platform(spec, workflow)
        result = simulate(workflow, platform, spec.policy["policy"], seed=spec.seed,
                          decision_timeout=decision_timeout, **spec.policy.get("options", {}))
    except InputError as err:
        return dict(base, status="error", error=str(err), wall_s=time.perf_counter() - started), ""
    except Exception as err:  # a bug somewhere must not kill the sweep; keep its traceback
        return dict(base, status="error", error=f"{type(err).__name__}: {err}",
                    traceback=traceback.format_exc(), wall_s=time.perf_counter() - started), ""
    m = result.metrics
    energy_by_kind: dict[str, float] = {}
    for d in m.devices:
        energy_by_kind[d.kind] = energy_by_kind.get(d.kind, 0.0) + d.energy_j
    summary = result.summary()
    summary.pop("schedule")
    record = dict(
        base, status="ok",
        metrics={"makespan": m.makespan, "energy_j": m.energy_j, "facility_energy_j": m.facility_energy_j,
                 "carbon_g": m.carbon_g, "cost_usd": m.cost_usd, "slr": m.slr, "speedup": m.speedup,
                 "fidelity_product": fidelity(result), "fidelity_mean": m.fidelity_mean,
                 "queue_wait_s": m.queue_wait_s, "session_idle_s": m.session_idle_s},
        energy_by_kind=energy_by_kind,
        tasks=len(workflow.tasks),
        workflow_name=workflow.name, platform_name=platform.name, policy_name=result.policy,
        task_kinds={t.id: t.kind for t in workflow.tasks if t.kind != "classical"},
        summary=summary,
        platform_ids=platform_ids(platform),
        wall_s=time.perf_counter() - started)
    return record, result.trace.to_csv()


def platform_ids(platform: Any) -> dict[str, Any]:
    """What identifies a platform in a manifest: its name, file, site, and the
    calibration snapshot of any device that has one."""
    ids: dict[str, Any] = {"name": platform.name, "source": platform.source,
                           "pue": platform.pue, "carbon_g_per_kwh": platform.carbon_g_per_kwh}
    calibrations = {}
    for d in platform.devices:
        backend = getattr(d, "backend", None)
        if not isinstance(backend, str):
            continue
        snapshot = {"backend": backend}
        if backend != "generic":
            try:  # a fake backend's calibration snapshot carries its date (kept on disk with its target)
                kept = d.backend_snapshot
                snapshot["backend_name"] = kept.name
                snapshot["backend_version"] = kept.backend_version
                snapshot["calibration_date"] = kept.calibration_date
            except Exception as err:  # provenance must not fail a run that succeeded
                snapshot["calibration_date"] = f"unknown ({type(err).__name__})"
        calibrations[d.name] = snapshot
    if calibrations:
        ids["calibrations"] = calibrations
    return ids
