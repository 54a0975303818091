"""Suites: checking before running, seeds, results folders, reproduce, plots and traces."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from scheduler.cli import main
from scheduler.experiments import derive_seed, load_suite, run_suite
from scheduler.experiments.reproduce import reproduce
from workloads.errors import InputError

ROOT = Path(__file__).resolve().parents[1]

SMALL = """\
name: small
seed: 11
repeats: 2
workflows:
  - generator: random-dag
    params: {v: 15, q: 3}
    grid: {ccr: [0.5, 5.0]}
  - file: {topcuoglu}
platforms: [own]
policies:
  - heft
  - greedy-eft
"""


def write_suite(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("{topcuoglu}", str(ROOT / "tests" / "data" / "topcuoglu2002.json")))
    return path


@pytest.fixture(scope="module")
def small_results(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("small")
    suite = load_suite(write_suite(tmp, SMALL))
    out = tmp / "out"
    run_suite(suite, out, workers=1)
    return out


# -- checking a suite before anything runs ------------------------------------------------


@pytest.mark.parametrize("change, key, line", [
    (("  - greedy-eft\n", "  - greedy-eftt\n"), "policies[1].policy", 12),
    (("grid: {ccr:", "grid: {crr:"), "workflows[0].grid.crr", 7),
    (("  - file: ", "  - file: missing-"), "workflows[1].file", 8),
    (("repeats: 2\n", "repeats: 2\nrepeat: 3\n"), "top level", None),
    (("platforms: [own]", "platforms: [no-such-preset]"), "platforms[0].preset", 9),
])
def test_bad_suites_are_reported_before_any_run_naming_the_key(tmp_path, capsys, change, key, line):
    path = write_suite(tmp_path, SMALL.replace(*change))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert key in err
    if line:
        assert f"(line {line})" in err
    assert not out.exists()  # nothing ran, nothing was written


def test_unknown_policy_option_and_bad_exclude_are_reported(tmp_path):
    text = SMALL.replace("  - greedy-eft\n", "  - {policy: weighted, options: {tyme: 1}}\n")
    with pytest.raises(InputError, match=r"policies\[1\]\.options.*tyme"):
        load_suite(write_suite(tmp_path, text))
    text = SMALL + "exclude:\n  - {platform: nowhere}\n"
    with pytest.raises(InputError, match=r"exclude\[0\]\.platform.*nowhere"):
        load_suite(write_suite(tmp_path, text))


def test_runs_are_the_cross_product_less_exclusions(tmp_path):
    suite = load_suite(write_suite(tmp_path, SMALL))
    assert len(suite.runs) == 3 * 2 * 2  # (2 grid points + 1 file) x 2 policies x 2 repeats
    assert len({s.run_id for s in suite.runs}) == len(suite.runs)
    excluded = load_suite(write_suite(tmp_path, SMALL + "exclude:\n  - {workflow: random-dag, policy: heft}\n"))
    assert len(excluded.runs) == len(suite.runs) - 4
    assert not any(s.key.startswith("random-dag") and "|heft|" in s.key for s in excluded.runs)


def test_seeds_derive_from_suite_seed_and_identity_only(tmp_path):
    assert derive_seed(11, "a|b|c|r0") == derive_seed(11, "a|b|c|r0")
    assert derive_seed(11, "a|b|c|r0") != derive_seed(12, "a|b|c|r0")
    base = {s.key: (s.seed, s.workflow.get("params")) for s in load_suite(write_suite(tmp_path, SMALL)).runs}
    # Adding a policy and a grid point changes no existing run's seeds or workflow instance.
    bigger = SMALL.replace("[0.5, 5.0]", "[0.5, 5.0, 10.0]").replace("  - greedy-eft\n", "  - greedy-eft\n  - mct\n")
    grown = {s.key: (s.seed, s.workflow.get("params")) for s in load_suite(write_suite(tmp_path, bigger)).runs}
    assert len(grown) > len(base)
    assert all(grown[k] == v for k, v in base.items())
    # Policies and platforms of one repeat share the workflow instance; repeats differ.
    runs = load_suite(write_suite(tmp_path, SMALL)).runs
    seeds = {(s.workflow["label"], s.repeat): set() for s in runs if "generator" in s.workflow}
    for s in runs:
        if "generator" in s.workflow:
            seeds[s.workflow["label"], s.repeat].add(s.workflow["params"]["seed"])
    assert all(len(v) == 1 for v in seeds.values())
    assert seeds["random-dag[ccr=0.5]", 0] != seeds["random-dag[ccr=0.5]", 1]


# -- results folders ----------------------------------------------------------------------


def test_results_folder_has_tables_manifest_and_traces(small_results):
    out = small_results
    df = pd.read_csv(out / "results.csv")
    assert len(df) == 12 and (df["status"] == "ok").all()
    assert pd.read_parquet(out / "results.parquet")["makespan"].tolist() == df["makespan"].tolist()
    topcuoglu = df[(df["workflow"] == "topcuoglu2002") & (df["policy"] == "heft")]
    assert topcuoglu["makespan"].tolist() == [80.0, 80.0]  # the paper's HEFT schedule
    assert (df["slr"] >= 1).all()
    assert set(df["param_ccr"].dropna()) == {0.5, 5.0}
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 6 and (summary["runs"] == 2).all()
    row = summary[(summary["workflow"] == "random-dag[ccr=5]") & (summary["policy"] == "heft")].iloc[0]
    runs = df[(df["workflow"] == "random-dag[ccr=5]") & (df["policy"] == "heft")]["makespan"]
    assert row["makespan_mean"] == pytest.approx(runs.mean())
    assert row["makespan_std"] == pytest.approx(runs.std())
    winners = pd.read_csv(out / "winners.csv")
    assert set(winners["objective"]) >= {"makespan"}
    pareto = pd.read_csv(out / "pareto.csv")
    assert pareto.groupby(["workflow", "platform"])["on_front"].any().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["runs"] == 12
    assert len(manifest["suite"]["sha256"]) == 64
    assert {"python", "hybridsched", "simpy", "networkx", "numpy", "qiskit", "qiskit-aer"} <= set(manifest["versions"])
    assert set(manifest["seeds"]) == set(df["run_id"])
    assert manifest["platforms"]["own"]["name"]
    for run_id in df["run_id"]:
        assert (out / "runs" / run_id / "trace.csv").is_file()
        assert json.loads((out / "runs" / run_id / "result.json").read_text())["status"] == "ok"


def test_pareto_front_is_the_non_dominated_policies():
    from scheduler.experiments.results import pareto

    summary = pd.DataFrame({"workflow": ["w"] * 4, "platform": ["p"] * 4, "policy": list("abcd"),
                            "makespan_mean": [1.0, 2.0, 3.0, 1.0], "energy_j_mean": [5.0, 1.0, 6.0, 5.0],
                            "cost_usd_mean": [1.0, 1.0, 1.0, 2.0]})
    front = pareto(summary).set_index("policy")["on_front"]
    assert front.to_dict() == {"a": True, "b": True, "c": False, "d": False}


def test_reproduce_reports_no_difference_then_a_tampered_value(small_results, tmp_path):
    report = reproduce(small_results, workers=1)
    assert report.runs == 12 and report.differences == [] and report.inputs_changed == []
    tampered = tmp_path / "tampered"
    import shutil

    shutil.copytree(small_results, tampered)
    df = pd.read_csv(tampered / "results.csv")
    df.loc[3, "energy_j"] = 123.0
    df.loc[5, "makespan"] = df.loc[5, "makespan"] * (1 + 1e-12)
    df.to_csv(tampered / "results.csv", index=False)
    diffs = reproduce(tampered, workers=1).differences
    assert {(d.run_id, d.column) for d in diffs} == {(df.loc[3, "run_id"], "energy_j"),
                                                     (df.loc[5, "run_id"], "makespan")}


def test_reproduce_command_exit_status(small_results, capsys):
    assert main(["reproduce", str(small_results), "--workers", "1"]) == 0
    assert "every metric identical" in capsys.readouterr().out


def test_plots_and_perfetto_export(small_results, tmp_path):
    from scheduler.reports.plots import plot_results

    written = plot_results(small_results, gantt=2)
    names = [p.relative_to(small_results / "plots").as_posix() for p in written]
    assert sum(n.startswith("gantt/") for n in names) == 2
    assert any(n.startswith("pareto/") for n in names)
    assert "slr-vs-ccr.png" in names and "energy-by-kind.png" in names
    assert all(p.stat().st_size > 5000 and p.read_bytes()[:4] == b"\x89PNG" for p in written)
    table = pd.read_csv(small_results / "plots" / "slr-vs-ccr.csv", index_col=0)
    assert list(table.index) == [0.5, 5.0] and list(table.columns) == ["heft", "greedy-eft"]

    df = pd.read_csv(small_results / "results.csv")
    run_id = df[df["workflow"] == "topcuoglu2002"]["run_id"].iloc[0]
    out = tmp_path / "t.json"
    assert main(["export", str(small_results), "--run", run_id[:30], "-o", str(out)]) == 0
    events = json.loads(out.read_text())["traceEvents"]
    tasks = [e for e in events if e["ph"] == "X" and e["pid"] == 1]
    assert len(tasks) == 10 and max((e["ts"] + e["dur"]) for e in tasks) == pytest.approx(80e6)
    threads = {e["args"]["name"] for e in events if e.get("name") == "thread_name" and e["pid"] == 1}
    assert threads == {"P1", "P2", "P3"}
    assert any(e["ph"] == "X" and e["pid"] == 2 for e in events)  # transfers are visible


def test_builtin_suites_are_valid():
    for name in ("quickstart", "heft-paper", "carbon", "hybrid-quantum", "qpu-modes", "cutting", "carbon-aware"):
        suite = load_suite(name)
        assert suite.runs and suite.name == name
    carbon = load_suite("carbon")
    sites = {s.platform["label"]: s.platform["site"]["carbon_g_per_kwh"] for s in carbon.runs}
    assert len(set(sites.values())) == 5


def test_site_override_moves_a_preset(tmp_path):
    text = """\
