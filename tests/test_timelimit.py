"""A policy that hangs is stopped by the time limit per decision, with a clear error."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from scheduler.api import load, simulate
from scheduler.engine import Engine
from scheduler.policies import make_policy
from scheduler.policy import Policy, PolicyError
from scheduler.timelimit import DecisionTimeout, configured_limit, time_limit
from tests.conftest import ROOT, TOPCUOGLU
from workloads.errors import InputError


class SpinsInSelect(Policy):
    name = "spins"

    def select(self, ready, view):
        while True:
            pass


class SleepsInPlan(Policy):
    name = "sleeps"

    def plan(self, problem):
        time.sleep(60)


class SwallowsExceptions(Policy):
    name = "swallows"

    def select(self, ready, view):
        while True:
            try:
                while True:
                    pass
            except Exception:  # a careless plugin: must not swallow the time limit
                pass


@pytest.mark.parametrize("policy, doing", [(SpinsInSelect, "placing ready tasks"), (SleepsInPlan, "planning"),
                                           (SwallowsExceptions, "placing ready tasks")])
def test_a_hung_policy_is_stopped_with_a_clear_error(policy, doing):
    workflow, platform = load(TOPCUOGLU)
    handler, timer = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    started = time.perf_counter()
    with pytest.raises(PolicyError, match=f"took more than 0.3 s while {doing}"):
        simulate(workflow, platform, policy(), decision_timeout=0.3)
    assert time.perf_counter() - started < 5
    # Nothing is left armed: the handler is back, and no timer runs that did not before.
    assert signal.getsignal(signal.SIGALRM) == handler
    if timer == (0.0, 0.0):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_limit_works_outside_the_main_thread():
    workflow, platform = load(TOPCUOGLU)
    errors = []

    def run():
        try:
            simulate(workflow, platform, SpinsInSelect(), decision_timeout=0.3)
        except PolicyError as err:
            errors.append(str(err))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(errors) == 1 and "took more than 0.3 s" in errors[0]


def test_quick_policies_run_to_the_end_under_a_limit():
    class Quick(Policy):
        name = "quick"

    workflow, platform = load(TOPCUOGLU)
    assert simulate(workflow, platform, Quick(), decision_timeout=0.5).metrics.makespan > 0


def test_limit_configuration(monkeypatch):
    monkeypatch.delenv("HYBRIDSCHED_DECISION_TIMEOUT", raising=False)
    assert configured_limit() == 300.0
    assert configured_limit(0) is None and configured_limit(2.5) == 2.5
    monkeypatch.setenv("HYBRIDSCHED_DECISION_TIMEOUT", "7")
    assert configured_limit() == 7.0
    monkeypatch.setenv("HYBRIDSCHED_DECISION_TIMEOUT", "soon")
    with pytest.raises(InputError, match="HYBRIDSCHED_DECISION_TIMEOUT"):
        configured_limit()
    with pytest.raises(InputError):
        configured_limit(-1)
    workflow, platform = load(TOPCUOGLU)
    # Built-in policies are hybridsched's own code: no limit, no timer.
    assert Engine(workflow, platform, make_policy("heft"), decision_timeout=1).decision_timeout is None
    assert Engine(workflow, platform, SpinsInSelect(), decision_timeout=1).decision_timeout == 1


def test_time_limit_body_finishing_in_time_raises_nothing():
    for _ in range(200):
        with time_limit(5):
            pass
    with pytest.raises(DecisionTimeout):
        with time_limit(0.05):
            time.sleep(5)


def test_cli_reports_a_hung_plugin_in_one_line(tmp_path):
    plugin = tmp_path / "hang.py"
    plugin.write_text("from scheduler.policy import Policy\n"
                      "class Hang(Policy):\n"
                      "    def select(self, ready, view):\n"
                      "        while True: pass\n")
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(TOPCUOGLU),
                           "--policy", f"{plugin}:Hang", "--decision-timeout", "0.5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "took more than 0.5 s" in proc.stderr
    assert "Traceback" not in proc.stderr
