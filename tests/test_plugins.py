"""Policies from outside hybridsched: an installed plugin, a one-file policy, and
broken policies, which must end the run with a clear error and exit 2, never hang."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scheduler.api import load, simulate
from scheduler.checks import problems
from scheduler.policies import describe, policy_class
from scheduler.policy import PolicyError

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples" / "plugin-policy"
ONE_FILE = ROOT / "scheduler" / "examples" / "one_file_policy.py"
TOPCUOGLU = ROOT / "tests" / "data" / "topcuoglu2002.json"


def cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def pip_install(path: Path, target: Path) -> None:
    """Install ``path`` into the folder ``target`` (not this environment), offline when possible."""
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
               "--disable-pip-version-check", "--quiet"]
    if importlib.util.find_spec("wheel") is not None:
        command.append("--no-build-isolation")  # build with what is installed: fully offline
    done = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """The example plugin installed into a throwaway folder that only the CLI runs of the
    test see (on PYTHONPATH): the user's environment never gets lpt-eft or single-device."""
    import os

    target = tmp_path_factory.mktemp("plugin-site")
    pip_install(PLUGIN, target)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")])))
    yield env


@pytest.mark.slow
def test_installed_plugin_is_listed_and_runs(installed_plugin):
    listing = cli("policies", env=installed_plugin)
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines()}
    assert "plugin" in rows["lpt-eft"] and "dynamic" in rows["lpt-eft"]
    assert "plugin" in rows["single-device"] and "static" in rows["single-device"]
    assert "heft" in rows and "built-in" in rows["heft"]

    done = cli("simulate", str(TOPCUOGLU), "--policy", "single-device", "--json", env=installed_plugin)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    # Summed costs per processor: P1 127, P2 130, P3 143; all on P1, no communication.
    assert summary["policy"] == "single-device" and summary["makespan"] == 127
    assert {r["device"] for r in summary["schedule"]} == {"P1"}

    done = cli("simulate", str(TOPCUOGLU), "--policy", "lpt-eft", "--option", "max_wait=5", "--json",
               env=installed_plugin)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["policy"] == "lpt-eft"
    done = cli("simulate", str(TOPCUOGLU), "--policy", "lpt-eft", "--option", "colour=red", env=installed_plugin)
    assert done.returncode == 2 and "unknown option(s) colour" in done.stderr
    # Only the runs given the throwaway folder see the plugin; this environment does not.
    assert "lpt-eft" not in cli("policies").stdout


