"""A results folder: the table, the summaries and the manifest.

Layout of ``OUT``::

    manifest.json        suite hash, seeds, versions, git commit, platform ids
    suite.yaml           a copy of the suite file as run
    results.csv/.parquet one row per run, every metric
    summary.csv          per workflow, platform and policy: mean, std, min, max over repeats
    winners.csv          per workflow and platform: the best policy for each objective
    pareto.csv           per workflow and platform: each policy's mean objectives, on_front
    runs/RUN_ID/         result.json (the record) and trace.csv of each run
    plots/               see :mod:`scheduler.reports.plots`

Every file is written atomically; ``runs/RUN_ID/result.json`` is written
last, so its presence means the run finished.
"""

from __future__ import annotations

import io
import json
import math
import platform as py_platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable

from scheduler.api import replace_atomic, write_atomic
from scheduler.experiments.runs import METRICS, OBJECTIVES
from scheduler.experiments.suite import RunSpec, Suite
from workloads.errors import InputError

PACKAGES = ("hybridsched", "simpy", "networkx", "numpy", "qiskit", "qiskit-aer")


def run_dir(out: Path, spec: RunSpec) -> Path:
    return out / "runs" / spec.run_id


def write_run(out: Path, spec: RunSpec, record: dict[str, Any], trace_csv: str) -> None:
    """Store a finished run: the trace, then the record that marks it done."""
    folder = run_dir(out, spec)
    if trace_csv:
        write_atomic(folder / "trace.csv", trace_csv)
    write_atomic(folder / "result.json", json.dumps(record, indent=1, sort_keys=True) + "\n")


def read_run(out: Path, spec: RunSpec) -> dict[str, Any] | None:
    """The stored record of a run when it finished with this spec's fingerprint, else None."""
    return check_run(out, spec)[0]


#: Metrics that may be null in a good record: no quantum task (fidelity_*), no CCR
#: baseline (slr) or no single device that runs every task (speedup).
OPTIONAL_METRICS = ("slr", "speedup", "fidelity_product", "fidelity_mean")


def check_run(out: Path, spec: RunSpec) -> tuple[dict[str, Any] | None, str]:
    """(the stored record, "") when run ``spec`` finished in ``out`` and its record is
    whole; else (None, why it is not usable; "" when it is simply not done, failed or
    from another version of the suite, which need no warning)."""
    path = run_dir(out, spec) / "result.json"
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None, ""
    except OSError as err:
        return None, f"unreadable ({err.strerror})"
    try:
        record = json.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except ValueError as err:
        return None, f"not valid JSON ({err})"
    why = record_problem(record)
    if why:
        return None, why
    if record["fingerprint"] != spec.fingerprint or record["status"] != "ok":
        return None, ""  # the suite changed, or the run failed: run it again, silently
    return record, ""


def record_problem(record: Any) -> str:
    """What is wrong with a run record (result.json), or "" when it is whole."""
    if not isinstance(record, dict):
        return f"expected a JSON object, found {type(record).__name__}"
    for key in ("fingerprint", "status"):
        if not isinstance(record.get(key), str):
            return f"no {key!r} string"
    if record["status"] != "ok":
        return ""
    metrics = record.get("metrics")
    if not isinstance(metrics, dict):
        return "status ok but no 'metrics' object"
    for name in METRICS:
        if name not in metrics:
            return f"metric {name!r} is missing"
        value = metrics[name]
        if value is None and name in OPTIONAL_METRICS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"metric {name!r} is {value!r}, expected a finite number"
    return ""


