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
    parser.add_argument("--allow-code", action="store_true",
                        help="let the suite name policies as module:Class or file.py:Class (runs that code)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console

    from scheduler.experiments import load_suite, run_suite

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)  # a pipe or a log file: do not squeeze the table to 80 columns
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
            console.print(f"plots: {len(written)} files in {out / 'plots'}")
    print_tables(console, outcome.tables)
    if outcome.errors:
        for rec in outcome.errors[:5]:
            console.print(f"[red]failed[/red] {rec['key']}: {rec['error']}", markup=True, highlight=False)
        console.print(f"{len(outcome.errors)} of {len(suite.runs)} runs failed (see {out / 'results.csv'})")
        return 1
    console.print(f"results: {out}  ({outcome.executed} runs now, {outcome.resumed} kept from before)")
    return 0


def _run_with_progress(console, suite, out, args):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from scheduler.experiments import run_suite

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False,
                        disable=not console.is_terminal and not sys.stderr.isatty())
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


def print_tables(console, tables) -> None:
    """Per policy: mean metrics over all its runs and how often it wins each objective."""
    from rich.table import Table

    df = tables["results"]
    ok = df[df["status"] == "ok"]
    if ok.empty:
        return
    wins = tables["winners"]
    # An objective on which every run scores the same (no power figures: energy 0) tells nothing.
    objectives = [o for o in ("makespan", "energy_j", "cost_usd", "carbon_g", "fidelity")
                  if ok[o].notna().any() and ok[o].nunique() > 1]
    table = Table(title=f"{ok['workflow'].nunique()} workflows x {ok['platform'].nunique()} platforms: "
                        "means over runs, and scenarios won (ties count for each tied policy)")
    table.add_column("policy")
    table.add_column("runs", justify="right")
    columns = [("slr", "SLR")] if ok["slr"].notna().any() else []
    columns += [(o, {"makespan": "makespan s", "energy_j": "energy J", "cost_usd": "cost USD",
                     "carbon_g": "CO2e g", "fidelity": "fidelity"}[o]) for o in objectives]
    for _, label in columns:
        table.add_column(label, justify="right")
    for o in objectives:
        table.add_column(f"wins {o.split('_')[0]}", justify="right")
    for policy, group in ok.groupby("policy", sort=False):
        cells = [str(policy), str(len(group))]
        cells += [f"{group[c].mean():.4g}" for c, _ in columns]
        cells += [str(int(((wins["objective"] == o) & (wins["policy"] == policy)).sum())) for o in objectives]
        table.add_row(*cells)
    console.print(table)
    scenarios = ok.groupby(["workflow", "platform"], sort=False).ngroups
    if scenarios <= 8:
        detail = Table(title="per workflow and platform: means over repeats (* best)")
        for label in ["workflow", "platform", "policy"] + [label for c, label in columns if c != "slr"]:
            detail.add_column(label, justify="left" if label in ("workflow", "platform", "policy") else "right")
        best = {(w.workflow, w.platform, w.objective, w.policy) for w in wins.itertuples()}
        means = ok.groupby(["workflow", "platform", "policy"], sort=False)[objectives].mean()
        for (wf, plat, pol), row in means.iterrows():
            cells = [str(wf), str(plat), str(pol)]
            cells += [f"{row[o]:.4g}" + ("*" if (wf, plat, o, pol) in best else " ") for o in objectives]
            detail.add_row(*cells)
        console.print(detail)
