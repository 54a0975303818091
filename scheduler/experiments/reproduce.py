"""Reproducing a results folder: run its suite again and compare every metric.

The suite is read from the copy kept in the folder (paths resolved from the
original suite's folder, as recorded in the manifest); the runs go to a
fresh temporary folder; the two results tables are compared run by run and
column by column. Numbers must be equal exactly unless a tolerance is given.
"""

from __future__ import annotations

import math
import numbers
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.experiments import results
from scheduler.experiments.runner import run_suite
from scheduler.experiments.suite import file_sha256, load_suite
from workloads.errors import InputError


@dataclass
class Difference:
    run_id: str
    column: str
    recorded: Any
    reproduced: Any


@dataclass
class Report:
    runs: int
    differences: list[Difference] = field(default_factory=list)
    #: Package -> (recorded version, version now), for those that changed.
    versions: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: Input files whose content changed since the run (or that are gone).
    inputs_changed: list[str] = field(default_factory=list)


def reproduce(out: str | Path, *, workers: int | None = None, rtol: float = 0.0,
              on_start=None, on_done=None, allow_code: bool = False) -> Report:
    """Rerun the suite of results folder ``out`` and report what differs."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        raise InputError("not a results folder (no manifest.json)", source=str(out))
    manifest = results.read_json(manifest_path, "manifest")
    suite_info = manifest.get("suite") if isinstance(manifest, dict) else None
    suite_dir = suite_info.get("dir") if isinstance(suite_info, dict) else None
    if not isinstance(suite_dir, str) or not isinstance(manifest.get("inputs", {}), dict) \
            or not isinstance(manifest.get("versions", {}), dict):
        raise InputError("damaged manifest: expected an object with suite.dir, inputs and versions",
                         source=str(manifest_path))
    copies = sorted(out.glob("suite.*"))
    if not copies:
        raise InputError("the results folder keeps no copy of its suite (suite.yaml)", source=str(out))
    recorded = results.read_table(out)
    suite = load_suite(copies[0], base_dir=Path(suite_dir), allow_code=allow_code)
    report = Report(runs=len(suite.runs))
    for path, sha in manifest.get("inputs", {}).items():
        if not Path(path).is_file() or file_sha256(path) != sha:
            report.inputs_changed.append(path)
    now = results.versions()
    for name, old in manifest.get("versions", {}).items():
        if now.get(name) != old:
            report.versions[name] = (old, now.get(name))
    with tempfile.TemporaryDirectory(prefix="hybridsched-reproduce-") as tmp:
        run_suite(suite, tmp, workers=workers, on_start=on_start, on_done=on_done)
        again = results.read_table(Path(tmp))
    report.differences = compare(recorded, again, rtol=rtol)
    return report


def compare(recorded: Any, reproduced: Any, *, rtol: float = 0.0) -> list[Difference]:
    """Every (run, column) whose value differs between two results tables."""
    diffs: list[Difference] = []
    old = recorded.set_index("run_id")
    new = reproduced.set_index("run_id")
    for run_id in old.index:
        if run_id not in new.index:
            diffs.append(Difference(run_id, "(run)", "present", "missing"))
            continue
    for run_id in new.index:
        if run_id not in old.index:
            diffs.append(Difference(run_id, "(run)", "missing", "present"))
    columns = list(old.columns) + [c for c in new.columns if c not in old.columns]
    for run_id in [r for r in old.index if r in new.index]:
        for column in columns:
            a = old.at[run_id, column] if column in old.columns else None
            b = new.at[run_id, column] if column in new.columns else None
            if not _same(a, b, rtol):
                diffs.append(Difference(run_id, column, _plain(a), _plain(b)))
    return diffs


def _same(a: Any, b: Any, rtol: float) -> bool:
    a_missing = a is None or (isinstance(a, numbers.Real) and math.isnan(a))
    b_missing = b is None or (isinstance(b, numbers.Real) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return a == b or math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)
    return str(a) == str(b)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