def read_json(path: Path, what: str) -> Any:
    """A JSON file of a results folder; InputError naming it and what is wrong."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
        return json.loads(text)
    except FileNotFoundError:
        raise InputError(f"missing: not a whole {what}", source=str(path)) from None
    except UnicodeDecodeError as err:
        raise InputError(f"damaged {what}: not UTF-8 text (byte {err.start})", source=str(path)) from None
    except ValueError as err:
        raise InputError(f"damaged {what}: not valid JSON ({err})", source=str(path)) from None
    except OSError as err:
        raise InputError(f"unreadable {what}: {err.strerror}", source=str(path)) from None


def table(specs: Iterable[RunSpec], records: dict[str, dict]) -> "Any":
    """One row per run, in suite order (a pandas DataFrame)."""
    import pandas as pd

    rows = []
    kinds: list[str] = []
    for spec in specs:
        rec = records.get(spec.run_id) or {"status": "missing"}
        for kind in rec.get("energy_by_kind", {}):
            if kind not in kinds:
                kinds.append(kind)
    for spec in specs:
        rec = records.get(spec.run_id) or {"status": "missing"}
        row: dict[str, Any] = {
            "run_id": spec.run_id, "workflow": spec.workflow["label"], "platform": spec.platform["label"],
            "policy": spec.policy["label"], "repeat": spec.repeat, "seed": spec.seed}
        for key, value in spec.grid.items():
            row[f"param_{key}"] = value
        row["tasks"] = rec.get("tasks")
        metrics = rec.get("metrics", {})
        for name in METRICS:
            row[name] = metrics.get(name)
        for kind in kinds:
            row[f"energy_j_{kind}"] = rec.get("energy_by_kind", {}).get(kind, 0.0 if metrics else None)
        row["status"] = rec.get("status")
        row["error"] = rec.get("error", "")
        rows.append(row)
    df = pd.DataFrame(rows)
    for name in METRICS + ("tasks",):
        df[name] = pd.to_numeric(df[name], errors="coerce")
    return df


def summarize(df: "Any") -> "Any":
    """Mean, standard deviation, min and max of each metric over repeats."""
    import pandas as pd

    ok = df[df["status"] == "ok"]
    keys = ["workflow", "platform", "policy"]
    metrics = [m for m in METRICS if ok[m].notna().any()]
    if ok.empty:
        return pd.DataFrame(columns=keys + ["runs"])
    grouped = ok.groupby(keys, sort=False)
    out = grouped.size().rename("runs").to_frame()
    for m in metrics:
        stats = grouped[m].agg(["mean", "std", "min", "max"])
        stats.columns = [f"{m}_{s}" for s in stats.columns]
        out = out.join(stats)
    return out.reset_index()


def winners(summary: "Any") -> "Any":
    """Per workflow and platform, the policy with the best mean for each objective.

    Policies within a relative 1e-9 of the best all win (``tied`` is True):
    when every policy gives the same value, every policy is listed.
    """
    import pandas as pd

    rows = []
    for (wf, plat), group in summary.groupby(["workflow", "platform"], sort=False):
        for objective, lower in OBJECTIVES.items():
            column = f"{objective}_mean"
            if column not in group or group[column].isna().all():
                continue
            values = group[column]
            best = values.min() if lower else values.max()
            tol = 1e-9 * abs(best)
            best_rows = group[(values - best).abs() <= tol]
            for _, row in best_rows.iterrows():
                rows.append({"workflow": wf, "platform": plat, "objective": objective,
                             "policy": row["policy"], "value": row[column], "tied": len(best_rows) > 1})
    return pd.DataFrame(rows, columns=["workflow", "platform", "objective", "policy", "value", "tied"])


def pareto(summary: "Any") -> "Any":
    """Each policy's mean time, energy, cost (and fidelity) per workflow and
    platform, with ``on_front``: no other policy is at least as good in every
    objective and better in one."""
    import pandas as pd

    objectives = [o for o in ("makespan", "energy_j", "cost_usd", "fidelity_product")
                  if f"{o}_mean" in summary and summary[f"{o}_mean"].notna().any()]
    frames = []
    for _, group in summary.groupby(["workflow", "platform"], sort=False):
        points = group[["workflow", "platform", "policy"] + [f"{o}_mean" for o in objectives]].copy()
        points.columns = ["workflow", "platform", "policy"] + objectives
        # Minimise everything: fidelity is maximised, so negate it for the test.
        costs = [[(-row[o] if o == "fidelity_product" else row[o]) for o in objectives] for _, row in points.iterrows()]
        points["on_front"] = [not any(_dominates(other, mine) for other in costs) for mine in costs]
        frames.append(points)
    if not frames:
        return pd.DataFrame(columns=["workflow", "platform", "policy", "on_front"])
    return pd.concat(frames, ignore_index=True)


def _dominates(a: list[float], b: list[float]) -> bool:
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def write_tables(out: Path, df: "Any") -> dict[str, "Any"]:
    """Write results, summary, winners and pareto tables (CSV; results also Parquet)."""
    summary = summarize(df)
    tables = {"results": df, "summary": summary, "winners": winners(summary), "pareto": pareto(summary)}
    for name, frame in tables.items():
        write_atomic(out / f"{name}.csv", frame.to_csv(index=False))
    _write_parquet(out / "results.parquet", df)
    return tables


def _write_parquet(path: Path, df: "Any") -> None:
    replace_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


#: Columns every results table has (``table``); a file without them is not one.
TABLE_COLUMNS = ("run_id", "workflow", "platform", "policy", "repeat", "status")


def read_table(out: Path) -> "Any":
    """``out/results.csv`` as a DataFrame; InputError naming the file when it is
    missing, not UTF-8, not CSV, or lacks a column of a results table."""
    import pandas as pd

    path = Path(out) / "results.csv"
    try:
        df = pd.read_csv(path, keep_default_na=True, encoding="utf-8", encoding_errors="strict")
    except FileNotFoundError:
        raise InputError("not a results folder (no results.csv)", source=str(out)) from None
    except UnicodeDecodeError as err:
        raise InputError(f"damaged results table: not UTF-8 text (byte {err.start})", source=str(path)) from None
    except pd.errors.EmptyDataError:
        raise InputError("damaged results table: the file is empty", source=str(path)) from None
    except (pd.errors.ParserError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"damaged results table: {first}", source=str(path)) from None
    missing = [c for c in TABLE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"damaged results table: no {missing[0]!r} column", source=str(path))
    if df.empty:
        raise InputError("damaged results table: no runs in it", source=str(path))
    for name in METRICS + ("tasks",):
        if name in df:
            df[name] = pd.to_numeric(df[name], errors="coerce")
    df["repeat"] = pd.to_numeric(df["repeat"], errors="coerce")
    return df


# -- provenance -----------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": py_platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def git_commit() -> dict[str, Any] | None:
    """The commit of hybridsched's source tree, and whether it had changes; None outside git."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def manifest(suite: Suite, records: dict[str, dict], *, executor: str, complete: bool) -> dict[str, Any]:
    """Everything needed to know what was run and to run it again."""
    platforms: dict[str, Any] = {}
    for spec in suite.runs:
        rec = records.get(spec.run_id)
        if rec and rec.get("platform_ids") and spec.platform["label"] not in platforms:
            platforms[spec.platform["label"]] = dict(rec["platform_ids"], spec=spec.platform)
    return {
        "format": "hybridsched-results/1",
        "suite": {"name": suite.name, "path": str(suite.path), "dir": str(suite.path.parent),
                  "sha256": suite.sha256, "seed": suite.seed, "repeats": suite.repeats},
        "inputs": suite.inputs,
        "complete": complete,
        "executor": executor,
        "runs": len(suite.runs),
        "seeds": {spec.run_id: {"key": spec.key, "seed": spec.seed,
                                "workflow_seed": spec.workflow.get("params", {}).get("seed")}
                  for spec in suite.runs},
        "versions": versions(),
        "git": git_commit(),
        "platforms": platforms,
    }


def write_manifest(out: Path, data: dict[str, Any]) -> None:
    write_atomic(out / "manifest.json", json.dumps(data, indent=1) + "\n")


def copy_suite(out: Path, suite: Suite) -> None:
    write_atomic(out / ("suite" + suite.path.suffix), suite.path.read_text(encoding="utf-8"))


def csv_text(df: "Any") -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue()
