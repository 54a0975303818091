"""Export a run's trace as Chrome Trace Event JSON, which ui.perfetto.dev and
chrome://tracing open.

Format: the Trace Event Format (Google, "Trace Event Format", 2016; the
``traceEvents`` array of "complete" events ``ph: "X"`` with ``ts`` and
``dur`` in microseconds, and ``ph: "M"`` metadata events naming processes
and threads). Each device is a thread of the process "devices"; each pair
of devices that moved data is a thread of the process "transfers" (pid 2); each
named network link a transfer crossed is a thread of the process "links"
(the transfer's mean rate and its share of the link's bandwidth in its
args), with a counter of the transfers on it at once (``ph: "C"``). QPU
queue waits and session idle time are threads of the process "waits", one
per device, categories ``queue`` and ``session-idle``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

US = 1e6  # trace times are seconds; the format counts microseconds


#: The columns of a trace file (:meth:`scheduler.trace.Trace.to_csv`).
TRACE_COLUMNS = ("type", "task", "device", "start", "finish", "share", "status", "src_device", "data_bytes")


def read_trace_rows(run_folder: Path) -> list[dict[str, str]]:
    """The rows of ``run_folder/trace.csv``; InputError naming the file and the row
    when it is not UTF-8, lacks the trace's columns, has no task, or a bad time."""
    from workloads.errors import InputError

    path = Path(run_folder) / "trace.csv"
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"damaged trace: not UTF-8 text (byte {err.start})", source=str(path)) from None
    except OSError as err:
        raise InputError(f"unreadable trace: {err.strerror}", source=str(path)) from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or any(c not in reader.fieldnames for c in TRACE_COLUMNS[:7]):
        raise InputError(f"damaged trace: the header is not {','.join(TRACE_COLUMNS)}", source=str(path))
    rows = []
    try:
        for n, row in enumerate(reader, start=2):
            if row["type"] not in ("task", "transfer", "wait") or None in row.values():
                raise InputError("damaged trace: not a task, transfer or wait row", source=str(path),
                                 item=f"line {n}")
            for key in ("start", "finish"):
                try:
                    value = float(row[key])
                except (TypeError, ValueError):
                    value = math.nan
                if not math.isfinite(value):
                    raise InputError(f"damaged trace: {key} {row[key]!r} is not a finite number",
                                     source=str(path), item=f"line {n}")
            rows.append(row)
    except csv.Error as err:
        raise InputError(f"damaged trace: {err}", source=str(path)) from None
    if not any(r["type"] == "task" for r in rows):
        raise InputError("damaged trace: no task runs in it", source=str(path))
    return rows


def run_info(run_folder: Path) -> dict[str, Any]:
    """The run's record (result.json of a suite run, or summary.json of ``simulate --out``)."""
    for name in ("result.json", "summary.json"):
        path = run_folder / name
        if path.is_file():
            from scheduler.experiments.results import read_json
            from workloads.errors import InputError

            data = read_json(path, "run record")
            if not isinstance(data, dict):
                raise InputError(f"damaged run record: expected a JSON object, found {type(data).__name__}",
                                 source=str(path))
            return data if name == "result.json" else {"summary": data, "task_kinds": {}}
    return {"summary": {}, "task_kinds": {}}


def recorded_devices(info: dict[str, Any]) -> list[str]:
    """The device names a run record lists, in platform order ([] when it lists none)."""
    summary = info.get("summary")
    listed = summary.get("devices") if isinstance(summary, dict) else None
    if not isinstance(listed, list):
        return []
    return [d["device"] for d in listed if isinstance(d, dict) and isinstance(d.get("device"), str)]


