"""Task groups: how a workflow's quantum tasks meet a cloud QPU (IBM Qiskit Runtime's execution modes).

IBM Quantum documentation, guides "Introduction to execution modes",
"Estimate job run time" and "Execution modes FAQ":

* ``job``: each quantum task is one job: it queues, then holds the QPU for
  its usage (``job_overhead_s + shots * (rep_delay + duration + reset)``).
  A task without a group, or in a group of mode ``job``, runs so.
* ``session``: the group queues once, then holds the QPU (exclusively) for
  its tasks while the classical steps between them run. It closes when its
  last task ends, or ``ttl_s`` after a job ended with no next job started
  (the *interactive TTL*), or at ``max_ttl_s`` after it started (the
  *maximum TTL*); the next job then queues again. Usage and price: the
  session's wall-clock time while active, idle included.
* ``batch``: independent tasks submitted together: one queue wait, then the
  jobs run back to back; usage: the sum of the jobs' usages. A batch whose
  tasks depend on each other is refused (IBM: "independently executable jobs
  that have no conditional relationship with each other").

A group's QPU tasks must all run on one QPU (a session is opened on one
backend); tasks of a group placed on a CPU or GPU run as ordinary tasks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from workloads.errors import InputError

JOB = "job"
SESSION = "session"
BATCH = "batch"
MODES = (JOB, SESSION, BATCH)

#: Interactive TTL of a session, seconds: "Every session has an interactive timeout value (TTL) of
#: 5 minutes, which cannot be changed" (qiskit-ibm-runtime documentation, docs/sessions.rst,
#: "Interactive timeout value"). IBM's current guides keep an unconfigurable interactive TTL
#: ("Execution modes FAQ") without printing its value.
SESSION_TTL_S = 300.0
#: A batch holds the QPU only while its jobs run back to back (its jobs are all submitted at once);
#: hybridsched's modelling choice: IBM documents a batch interactive TTL but not its value.
BATCH_TTL_S = 0.0
#: Maximum TTL: "The system limit (8 hours for physical systems)" (IBM Cloud docs, quantum-computing
#: sessions.md, "How long is a session active?"); "it must be less than the system-defined maximum"
#: (Execution modes FAQ).
MAX_TTL_S = 8 * 3600.0


@dataclass(frozen=True)
class Group:
    """A named group of tasks and the execution mode they share."""

    name: str
    mode: str = SESSION
    #: Interactive TTL, seconds (None: the mode's default).
    ttl_s: float | None = None
    #: Maximum TTL, seconds.
    max_ttl_s: float = MAX_TTL_S

    @property
    def ttl(self) -> float:
        if self.ttl_s is not None:
            return self.ttl_s
        return SESSION_TTL_S if self.mode == SESSION else BATCH_TTL_S


def group_from_spec(name: Any, spec: Any, *, source: str | None = None) -> Group:
    """A :class:`Group` from a workflow file's ``groups:`` entry; InputError naming it if bad."""
    item = f"group {name!r}"
    if not isinstance(name, str) or not name:
        raise InputError("a group needs a non-empty name", source=source, item=item)
    if isinstance(spec, str):
        spec = {"mode": spec}
    if not isinstance(spec, Mapping):
        raise InputError(f"expected a mode or {{mode: ..., ttl_s: ..., max_ttl_s: ...}}, got {spec!r}",
                         source=source, item=item)
    unknown = sorted(set(spec) - {"mode", "ttl_s", "max_ttl_s"})
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)} (known: mode, ttl_s, max_ttl_s)",
                         source=source, item=item)
    mode = spec.get("mode", SESSION)
    ttl = spec.get("ttl_s")
    max_ttl = spec.get("max_ttl_s", MAX_TTL_S)
    return make_group(name, mode, ttl, max_ttl, source=source)


def make_group(name: str, mode: str = SESSION, ttl_s: Any = None, max_ttl_s: Any = MAX_TTL_S, *,
               source: str | None = None) -> Group:
    """A checked :class:`Group`: a known mode, ``0 <= ttl_s <= max_ttl_s <= 8 h``."""
    item = f"group {name!r}"
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (known: {', '.join(MODES)})", source=source, item=item)
    for key, value in (("ttl_s", ttl_s), ("max_ttl_s", max_ttl_s)):
        if value is None and key == "ttl_s":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InputError(f"{key} must be a number of seconds >= 0, got {value!r}", source=source, item=item)
    if not 0 < max_ttl_s <= MAX_TTL_S:
        raise InputError(f"max_ttl_s must be in (0, {MAX_TTL_S:g}] s (IBM's system maximum TTL is 8 hours), "
                         f"got {max_ttl_s!r}", source=source, item=item)
    if ttl_s is not None and ttl_s > max_ttl_s:
        raise InputError(f"ttl_s ({ttl_s:g} s) exceeds max_ttl_s ({max_ttl_s:g} s)", source=source, item=item)
    return Group(name, mode, None if ttl_s is None else float(ttl_s), float(max_ttl_s))


def check_groups(graph: Any, tasks: list, groups: Mapping[str, Group], *, source: str | None = None) -> None:
    """Every task's group exists, and no batch has a dependency between two of its tasks."""
    members: dict[str, list[str]] = {}
    for task in tasks:
        if task.group is None:
            continue
        if task.group not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise InputError(f"unknown group {task.group!r} (groups: {known})", source=source,
                             item=f"task {task.id!r}")
        members.setdefault(task.group, []).append(task.id)
    for name, ids in members.items():
        if groups[name].mode != BATCH:
            continue
        inside = set(ids)
        # One pass from all members at once: a member reachable from another depends on it.
        seen: set[str] = set()
        stack = [s for u in ids for s in graph.succ[u]]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            if v in inside:
                raise InputError(f"a batch's jobs must be independent, but {v!r} depends on another of its "
                                 f"tasks (use mode session for dependent jobs)", source=source,
                                 item=f"group {name!r}")
            seen.add(v)
            stack.extend(graph.succ[v])


def group_to_spec(group: Group) -> dict[str, Any]:
    spec: dict[str, Any] = {"mode": group.mode}
    if group.ttl_s is not None:
        spec["ttl_s"] = group.ttl_s
    if group.max_ttl_s != MAX_TTL_S:
        spec["max_ttl_s"] = group.max_ttl_s
    return spec
