"""One writer per results folder: an advisory lock file naming its holder.

``hybridsched run`` (and ``plot``) hold ``DIR/.lock`` while they write into a
results folder. The lock is an ``flock`` on that file, so the kernel drops it
when its holder dies however it dies (SIGKILL included): there is no stale
lock to remove by hand. The file holds the holder's pid, host and command,
so a second run refuses with one line naming them, or waits (``--wait``).

``flock`` works between processes of one machine and on most network file
systems that support locking (NFSv4 does); on one that ignores it two runs
can still meet, which is stated in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from workloads.errors import InputError

LOCK_NAME = ".lock"

#: Locks this process holds: resolved folder -> (file descriptor, depth), so a command
#: that holds a folder's lock can call code that takes it again.
_held: dict[str, list[int]] = {}


def holder(folder: Path) -> dict | None:
    """What the lock file says about its holder (None when empty or unreadable)."""
    try:
        data = json.loads((Path(folder) / LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(info: dict | None) -> str:
    if not info:
        return "another process"
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')} ({info.get('command', '?')})"


@contextmanager
def folder_lock(folder: str | Path, *, wait: bool = False,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of results folder ``folder`` (created if missing) for the body.

    Held by another process: InputError naming the holder, or with ``wait``
    block until it is free (``on_wait(holder)`` is told once).
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; run unlocked rather than not at all
        yield
        return
    folder = Path(folder)
    key = str(folder.resolve())
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = holder(folder)
            if not wait:
                raise InputError(f"another run is writing this results folder: {_describe(info)}; "
                                 f"wait for it, or pass --wait", source=str(folder)) from None
            if on_wait:
                on_wait(_describe(info))
            fcntl.flock(fd, fcntl.LOCK_EX)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        _held[key] = [fd, 1]
        try:
            yield
        finally:
            del _held[key]
            os.ftruncate(fd, 0)  # the file stays: removing it would race with a waiting run
    finally:
        os.close(fd)  # closing drops the lock
