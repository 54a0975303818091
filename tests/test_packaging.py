"""What a user of the installed wheel finds: suites, examples and the harness as package data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler import examples, suites
from scheduler.cli import main
from scheduler.experiments import load_suite
from workloads.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_every_yaml_file_in_the_suites_package_is_a_builtin_suite(capsys):
    on_disk = sorted(p.stem for p in (ROOT / "scheduler" / "suites").glob("*.yaml"))
    assert {"quickstart", "heft-paper", "carbon", "hybrid-quantum"} <= set(on_disk)
    assert suites.names() == on_disk
    assert main(["suites"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == on_disk


def test_a_builtin_suite_is_found_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    suite = load_suite("carbon")
    assert suite.path == ROOT / "scheduler" / "suites" / "carbon.yaml"
    assert len(suite.runs) == 75  # 1 workflow x 5 sites x 5 policies x 3 repeats


def test_an_unknown_suite_name_lists_the_builtin_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as err:
        load_suite("quikstart")
    assert "no such suite file" in str(err.value)
    assert "quickstart" in str(err.value) and "heft-paper" in str(err.value)


def test_examples_copy_writes_each_file_once(tmp_path, capsys):
    assert main(["examples", "--copy", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(examples.EXAMPLES)
    (tmp_path / "ml-pipeline.yaml").write_text("mine\n")
    capsys.readouterr()
    assert main(["examples", "--copy", str(tmp_path)]) == 0
    assert "kept" in capsys.readouterr().out
    assert (tmp_path / "ml-pipeline.yaml").read_text() == "mine\n"  # never overwritten


def test_the_shipped_heft_example_is_the_tests_copy():
    # Two copies of the paper's instance (tests/data for the tests, the package for users): same bytes.
    assert examples.path("topcuoglu2002.json").read_bytes() == (ROOT / "tests" / "data" / "topcuoglu2002.json").read_bytes()


def test_copied_examples_run(tmp_path, capsys):
    main(["examples", "--copy", str(tmp_path)])
    assert main(["simulate", str(tmp_path / "topcuoglu2002.json"), "--policy", "heft", "--json"]) == 0
    assert '"makespan": 80.0' in capsys.readouterr().out  # Topcuoglu et al. 2002, fig. 2
    policy = f"{tmp_path / 'one_file_policy.py'}:Frugal"
    assert main(["simulate", str(tmp_path / "ml-pipeline.yaml"), "--platform", "h100-node",
                 "--policy", policy, "--json"]) == 0


@pytest.mark.skipif(importlib.util.find_spec("saga") is not None, reason="SAGA is installed here")
def test_bench_skips_a_rival_that_is_not_installed_and_says_how_to_add_it():
    from scheduler.bench import planners

    row = planners.saga_case(tasks=10, devices=2)
    assert "error" not in row
    assert "pip install 'hybridsched[bench]'" in row["skipped"]


def test_wheel_metadata_names_its_licence_and_is_spdx():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert "version" in project and "dynamic" not in project  # one place: cli --version reads the metadata
    done = subprocess.run([sys.executable, "-m", "scheduler.cli", "--version"], capture_output=True, text=True)
    assert done.stdout.strip() == f"hybridsched {project['version']}"


def test_a_suite_left_in_a_checkouts_benchmarks_folder_runs_by_name_and_is_marked(tmp_path, monkeypatch, capsys):
    from scheduler.experiments import suite as suite_module

    (tmp_path / "mine.yaml").write_text("name: mine\nworkflows: [{generator: random-dag, params: {v: 5}}]\n"
                                        "platforms: [own]\npolicies: [heft]\n")
    monkeypatch.setattr(suite_module, "CHECKOUT_DIR", tmp_path)
    assert len(load_suite("mine").runs) == 1
    assert main(["suites"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("mine "))
    assert "not in the wheel" in line