def trace_events(run_folder: str | Path) -> dict[str, Any]:
    """The Chrome trace JSON object of the run stored in ``run_folder``."""
    folder = Path(run_folder)
    rows = read_trace_rows(folder)
    info = run_info(folder)
    kinds = info.get("task_kinds") if isinstance(info.get("task_kinds"), dict) else {}
    devices = recorded_devices(info)
    for r in rows:
        if r["type"] == "task" and r["device"] not in devices:
            devices.append(r["device"])
    tid = {d: i + 1 for i, d in enumerate(devices)}
    events: list[dict[str, Any]] = [
        {"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "devices"}},
        {"ph": "M", "pid": 2, "name": "process_name", "args": {"name": "transfers"}}]
    for d, t in tid.items():
        events.append({"ph": "M", "pid": 1, "tid": t, "name": "thread_name", "args": {"name": d}})
        events.append({"ph": "M", "pid": 1, "tid": t, "name": "thread_sort_index", "args": {"sort_index": t}})
    links: dict[str, int] = {}
    waits: dict[str, int] = {}
    for r in rows:
        start, finish = float(r["start"]), float(r["finish"])
        if r["type"] == "wait":
            if r["device"] not in waits:
                if not waits:
                    events.append({"ph": "M", "pid": 3, "name": "process_name", "args": {"name": "waits"}})
                waits[r["device"]] = len(waits) + 1
                events.append({"ph": "M", "pid": 3, "tid": waits[r["device"]], "name": "thread_name",
                               "args": {"name": r["device"]}})
            events.append({"ph": "X", "pid": 3, "tid": waits[r["device"]], "name": f"{r['status']}: {r['task']}",
                           "cat": r["status"], "ts": start * US, "dur": (finish - start) * US, "args": {}})
        elif r["type"] == "task":
            events.append({"ph": "X", "pid": 1, "tid": tid[r["device"]], "name": r["task"],
                           "cat": kinds.get(r["task"], "classical") + ("" if r["status"] == "done" else ",failed"),
                           "ts": start * US, "dur": (finish - start) * US,
                           "args": {"share": float(r["share"]), "status": r["status"]}})
        else:
            pair = f"{r['src_device']} -> {r['device']}"
            if pair not in links:
                links[pair] = len(links) + 1
                events.append({"ph": "M", "pid": 2, "tid": links[pair], "name": "thread_name",
                               "args": {"name": pair}})
            events.append({"ph": "X", "pid": 2, "tid": links[pair], "name": r["task"], "cat": "transfer",
                           "ts": start * US, "dur": (finish - start) * US,
                           "args": {"data_bytes": float(r["data_bytes"] or 0)}})
    _link_events(rows, info, events)
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {k: info.get("summary", {}).get(k) for k in ("workflow", "platform", "policy", "seed")}}


#: Process ids: 1 devices, 2 transfers, 3 QPU waits, 4 named network links.
LINKS_PID = 4


def _link_events(rows: list[dict[str, str]], info: dict[str, Any], events: list[dict[str, Any]]) -> None:
    bandwidth = {k["link"]: k["bandwidth"] for k in info.get("summary", {}).get("links", [])}
    tid: dict[str, int] = {}
    changes: dict[str, list[tuple[float, int]]] = {}
    for r in rows:
        if r["type"] != "transfer" or not r.get("links"):
            continue
        start, finish = float(r["start"]), float(r["finish"])
        nbytes = float(r["data_bytes"] or 0)
        rate = nbytes / (finish - start) if finish > start else 0.0
        for link in r["links"].split("|"):
            if link not in tid:
                tid[link] = len(tid) + 1
                events.append({"ph": "M", "pid": LINKS_PID, "tid": tid[link], "name": "thread_name", "args": {"name": link}})
            args: dict[str, Any] = {"data_bytes": nbytes, "mean_rate_Bps": rate}
            if bandwidth.get(link):
                args["mean_share"] = rate / bandwidth[link]
            events.append({"ph": "X", "pid": LINKS_PID, "tid": tid[link], "name": r["task"], "cat": "link",
                           "ts": start * US, "dur": (finish - start) * US, "args": args})
            changes.setdefault(link, []).extend(((start, 1), (finish, -1)))
    if not tid:
        return
    events.append({"ph": "M", "pid": LINKS_PID, "name": "process_name", "args": {"name": "links"}})
    for link, points in changes.items():
        active = 0
        for at, step in sorted(points):
            active += step
            events.append({"ph": "C", "pid": LINKS_PID, "name": f"{link} transfers", "ts": at * US,
                           "args": {"transfers": active}})


def export(run_folder: str | Path, path: str | Path) -> Path:
    """Write the run's Chrome/Perfetto trace JSON to ``path``, atomically."""
    from scheduler.api import write_atomic

    path = Path(path)
    write_atomic(path, json.dumps(trace_events(run_folder)) + "\n")
    return path
