"""Workflow file formats and the registry that picks one.

A loader is registered with the file suffixes it reads and, for JSON/YAML
formats that share suffixes, a test on the parsed data. :func:`load_workflow`
tries loaders in registration order. Built in:

* ``cost-matrix``: the unrelated-machines instance format of the list
  scheduling literature (``../shared/README.md``); carries its own platform.
* ``hybridsched``: hybridsched's own YAML/JSON format
  (``workloads/schemas/workflow.schema.json``; documented in the README).

Other formats (WfCommons WfFormat, OpenQASM) register themselves here with
:func:`register_loader`.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from workloads.errors import InputError
from workloads.schema import check_schema, read_data
from workloads.task import Task
from workloads.validate import mapping, number, sequence, text
from workloads.workflow import Workflow

if TYPE_CHECKING:
    import numpy as np

DATA_SUFFIXES = (".json", ".yaml", ".yml")
SCHEMA = Path(__file__).with_name("schemas") / "workflow.schema.json"


@dataclass(frozen=True)
class Loader:
    name: str
    suffixes: tuple[str, ...]
    #: For data formats: does the parsed content look like this format?
    matches: Callable[[Any], bool] | None
    #: ``load(path, data)``; ``data`` is the parsed content for data formats, else None.
    load: Callable[[Path, Any], Workflow]


LOADERS: list[Loader] = []


def register_loader(name: str, suffixes: tuple[str, ...], load: Callable[[Path, Any], Workflow],
                    matches: Callable[[Any], bool] | None = None) -> None:
    """Add a workflow format. Later registrations are tried after earlier ones."""
    LOADERS[:] = [lo for lo in LOADERS if lo.name != name]
    LOADERS.append(Loader(name, tuple(s.lower() for s in suffixes), matches, load))


def load_workflow(path: str | Path) -> Workflow:
    """Read a workflow from any registered format; InputError on bad input."""
    _register_optional_formats()
    path = Path(path)
    suffix = path.suffix.lower()
    candidates = [lo for lo in LOADERS if suffix in lo.suffixes]
    if not candidates:
        known = sorted({s for lo in LOADERS for s in lo.suffixes})
        raise InputError(f"unknown workflow format {suffix or '(no suffix)'!r} (known: {', '.join(known)})",
                         source=str(path))
    with gc_paused():
        data = read_data(path) if suffix in DATA_SUFFIXES else None
        for loader in candidates:
            if loader.matches is None or loader.matches(data):
                try:
                    return loader.load(path, data)
                except InputError as err:
                    raise err.located(str(path)) from None
    names = ", ".join(lo.name for lo in candidates)
    raise InputError(f"not a workflow in any known format ({names})", source=str(path))


@contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection inside the block: building a large workflow makes
    millions of objects, none of them garbage, and each collection would walk them
    all again (about half of loading a 100k-task file)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _register_optional_formats() -> None:
    # Formats living in other modules register on import; importing here
    # keeps the registry complete without import-time cost for `--help`.
    import importlib

    for module in OPTIONAL_FORMAT_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


#: Modules that call :func:`register_loader` when imported.
OPTIONAL_FORMAT_MODULES: list[str] = ["workloads.wfformat", "workloads.qasm"]


# -- cost-matrix instances ---------------------------------------------------------


def _is_cost_matrix(data: Any) -> bool:
    return isinstance(data, dict) and "cost" in data and "processors" in data


def load_cost_matrix(path: Path, data: Any) -> Workflow:
    """Read a cost-matrix instance (``../shared/README.md``) with its platform."""
    from devices.device import Device
    from devices.platform import Platform

    source = str(path)
    data = mapping(data, "top level", source=source)
    for key in ("tasks", "edges", "processors", "cost"):
        if key not in data:
            raise InputError(f"missing field {key!r}", source=source, item="top level")
    devices = []
    for i, proc in enumerate(sequence(data["processors"], "processors", source=source)):
        if isinstance(proc, str):
            proc = {"name": proc}
        proc = mapping(proc, f"processors[{i}]", source=source)
        devices.append(Device.from_spec(proc, source=source))
    names = [d.name for d in devices]
    name = text(data.get("name", path.stem), "name", source=source)
    platform = Platform(
        name, devices, source=source,
        pue=number(data.get("pue", 1.0), "pue", source=source),
        carbon_g_per_kwh=number(data.get("carbon_g_per_kwh", 0.0), "carbon_g_per_kwh", source=source),
    )
    fast = _checked_cost_matrix(data, names)
    if fast is not None:  # every check passed in bulk: build without asking again per item
        workflow = _cost_matrix_workflow(name, *fast, names, platform, source)
        if workflow is not None:
            return workflow
    costs = mapping(data["cost"], "cost", source=source)
    tasks = []
    for tid in sequence(data["tasks"], "tasks", source=source):
        tid = text(tid, "tasks", source=source)
        if tid not in costs:
            raise InputError("no cost row", source=source, item=f"cost[{tid!r}]")
        row = sequence(costs[tid], f"cost[{tid!r}]", source=source)
        if len(row) != len(names):
            raise InputError(f"has {len(row)} entries, expected {len(names)} (one per processor)",
                             source=source, item=f"cost[{tid!r}]")
        times = {n: number(c, f"cost[{tid!r}][{j}]", source=source) for j, (n, c) in enumerate(zip(names, row))}
        tasks.append(Task(tid, times=times))
    extra = sorted(set(costs) - {t.id for t in tasks})
    if extra:
        raise InputError(f"cost row for unknown task {extra[0]!r}", source=source, item="cost")
    edges = []
    for i, edge in enumerate(sequence(data["edges"], "edges", source=source)):
        if not isinstance(edge, list) or len(edge) != 3:
            raise InputError(f"expected [u, v, cost], got {edge!r}", source=source, item=f"edges[{i}]")
        u, v, c = edge
        edges.append((str(u), str(v), {"cost": number(c, f"edges[{i}] cost", source=source)}))
    return Workflow.build(name, tasks, edges, platform=platform, source=source)


#: Integers up to this size convert to the same float in numpy and in ``float()``.
_EXACT_INT = 2.0 ** 53


def _numbers(values: list) -> "np.ndarray | None":
    """``values`` (a list, or a list of equal-length lists) as a float array when every
    entry is a finite, non-negative int or float (what :func:`workloads.validate.number`
    accepts, converted as it converts); None when any is not."""
    import numpy as np

    flat = chain.from_iterable(values) if values and type(values[0]) is list else values
    kinds = set(map(type, flat))
    if not kinds <= {int, float}:
        return None
    try:
        array = np.array(values, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        return None
    if array.size and not (np.isfinite(array).all() and array.min() >= 0):
        return None
    if int in kinds and array.size and array.max() >= _EXACT_INT:
        return None
    return array


def _checked_cost_matrix(data: dict, names: list[str]):
    """The checks of :func:`load_cost_matrix` and :meth:`Workflow.build` but the cycle
    check, made over whole lists at once: ``(ids, cost rows as an n x P array, edges,
    edge costs)`` when the instance passes every one of them, else None (the
    item-by-item path then finds and words the first error, exactly as before)."""
    ids, costs, edges = data["tasks"], data["cost"], data["edges"]
    if type(ids) is not list or type(costs) is not dict or type(edges) is not list or not ids or not names:
        return None
    if set(map(type, ids)) != {str} or not all(map(str.strip, ids)) or len(set(ids)) != len(ids):
        return None
    if len(costs) != len(ids):
        return None
    try:
        rows = [costs[t] for t in ids]
    except KeyError:
        return None
    if set(map(type, rows)) != {list} or set(map(len, rows)) != {len(names)}:
        return None
    matrix = _numbers(rows)
    if matrix is None:
        return None
    if edges:
        if set(map(type, edges)) != {list} or set(map(len, edges)) != {3}:
            return None
        us, vs, cs = zip(*edges)
        if set(map(type, us)) | set(map(type, vs)) != {str}:
            return None
        edge_costs = _numbers(list(cs))
        if edge_costs is None:
            return None
        ends = set(ids)
        if not (ends.issuperset(us) and ends.issuperset(vs)):
            return None
        pairs = list(zip(us, vs))
        if any(u == v for u, v in pairs) or len(set(pairs)) != len(pairs):
            return None
    else:
        pairs, edge_costs = [], None
    return ids, matrix, pairs, edge_costs


def _cost_matrix_workflow(name: str, ids: list[str], matrix, pairs: list[tuple[str, str]], edge_costs,
                          names: list[str], platform, source: str) -> Workflow | None:
    """The workflow :func:`load_cost_matrix` builds, from checked bulk data; it keeps the
    cost matrix for planners (:attr:`Workflow.exec_table`); None if the edges make a cycle."""
    import networkx as nx

    import numpy as np

    graph = nx.DiGraph(name=name)
    # The adjacency dicts filled directly, as Workflow.build does (the data is checked):
    # the graph add_nodes_from and add_edges_from would make, in less time.
    node, succ, pred = graph._node, graph._succ, graph._pred
    for tid, row in zip(ids, matrix.tolist()):
        node[tid] = {"task": Task(tid, times=dict(zip(names, row)))}
        succ[tid] = {}
        pred[tid] = {}
    ends = np.empty(0, np.intp)
    if pairs:
        for (u, v), c in zip(pairs, edge_costs.tolist()):
            succ[u][v] = pred[v][u] = {"data_bytes": 0.0, "cost": c}
        # Edges that all point forward in the task list cannot close a cycle (the usual
        # case: files list tasks in a topological order); otherwise ask networkx.
        position = {tid: i for i, tid in enumerate(ids)}.__getitem__
        ends = np.fromiter(map(position, chain.from_iterable(pairs)), np.intp, 2 * len(pairs))
        if not (ends[0::2] < ends[1::2]).all() and not nx.is_directed_acyclic_graph(graph):
            return None  # the item-by-item path names the cycle
    workflow = Workflow(name, graph, platform=platform, source=source)
    workflow.exec_table = (tuple(names), matrix)
    workflow.edge_table = (ends[0::2].copy(), ends[1::2].copy(),
                           edge_costs if pairs else np.empty(0), np.zeros(len(pairs)))
    return workflow


# -- hybridsched's own format ---------------------------------------------------------


def _is_native(data: Any) -> bool:
    return isinstance(data, dict) and "tasks" in data and "cost" not in data


def load_native(path: Path, data: Any) -> Workflow:
    """Read hybridsched's own workflow format (see the JSON Schema)."""
    source = str(path)
    check_schema(data, SCHEMA, source=source)
    return workflow_from_spec(data, source=source, base=path.parent)


