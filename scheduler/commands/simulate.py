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
    workflow, platform = load(args.workflow, args.platform)
    # What was loaded lives to the end of the command: keep the collector from walking
    # it again and again while planning and simulating make objects of their own.
    gc.freeze()
    try:
        return _simulate_and_report(args, workflow, platform, options)
    finally:
        gc.unfreeze()  # a caller in the same process (tests, scripts) gets its collector back


def _simulate_and_report(args: argparse.Namespace, workflow, platform, options: dict) -> int:
    from scheduler.api import simulate, write_result

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


def render_summary(s: dict) -> str:
    """A readable table of a run's summary."""
    lines = [
        f"workflow  {s['workflow']}   platform  {s['platform']}   policy  {s['policy']}   seed  {s['seed']}",
        "",
        f"  makespan     {s['makespan']:.6g} s",
        f"  energy       {s['energy_j']:.6g} J  (facility {s['facility_energy_j']:.6g} J)",
        f"  cost         {s['cost_usd']:.6g} USD",
        f"  carbon       {s['carbon_g']:.6g} gCO2e",
    ]
    if s.get("slr") is not None:
        speedup = "n/a (no single device runs every task)" if s["speedup"] is None else f"{s['speedup']:.4g}"
        lines.append(f"  SLR          {s['slr']:.4g}    speedup  {speedup}")
    if s.get("fidelity_mean") is not None:
        lines.append(f"  fidelity     mean {s['fidelity_mean']:.4g}, min {s['fidelity_min']:.4g} over quantum tasks")
    if s.get("failed_attempts"):
        lines.append(f"  wasted       {s['wasted_energy_j']:.6g} J, {s['wasted_cost_usd']:.6g} USD in "
                     f"{s['failed_attempts']} aborted attempts; {len(s.get('failed', {}))} tasks failed")
    lines += ["", f"  {'device':<16}{'kind':<10}{'busy s*':>12}{'util':>8}{'energy J':>14}{'cost USD':>12}"]
    for d in s["devices"]:
        lines.append(f"  {d['device']:<16}{d['kind']:<10}{d['busy_s']:>12.6g}{d['utilisation']:>8.1%}"
                     f"{d['energy_j']:>14.6g}{d['cost_usd']:>12.6g}")
    lines += ["", f"  {'task':<20}{'device':<16}{'start':>12}{'finish':>12}{'energy J':>14}{'cost USD':>12}"
                  f"{'gCO2e':>10}{'fidelity':>10}"]
    schedule = s["schedule"]
    shown = schedule if len(schedule) <= 40 else schedule[:20] + [None] + schedule[-10:]
    for r in shown:
        if r is None:
            lines.append(f"  ... {len(schedule) - 30} more (use --json or --out for all)")
            continue
        fidelity = f"{r['fidelity']:>10.4f}" if "fidelity" in r else ""
        lines.append(f"  {r['task']:<20}{r['device']:<16}{r['start']:>12.6g}{r['finish']:>12.6g}"
                     f"{r['energy_j']:>14.6g}{r.get('cost_usd', 0.0):>12.4g}{r.get('carbon_g', 0.0):>10.4g}{fidelity}")
    lines.append("  * busy seconds weighted by the share of the device's slots (cores) in use")
    for task, why in s.get("failed", {}).items():
        lines.append(f"  FAILED {task}: {why}")
    for note in s.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)