def test_one_file_policy_runs_through_the_cli():
    done = cli("simulate", str(TOPCUOGLU), "--policy", f"{ONE_FILE}:Frugal", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["policy"] == "frugal"


def test_one_file_policy_chooses_by_added_energy_within_its_delay():
    from devices.device import Device
    from devices.platform import Platform
    from workloads.task import Task
    from workloads.workflow import Workflow

    platform = Platform("p", [Device("fast", idle_w=0, busy_w=100), Device("slow", idle_w=0, busy_w=10)])
    workflow = Workflow.build("w", [Task("t", times={"fast": 1, "slow": 5})])
    # slow adds 50 J against 100 J, finishing 4 s later: within 10 s, not within 3 s.
    frugal = f"{ONE_FILE}:Frugal"
    assert simulate(workflow, platform, frugal).trace.tasks[0].device == "slow"
    assert simulate(workflow, platform, frugal, max_delay=3).trace.tasks[0].device == "fast"


BROKEN = textwrap.dedent('''
    from scheduler.policy import Plan, Policy

    class Raises(Policy):
        name = "raises"
        def score(self, task, device, view):
            raise ValueError("boom")

    class WrongDevice(Policy):
        name = "wrong-device"
        def select(self, ready, view):
            for task in ready:
                view.place(task, view.devices[-1])   # the GPU-only device

    class Stalls(Policy):
        name = "stalls"
        def select(self, ready, view):
            pass

    class Leaves(Policy):
        name = "leaves"
        def select(self, ready, view):
            if ready[0].id == "a":
                view.place(ready[0], view.devices[0])   # then never places b

    class Partial(Policy):
        name = "partial"
        def plan(self, problem):
            return Plan(device={problem.tasks[0].id: problem.devices[0].name})

    class Deadlock(Policy):
        name = "deadlock"
        def plan(self, problem):   # both on one device, b planned before its parent a
            name = problem.devices[0].name
            return Plan(device={"a": name, "b": name}, start={"a": 5.0, "b": 0.0})

    class BadInit(Policy):
        def __init__(self, **options):
            raise RuntimeError("cannot start")

    class NotAPolicy:
        pass

    1 / 1
''')

WORKFLOW = {
    "format": "hybridsched-workflow/1", "name": "two",
    "tasks": [{"id": "a", "times": {"cpu0": 1.0}}, {"id": "b", "times": {"cpu0": 1.0}}],
    "edges": [{"from": "a", "to": "b", "data_bytes": 0}],
    "platform": {"name": "mixed", "devices": [
        {"name": "cpu0", "kind": "processor"},
        {"name": "gpu0", "kind": "gpu", "peak_flops": 1e12, "mem_bandwidth": 1e12}]},
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    (folder / "broken.py").write_text(BROKEN)
    (folder / "two.json").write_text(json.dumps(WORKFLOW))
    (folder / "syntax.py").write_text("class Oops(:\n")
    return folder


@pytest.mark.parametrize("cls, message", [
    ("Raises", "policy 'raises': task 'a': raised ValueError while placing ready tasks: boom"),
    ("WrongDevice", "policy 'wrong-device': task 'a': placed it on gpu0, which cannot run it"),
    ("Stalls", "policy 'stalls': task 'a': never placed this ready task"),
    ("Leaves", "policy 'leaves': task 'b': never placed this ready task"),
    ("Partial", "task 'b': the plan leaves this task out"),
    ("Deadlock", "policy 'deadlock': task 'b': deadlock"),
    ("BadInit", "raised RuntimeError while starting: cannot start"),
    ("NotAPolicy", "is not a hybridsched Policy subclass"),
])
def test_broken_policy_ends_with_one_clear_line_and_exit_2(broken, cls, message):
    done = cli("simulate", str(broken / "two.json"), "--policy", f"{broken / 'broken.py'}:{cls}", timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_unloadable_file_and_unknown_names(broken):
    done = cli("simulate", str(TOPCUOGLU), "--policy", f"{broken / 'syntax.py'}:Oops")
    assert done.returncode == 2 and "cannot load it: SyntaxError" in done.stderr
    assert "Traceback" not in done.stderr
    for name, message in [("no-such-policy", "unknown policy"), ("nosuchmodule:X", "cannot import module"),
                          (f"{broken / 'missing.py'}:X", "no such file"), ("json:loads", "not a hybridsched Policy"),
                          (f"{broken / 'broken.py'}:Missing", "has no 'Missing'")]:
        done = cli("simulate", str(TOPCUOGLU), "--policy", name)
        assert done.returncode == 2 and message in done.stderr, (name, done.stderr)


def test_broken_policy_raises_policy_error_in_the_api(broken):
    workflow, platform = load(broken / "two.json")
    with pytest.raises(PolicyError, match="never placed"):
        simulate(workflow, platform, f"{broken / 'broken.py'}:Stalls")


def test_module_class_names_a_policy():
    cls = policy_class("scheduler.policies.cpop:CPOP")
    assert cls.name == "cpop"
    workflow, platform = load(TOPCUOGLU)
    result = simulate(workflow, platform, "scheduler.policies.cpop:CPOP")
    assert result.metrics.makespan == 86 and problems(result.trace, workflow, platform) == []


def test_describe_lists_every_builtin_with_a_description():
    rows = {r["name"]: r for r in describe()}
    for name in ("heft", "heft-append", "cpop", "peft", "minmin", "maxmin", "sufferage", "minmin-online",
                 "maxmin-online", "sufferage-online", "mct", "met", "olb", "round-robin", "random", "weighted",
                 "energy-heft", "deadline"):
        assert rows[name]["origin"] == "built-in" and rows[name]["description"], name
    assert rows["peft"]["kind"] == "static" and rows["mct"]["kind"] == "dynamic"
    for name in ("minmin", "maxmin", "sufferage"):  # the planned form and the run-time one
        assert rows[name]["kind"] == "static" and rows[name + "-online"]["kind"] == "dynamic"


def test_the_guide_shows_the_example_file_verbatim():
    guide = (ROOT / "docs" / "policies.md").read_text()
    snippet = guide.split("```python\n", 1)[1].split("```", 1)[0]
    assert snippet.strip() in ONE_FILE.read_text()
    assert len(snippet.strip().splitlines()) <= 22  # "about twenty lines"


def test_a_broken_plugin_is_listed_with_its_reason_and_hides_nothing(monkeypatch):
    from importlib.metadata import EntryPoint

    import scheduler.policies as registry

    broken_ep = EntryPoint(name="broken-plugin", value="no_such_module_xyz:Policy", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "plugins", lambda: {"broken-plugin": broken_ep})
    rows = {r["name"]: r for r in registry.describe()}
    assert "cannot load" in rows["broken-plugin"]["description"] and rows["broken-plugin"]["origin"] == "plugin"
    assert rows["heft"]["kind"] == "static"
    with pytest.raises(registry.InputError, match="cannot load plugin 'no_such_module_xyz:Policy'"):
        registry.make_policy("broken-plugin")


def test_policies_json_lists_every_builtin():
    from scheduler.policies import BUILTIN

    done = cli("policies", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["name"] for r in rows][:len(BUILTIN)] == list(BUILTIN)
    assert all(r["description"] and r["kind"] in ("static", "dynamic") for r in rows[:len(BUILTIN)])
