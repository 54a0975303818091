"""Terminal output for people: units, 100 columns, names never cut, aligned tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import main

ROOT = Path(__file__).resolve().parents[1]
LONG = "energy-aware-heft-with-a-long-label"

SUITE = f"""\
name: wide
seed: 3
repeats: 1
workflows:
  - generator: fork-join
    params: {{width: 4, stages: 1, flops: 2.0e12, mem_bytes: 1.0e10, data_bytes: 1.0e8, cores: 4}}
platforms: [h100-node, dual-socket-server]
policies:
  - heft
  - {{name: {LONG}, policy: energy-heft}}
  - round-robin
"""


@pytest.fixture(scope="module")
def suite_output(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wide")
    (tmp / "wide.yaml").write_text(SUITE)
    done = subprocess.run([sys.executable, "-m", "scheduler.cli", "run", str(tmp / "wide.yaml"), "--out",
                           str(tmp / "out"), "--no-plots"], capture_output=True, text=True, cwd=tmp)
    assert done.returncode == 0, done.stderr
    return tmp, done.stdout


def test_suite_tables_fit_100_columns_with_units_and_whole_policy_names(suite_output):
    _, out = suite_output
    table_lines = [line for line in out.splitlines() if not line.startswith("results:")]
    assert max(len(line) for line in table_lines) <= 100
    assert any(line.split()[:1] == [LONG] for line in table_lines)  # the whole name, first cell of its row
    assert "…" not in out
    assert " kJ" in out and " USD" in out and " mg" in out and " s " in out
    assert "e+0" not in out and "e-0" not in out  # no raw floats


def test_wide_gives_each_objective_its_own_wins_column(suite_output, capsys):
    tmp, _ = suite_output
    assert main(["run", str(tmp / "wide.yaml"), "--out", str(tmp / "out"), "--no-plots", "--wide"]) == 0
    out = capsys.readouterr().out
    assert "wins time" in out and "wins energy" in out


def test_quiet_prints_only_the_results_line(suite_output, capsys):
    tmp, _ = suite_output
    assert main(["run", str(tmp / "wide.yaml"), "--out", str(tmp / "out"), "--no-plots", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("results:") and all("policy" not in line for line in lines)


def test_csv_keeps_full_precision(suite_output):
    import pandas as pd

    tmp, _ = suite_output
    df = pd.read_csv(tmp / "out" / "results.csv")
    # An SI number with all its digits, not a rounded display string.
    assert df["energy_j"].dtype.kind == "f" and (df["energy_j"] > 0).all()
    assert any(len(repr(v)) > 8 for v in df["makespan"])


def test_per_task_table_is_aligned_for_long_task_names(tmp_path, capsys):
    long = "a-task-with-a-name-much-longer-than-twenty-characters"
    (tmp_path / "wf.yaml").write_text(f"""\
format: hybridsched-workflow/1
name: align
tasks:
  - {{id: s, times: {{cpu: 0.0000003906}}}}
  - {{id: {long}, times: {{cpu: 4000.0}}}}
edges:
  - {{from: s, to: {long}}}
""")
    assert main(["simulate", str(tmp_path / "wf.yaml"), "--platform", "dual-socket-server"]) == 0
    out = capsys.readouterr().out
    assert "390.6 ns" in out and "66.67 min" in out  # 4000 s
    header = next(line for line in out.splitlines() if line.strip().startswith("task"))
    rows = [line for line in out.splitlines() if line.strip().startswith(("s ", long))]
    assert len(rows) == 2
    # Every row's device column starts where the header's does.
    column = header.index("device")
    assert all(row[column - 2:column] == "  " and row[column] != " " for row in rows)


def test_simulate_says_fidelity_is_estimated_and_names_mean_and_product(tmp_path, capsys):
    main(["examples", "--copy", str(tmp_path)])
    assert main(["generate", "vqe", "-p", "iterations=1", "-p", "qubits=4", "-p", "molecule=synthetic",
                 "--out", str(tmp_path / "vqe.yaml")]) == 0
    capsys.readouterr()
    assert main(["simulate", str(tmp_path / "vqe.yaml"), "--platform", "hybrid-lab"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.strip().startswith("fidelity"))
    mean, product = (float(line.split(key)[1].split(",")[0]) for key in ("mean ", "product "))
    assert product <= mean <= 1  # a product of probabilities is below their mean
    assert "estimated (ESP" in out and "--aer" in out


def test_generate_help_lists_every_generator_and_its_parameters(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    out = capsys.readouterr().out
    for name in ("vqe:", "qaoa-maxcut:", "wfcommons:", "random-dag:", "fork-join:"):
        assert name in out
    assert "num_tasks=100" in out and "montage" in out and "iterations=8" in out


def test_platforms_name_shows_a_qpus_backend(capsys):
    assert main(["platforms", "hybrid-lab"]) == 0
    out = capsys.readouterr().out
    qpu = next(line for line in out.splitlines() if line.split()[:2] == ["qpu", "qpu"])
    assert "backend FakeTorino" in qpu and "shared" in qpu and "20 kW" in qpu
    assert max(len(line) for line in out.splitlines()) <= 110


def test_export_with_an_ambiguous_prefix_names_the_matches(suite_output, capsys):
    tmp, _ = suite_output
    assert main(["export", str(tmp / "out"), "--run", "fork-join"]) == 2
    err = capsys.readouterr().err
    assert "6 runs match: fork-join" in err and "__heft__" in err and "round-robin" in err
