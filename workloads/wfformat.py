"""WfCommons WfFormat: workflow instances of real scientific workflows.

Format: the WfCommons instance JSON (Coleman et al., "WfCommons: A framework
for enabling scientific workflow research and development", FGCS 128, 2022;
schema at github.com/wfcommons/WfFormat). Both layouts are read:

* 1.4 and later: ``workflow.specification`` (tasks with ``parents``,
  ``children``, ``inputFiles``, ``outputFiles``; ``files`` with
  ``sizeInBytes``) and ``workflow.execution`` (tasks with
  ``runtimeInSeconds``, ``coreCount``, ``memoryInBytes``, ``machines``;
  ``machines`` with ``cpu.speedInMHz``);
* 1.3 and earlier: ``workflow.tasks`` with ``runtime`` or
  ``runtimeInSeconds``, ``cores``, ``parents`` and ``files`` entries whose
  ``link`` is ``input`` or ``output``.

Nothing is fetched: the file is parsed here, without wfcommons and without
its schema download. How an instance becomes a hybridsched workflow, and the
defaults for what partial instances leave out:

* a task's recorded runtime is its execution time on any ``cpu`` device and
  on table-only ``processor`` devices (``times: {cpu: R, processor: R}``):
  WfCommons records CPU programs, which hybridsched does not move to GPUs or
  QPUs. Runtimes are **not** rescaled by CPU speed; the machine's speed,
  when recorded, is kept in ``task.meta["machine_speed_mhz"]`` (missing
  machine speeds, common in partial instances, are simply absent);
* ``coreCount`` (``cores``) defaults to 1; ``memoryInBytes`` to 0;
* a file without a size counts 0 bytes; an edge carries the total size of
  the files the parent writes and the child reads;
* a task without a runtime is an error naming the task.

``generate_wfcommons`` builds synthetic instances of Montage, Epigenomics,
1000Genome and the other WfChef recipes with the ``wfcommons`` package
(optional: ``pip install wfcommons``), seeded, offline.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from workloads.errors import InputError
from workloads.loaders import DATA_SUFFIXES, register_loader
from workloads.task import Task
from workloads.validate import mapping, number, sequence, text
from workloads.workflow import Workflow

#: Recipe name (as suites write it) -> wfcommons.wfchef.recipes class name.
RECIPES = {
    "montage": "MontageRecipe", "epigenomics": "EpigenomicsRecipe", "1000genome": "GenomeRecipe",
    "seismology": "SeismologyRecipe", "blast": "BlastRecipe", "bwa": "BwaRecipe",
    "cycles": "CyclesRecipe", "soykb": "SoykbRecipe", "srasearch": "SrasearchRecipe",
    "rnaseq": "RnaseqRecipe",
}


def is_wfformat(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("workflow"), dict):
        return False
    wf = data["workflow"]
    return "specification" in wf or "tasks" in wf


def load_wfformat(path: Path, data: Any) -> Workflow:
    """Read a WfFormat instance file (see the module docstring for the mapping)."""
    return workflow_from_wfformat(data, source=str(path), default_name=path.stem)


def workflow_from_wfformat(data: dict, *, source: str | None = None, default_name: str = "wfcommons",
                           name: str | None = None) -> Workflow:
    """Build a workflow from parsed WfFormat content (named ``name``, else the instance's name)."""
    data = mapping(data, "top level", source=source)
    wf = mapping(data["workflow"], "workflow", source=source)
    if "specification" in wf:
        records = _records_14(wf, source)
    else:
        records = _records_13(wf, source)
    outputs = {r["id"]: r["outputs"] for r in records}
    tasks, edges = [], []
    for r in records:
        item = f"task {r['id']!r}"
        if r["runtime"] is None:
            raise InputError("no runtime (runtimeInSeconds) recorded for this task", source=source, item=item)
        runtime = number(r["runtime"], f"{item}: runtimeInSeconds", source=source)
        cores = number(r["cores"] if r["cores"] is not None else 1, f"{item}: coreCount", source=source,
                       positive=True, integer=True)
        meta: dict[str, Any] = {"category": r["category"]}
        if r["speed_mhz"] is not None:
            meta["machine_speed_mhz"] = number(r["speed_mhz"], f"{item}: machine speedInMHz", source=source)
        tasks.append(Task(r["id"], cores=cores, times={"cpu": runtime, "processor": runtime},
                          memory_bytes=number(r["memory"] or 0, f"{item}: memoryInBytes", source=source),
                          meta=meta))
    seen = set()
    for r in records:
        for parent in r["parents"]:
            if parent not in outputs:
                raise InputError(f"unknown parent {parent!r}", source=source, item=f"task {r['id']!r}")
            if (parent, r["id"]) in seen:
                continue
            seen.add((parent, r["id"]))
            shared = sum(size for file, size in outputs[parent].items() if file in r["inputs"])
            edges.append((parent, r["id"], {"data_bytes": float(shared)}))
    label = name or data.get("name") or default_name
    return Workflow.build(label if isinstance(label, str) else default_name, tasks, edges, source=source)


def _texts(value: Any, item: str, source: str | None) -> list[str]:
    """A list of non-empty strings (file or task names); [] when absent."""
    if value is None:
        return []
    return [text(v, f"{item}[{i}]", source=source) for i, v in enumerate(sequence(value, item, source=source))]


def _size(value: Any, item: str, source: str | None) -> float:
    return 0.0 if value is None else number(value, item, source=source)


def _speeds(machines: Any, item: str, source: str | None) -> dict[str, Any]:
    """Machine name -> CPU speed in MHz (None when not recorded)."""
    speeds: dict[str, Any] = {}
    for i, m in enumerate(sequence(machines or [], item, source=source)):
        m = mapping(m, f"{item}[{i}]", source=source)
        if not isinstance(m.get("nodeName"), str):
            continue  # a machine without a name cannot be referred to
        cpu = m.get("cpu")
        if isinstance(cpu, dict):
            speeds[m["nodeName"]] = cpu.get("speedInMHz", cpu.get("speed"))
    return speeds


def _records_14(wf: dict, source: str | None) -> list[dict]:
    spec = mapping(wf["specification"], "workflow.specification", source=source)
    execution = mapping(wf.get("execution") or {}, "workflow.execution", source=source)
    sizes = {}
    for i, f in enumerate(sequence(spec.get("files") or [], "workflow.specification.files", source=source)):
        item = f"workflow.specification.files[{i}]"
        f = mapping(f, item, source=source)
        sizes[text(f.get("id"), f"{item}.id", source=source)] = _size(f.get("sizeInBytes"), f"{item}.sizeInBytes",
                                                                      source)
    runs: dict[str, dict] = {}
    for i, t in enumerate(sequence(execution.get("tasks") or [], "workflow.execution.tasks", source=source)):
        item = f"workflow.execution.tasks[{i}]"
        t = mapping(t, item, source=source)
        runs[text(t.get("id"), f"{item}.id", source=source)] = t
    speeds = _speeds(execution.get("machines"), "workflow.execution.machines", source)
    records = []
    for i, t in enumerate(sequence(spec.get("tasks"), "workflow.specification.tasks", source=source)):
        item = f"workflow.specification.tasks[{i}]"
        t = mapping(t, item, source=source)
        tid = text(t.get("id") or t.get("name"), f"{item}.id", source=source)
        run = runs.get(tid, {})
        machines = _texts(run.get("machines"), f"task {tid!r}: machines", source)
        outputs = {}
        for f in _texts(t.get("outputFiles"), f"{item}.outputFiles", source):
            outputs[f] = sizes.get(f, 0.0)
        category = t.get("name")
        records.append({
            "id": tid, "category": category if isinstance(category, str) else tid,
            "parents": _texts(t.get("parents"), f"{item}.parents", source),
            "inputs": set(_texts(t.get("inputFiles"), f"{item}.inputFiles", source)), "outputs": outputs,
            "runtime": run.get("runtimeInSeconds"), "cores": run.get("coreCount"),
            "memory": run.get("memoryInBytes"), "speed_mhz": speeds.get(machines[0]) if machines else None})
    return records


def _records_13(wf: dict, source: str | None) -> list[dict]:
    speeds = _speeds(wf.get("machines"), "workflow.machines", source)
    records = []
    for i, t in enumerate(sequence(wf.get("tasks"), "workflow.tasks", source=source)):
        item = f"workflow.tasks[{i}]"
        t = mapping(t, item, source=source)
        tid = text(t.get("id") or t.get("name"), f"{item}.name", source=source)
        inputs, outputs = set(), {}
        for k, f in enumerate(sequence(t.get("files") or [], f"{item}.files", source=source)):
            f = mapping(f, f"{item}.files[{k}]", source=source)
            file = text(f.get("name") or f.get("id"), f"{item}.files[{k}].name", source=source)
            if f.get("link") == "output":
                outputs[file] = _size(f.get("sizeInBytes", f.get("size")), f"{item}.files[{k}].size", source)
            else:
                inputs.add(file)
        category = t.get("category") or t.get("name")
        machine = t.get("machine")
        records.append({
            "id": tid, "category": category if isinstance(category, str) else tid,
            "parents": _texts(t.get("parents"), f"{item}.parents", source), "inputs": inputs, "outputs": outputs,
            "runtime": t.get("runtimeInSeconds", t.get("runtime")), "cores": t.get("cores"),
            "memory": t.get("memoryInBytes", t.get("memory")),
            "speed_mhz": speeds.get(machine) if isinstance(machine, str) else None})
    return records


def generate_wfcommons(recipe: str = "montage", num_tasks: int = 100, seed: int = 0) -> Workflow:
    """A synthetic instance of a WfChef recipe (Coleman et al., "WfChef:
    Automated generation of accurate scientific workflow generators", eScience
    2021), built offline by the ``wfcommons`` package and read as WfFormat.

    ``recipe`` is one of :data:`RECIPES`; recipes have a smallest size (e.g.
    Seismology needs more than 100 tasks), reported as an InputError.
    """
    import random

    import numpy as np

    item = "generator 'wfcommons'"
    if recipe not in RECIPES:
        raise InputError(f"unknown recipe {recipe!r} (known: {', '.join(RECIPES)})", item=f"{item}: recipe")
    num_tasks = number(num_tasks, f"{item}: num_tasks", positive=True, integer=True)
    try:
        import logging

        logging.getLogger("wfcommons").setLevel(logging.ERROR)
        from wfcommons import WorkflowGenerator
        from wfcommons.wfchef import recipes
    except ImportError:
        raise InputError("needs the wfcommons package: pip install wfcommons", item=item) from None
    # wfcommons draws from the global random and numpy streams: seed them, then put them back.
    saved = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        built = WorkflowGenerator(getattr(recipes, RECIPES[recipe]).from_num_tasks(num_tasks)).build_workflow()
        with tempfile.TemporaryDirectory(prefix="hybridsched-wfcommons-") as tmp:
            path = Path(tmp) / "instance.json"
            built.write_json(path)
            data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:  # e.g. "Cannot create synthetic graph with 100 nodes from base graph with 103"
        raise InputError(str(err), item=item) from None
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
    return workflow_from_wfformat(data, name=f"{recipe}-{num_tasks}")


register_loader("wfformat", DATA_SUFFIXES, load_wfformat, is_wfformat)
