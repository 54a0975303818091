"""Startup area: ``hybridsched --help`` wall time, and what a classical run imports.

Each measurement is a fresh interpreter (``python -m scheduler.cli``, the
entry point's module), so it includes Python's own start-up; the goal is
under 0.5 s. A classical simulate must not import Qiskit (2-3 s): checked
by running the HEFT paper's case and looking at ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scheduler.bench.timing import median

PAPER_CASE = Path(__file__).resolve().parents[1] / "examples" / "topcuoglu2002.json"

PROBE = """
import json, sys, time
t = time.perf_counter()
from scheduler.api import load, simulate
workflow, platform = load(sys.argv[1])
result = simulate(workflow, platform, "heft")
print(json.dumps({"seconds": time.perf_counter() - t, "makespan": result.metrics.makespan,
                  "qiskit": sorted(m for m in sys.modules if m.split(".")[0] in ("qiskit", "qiskit_aer",
                                                                                 "qiskit_ibm_runtime"))[:3],
                  "modules": len(sys.modules)}))
"""


def run_case(repeat: int = 7) -> dict[str, Any]:
    help_s = []
    for _ in range(repeat):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "scheduler.cli", "--help"],
                              capture_output=True, text=True)
        help_s.append(time.perf_counter() - t)
        if done.returncode != 0:
            return {"error": f"hybridsched --help exited {done.returncode}: {done.stderr.strip()[:200]}"}
    bare = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    probe = subprocess.run([sys.executable, "-c", PROBE, str(PAPER_CASE)],
                           capture_output=True, text=True)
    classical = json.loads(probe.stdout) if probe.returncode == 0 else {"error": probe.stderr.strip()[-300:]}
    return {"help_s": median(help_s), "python_startup_s": median(bare), "classical_run": classical,
            "qiskit_imported": bool(classical.get("qiskit")), "repeat": repeat}
