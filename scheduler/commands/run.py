"""hybridsched run: run a benchmark suite into a results folder."""

from __future__ import annotations

import argparse
import sys

ORDER = 40
HELP = "run a suite of experiments (workflows x platforms x policies x seeds) into a results folder"
DESCRIPTION = """\
Run every run of a suite file (or a built-in suite: quickstart, heft-paper,
carbon, ...) and write a results folder: results.csv and .parquet, summary,
winners and Pareto tables, a manifest for reproduction, per-run traces and
plots. Finished runs are kept: run the same command again after an
interruption and only the rest runs. See docs/experiments.md.

Exit status: 0 when every run succeeded, 1 when some failed (they are listed
in results.csv), 2 on a bad suite (nothing runs), 130 when interrupted.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from scheduler.commands._checks import positive_int, seconds

    parser.add_argument("suite", help="suite file, or the name of a built-in suite (see 'hybridsched suites')")
    parser.add_argument("--out", metavar="DIR", help="results folder (default: results/SUITE-NAME)")
    parser.add_argument("--workers", type=positive_int, metavar="N",
                        help="worker processes, at least 1 (default: the CPUs this process may use)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local worker processes (default) or a Dask distributed cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address, e.g. tcp://10.0.0.1:8786 (default: start a LocalCluster)")
    parser.add_argument("--decision-timeout", type=seconds, metavar="SECONDS",
                        help="time limit on each call into a policy that is not built in (default: "
                             "$HYBRIDSCHED_DECISION_TIMEOUT, else 300; 0: none); see docs/reliability.md")
    parser.add_argument("--wait", action="store_true",
                        help="if another run holds the results folder, wait for it instead of refusing")
    parser.add_argument("--no-plots", action="store_true", help="skip the plots")
    parser.add_argument("--check", action="store_true", help="only check the suite and list its runs")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar and no tables: the results folder line and failures only")
    parser.add_argument("--wide", action="store_true",
                        help="tables as wide as they need (one column per objective won) instead of 100 columns")
    parser.add_argument("--allow-code", action="store_true",
                        help="let the suite name policies as module:Class or file.py:Class (runs that code)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console

    from scheduler.experiments import load_suite, run_suite

    console = Console()
    # Tables fit 100 columns (a pipe or a log file gets 100 too, not rich's 80); --wide: as wide as needed.
    width = 200 if args.wide else min(console.width, 100) if console.is_terminal else 100
    console = Console(width=width, soft_wrap=True)  # messages are never wrapped; tables fit the width
    suite = load_suite(args.suite, allow_code=args.allow_code)
    if args.scheduler and args.executor != "dask":
        args.executor = "dask"
    if args.check:
        for spec in suite.runs:
            print(f"{spec.key}  seed {spec.seed}")
        print(f"{suite.name}: {len(suite.runs)} runs, suite OK")
        return 0
    out = Path(args.out) if args.out else Path("results") / suite.name
    from scheduler.api import check_writable
    from scheduler.experiments.lock import folder_lock

    check_writable(out, folder=True)
    if args.executor == "dask" and args.scheduler:  # before the folder exists: a dead cluster leaves nothing
        from scheduler.experiments.runner import check_reachable

        check_reachable(args.scheduler)
    with folder_lock(out, wait=args.wait, on_wait=lambda who: print(
            f"hybridsched: waiting for the run holding {out}: {who}", file=sys.stderr, flush=True)):
        outcome = _run_with_progress(console, suite, out, args)
        if not args.no_plots:
            from scheduler.reports.plots import plot_results

            written = plot_results(out, gantt=suite.gantt)
            if not args.quiet:
                console.print(f"plots: {len(written)} files in {out / 'plots'}")
    if not args.quiet:
        print_tables(console, outcome.tables, wide=args.wide)
    if outcome.errors:
        for rec in outcome.errors[:5]:
            console.print(f"[red]failed[/red] {rec['key']}: {rec['error']}", markup=True, highlight=False)
        console.print(f"{len(outcome.errors)} of {len(suite.runs)} runs failed (see {out / 'results.csv'})")
        return 1
    console.print(f"results: {out}  ({outcome.executed} runs now, {outcome.resumed} kept from before)")
    return 0


def _run_with_progress(console, suite, out, args):
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    from scheduler.experiments import run_suite

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                        transient=False, disable=args.quiet or not console.is_terminal)
    state = {}

    def on_start(todo: int, done: int) -> None:
        if done:
            console.print(f"resuming: {done} of {done + todo} runs already done in {out}")
        state["task"] = progress.add_task(f"{suite.name}", total=todo)

    def on_done(spec, record) -> None:
        progress.update(state["task"], advance=1)

    try:
        with progress:
            return run_suite(suite, out, workers=args.workers, executor=args.executor,
                             scheduler=args.scheduler, on_start=on_start, on_done=on_done,
                             decision_timeout=args.decision_timeout)
    except KeyboardInterrupt:
        done = len(list((out / "runs").glob("*/result.json")))
        console.print(f"interrupted: {done} finished runs are kept in {out}; "
                      f"run the same command again to do the other {len(suite.runs) - done}", highlight=False)
        raise


#: Objective columns of the tables: (column, header, short name for the wins column).
OBJECTIVE_COLUMNS = [("makespan", "makespan", "time"), ("energy_j", "energy", "energy"), ("cost_usd", "cost", "cost"),
                     ("carbon_g", "CO2e", "CO2e"), ("fidelity_product", "fidelity", "fid")]


def print_tables(console, tables, *, wide: bool = False) -> None:
    """Per policy: mean metrics over all its runs and how often it wins each objective.

    Numbers carry units with SI prefixes (:mod:`scheduler.units`); names are never
    cut. Within 100 columns the wins share one column (``9/6/9``) and, if it still
    does not fit, the least telling columns are left out and named; ``wide``
    shows every column.
    """
    from scheduler.units import fit_table, metric

    df = tables["results"]
    ok = df[df["status"] == "ok"]
    if ok.empty:
        return
    wins = tables["winners"]
    width = None if wide else 100
    # An objective on which every run scores the same (no power figures: energy 0) tells nothing.
    objectives = [(c, h, w) for c, h, w in OBJECTIVE_COLUMNS
                  if c in ok and ok[c].notna().any() and ok[c].nunique() > 1]
    columns = [("slr", "SLR")] if ok["slr"].notna().any() else []
    columns += [(c, h) for c, h, _ in objectives]
    shorts = "/".join(short for _, _, short in objectives)
    headers = ["policy", "runs"] + [label for _, label in columns]
    headers += [f"wins {short}" for _, _, short in objectives] if wide else (["wins"] if objectives else [])
    rows = []
    for policy, group in ok.groupby("policy", sort=False):
        cells = [str(policy), str(len(group))]
        cells += [metric(c, group[c].mean()) for c, _ in columns]
        won = [str(int(((wins["objective"] == c) & (wins["policy"] == policy)).sum())) for c, _, _ in objectives]
        cells += won if wide else (["/".join(won)] if won else [])
        rows.append(cells)
    lines, dropped = fit_table(headers, rows, align="l" + "r" * (len(headers) - 1), width=width,
                               drop=("SLR", "CO2e", "cost", "runs"))
    print(f"{ok['workflow'].nunique()} workflows x {ok['platform'].nunique()} platforms: means over runs, "
          "and scenarios won (ties count for each tied policy)")
    _print_lines(lines)
    notes = [f"wins: scenarios won on {shorts}"] if objectives and not wide else []
    if any(c == "fidelity_product" for c, _, _ in objectives):
        notes.append("fidelity: fidelity_product, the product over a run's circuits of their estimated "
                     "success (ESP)")
    if dropped:
        notes.append(f"left out to fit 100 columns: {', '.join(dropped)} (--wide shows them)")
    for note in notes:
        print(f"  {note}")
    scenarios = ok.groupby(["workflow", "platform"], sort=False).ngroups
    if scenarios <= 8 and objectives:
        best = {(w.workflow, w.platform, w.objective, w.policy) for w in wins.itertuples()}
        means = ok.groupby(["workflow", "platform", "policy"], sort=False)[[c for c, _, _ in objectives]].mean()
        rows = []
        for (wf, plat, pol), row in means.iterrows():
            rows.append([str(wf), str(plat), str(pol)]
                        + [metric(c, row[c]) + ("*" if (wf, plat, c, pol) in best else " ") for c, _, _ in objectives])
        headers = ["workflow", "platform", "policy"] + [h + " " for _, h, _ in objectives]
        lines, dropped = fit_table(headers, rows, align="lll" + "r" * len(objectives), width=width,
                                   drop=("CO2e ", "cost ", "fidelity "))
        print()
        print("per workflow and platform: means over repeats (* best)")
        _print_lines(lines)
        if dropped:
            print(f"  left out to fit 100 columns: {', '.join(h.strip() for h in dropped)} (--wide shows them)")


def _print_lines(lines: list[str]) -> None:
    print(lines[0])
    print("  " + "-" * (max(len(line) for line in lines) - 2))
    for line in lines[1:]:
        print(line)
