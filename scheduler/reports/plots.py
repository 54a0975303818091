"""Plots of a results folder (matplotlib, Agg backend: no display needed).

* ``gantt/RUN_ID.png``: one row per device, one bar per task run coloured by
  task kind (failed attempts hatched), labelled where the name fits; a run
  too short to see gets a tick at its start; transfers as grey lines from the
  sending device's row to the receiving one's; QPU queue waits (dotted) and
  session idle time as thin bars under the QPU's row (trace rows of type ``wait``).
* ``pareto/WORKFLOW__PLATFORM.png``: each policy's mean time against energy
  and against cost; policies on the Pareto front (``pareto.csv``) ringed,
  the 2-D front joined by a line when it has two or more points.
* ``energy-by-kind.png``: mean energy per device kind, stacked, per policy,
  one panel per workflow and platform (a mean never mixes workflows), the
  legend outside the panels.
* ``qpu-modes.png`` (and ``qpu-modes.csv``): for suites with ``mode`` and
  ``circuits_on`` grids, makespan and cost of each execution mode and
  placement of the circuits against the platform (QPU load).
* ``slr-vs-ccr.png`` (and ``slr-vs-ccr.csv``): for suites whose workflows
  have a ``ccr`` parameter, each policy's average SLR at each CCR, the
  figure of Topcuoglu et al. 2002 (fig. 5a).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

KIND_COLOURS = {"classical": "#4C72B0", "quantum": "#8172B2"}
#: QPU waits (trace rows of type "wait"): a queue wait, and a session holding the QPU idle (billed).
WAIT_COLOURS = {"queue": "#DD8452", "session-idle": "#C44E52"}
POLICY_MARKERS = "osD^v<>Pp*hX"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    from scheduler.api import replace_atomic

    try:
        replace_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight",
                                                     metadata={"Software": None}), suffix=".png")
    finally:
        _pyplot().close(fig)
    return path


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+=-]+", "-", text).strip("-")


def gantt_chart(run_folder: str | Path, path: str | Path, *, max_transfers: int = 3000) -> Path:
    """A Gantt chart of the run stored in ``run_folder`` (trace.csv + result.json)."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Patch

    from scheduler.reports.perfetto import read_trace_rows, recorded_devices, run_info

    plt = _pyplot()
    folder = Path(run_folder)
    rows = read_trace_rows(folder)
    info = run_info(folder)
    kinds = info.get("task_kinds") if isinstance(info.get("task_kinds"), dict) else {}
    devices = recorded_devices(info)
    summary = info.get("summary") if isinstance(info.get("summary"), dict) else {}
    for r in rows:
        if r["type"] == "task" and r["device"] not in devices:
            devices.append(r["device"])
    y = {d: i for i, d in enumerate(devices)}
    # Named network links get a row each below the devices: the transfers crossing them.
    link_rows = [r for r in rows if r["type"] == "transfer" and r.get("links")]
    link_names = [k["link"] for k in summary.get("links", [])]
    for r in link_rows:
        for link in r["links"].split("|"):
            if link not in link_names:
                link_names.append(link)
    link_y = {f"link {k}": len(devices) + i for i, k in enumerate(link_names)}
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.45 * (len(devices) + len(link_y))))
    used = set()
    span = max([float(r["finish"]) for r in rows if r["type"] == "task"] + [1e-12])
    # About 150 characters of 6-point text fit across the axes of a 10-inch figure.
    chars_per_second = 150.0 / span
    for r in rows:
        if r["type"] != "task":
            continue
        start, finish = float(r["start"]), float(r["finish"])
        kind = kinds.get(r["task"], "classical")
        used.add(kind)
        failed = r["status"] != "done"
        ax.barh(y[r["device"]], finish - start, left=start, height=0.6,
                color=KIND_COLOURS.get(kind, "#55A868"), edgecolor="black", linewidth=0.3,
                hatch="//" if failed else None, alpha=0.5 if failed else 1.0)
        room = int((finish - start) * chars_per_second)
        if room < 1:  # too short to see (a QPU job in a long run): a tick marks where it ran
            ax.vlines(start, y[r["device"]] - 0.3, y[r["device"]] + 0.3, color=KIND_COLOURS.get(kind, "#55A868"),
                      linewidth=1.2)
        label = r["task"] if len(r["task"]) <= room else (r["task"][:room - 1] + "…" if room >= 4 else "")
        if label:
            ax.text((start + finish) / 2, y[r["device"]], label, ha="center", va="center",
                    fontsize=6, color="white", clip_on=True)
    # QPU waits as their own states: a thin bar under the device's row (queue: hatched; session idle: billed).
    waits = [r for r in rows if r["type"] == "wait" and r["device"] in y]
    for r in waits:
        start, finish = float(r["start"]), float(r["finish"])
        used.add(r["status"])
        ax.barh(y[r["device"]] + 0.38, finish - start, left=start, height=0.16,
                color=WAIT_COLOURS.get(r["status"], "#BBBBBB"), linewidth=0,
                hatch="..." if r["status"] == "queue" else None)
    transfers = [r for r in rows if r["type"] == "transfer" and r["src_device"] in y and r["device"] in y]
    if transfers and len(transfers) <= max_transfers:
        segments = [((float(t["start"]), y[t["src_device"]]), (float(t["finish"]), y[t["device"]]))
                    for t in transfers]
        ax.add_collection(LineCollection(segments, colors="grey", linewidths=0.6, alpha=0.6))
    if link_rows and len(link_rows) <= max_transfers:
        for r in link_rows:
            start, finish = float(r["start"]), float(r["finish"])
            for link in r["links"].split("|"):
                ax.barh(link_y[f"link {link}"], finish - start, left=start, height=0.5, color="grey",
                        alpha=0.25, edgecolor="black", linewidth=0.2)
    ax.set_yticks(range(len(devices) + len(link_y)), devices + list(link_y))
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_title(f"{summary.get('workflow', '')} on {summary.get('platform', '')} under "
                 f"{summary.get('policy', '')} (makespan {_number(summary.get('makespan')):.4g} s)", fontsize=9)
    handles = [Patch(color=WAIT_COLOURS.get(k) or KIND_COLOURS.get(k, "#55A868"),
                     label=f"{k} (wait)" if k in WAIT_COLOURS else k) for k in sorted(used)]
    if transfers:
        handles.append(Patch(color="grey", label=f"transfers ({len(transfers)})"
                             if len(transfers) <= max_transfers else f"{len(transfers)} transfers (not drawn)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.autoscale_view()
    return _save(fig, Path(path))


def pareto_plots(pareto: Any, folder: Path, *, limit: int = 24) -> list[Path]:
    """Time vs energy and time vs cost per workflow and platform (at most ``limit`` figures)."""
    plt = _pyplot()
    written = []
    for n, ((wf, plat), group) in enumerate(pareto.groupby(["workflow", "platform"], sort=False)):
        if n >= limit or len(group) < 2:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
        for ax, y, label in ((axes[0], "energy_j", "energy (J)"), (axes[1], "cost_usd", "cost (USD)")):
            for k, (_, row) in enumerate(group.iterrows()):
                ax.scatter(row["makespan"], row[y], marker=POLICY_MARKERS[k % len(POLICY_MARKERS)],
                           s=50, label=row["policy"], zorder=3,
                           edgecolor="black" if row["on_front"] else "none")
            front = _front_2d(group, "makespan", y)
            if len(front) >= 2:  # one point beats all: there is no line to draw, and the legend says none
                ax.plot(front["makespan"], front[y], color="black", linewidth=0.8, zorder=2,
                        label="2-D Pareto front")
            ax.set_xlabel("makespan (s)")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[1].legend(fontsize=7)
        fig.suptitle(f"{wf} on {plat}: policy means; black edge = on the Pareto front "
                     "(time, energy, cost, fidelity)", fontsize=9)
        written.append(_save(fig, folder / f"{_slug(wf)}__{_slug(plat)}.png"))
    return written


def _front_2d(points: Any, x: str, y: str) -> Any:
    """The points no other point beats in both ``x`` and ``y``, sorted by ``x``."""
    ordered = points.sort_values([x, y])
    keep, best = [], float("inf")
    for idx, row in ordered.iterrows():
        if row[y] < best:
            keep.append(idx)
            best = row[y]
    return ordered.loc[keep]


def energy_by_kind(df: Any, path: Path, *, limit: int = 12) -> Path | None:
    """Mean energy per device kind, stacked, per policy: one panel per workflow and platform
    (at most ``limit``), so each bar's height is that scenario's mean energy per run."""
    columns = [c for c in df.columns if c.startswith("energy_j_")]
    ok = df[df["status"] == "ok"]
    if not columns or ok.empty:
        return None
    plt = _pyplot()
    scenarios = list(ok.groupby(["workflow", "platform"], sort=False).groups)
    shown = scenarios[:limit]
    cols = min(4, len(shown))
    rows_n = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(3.6 * cols + 1.6, 3.2 * rows_n), squeeze=False,
                             layout="constrained")
    colours = {c: f"C{k}" for k, c in enumerate(columns)}
    for ax, (wf, plat) in zip(axes.flat, shown):
        part = ok[(ok["workflow"] == wf) & (ok["platform"] == plat)]
        means = part.groupby("policy", sort=False)[columns].mean()
        bottom = None
        for c in columns:
            values = means[c].fillna(0.0)
            if not values.any():
                continue
            ax.bar(means.index, values, bottom=bottom, label=c.removeprefix("energy_j_"), color=colours[c])
            bottom = values if bottom is None else bottom + values
        ax.set_title(f"{wf}\non {plat}", fontsize=8)
        ax.set_ylabel("mean energy per run (J)", fontsize=7)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c]) for c in columns]
    fig.legend(handles, [c.removeprefix("energy_j_") for c in columns], title="device kind", fontsize=7,
               loc="outside right upper")
    more = f"; first {limit} of {len(scenarios)} workflow/platform pairs" if len(scenarios) > limit else ""
    fig.suptitle(f"energy by device kind (IT energy, before PUE), means over repeats{more}", fontsize=9)
    return _save(fig, path)


