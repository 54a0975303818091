"""A time limit on one call into policy code, so that a hung plugin stops with an error.

:func:`time_limit` raises :class:`DecisionTimeout` inside the limited code
once it has run ``seconds``, and again every second after that (so code that
swallows it once is still stopped). Two mechanisms, picked per call:

* in the main thread, on POSIX, with no interval timer already armed:
  ``signal.setitimer(ITIMER_REAL)`` and a SIGALRM handler. This also
  interrupts ``time.sleep`` and blocking system calls (PEP 475: a handler that
  raises ends the call).
* otherwise (worker threads, e.g. Dask's; Windows; a caller's own alarm
  armed): a watchdog thread that injects the exception into the calling
  thread with ``PyThreadState_SetAsyncExc``. This interrupts Python code only;
  a blocking call (``time.sleep``, a socket read) is interrupted when it
  returns.

Code that catches ``BaseException`` and carries on can swallow the
exception; it is raised again every second, and once the code has run
:func:`grace` seconds past its limit the process is stopped: one line on
stderr naming the code, exit status 2 (``os._exit``: nothing else can stop
Python code that catches everything; every result file is written
atomically, so nothing is left half-written).

Limits, stated plainly: the exception is delivered between Python bytecodes,
so one long call into C code (a huge numpy operation, a C extension's loop)
is stopped only when it returns, and in a watchdog-limited thread the
process-stop comes from the watchdog, which needs the GIL: C code that holds
it is stopped only when it lets go. Running the policy in a separate process
would lift both limits but would copy the engine's state on every decision,
thousands of times per run; a process-level guard (the ``timeout`` command, a
batch system's wall-clock limit) remains the backstop.
"""

from __future__ import annotations

import ctypes
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

#: Seconds one policy call may take when nothing else is configured.
DEFAULT_SECONDS = 300.0
#: Environment variable that sets the limit (seconds; 0 turns it off).
ENV_VAR = "HYBRIDSCHED_DECISION_TIMEOUT"


class DecisionTimeout(BaseException):
    """Raised inside policy code that ran past its time limit.

    A BaseException, so that a policy's ``except Exception`` does not swallow it.
    """


def configured_limit(seconds: float | None = None) -> float | None:
    """The limit to use: ``seconds`` if given, else the environment variable, else the
    default; None (no limit) for 0 or infinity. Bad values are an InputError."""
    from workloads.errors import InputError

    if seconds is None:
        raw = os.environ.get(ENV_VAR)
        if raw is None:
            return DEFAULT_SECONDS
        try:
            seconds = float(raw)
        except ValueError:
            raise InputError(f"expected seconds, got {raw!r}", item=ENV_VAR) from None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or math.isnan(seconds) or seconds < 0:
        raise InputError(f"expected a non-negative number of seconds, got {seconds!r}", item="decision time limit")
    return None if seconds == 0 or math.isinf(seconds) else float(seconds)


def grace(seconds: float) -> float:
    """Seconds code may keep running after its limit, swallowing the exception,
    before the process is stopped: the limit itself, within 1 to 10 s."""
    return min(10.0, max(1.0, seconds))


def _stop_process(seconds: float, what: str) -> None:
    """Code that swallows its time limit: nothing but ending the process stops it."""
    line = (f"hybridsched: error: {what}: kept running {grace(seconds):g} s past its time limit of "
            f"{seconds:g} s, catching the exception that stops it; the process is stopped\n")
    try:
        sys.stderr.flush()
    except Exception:
        pass
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:
        pass
    os._exit(2)


@contextmanager
def time_limit(seconds: float | None, what: str = "policy code") -> Iterator[None]:
    """Raise :class:`DecisionTimeout` in the body once it has run ``seconds`` (None: no limit);
    stop the process if the body still runs :func:`grace` seconds later. ``what`` names the
    code in that last message."""
    if seconds is None:
        yield
        return
    if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)):
        with _alarm(seconds, what):
            yield
    else:
        with _watchdog(seconds, what):
            yield


@contextmanager
def _alarm(seconds: float, what: str = "policy code") -> Iterator[None]:
    state = {"active": True, "first": None}

    def expire(signum, frame):
        if state["active"]:
            now = time.monotonic()
            if state["first"] is None:
                state["first"] = now
            elif now - state["first"] >= grace(seconds) - 0.05:
                _stop_process(seconds, what)
            raise DecisionTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        # The alarm may fire while this runs; the retry makes sure the timer and the
        # handler are always put back (after "active" is off the handler does nothing).
        while True:
            try:
                state["active"] = False
                signal.setitimer(signal.ITIMER_REAL, 0.0)
                signal.signal(signal.SIGALRM, previous)
                break
            except DecisionTimeout:
                continue


@contextmanager
def _watchdog(seconds: float, what: str = "policy code") -> Iterator[None]:
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    finished = threading.Event()
    state = {"done": False}

    def watch() -> None:
        delay = seconds
        first = None
        while not finished.wait(delay):
            with lock:
                if state["done"]:
                    return
                now = time.monotonic()
                if first is None:
                    first = now
                elif now - first >= grace(seconds) - 0.05:
                    _stop_process(seconds, what)
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(DecisionTimeout))
            delay = min(1.0, grace(seconds))

    thread = threading.Thread(target=watch, name="hybridsched-time-limit", daemon=True)
    thread.start()
    try:
        yield
    finally:
        while True:  # as in _alarm: an exception injected now must not skip the clean-up
            try:
                with lock:
                    state["done"] = True
                # Drop an exception injected but not yet raised: the body is over.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
                finished.set()
                thread.join()
                break
            except DecisionTimeout:
                continue
