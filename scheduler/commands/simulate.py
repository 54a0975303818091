"""hybridsched simulate: run one workflow on one platform under one policy."""

from __future__ import annotations

import argparse
import gc
import sys

ORDER = 10
#: Tasks above which ``--json`` leaves the per-task schedule out unless --schedule asks for it.
SCHEDULE_LIMIT = 10_000
HELP = "run one workflow on a platform under a policy and report its metrics"
DESCRIPTION = """\
Run one workflow on a platform under a policy and report time, energy, cost
and carbon. A cost-matrix instance carries its own platform; other workflows
need --platform (a platform file or a preset; see 'hybridsched platforms').

Exit status: 0 on success, 2 on bad input (the message names the file and item).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from scheduler.commands._checks import seconds, seed

    parser.add_argument("workflow", help="workflow file (cost-matrix JSON, hybridsched YAML/JSON, ...)")
    parser.add_argument("--platform", metavar="FILE|PRESET",
                        help="platform file or preset name (default: the workflow's own platform)")
    parser.add_argument("--policy", default="heft",
                        help="policy name, module:Class or file.py:Class (default: heft; "
                             "see 'hybridsched policies')")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a policy option, repeatable (e.g. --option deadline=120 --option objective=energy; "
                             "see docs/policies.md)")
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default: 0)")
    parser.add_argument("--decision-timeout", type=seconds, metavar="SECONDS",
                        help="time limit on each call into a policy that is not built in (default: "
                             "$HYBRIDSCHED_DECISION_TIMEOUT, else 300; 0: none); see docs/reliability.md")
    parser.add_argument("--json", action="store_true",
                        help="print exactly one JSON object (the summary) on stdout; its per-task "
                             f"schedule is left out (null) above {SCHEDULE_LIMIT:,} tasks unless --schedule "
                             "is given (trace.csv of --out always has every task)")
    parser.add_argument("--schedule", action=argparse.BooleanOptionalAction, default=None,
                        help=f"with --json: include the full per-task schedule (default: only for runs "
                             f"of up to {SCHEDULE_LIMIT:,} tasks; above, it is written as compact JSON)")
    parser.add_argument("--out", metavar="DIR",
                        help="write trace.csv and summary.json into DIR (each written atomically)")
    parser.add_argument("--aer", action="store_true",
                        help="measure each QPU circuit's fidelity with a noisy Aer run (cached on disk; "
                             "circuits past 15 qubits keep their ESP; see docs/quantum.md)")


def run(args: argparse.Namespace) -> int:
    from scheduler.api import load
    from scheduler.policies import parse_options

    options = parse_options(args.option)
    if args.out:  # find out now, not after the whole simulation
        from scheduler.api import check_writable

        check_writable(args.out, folder=True)
    from scheduler.progress import LARGE_BYTES, phase

    size = _size(args.workflow)
    # What is loaded lives to the end of the command: the collector stays off while it is
    # built (as the loader keeps it) and then never walks it again (gc.freeze) while
    # planning and simulating make objects of their own; switched back on in between, its
    # first collection would walk every object just made (0.3 s at 100k tasks).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with phase(f"loading {args.workflow} ({size / 2**20:.0f} MB)", enabled=size >= LARGE_BYTES):
            workflow, platform = load(args.workflow, args.platform)
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    try:
        return _simulate_and_report(args, workflow, platform, options)
    finally:
        gc.unfreeze()  # a caller in the same process (tests, scripts) gets its collector back


def _simulate_and_report(args: argparse.Namespace, workflow, platform, options: dict) -> int:
    from scheduler.api import simulate, write_result
    from scheduler.progress import LARGE_TASKS, phase

    with phase(f"simulating {len(workflow.tasks)} tasks on {len(platform.devices)} devices",
               enabled=len(workflow.tasks) >= LARGE_TASKS):
        result = simulate(workflow, platform, args.policy, seed=args.seed,
                          decision_timeout=args.decision_timeout, **options)
    if args.aer:
        from scheduler.quantum import aer_fidelities

        aer_fidelities(result)
    if args.out:
        write_result(result, args.out)
    if args.json:
        from scheduler.jsonout import dumps

        full = args.schedule if args.schedule is not None else len(workflow.tasks) <= SCHEDULE_LIMIT
        summary = result.summary(schedule=full)
        # Above the limit a full schedule is written compact, by orjson (same values).
        sys.stdout.write(dumps(summary, compact=full and len(workflow.tasks) > SCHEDULE_LIMIT,
                               finite=summary["schedule"]))
        sys.stdout.write("\n")
    else:
        print(render_summary(result.summary()))
    return 0


def _size(path: str) -> int:
    import os

    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0  # the loader says what is wrong with the path


def render_summary(s: dict) -> str:
    """A readable summary of a run: units with SI prefixes, tables aligned for any name length
    (``--json`` and ``--out`` keep the full-precision SI numbers)."""
    from scheduler.units import grams, joules, number, seconds, text_table, usd

    lines = [
        f"workflow  {s['workflow']}   platform  {s['platform']}   policy  {s['policy']}   seed  {s['seed']}",
        "",
        f"  makespan     {seconds(s['makespan'])}",
        f"  energy       {joules(s['energy_j'])}  (facility {joules(s['facility_energy_j'])})",
        f"  cost         {usd(s['cost_usd'])}",
        f"  carbon       {grams(s['carbon_g'])} CO2e",
    ]
    if s.get("slr") is not None:
        speedup = "n/a (no single device runs every task)" if s["speedup"] is None else number(s["speedup"])
        lines.append(f"  SLR          {number(s['slr'])}    speedup  {speedup}")
    if s.get("fidelity_mean") is not None:
        quantum = [r for r in s["schedule"] if "fidelity" in r]
        measured = sum(1 for r in quantum if r.get("fidelity_source", "estimate") != "estimate")
        how = ("estimated (ESP from the device's calibration; measure with --aer)" if not measured else
               f"{measured} of {len(quantum)} measured on noisy Aer, the rest estimated")
        product = f", product {number(s['fidelity_product'])}" if s.get("fidelity_product") is not None else ""
        lines.append(f"  fidelity     mean {number(s['fidelity_mean'])}{product}, min {number(s['fidelity_min'])} "
                     f"over {len(quantum)} quantum tasks")
        lines.append(f"               {how}")
    if s.get("queue_wait_s") or s.get("session_idle_s"):
        lines.append(f"  QPU waits    {seconds(s['queue_wait_s'])} in queues, {seconds(s.get('session_idle_s', 0.0))} of "
                     f"session idle time (billed)")
    if s.get("failed_attempts"):
        lines.append(f"  wasted       {joules(s['wasted_energy_j'])}, {usd(s['wasted_cost_usd'])} in "
                     f"{s['failed_attempts']} aborted attempts; {len(s.get('failed', {}))} tasks failed")
    lines.append("")
    lines += text_table(["device", "kind", "busy*", "util", "energy", "cost"],
                        [[d["device"], d["kind"], seconds(d["busy_s"]), f"{d['utilisation']:.1%}",
                          joules(d["energy_j"]), usd(d["cost_usd"])] for d in s["devices"]], left=2)
    schedule = s["schedule"]
    shown = schedule if len(schedule) <= 40 else schedule[:20] + schedule[-10:]
    quantum = any("fidelity" in r for r in shown)
    rows = []
    for r in shown:
        row = [r["task"], r["device"], seconds(r["start"]), seconds(r["finish"]), joules(r["energy_j"]),
               usd(r.get("cost_usd", 0.0)), grams(r.get("carbon_g", 0.0))]
        if quantum:
            row.append(f"{r['fidelity']:.4f}" + ("" if r.get("fidelity_source", "estimate") == "estimate"
                                                  else " aer") if "fidelity" in r else "")
        rows.append(row)
    lines.append("")
    table = text_table(["task", "device", "start", "finish", "energy", "cost", "CO2e"]
                       + (["fidelity"] if quantum else []), rows, left=2)
    if len(schedule) > 40:
        table.insert(21, f"  ... {len(schedule) - 30} more (use --json or --out for all)")
    lines += table
    lines.append("  * busy time weighted by the share of the device's slots (cores) in use")
    for task, why in s.get("failed", {}).items():
        lines.append(f"  FAILED {task}: {why}")
    for note in s.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)