def slr_vs_ccr(df: Any, folder: Path) -> Path | None:
    """Average SLR of each policy at each CCR (runs with a ``param_ccr`` column)."""
    from scheduler.api import write_atomic

    ok = df[(df["status"] == "ok")] if "param_ccr" in df else None
    if ok is None or ok.empty or ok["slr"].isna().all():
        return None
    table = ok.groupby(["param_ccr", "policy"], sort=True)["slr"].mean().unstack("policy")
    table = table[list(dict.fromkeys(ok["policy"]))]
    write_atomic(folder / "slr-vs-ccr.csv", table.to_csv())
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for k, policy in enumerate(table.columns):
        ax.plot(table.index, table[policy], marker=POLICY_MARKERS[k % len(POLICY_MARKERS)], label=policy)
    ax.set_xscale("log")
    ax.set_xlabel("CCR (communication to computation ratio)")
    ax.set_ylabel("average SLR")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    per_point = len(ok) // max(1, table.size)
    ax.set_title(f"average SLR, {per_point} runs per policy and CCR", fontsize=9)
    return _save(fig, folder / "slr-vs-ccr.png")


def modes_tradeoff(df: Any, folder: Path) -> Path | None:
    """For suites with ``mode`` and ``circuits_on`` grids (``scheduler/suites/qpu-modes.yaml``): mean
    makespan and cost per platform of circuits on the QPU in job mode and in their group mode,
    simulated on the GPU, and left to each policy; ``qpu-modes.csv`` holds every mean."""
    from scheduler.api import write_atomic

    if "param_mode" not in df or "param_circuits_on" not in df:
        return None
    ok = df[df["status"] == "ok"].copy()
    if ok.empty:
        return None
    ok["family"] = ok["workflow"].astype(str).str.split("[").str[0]
    keys = ["family", "platform", "param_circuits_on", "param_mode", "policy"]
    metrics = [c for c in ("makespan", "cost_usd", "energy_j", "queue_wait_s", "session_idle_s") if c in ok]
    means = ok.groupby(keys, sort=False)[metrics].mean().reset_index()
    write_atomic(folder / "qpu-modes.csv", means.to_csv(index=False))
    plt = _pyplot()
    families = list(dict.fromkeys(means["family"]))
    platforms = list(dict.fromkeys(ok["platform"]))
    first_policy = ok["policy"].iloc[0]
    fig, axes = plt.subplots(len(families), 2, figsize=(11, 3.2 * len(families)), squeeze=False,
                             layout="constrained")
    for row, family in zip(axes, families):
        part = means[means["family"] == family]
        grouped = sorted(set(part["param_mode"]) - {"job"})
        lines = [(f"QPU, {m} ({first_policy})", "qpu", m, first_policy) for m in ["job", *grouped]]
        lines.append((f"simulated on the GPU ({first_policy})", "gpu", "job", first_policy))
        lines += [(f"either, {m} ({p})", "any", m, p) for m in grouped for p in dict.fromkeys(part["policy"])]
        for ax, metric, label in zip(row, ("makespan", "cost_usd"), ("mean makespan (s)", "mean cost (USD)")):
            for k, (name, on, mode, policy) in enumerate(lines):
                sel = part[(part["param_circuits_on"] == on) & (part["param_mode"] == mode) & (part["policy"] == policy)]
                series = sel.set_index("platform")[metric].reindex(platforms)
                if series.notna().any():
                    ax.plot(platforms, series.values, marker=POLICY_MARKERS[k % len(POLICY_MARKERS)], label=name)
            ax.set_yscale("log")
            ax.set_ylabel(label)
            ax.set_title(family, fontsize=9)
            ax.grid(alpha=0.3)
        row[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("execution mode and placement of the circuits vs QPU load (platforms left to right)", fontsize=9)
    return _save(fig, folder / "qpu-modes.png")


def plot_results(out: str | Path, *, gantt: int = 12) -> list[Path]:
    """Every plot of results folder ``out`` into ``out/plots``; returns the files written.

    Gantt charts are drawn for ``gantt`` successful runs of repeat 0: the first
    policy of every workflow and platform, then the second, and so on.
    """
    import pandas as pd

    from scheduler.experiments.results import read_table

    out = Path(out)
    plots = out / "plots"
    df = read_table(out)
    written: list[Path] = []
    first = df[(df["status"] == "ok") & (df["repeat"] == 0)].copy()
    # Spread the charts over scenarios: every workflow and platform's first policy, then the second...
    first["rank"] = first.groupby(["workflow", "platform"], sort=False).cumcount()
    chosen = first.sort_values("rank", kind="stable").head(gantt)
    for stale in (plots / "gantt").glob("*.png"):  # charts of an earlier choice would mislead
        stale.unlink()
    for run_id in chosen["run_id"]:
        folder = out / "runs" / run_id
        if (folder / "trace.csv").is_file():
            written.append(gantt_chart(folder, plots / "gantt" / f"{run_id}.png"))
    pareto_csv = out / "pareto.csv"
    if pareto_csv.is_file():
        try:
            pareto = pd.read_csv(pareto_csv, encoding="utf-8", encoding_errors="strict")
        except (UnicodeDecodeError, pd.errors.EmptyDataError, pd.errors.ParserError, ValueError) as err:
            from workloads.errors import InputError

            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise InputError(f"damaged Pareto table: {first}", source=str(pareto_csv)) from None
        if not pareto.empty and "makespan" in pareto:
            written += pareto_plots(pareto, plots / "pareto")
    for path in (energy_by_kind(df, plots / "energy-by-kind.png"), slr_vs_ccr(df, plots),
                 modes_tradeoff(df, plots)):
        if path is not None:
            written.append(path)
    return written
