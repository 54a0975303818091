"""Noisy-Aer fidelity with a cold and a warm disk cache, each in a fresh process.

Generates a QAOA MaxCut sweep (9 circuits of 6 qubits plus a refinement)
and a VQE run (8 circuits of 2 qubits), simulates each on the hybrid-lab preset, and
measures every QPU circuit's fidelity on Aer (``scheduler.quantum``) twice:
first with an empty cache directory, then again with it warm. Each run is a
new Python process, so the warm run also skips building the noise model.
Prints the seconds of the fidelity step and of the whole run, their ratios,
and checks that both runs give the same fidelities.

    python benchmarks/aer_cache.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
start = time.perf_counter()
from scheduler.api import load, simulate
from scheduler.quantum import aer_fidelities
out = {}
for path in sys.argv[1:]:
    workflow, platform = load(path, "hybrid-lab")
    result = simulate(workflow, platform, "heft")
    t = time.perf_counter()
    figures = aer_fidelities(result)
    out[path] = {"aer_s": time.perf_counter() - t, "fidelities": [f.fidelity for f in figures],
                 "cached": sum(f.cached for f in figures), "circuits": len(figures)}
out["total_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


def run_child(files: list[str], cache: str) -> dict:
    env = dict(os.environ, HYBRIDSCHED_CACHE_DIR=cache)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, *files], capture_output=True, text=True, env=env,
                         cwd=ROOT)
    if out.returncode:
        sys.exit(f"the child run failed:\n{out.stderr}")
    data = json.loads(out.stdout)
    data["process_s"] = time.perf_counter() - start
    return data


def main() -> int:
    from scheduler.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        files = [f"{tmp}/qaoa.yaml", f"{tmp}/vqe.yaml"]
        cli(["generate", "qaoa-maxcut", "-p", "nodes=6", "-p", "grid=3", "--out", files[0]])
        cli(["generate", "vqe", "-p", "iterations=4", "--out", files[1]])
        cache = f"{tmp}/cache"
        cold = run_child(files, cache)
        warm = run_child(files, cache)
    cold_aer = sum(cold[f]["aer_s"] for f in files)
    warm_aer = sum(warm[f]["aer_s"] for f in files)
    circuits = sum(cold[f]["circuits"] for f in files)
    same = all(cold[f]["fidelities"] == warm[f]["fidelities"] for f in files)
    print(f"{circuits} circuits (QAOA 6 qubits x 10, VQE 2 qubits x 8) on FakeTorino's noise model")
    print(f"{'':<22}{'cold':>10}{'warm':>10}{'ratio':>9}")
    print(f"{'fidelity step, s':<22}{cold_aer:>10.3f}{warm_aer:>10.3f}{cold_aer / warm_aer:>9.1f}x")
    print(f"{'whole process, s':<22}{cold['process_s']:>10.3f}{warm['process_s']:>10.3f}"
          f"{cold['process_s'] / warm['process_s']:>9.1f}x")
    print(f"warm hits: {sum(warm[f]['cached'] for f in files)}/{circuits}; same fidelities: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