def workflow_from_spec(data: dict, *, source: str | None = None, base: Path | None = None) -> Workflow:
    """Build a workflow from parsed native-format content."""
    tasks = [_task_from_spec(spec, i, source, base) for i, spec in enumerate(data["tasks"])]
    edges = []
    no_attrs: dict = {}  # shared by edges with neither field: Workflow.build only reads it
    for i, spec in enumerate(data.get("edges", []) or []):
        attrs = {k: spec[k] for k in ("data_bytes", "cost") if k in spec} if len(spec) > 2 else no_attrs
        edges.append((spec["from"], spec["to"], attrs))
    platform = data.get("platform")
    if platform is not None:
        from devices.platform import load_platform, platform_from_spec

        if isinstance(platform, str):
            candidate = (base / platform) if base else Path(platform)
            platform = load_platform(candidate if candidate.exists() else platform)
        else:
            platform = platform_from_spec(platform, source=f"{source}: platform" if source else None)
    groups = None
    if data.get("groups"):
        from workloads.groups import group_from_spec

        groups = {name: group_from_spec(name, spec, source=source) for name, spec in data["groups"].items()}
    return Workflow.build(data.get("name", Path(source).stem if source else "workflow"), tasks, edges,
                          platform=platform, source=source, groups=groups)


def _plain_number(value: Any) -> bool:
    """A float :func:`number` would return unchanged: checked without building its message."""
    return type(value) is float and 0.0 <= value < math.inf


