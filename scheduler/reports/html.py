"""One self-contained HTML page of a results folder (``hybridsched report``).

The page needs no server and no network: the data is embedded as JSON and
plotly.js is inlined from the ``plotly`` package (its bundled, minified
``plotly.min.js``). It has a sortable summary table (per workflow, platform
and policy: means over repeats), a time-energy scatter of every run with each
scenario's Pareto front, a Gantt chart of any run (tasks, a QPU's queue
waits and session idle time as the engine recorded them, idle time) and energy by device kind.

A missing or damaged file is named at the top of the page and the rest is
drawn from what could be read. Traces are embedded for every run up to
:data:`MAX_TRACE_ROWS` rows in all; past that, the Gantt covers the first runs
and the page says so.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from pathlib import Path
from typing import Any

#: Trace rows embedded in the page in all (keeps a 1,000-run page to a few MB).
MAX_TRACE_ROWS = 300_000
#: Metric columns of the summary table, in order, with their units (SI, as in results.csv).
COLUMNS = [("makespan", "s"), ("energy_j", "J"), ("cost_usd", "USD"), ("carbon_g", "g"),
           ("fidelity_product", ""), ("slr", "")]
STATES = ["task", "qpu queue wait", "idle", "failed attempt", "session idle (billed)"]


def build_report(out: str | Path) -> tuple[str, list[str]]:
    """The page's HTML for results folder ``out``, and the problems found (files named)."""
    out = Path(out)
    problems: list[str] = []
    runs = _read_results(out, problems)
    manifest = _read_json(out / "manifest.json", problems)
    summary = _summary(runs)
    traces, trace_note = _traces(out, runs, problems)
    data = {
        "title": (manifest or {}).get("suite", {}).get("name") or out.name,
        "folder": str(out),
        "runs": runs,
        "summary": summary,
        "columns": [c for c, _ in COLUMNS if any(r.get(c) is not None for r in runs)],
        "units": dict(COLUMNS),
        "kinds": sorted({k for r in runs for k in r.get("energy_by_kind", {})}),
        "traces": traces,
        "traceNote": trace_note,
        "states": STATES,
        "problems": problems,
    }
    return _page(data), problems


def write_report(out: str | Path, path: str | Path | None = None) -> tuple[Path, list[str]]:
    """Write the page (default ``OUT/report.html``, atomically); its path and the problems found."""
    from scheduler.api import write_atomic

    out = Path(out)
    target = Path(path) if path else out / "report.html"
    text, problems = build_report(out)
    write_atomic(target, text)
    return target, problems


# -- reading, tolerant of damage ------------------------------------------------------


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_results(out: Path, problems: list[str]) -> list[dict[str, Any]]:
    path = out / "results.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: missing (no summary, Pareto or energy charts; Gantt charts from runs/ only)")
        return _runs_from_folders(out, problems)
    except (OSError, UnicodeDecodeError) as err:
        problems.append(f"{path}: unreadable ({err})")
        return _runs_from_folders(out, problems)
    rows = []
    reader = csv.DictReader(io.StringIO(text))
    need = {"run_id", "workflow", "platform", "policy", "status"}
    if not need <= set(reader.fieldnames or []):
        problems.append(f"{path}: damaged (no {', '.join(sorted(need - set(reader.fieldnames or [])))} column)")
        return _runs_from_folders(out, problems)
    bad = 0
    for line in reader:
        if None in line or any(v is None for v in line.values()):  # a short or long line: a cut file
            bad += 1
            continue
        run: dict[str, Any] = {k: line[k] for k in ("run_id", "workflow", "platform", "policy", "status")}
        run["repeat"] = int(_number(line.get("repeat")) or 0)
        for column, _ in COLUMNS:
            run[column] = _number(line.get(column))
        run["energy_by_kind"] = {k.removeprefix("energy_j_"): v for k in line if k.startswith("energy_j_")
                                 and (v := _number(line[k])) is not None}
        run["error"] = line.get("error") or ""
        rows.append(run)
    if bad:
        problems.append(f"{path}: {bad} damaged line(s) left out")
    return rows


def _runs_from_folders(out: Path, problems: list[str]) -> list[dict[str, Any]]:
    """Without results.csv: one row per run folder that has a readable result.json."""
    rows = []
    for folder in sorted((out / "runs").glob("*")) if (out / "runs").is_dir() else []:
        info = _read_json(folder / "result.json", problems)
        if not info:
            continue
        metrics = info.get("metrics", {})
        rows.append({"run_id": folder.name, "workflow": info.get("workflow_name", "?"),
                     "platform": info.get("platform_name", "?"), "policy": info.get("policy_name", "?"),
                     "status": info.get("status", "?"), "repeat": 0, "error": info.get("error", ""),
                     "energy_by_kind": info.get("energy_by_kind", {}),
                     **{c: metrics.get(c) for c, _ in COLUMNS}})
    return rows


