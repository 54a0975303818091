"""The hostile-use matrix: hybridsched attacked as a careless or hostile user would.

Each case runs a real command (in this process through ``scheduler.cli.main``,
or as a subprocess where the process itself is at stake: signals, locks,
``os._exit``) and checks what the user gets: the exit status, one line on
stderr naming the file or flag and what is wrong, no traceback, and no
temporary file left behind. docs/reliability.md lists the cases.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.conftest import ROOT, TOPCUOGLU

SUITE = """\
name: hostile
seed: 3
workflows:
  - generator: random-dag
    params: {v: 12, q: 2}
platforms: [own]
policies: [heft, greedy-eft]
"""

SLOW_POLICY = """\
import time
from scheduler.policy import Policy


class Slow(Policy):
    name = "slow"
    description = "sleeps before every decision"

    def select(self, ready, view):
        time.sleep(60)
        super().select(ready, view)
"""

EXITING_POLICY = """\
import sys
from scheduler.policy import Policy


class Exits(Policy):
    name = "exits"
    description = "ends the process while placing"

    def select(self, ready, view):
        sys.exit(0)


class ExitsPlanning(Policy):
    name = "exits-planning"
    description = "ends the process while planning"

    def plan(self, problem):
        raise SystemExit("bye")


class ExitsAtBirth(Policy):
    name = "exits-at-birth"
    description = "ends the process when made"

    def __init__(self, **kw):
        sys.exit(3)


class Swallows(Policy):
    name = "swallows"
    description = "catches everything, forever"

    def select(self, ready, view):
        while True:
            try:
                time.sleep(0.05)
            except BaseException:
                pass
