"""Progress for long single runs: a live line on a terminal while a phase runs.

Loading and simulating a very large workflow take minutes, in Python code that
has no natural points to report a percentage from; :func:`phase` shows the
phase's name and a spinner on stderr (a ``rich`` status line, redrawn by its
own thread, so it moves while the loader or engine works), then one line with
the time it took. Only on a terminal:
pipes, log files and ``--json`` output see nothing of it.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Iterator

#: Input files from this size on get progress lines (smaller ones load in a second or two).
LARGE_BYTES = 5 * 2**20
#: Workflows from this many tasks get a progress line while they are simulated.
LARGE_TASKS = 50_000


def on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def phase(label: str, enabled: bool = True) -> Iterator[None]:
    """Show ``label`` with a spinner on stderr while the body runs (when
    ``enabled`` and stderr is a terminal), then ``label: N s``."""
    if not (enabled and on_terminal()):
        yield
        return
    from rich.console import Console

    console = Console(stderr=True)
    started = time.monotonic()
    with console.status(f"{label} ...", spinner="dots"):
        yield
    console.print(f"{label}: {time.monotonic() - started:.1f} s", highlight=False, markup=False)