def _read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: missing")
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        problems.append(f"{path}: damaged ({type(err).__name__}: {err})")
        return None
    return data if isinstance(data, dict) else None


def _summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per workflow, platform and policy: runs and the mean of each metric over its ok runs."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in runs:
        if r["status"] == "ok":
            groups.setdefault((r["workflow"], r["platform"], r["policy"]), []).append(r)
    rows = []
    for (wf, plat, pol), members in groups.items():
        row: dict[str, Any] = {"workflow": wf, "platform": plat, "policy": pol, "runs": len(members)}
        for column, _ in COLUMNS:
            values = [m[column] for m in members if m[column] is not None]
            row[column] = sum(values) / len(values) if values else None
        rows.append(row)
    return rows


def _traces(out: Path, runs: list[dict[str, Any]], problems: list[str]) -> tuple[dict[str, Any], str]:
    """Per run: devices, kinds and segments ``[device, start, duration, state, label]``."""
    from scheduler.reports.perfetto import read_trace_rows, recorded_devices
    from scheduler.reports.states import idle_gaps, recorded_waits
    from workloads.errors import InputError

    traces: dict[str, Any] = {}
    total, left_out, missing = 0, 0, 0
    for run in runs:
        if run["status"] != "ok":
            continue
        folder = out / "runs" / run["run_id"]
        if total >= MAX_TRACE_ROWS:
            left_out += 1
            continue
        if not (folder / "trace.csv").is_file():
            missing += 1
            continue
        try:
            rows = read_trace_rows(folder)  # the export's and the plots' reader: the same checks
        except InputError as err:
            where = f" at {err.item}" if err.item else ""
            problems.append(f"{folder / 'trace.csv'}: {err.message}{where}, no Gantt chart for this run")
            continue
        info = _read_json(folder / "result.json", []) or {}
        devices = recorded_devices(info)
        kinds = {d["device"]: d.get("kind", "") for d in info["summary"]["devices"]
                 if isinstance(d, dict) and d.get("device") in devices} if devices else {}
        for r in rows:
            if r["type"] == "task" and r["device"] not in devices:
                devices.append(r["device"])
        index = {d: i for i, d in enumerate(devices)}
        makespan = max([float(r["finish"]) for r in rows if r["type"] == "task"] + [0.0])
        waits = [w for w in recorded_waits(rows) if w[0] in index]
        segments = []
        for r in rows:
            if r["type"] == "task":
                state = 0 if r.get("status", "done") == "done" else 3
                segments.append([index[r["device"]], float(r["start"]), float(r["finish"]) - float(r["start"]),
                                 state, r["task"]])
        for device, task, a, b, kind in waits:
            segments.append([index[device], a, b - a, 4 if kind == "session-idle" else 1, task])
        for device in devices:
            mine = [(a, b) for d, _, a, b, _ in waits if d == device]
            for a, b in idle_gaps(rows, device, makespan, mine):
                segments.append([index[device], a, b - a, 2, ""])
        traces[run["run_id"]] = {"devices": devices, "kinds": [kinds.get(d, "") for d in devices],
                                 "segments": segments}
        total += len(rows)
    notes = []
    if left_out:
        notes.append(f"{left_out} runs have no Gantt chart here (the page keeps {MAX_TRACE_ROWS:,} trace rows); "
                     "'hybridsched export RESULTS --run ID' gives any run's full trace")
    if missing:
        problems.append(f"{missing} run folder(s) under {out / 'runs'} have no trace.csv (no Gantt chart for them)")
    return traces, "; ".join(notes)