"""
EXITING_POLICY = EXITING_POLICY.replace("import sys\n", "import sys\nimport time\n", 1)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``hybridsched ARGV`` here; (exit status, stdout, stderr). argparse's own
    exit (a bad flag) is returned as its status."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as err:
        code = err.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "Warning" not in err, err
    assert "error" in lines[0], err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def no_temporaries(*folders: Path) -> None:
    for folder in folders:
        left = [p for p in Path(folder).rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
        assert not left, left


@pytest.fixture
def suite(tmp_path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def hybridsched(*argv, **kw) -> subprocess.Popen:
    env = dict(os.environ, **kw.pop("env", {}))
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", *map(str, argv)], cwd=ROOT, env=env,
                            stdout=kw.pop("stdout", subprocess.PIPE), stderr=kw.pop("stderr", subprocess.PIPE),
                            text=True, **kw)


def children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# -- 1. one writer per results folder ---------------------------------------------------------------


def hold_lock(folder: Path, seconds: float) -> subprocess.Popen:
    script = ("import sys, time; from scheduler.experiments.lock import folder_lock\n"
              "with folder_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(folder), str(seconds)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_on_a_folder_refuses_naming_the_holder(tmp_path, suite, capsys):
    out = tmp_path / "out"
    holder = hold_lock(out, 30)
    try:
        code, _, err = cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots")
        assert code == 2
        one_line_error(err, str(out), f"pid {holder.pid}", socket.gethostname(), "--wait")
        assert not (out / "runs").exists()  # it did nothing
    finally:
        holder.kill()
        holder.wait()


def test_wait_runs_once_the_holder_is_gone(tmp_path, suite, capsys):
    out = tmp_path / "out"
    holder = hold_lock(out, 1.5)
    started = time.monotonic()
    code, _, err = cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots", "--wait")
    holder.wait()
    assert code == 0, err
    assert time.monotonic() - started >= 1.0
    assert "waiting for the run holding" in err
    assert len(list(out.glob("runs/*/result.json"))) == 2


def test_a_killed_holder_leaves_no_lock(tmp_path, suite, capsys):
    out = tmp_path / "out"
    holder = hold_lock(out, 30)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    code, _, err = cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots")
    assert code == 0, err


def test_plot_refuses_while_a_run_holds_the_folder(tmp_path, suite, capsys):
    out = tmp_path / "out"
    assert cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots")[0] == 0
    holder = hold_lock(out, 30)
    try:
        code, _, err = cli(capsys, "plot", out)
        assert code == 2
        one_line_error(err, f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()


def test_cleanup_removes_only_temporaries_whose_writer_is_gone(tmp_path, suite, capsys):
    from scheduler.api import _host

    out = tmp_path / "out"
    assert cli(capsys, "run", suite, "--out", out, "--workers", 1)[0] == 0
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_dir = next(out.glob("runs/*"))
        dead_files = [run_dir / f".result.json.{gone}@{_host()}.x1y2.tmp",
                      out / "plots" / "gantt" / f".a.png.{gone}@{_host()}.abc.tmp",
                      out / f".results.csv.{gone}@{_host()}.q.tmp"]
        live_file = run_dir / f".trace.csv.{live.pid}@{_host()}.z9.tmp"
        other_host = run_dir / f".trace.csv.{gone}@elsewhere-host.z9.tmp"
        for f in dead_files + [live_file, other_host]:
            f.write_text("half")
        assert cli(capsys, "run", suite, "--out", out, "--workers", 1)[0] == 0  # all kept: nothing runs
        assert not any(f.exists() for f in dead_files)
        assert live_file.exists() and other_host.exists()  # a live writer's file, and one it cannot judge
    finally:
        live.kill()
        live.wait()


def test_every_atomic_write_names_its_writer_and_cleans_up_on_failure(tmp_path):
    from scheduler.api import replace_atomic, temp_writer

    seen = []

    def write(tmp: str) -> None:
        seen.append(Path(tmp))
        Path(tmp).write_bytes(b"x")
        raise OSError(28, "No space left on device", tmp)

    with pytest.raises(OSError):
        replace_atomic(tmp_path / "plot.png", write, suffix=".png")
    assert temp_writer(seen[0]) == (os.getpid(), __import__("scheduler.api").api._host())
    assert seen[0].name.endswith(".tmp")
    assert list(tmp_path.iterdir()) == []


def test_sigkill_while_plotting_then_resume_leaves_whole_plots_and_no_temporaries(tmp_path, suite, capsys):
    import random

    out = tmp_path / "out"
    assert cli(capsys, "run", suite, "--out", out, "--workers", 1)[0] == 0
    clean = {p.relative_to(out): p.read_bytes() for p in sorted((out / "plots").rglob("*.png"))}
    assert clean
    rng = random.Random(17)
    for delay in sorted(rng.uniform(0.5, 4.0) for _ in range(4)):
        proc = hybridsched("plot", out)
        time.sleep(delay)
        proc.kill()
        proc.communicate()
        for png in (out / "plots").rglob("*.png"):  # each plot whole or absent, never half
            assert png.read_bytes().endswith(b"IEND\xaeB`\x82"), png
    code, _, err = cli(capsys, "run", suite, "--out", out, "--workers", 1)  # the resume
    assert code == 0, err
    no_temporaries(out)
    assert {p.relative_to(out): p.read_bytes() for p in sorted((out / "plots").rglob("*.png"))} == clean


# -- 2. workers die with their parent ---------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP], ids=["KILL", "TERM", "HUP"])
def test_workers_die_with_the_parent_and_release_its_pipes(tmp_path, sig):
    (tmp_path / "slow.py").write_text(SLOW_POLICY)
    suite = tmp_path / "slow.yaml"
    suite.write_text(SUITE.replace("policies: [heft, greedy-eft]", f"policies: ['{tmp_path / 'slow.py'}:Slow']")
                     .replace("seed: 3", "seed: 3\nrepeats: 3"))
    proc = hybridsched("run", suite, "--out", tmp_path / "out", "--workers", 2, "--allow-code", "--no-plots",
                       env={"HYBRIDSCHED_DECISION_TIMEOUT": "0"})
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = children(proc.pid)
        time.sleep(0.1)
    assert len(workers) >= 2, proc.stderr.read() if proc.poll() is not None else "no workers"
    time.sleep(0.5)  # the workers are in their run (asleep in the policy)
    proc.send_signal(sig)
    ended = {}
    reader = threading.Thread(target=lambda: ended.setdefault("out", proc.stdout.read()), daemon=True)
    reader.start()
    proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)], "a worker outlived its parent by 5 s"
    reader.join(timeout=5)
    assert not reader.is_alive(), "the parent's stdout pipe is still held open"


# -- 3. output that cannot be written ---------------------------------------------------------------


def test_output_under_a_file_is_one_line_before_any_work(tmp_path, capsys, monkeypatch, suite):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    import scheduler.api

    def no_simulation(*a, **k):
        raise AssertionError("simulated before checking the output folder")

    monkeypatch.setattr(scheduler.api, "simulate", no_simulation)
    for argv in (("simulate", TOPCUOGLU, "--out", blocker / "run"),
                 ("generate", "fork-join", "--out", blocker / "wf.yaml"),
                 ("run", suite, "--out", blocker / "res"),
                 ("run", suite, "--out", blocker)):
        code, _, err = cli(capsys, *argv)
        assert code == 2, (argv, err)
        one_line_error(err, str(blocker))
    no_temporaries(tmp_path)


def test_export_to_an_impossible_path_is_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert cli(capsys, "simulate", TOPCUOGLU, "--out", run)[0] == 0
    (tmp_path / "file").write_text("x")
    code, _, err = cli(capsys, "export", run, "-o", tmp_path / "file" / "t.json")
    assert code == 2
    one_line_error(err, str(tmp_path / "file"))
    no_temporaries(tmp_path)


def test_a_name_too_long_is_refused_before_work(tmp_path, capsys):
    long = tmp_path / ("n" * 300)
    for argv in (("simulate", TOPCUOGLU, "--out", long), ("generate", "fork-join", "--out", f"{long}.yaml")):
        code, _, err = cli(capsys, *argv)
        assert code == 2
        one_line_error(err, "longer than the file system allows")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root may write anywhere")
def test_read_only_folder_is_refused_before_work(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = cli(capsys, "simulate", TOPCUOGLU, "--out", ro / "run")
        assert code == 2
        one_line_error(err, "no permission")
    finally:
        ro.chmod(0o755)


def test_a_full_disk_during_writing_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    real = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = cli(capsys, "simulate", TOPCUOGLU, "--out", tmp_path / "run")
    monkeypatch.setattr(os, "fsync", real)
    assert code == 2
    one_line_error(err, "no space left on device")
    no_temporaries(tmp_path)


def test_result_files_honour_the_umask(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        assert cli(capsys, "simulate", TOPCUOGLU, "--out", tmp_path / "a")[0] == 0
        os.umask(0o002)
        assert cli(capsys, "simulate", TOPCUOGLU, "--out", tmp_path / "b")[0] == 0
    finally:
        os.umask(old)
    assert (tmp_path / "a" / "summary.json").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "b" / "trace.csv").stat().st_mode & 0o777 == 0o664


# -- 4. resume checks every stored result -----------------------------------------------------------


@pytest.mark.parametrize("damage", [
    "[]", "null", '"text"', "{}", "{not json", b"\xff\xfe\x00garbage",
    "STRIP_METRICS", "NAN_MAKESPAN", "STRING_ENERGY", "MISSING_CARBON"])
def test_resume_reruns_an_invalid_result_with_one_warning(tmp_path, suite, capsys, damage):
    out = tmp_path / "out"
    assert cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots")[0] == 0
    before = (out / "results.csv").read_bytes()
    target = sorted(out.glob("runs/*/result.json"))[0]
    record = json.loads(target.read_text())
    if damage == "STRIP_METRICS":
        record.pop("metrics")
        damage = json.dumps(record)
    elif damage == "NAN_MAKESPAN":
        record["metrics"]["makespan"] = math.nan
        damage = json.dumps(record)
    elif damage == "STRING_ENERGY":
        record["metrics"]["energy_j"] = "12"
        damage = json.dumps(record)
    elif damage == "MISSING_CARBON":
        del record["metrics"]["carbon_g"]
        damage = json.dumps(record)
    target.write_bytes(damage if isinstance(damage, bytes) else damage.encode())
    code, out_text, err = cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.strip()]
    assert len(warnings) == 1 and "warning" in warnings[0] and str(target) in warnings[0], err
    assert "1 runs now, 1 kept" in out_text
    assert (out / "results.csv").read_bytes() == before
    no_temporaries(out)


# -- 5. damaged results folders ---------------------------------------------------------------------


@pytest.fixture
def results(tmp_path, suite, capsys) -> Path:
    out = tmp_path / "out"
    assert cli(capsys, "run", suite, "--out", out, "--workers", 1, "--no-plots")[0] == 0
    return out


@pytest.mark.parametrize("content", [b"\x80\x81\xfe binary", b"", b"run_id,workflow\nx,y\n",
                                     b"run_id,workflow,platform,policy,repeat,status\n",
                                     b'run_id,workflow,platform,policy,repeat,status\n"x,y\n'],
                         ids=["binary", "empty", "no-status", "no-rows", "bad-quote"])
def test_plot_on_a_damaged_results_table(results, capsys, content):
    (results / "results.csv").write_bytes(content)
    code, out, err = cli(capsys, "plot", results)
    assert code == 2 and not out
    one_line_error(err, "results.csv")
    no_temporaries(results)


def test_plot_with_a_truncated_results_table(results, capsys):
    path = results / "results.csv"
    path.write_bytes(path.read_bytes()[:-40])
    code, out, err = cli(capsys, "plot", results)
    assert code in (0, 2)
    if code == 2:
        one_line_error(err, "results.csv")
    else:
        assert out.strip() and not err


@pytest.mark.parametrize("content", [b"{broken", b"[]", b'{"suite": 3}', b"\xff\xfe"],
                         ids=["json", "list", "no-dir", "binary"])
def test_reproduce_on_a_damaged_manifest(results, capsys, content):
    (results / "manifest.json").write_bytes(content)
    code, out, err = cli(capsys, "reproduce", results, "--workers", 1)
    assert code == 2 and not out
    one_line_error(err, "manifest.json")


def test_reproduce_on_a_damaged_results_table(results, capsys):
    (results / "results.csv").write_bytes(b"\x00\x01\x02")
    code, _, err = cli(capsys, "reproduce", results, "--workers", 1)
    assert code == 2
    one_line_error(err, "results.csv")


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00binary", b"type,task,device,start,finish,share,status,src_device,data_bytes\n",
                                     b"a,b\n1,2\n", b"type,task,device,start,finish,share,status,src_device,data_bytes\ntask,a,cpu,zero,1,1,done,,\n"],
                         ids=["binary", "header-only", "not-a-trace", "bad-time"])
def test_export_on_a_damaged_trace(results, capsys, content):
    run = next(results.glob("runs/*"))
    (run / "trace.csv").write_bytes(content)
    code, out, err = cli(capsys, "export", run, "-o", results / "t.json")
    assert code == 2 and not out
    one_line_error(err, "trace.csv")
    assert not (results / "t.json").exists()


def test_export_with_a_damaged_record(results, capsys):
    run = next(results.glob("runs/*"))
    (run / "result.json").write_bytes(b"[1, 2")
    code, _, err = cli(capsys, "export", run, "-o", results / "t.json")
    assert code == 2
    one_line_error(err, "result.json")


# -- 6. policies that end the process or swallow the time limit -------------------------------------


@pytest.fixture
def exiting(tmp_path) -> Path:
    path = tmp_path / "exiting.py"
    path.write_text(EXITING_POLICY)
    return path


@pytest.mark.parametrize("cls", ["Exits", "ExitsPlanning", "ExitsAtBirth"])
def test_a_policy_calling_sys_exit_is_reported(capsys, exiting, cls):
    code, out, err = cli(capsys, "simulate", TOPCUOGLU, "--policy", f"{exiting}:{cls}", "--json")
    assert code == 2 and not out
    one_line_error(err, "sys.exit")


def test_a_policy_swallowing_its_time_limit_is_stopped(exiting):
    started = time.monotonic()
    proc = hybridsched("simulate", TOPCUOGLU, "--policy", f"{exiting}:Swallows", "--decision-timeout", "0.3",
                       "--json")
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert proc.returncode == 2 and not out
    one_line_error(err, "policy 'swallows'", "time limit", "stopped")


def test_run_has_a_decision_timeout(tmp_path, capsys):
    (tmp_path / "slow.py").write_text(SLOW_POLICY)
    suite = tmp_path / "slow.yaml"
    suite.write_text(SUITE.replace("policies: [heft, greedy-eft]", f"policies: ['{tmp_path / 'slow.py'}:Slow']"))
    started = time.monotonic()
    code, out, err = cli(capsys, "run", suite, "--out", tmp_path / "out", "--workers", 1, "--no-plots",
                         "--allow-code", "--decision-timeout", "0.2")
    assert time.monotonic() - started < 30
    assert code == 1
    assert "took more than 0.2 s" in out


# -- 7. planners at the float limits ----------------------------------------------------------------


def huge_instance(tmp_path: Path, row: list[float], name: str) -> Path:
    tasks = [f"t{i}" for i in range(6)]
    doc = {"name": name, "tasks": tasks, "edges": [[f"t{i}", f"t{i + 1}", 1] for i in range(5)],
           "processors": ["p0", "p1"], "cost": {t: list(row) for t in tasks}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("policy", ["heft", "heft-append", "cpop", "peft", "energy-heft", "deadline",
                                    "greedy-eft", "minmin", "sufferage", "failure-aware"])
def test_sums_past_the_float_range_are_refused_in_one_line(tmp_path, capsys, policy):
    path = huge_instance(tmp_path, [1e308, 1e308], "huge")
    code, out, err = cli(capsys, "simulate", path, "--policy", policy, "--json")
    assert code == 2 and not out
    one_line_error(err, "overflows a float")
    # One huge device among sane ones: the policy avoids it, and nothing warns.
    code, out, err = cli(capsys, "simulate", huge_instance(tmp_path, [1e308, 1.0], "one"), "--policy", policy,
                         "--json")
    assert code == 0 and not err, err
    assert json.loads(out)["makespan"] == 6.0
    # Large but representable: each planner's sums pass the limit (ranks, EFT + OCT), the run does not.
    code, out, err = cli(capsys, "simulate", huge_instance(tmp_path, [1e308, 2e307], "big"), "--policy", policy,
                         "--json")
    assert code == 0 and not err, err
    assert json.loads(out)["makespan"] == pytest.approx(1.2e308)


# -- 8. failure-aware weighs downtime windows -------------------------------------------------------


def window_platform():
    from devices.platform import platform_from_spec

    # The CPU is up 90 s of every 100; the GPU fails every 10 s on average.
    return platform_from_spec({"devices": [
        {"name": "cpu", "downtime": [{"every_s": 100, "duration_s": 10}]},
        {"name": "gpu", "failures": {"mtbf_s": 10, "mttr_s": 5}}]})


def test_failure_aware_never_places_a_task_where_no_up_window_fits_it():
    from scheduler.api import simulate
    from workloads.task import Task
    from workloads.workflow import Workflow

    wf = Workflow.build("w", [Task("a", times={"cpu": 95.0, "gpu": 7.6}), Task("b", times={"cpu": 1.0, "gpu": 1.0})],
                        [("a", "b", {})])
    result = simulate(wf, window_platform(), "failure-aware", seed=0)
    assert not result.trace.failed
    assert all(r.device == "gpu" for r in result.trace.tasks if r.task == "a")  # a 95 s task never fits in 90 s
    assert result.metrics.makespan == pytest.approx(8.6)  # 7.6 s on the GPU (it did not fail), then b


def test_failure_aware_completes_at_least_what_greedy_does_on_a_flaky_fork_join():
    from scheduler.api import simulate
    from workloads.task import Task
    from workloads.workflow import Workflow

    tasks = ([Task("fork", times={"cpu": 1.0})] + [Task(f"w{i}", times={"cpu": 95.0, "gpu": 7.6}) for i in range(25)]
             + [Task("join", times={"cpu": 1.0})])
    edges = [("fork", f"w{i}", {}) for i in range(25)] + [(f"w{i}", "join", {}) for i in range(25)]
    wf = Workflow.build("fork-join", tasks, edges)
    platform = window_platform()
    for seed in range(6):
        greedy = simulate(wf, platform, "greedy-eft", seed=seed)
        aware = simulate(wf, platform, "failure-aware", seed=seed)
        assert len(aware.trace.runs()) >= len(greedy.trace.runs()), seed
        assert not any(r.device == "cpu" for r in aware.trace.tasks if r.task.startswith("w"))


# -- 9. flags checked when the command line is read -------------------------------------------------


@pytest.mark.parametrize("argv, flag", [
    (("simulate", TOPCUOGLU, "--seed", "-1"), "--seed"),
    (("simulate", TOPCUOGLU, "--seed", "x"), "--seed"),
    (("simulate", TOPCUOGLU, "--decision-timeout", "-1"), "--decision-timeout"),
    (("simulate", TOPCUOGLU, "--decision-timeout", "nan"), "--decision-timeout"),
    (("generate", "fork-join", "--seed", "-1", "--out", "x.yaml"), "--seed"),
    (("run", "quickstart", "--workers", "0"), "--workers"),
    (("run", "quickstart", "--workers", "-1"), "--workers"),
    (("run", "quickstart", "--decision-timeout", "-5"), "--decision-timeout"),
    (("reproduce", "results/x", "--workers", "0"), "--workers"),
    (("reproduce", "results/x", "--rtol", "-0.1"), "--rtol"),
    (("plot", "results/x", "--gantt", "-2"), "--gantt"),
])
def test_bad_flag_values_name_the_flag(capsys, argv, flag, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert f"argument {flag}" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_an_unreachable_dask_scheduler_fails_fast_and_leaves_nothing(tmp_path, suite, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    started = time.monotonic()
    code, _, err = cli(capsys, "run", suite, "--out", out, "--executor", "dask", "--scheduler",
                       f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < 5
    assert code == 2
    one_line_error(err, "cannot reach the Dask scheduler", f"127.0.0.1:{port}")
    assert not out.exists()


# -- 10. progress for long single runs --------------------------------------------------------------


PHASE = """\
import time
from scheduler.progress import phase
with phase("loading big.json (54 MB)"):
    time.sleep(0.5)
with phase("small", enabled=False):
    pass
print("done")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a pseudo-terminal")
def test_long_phases_show_progress_on_a_terminal_only():
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", PHASE], cwd=ROOT, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=30) == 0 and proc.stdout.read() == b"done\n"
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "loading big.json (54 MB) ..." in shown  # the live line
    assert "loading big.json (54 MB): 0." in shown and "small" not in shown
    piped = subprocess.run([sys.executable, "-c", PHASE], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert piped.stdout == "done\n" and piped.stderr == ""