name: site
workflows:
  - generator: fork-join
    params: {width: 4}
platforms:
  - edge-box
  - {name: green-edge, preset: edge-box, site: {pue: 1.5, carbon_g_per_kwh: 10}}
policies: [heft]
"""
    out = tmp_path / "out"
    run_suite(load_suite(write_suite(tmp_path, text)), out, workers=1)
    df = pd.read_csv(out / "results.csv").set_index("platform")
    assert df.loc["green-edge", "makespan"] == df.loc["edge-box", "makespan"]
    assert df.loc["green-edge", "facility_energy_j"] == pytest.approx(1.5 * df.loc["green-edge", "energy_j"])
    assert df.loc["green-edge", "carbon_g"] == pytest.approx(
        df.loc["green-edge", "facility_energy_j"] / 3.6e6 * 10)


def test_check_lists_the_runs_without_running(tmp_path, capsys):
    path = write_suite(tmp_path, SMALL)
    assert main(["run", str(path), "--check", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "small: 12 runs, suite OK" in out and "random-dag[ccr=0.5]|own|heft|r0  seed " in out
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_heft_paper_suite_has_heft_at_or_below_cpop_at_every_ccr(tmp_path):
    """The built-in heft-paper suite's own graphs, HEFT and CPOP only (the paper's finding, fig. 5a)."""
    import yaml

    from scheduler.reports.plots import slr_vs_ccr

    data = yaml.safe_load((ROOT / "scheduler" / "suites" / "heft-paper.yaml").read_text())
    data["policies"] = ["heft", "cpop"]
    path = tmp_path / "heft-paper.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    run_suite(load_suite(path), out, workers=2)
    df = pd.read_csv(out / "results.csv")
    assert (df["status"] == "ok").all() and len(df) == 2 * 5 * 5 * 3 * 3 * 3
    figure = slr_vs_ccr(df, out / "plots")
    assert figure is not None and figure.is_file()
    table = pd.read_csv(out / "plots" / "slr-vs-ccr.csv", index_col=0)
    assert list(table.index) == [0.1, 0.5, 1.0, 5.0, 10.0]
    assert (table["heft"] <= table["cpop"]).all(), table


def test_a_failing_combination_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    text = SMALL.replace("platforms: [own]", "platforms: [own, edge-box]").replace("repeats: 2", "repeats: 1")
    out = tmp_path / "out"
    assert main(["run", str(write_suite(tmp_path, text)), "--out", str(out), "--no-plots", "--workers", "1"]) == 1
    df = pd.read_csv(out / "results.csv")
    failed = df[df["status"] == "error"]
    # Random DAGs and the cost-matrix case have times for their own processors only.
    assert set(failed["platform"]) == {"edge-box"} and len(failed) == 6
    assert failed["error"].str.contains("no device can run").all()
    assert (df[df["platform"] == "own"]["status"] == "ok").all()
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    assert "6 of 12 runs failed" in capsys.readouterr().out
    # Failed runs are tried again on the next run; finished ones are kept.
    again = run_suite(load_suite(write_suite(tmp_path, text)), out, workers=1)
    assert again.resumed == 6 and again.executed == 6