# -- the page ---------------------------------------------------------------------------


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _page(data: dict[str, Any]) -> str:
    # "</" never appears inside the embedded JSON, so no string can close the script element.
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    title = html.escape(f"hybridsched report: {data['title']}")
    return (_TEMPLATE.replace("{{TITLE}}", title)
            .replace("{{PLOTLY}}", _plotly_js().replace("</script", "<\\/script"))
            .replace("{{DATA}}", payload)
            .replace("{{SCRIPT}}", _SCRIPT))


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}}</title>
<link rel="icon" href="data:,">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; white-space: nowrap; }
th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; user-select: none; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
td.num { text-align: right; }
.scroll { max-height: 480px; overflow: auto; border: 1px solid #ddd; }
.problems { background: #fff4e5; border: 1px solid #f0b45a; padding: .5em 1em; }
.note { color: #666; font-size: .9em; }
select { max-width: 100%; }
</style>
</head>
<body>
<h1 id="title"></h1>
<p id="meta" class="note"></p>
<div id="problems" class="problems" hidden><b>Problems reading the results folder</b><ul id="problem-list"></ul></div>
<h2>Summary: means over repeats (click a column to sort)</h2>
<div class="scroll"><table id="summary"><thead></thead><tbody></tbody></table></div>
<h2>Time against energy: every run, and each scenario's Pareto front</h2>
<label>scenario <select id="scenario"></select></label>
<div id="pareto" style="height:460px"></div>
<h2>Gantt chart of one run</h2>
<label>run <select id="run"></select></label>
<p id="trace-note" class="note"></p>
<div id="gantt" style="height:360px"></div>
<h2>Energy by device kind (IT energy, before PUE; means over repeats)</h2>
<div id="energy" style="height:420px"></div>
<script>{{PLOTLY}}</script>
<script id="report-data" type="application/json">{{DATA}}</script>
<script>{{SCRIPT}}</script>
</body>
</html>
"""

_SCRIPT = r"""
"use strict";
const D = JSON.parse(document.getElementById("report-data").textContent);
const PREFIX = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""], [1e-3, "m"], [1e-6, "u"], [1e-9, "n"]];
function si(v, unit) {
  if (v === null || v === undefined) return "-";
  if (v === 0) return "0 " + unit;
  for (const [s, p] of PREFIX) { if (Math.abs(v) >= s * 0.99995 || s === 1e-9) return +(v / s).toPrecision(4) + " " + p + unit; }
}
function fmt(col, v) {
  if (v === null || v === undefined) return "-";
  if (col === "makespan") return Math.abs(v) >= 6000 ? +(v / 3600).toPrecision(4) + " h" : Math.abs(v) >= 100 ? +(v / 60).toPrecision(4) + " min" : si(v, "s");
  if (col === "energy_j") return si(v, "J");
  if (col === "carbon_g") return si(v, "g");
  if (col === "cost_usd") return +v.toPrecision(4) + " USD";
  return String(+v.toPrecision(4));
}
const LABELS = {makespan: "makespan", energy_j: "energy", cost_usd: "cost", carbon_g: "CO2e", fidelity_product: "fidelity (product)", slr: "SLR"};

document.getElementById("title").textContent = "hybridsched report: " + D.title;
document.getElementById("meta").textContent = D.runs.length + " runs (" + D.runs.filter(r => r.status === "ok").length + " ok) from " + D.folder;
if (D.problems.length) {
  document.getElementById("problems").hidden = false;
  const ul = document.getElementById("problem-list");
  for (const p of D.problems) { const li = document.createElement("li"); li.textContent = p; ul.appendChild(li); }
}

// -- summary table, sortable by any column
const keys = ["workflow", "platform", "policy", "runs"].concat(D.columns);
const table = document.getElementById("summary");
const headRow = document.createElement("tr");
keys.forEach((k, i) => {
  const th = document.createElement("th");
  th.textContent = LABELS[k] || k;
  th.dataset.key = k;
  th.addEventListener("click", () => sortBy(k, th));
  headRow.appendChild(th);
});
table.tHead.appendChild(headRow);
let rows = D.summary.slice();
function renderTable() {
  const body = table.tBodies[0];
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const k of keys) {
      const td = document.createElement("td");
      const v = r[k];
      if (typeof v === "number" || v === null) { td.className = "num"; td.textContent = k === "runs" ? v : fmt(k, v); td.dataset.value = v === null ? "" : v; }
      else td.textContent = v;
      tr.appendChild(td);
    }
    frag.appendChild(tr);
  }
  body.replaceChildren(frag);
}
function sortBy(k, th) {
  const desc = th.classList.contains("asc");
  for (const h of headRow.children) h.classList.remove("asc", "desc");
  th.classList.add(desc ? "desc" : "asc");
  const sign = desc ? -1 : 1;
  rows.sort((a, b) => {
    const x = a[k], y = b[k];
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === "number" ? x - y : String(x).localeCompare(String(y))) * sign;
  });
  renderTable();
}
renderTable();