def _task_from_spec(spec: dict, i: int, source: str | None, base: Path | None) -> Task:
    tid = spec["id"]
    times = {k: v if _plain_number(v) else number(v, f"task {tid!r}: times[{k!r}]", source=source)
             for k, v in (spec.get("times") or {}).items()}
    fields: dict[str, Any] = {}
    for key in ("memory_bytes", "flops", "mem_bytes"):
        if key in spec:
            value = spec[key]
            fields[key] = value if _plain_number(value) else number(value, f"task {tid!r}: {key}", source=source)
    if "cores" in spec:
        fields["cores"] = number(spec["cores"], f"task {tid!r}: cores", source=source, positive=True, integer=True)
    if "shots" in spec:
        fields["shots"] = number(spec["shots"], f"task {tid!r}: shots", source=source, integer=True)
    kind = spec.get("kind", "classical")
    circuit = None
    if "qasm" in spec:
        from workloads.qasm import read_circuit

        circuit = read_circuit((base / spec["qasm"]) if base else Path(spec["qasm"]))
        kind = "quantum"
    meta = spec.get("meta") or {}
    if "mitigation" in spec:  # error mitigation's resilience options (devices/mitigation.py)
        from devices.mitigation import parse

        if parse(spec["mitigation"], source=source, item=f"task {tid!r}") is not None:  # checked here, read by the QPU
            meta = {**meta, "mitigation": spec["mitigation"]}
    return Task(tid, kind=kind, accelerator=spec.get("accelerator"), times=times, circuit=circuit,
                meta=meta, group=spec.get("group"), **fields)


register_loader("cost-matrix", DATA_SUFFIXES, load_cost_matrix, _is_cost_matrix)
register_loader("hybridsched", DATA_SUFFIXES, load_native, _is_native)
