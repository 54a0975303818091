"""Memory estimates: refuse an input that cannot fit, before the machine starts swapping.

Two checks, both against the memory this process may still use
(:func:`available_bytes`):

* before a data file is parsed: its size times the growth of parsing it,
  measured on hybridsched's own workflow files (Python 3.11, 64-bit): JSON
  about 7 times its size in objects, YAML (PyYAML's node graph) about 70
  times; the factors below round up;
* before a run: the workflow's tasks and edges, the engine's per-task
  state and the ``tasks x devices`` tables planners keep, from measured peak
  resident memory over the interpreter (workflow built, run, summary made):
  100,000 tasks, 305,199 edges on 256 devices under a fixed placement, 338 MiB
  (estimate 1018 MiB); 20,000 tasks on 256 devices under HEFT, 133 MiB
  (estimate 204 MiB); under greedy EFT, 114 MiB.

The estimates are deliberately rough and on the high side; a refusal says
how much was estimated and how much is available, and
``HYBRIDSCHED_MEMORY_LIMIT`` (bytes, or with a K/M/G/T suffix) overrides
the available figure, up or down.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from workloads.errors import InputError

ENV_VAR = "HYBRIDSCHED_MEMORY_LIMIT"
#: Bytes of Python objects per byte of file, by suffix (measured: JSON 7, YAML 68; OpenQASM
#: is an assumption: a Qiskit instruction object per ~20-byte line).
PARSE_GROWTH = {".json": 10, ".yaml": 80, ".yml": 80, ".qasm": 100}
BYTES_PER_TASK = 3_000
BYTES_PER_EDGE = 500
#: Planners keep a few ``tasks x devices`` float64 matrices.
BYTES_PER_TASK_DEVICE = 3 * 8

_SUFFIX = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def available_bytes() -> int | None:
    """Memory this process may still allocate without swapping, or None when unknown.

    The least of: ``MemAvailable`` (Linux ``/proc/meminfo``), the cgroup v2
    limit minus current use, and ``RLIMIT_AS``; ``HYBRIDSCHED_MEMORY_LIMIT``
    replaces them all.
    """
    override = os.environ.get(ENV_VAR)
    if override is not None:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", override, re.I)
        if not match:
            raise InputError(f"expected bytes, e.g. 8G, got {override!r}", item=ENV_VAR)
        return int(float(match[1]) * _SUFFIX[match[2].upper()])
    limits = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
                break
    except OSError:
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            limits.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits) if limits else None


def _size(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def require(needed: float, what: str, *, source: str | None = None, item: str | None = None) -> None:
    """Raise InputError when ``needed`` bytes exceed what is available."""
    available = available_bytes()
    if available is not None and needed > available:
        raise InputError(f"{what} needs an estimated {_size(needed)} of memory, {_size(available)} is available "
                         f"(set {ENV_VAR} to override the estimate of what is available)",
                         source=source, item=item)


def check_file(path: Path) -> None:
    """Refuse a data file whose parsed content would not fit in memory."""
    growth = PARSE_GROWTH.get(path.suffix.lower())
    if growth is None:
        return
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it will report the problem
    require(size * growth, f"parsing this {_size(size)} file", source=str(path))


def run_bytes(tasks: int, edges: int, devices: int) -> float:
    """Estimated peak bytes of simulating a workflow of this size."""
    return tasks * BYTES_PER_TASK + edges * BYTES_PER_EDGE + tasks * devices * BYTES_PER_TASK_DEVICE


def check_run(tasks: int, edges: int, devices: int, *, source: str | None = None) -> None:
    """Refuse a run that would not fit in memory."""
    require(run_bytes(tasks, edges, devices), f"simulating {tasks} tasks and {edges} edges on {devices} devices",
            source=source)