// -- scenarios: Pareto scatter and energy by kind
const ok = D.runs.filter(r => r.status === "ok" && r.makespan !== null && r.energy_j !== null);
const scenarios = [...new Set(ok.map(r => r.workflow + " on " + r.platform))];
const scenarioSelect = document.getElementById("scenario");
for (const s of scenarios) scenarioSelect.add(new Option(s, s));
function front(points) {
  const sorted = points.slice().sort((a, b) => a.makespan - b.makespan || a.energy_j - b.energy_j);
  const out = []; let best = Infinity;
  for (const p of sorted) if (p.energy_j < best) { out.push(p); best = p.energy_j; }
  return out;
}
function drawScenario() {
  const s = scenarioSelect.value;
  const mine = ok.filter(r => r.workflow + " on " + r.platform === s);
  const policies = [...new Set(mine.map(r => r.policy))];
  const traces = policies.map(p => {
    const pts = mine.filter(r => r.policy === p);
    return {type: "scatter", mode: "markers", name: p, x: pts.map(r => r.makespan), y: pts.map(r => r.energy_j),
      text: pts.map(r => r.run_id + "<br>policy " + r.policy + ", repeat " + r.repeat + "<br>makespan " + fmt("makespan", r.makespan) +
        "<br>energy " + fmt("energy_j", r.energy_j) + "<br>cost " + fmt("cost_usd", r.cost_usd) + "<br>CO2e " + fmt("carbon_g", r.carbon_g)),
      hovertemplate: "%{text}<extra></extra>", marker: {size: 9}};
  });
  const f = front(mine);
  if (f.length >= 2) traces.push({type: "scatter", mode: "lines", name: "Pareto front (runs)", x: f.map(r => r.makespan), y: f.map(r => r.energy_j), line: {color: "black", width: 1, shape: "hv"}, hoverinfo: "skip"});
  Plotly.react("pareto", traces, {margin: {t: 20}, xaxis: {title: {text: "makespan (s)"}}, yaxis: {title: {text: "energy (J)"}}, legend: {orientation: "h", y: -0.2}}, {responsive: true});
  const kinds = D.kinds;
  const bars = kinds.map(k => ({type: "bar", name: k, x: policies, y: policies.map(p => {
    const v = mine.filter(r => r.policy === p).map(r => r.energy_by_kind[k] || 0);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  }), hovertemplate: "%{x}: %{y:.4s}J<extra>" + k + "</extra>"}));
  Plotly.react("energy", bars, {barmode: "stack", margin: {t: 20}, yaxis: {title: {text: "mean energy per run (J)"}}, legend: {title: {text: "device kind"}}}, {responsive: true});
}
scenarioSelect.addEventListener("change", drawScenario);
if (scenarios.length) drawScenario();

// -- Gantt of any run: tasks, QPU queue waits and session idle (recorded), idle
const COLOURS = ["#4C72B0", "#DDCC77", "#E8E8E8", "#C44E52", "#AA99CC"];
const runSelect = document.getElementById("run");
for (const id of Object.keys(D.traces)) runSelect.add(new Option(id, id));
document.getElementById("trace-note").textContent = (D.traceNote ? D.traceNote + ". " : "") +
  "QPU queue waits and session idle time are the engine's records (trace rows of type wait).";
function drawGantt() {
  const t = D.traces[runSelect.value];
  if (!t) return;
  const traces = D.states.map((state, k) => {
    const seg = t.segments.filter(s => s[3] === k);
    return {type: "bar", orientation: "h", name: state, base: seg.map(s => s[1]), x: seg.map(s => s[2]),
      y: seg.map(s => t.devices[s[0]] + (t.kinds[s[0]] ? " (" + t.kinds[s[0]] + ")" : "")),
      text: seg.map(s => s[4]), textposition: "inside", insidetextanchor: "middle", constraintext: "inside",
      customdata: seg.map(s => [s[1], s[1] + s[2]]),
      hovertemplate: (k === 2 ? "idle" : "%{text}") + "<br>%{customdata[0]:.4s}s to %{customdata[1]:.4s}s<extra>" + state + "</extra>",
      marker: {color: COLOURS[k], line: {width: k === 2 ? 0 : 0.5, color: "#333"}}};
  }).filter(tr => tr.x.length);
  const height = Math.max(260, 90 + 34 * t.devices.length);
  document.getElementById("gantt").style.height = height + "px";
  Plotly.react("gantt", traces, {barmode: "overlay", margin: {t: 20, l: 140}, xaxis: {title: {text: "time (s)"}},
    yaxis: {autorange: "reversed", categoryorder: "array", categoryarray: t.devices.map((d, i) => d + (t.kinds[i] ? " (" + t.kinds[i] + ")" : ""))},
    legend: {orientation: "h", y: -0.25}, uniformtext: {mode: "hide", minsize: 8}}, {responsive: true});
}
runSelect.addEventListener("change", drawGantt);
drawGantt();
window.reportReady = true;
"""
