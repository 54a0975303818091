"""Read, time and score a public circuit corpus no one here wrote: QASMBench.

QASMBench (Li et al., "QASMBench: A Low-Level Quantum Benchmark Suite for
NISQ Evaluation and Simulation", ACM TQC 4(2), 2023; github.com/pnnl/QASMBench)
is not shipped with hybridsched. Point this script at a checkout, or at the
bare git mirror the `fetch` tool makes (/work/.mirror/pnnl+QASMBench/repo)::

    python benchmarks/qasmbench.py [PATH] [--max-qubits 20] [--json out.json]

Every ``.qasm`` file under ``small/`` and ``medium/`` is loaded with
hybridsched's loader; those of at most ``--max-qubits`` qubits are then
checked, timed and scored on FakeTorino (transpile + IBM usage model + ESP).
It prints how many load, how many are timed, and every failure in one line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIRROR = Path("/work/.mirror/pnnl+QASMBench/repo")
FOLDERS = ("small", "medium")


def checkout(source: Path, into: Path) -> Path:
    """A directory holding the corpus's files: ``source`` itself, or a bare mirror's HEAD
    copied out blob by blob (a mirror may list its largest files without holding them)."""
    if (source / "small").is_dir():
        return source
    listing = subprocess.run(["git", "-C", str(source), "ls-tree", "-r", "HEAD", "--", *FOLDERS],
                             capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        meta, _, name = line.partition("\t")
        blob = meta.split()[2]
        if not name.endswith(".qasm"):
            continue
        data = subprocess.run(["git", "-C", str(source), "cat-file", "blob", blob], capture_output=True)
        if data.returncode == 0:
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            (into / name).write_bytes(data.stdout)
    return into


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (root / folder).rglob("*.qasm"))


def measure(root: Path, max_qubits: int = 20, backend: str = "FakeTorino") -> dict:
    from devices.qpu import QPU
    from workloads.errors import InputError
    from workloads.loaders import load_workflow
    from workloads.task import Task

    qpu = QPU.from_spec({"name": "qpu", "backend": backend})
    rows, failures = [], []
    start = time.perf_counter()
    for path in corpus_files(root):
        name = str(path.relative_to(root))
        try:
            (task,) = load_workflow(path).tasks
        except InputError as err:
            failures.append({"file": name, "stage": "load", "error": err.message})
            continue
        row = {"file": name, "qubits": task.circuit.num_qubits, "ops": task.circuit.size()}
        rows.append(row)
        if task.circuit.num_qubits > max_qubits:
            continue
        task = Task(task.id, kind="quantum", circuit=task.circuit, shots=1000)
        t0 = time.perf_counter()
        why = qpu.check(task)
        if why:
            failures.append({"file": name, "stage": "check", "error": why})
            continue
        row.update(seconds=qpu.exec_time(task), esp=qpu.fidelity(task),
                   dynamic=qpu.compiled(task).feedforwards > 0, score_s=time.perf_counter() - t0)
    files = corpus_files(root)
    return {"files": len(files), "loaded": len(rows), "timed": sum("seconds" in r for r in rows),
            "max_qubits": max_qubits, "backend": backend, "wall_s": time.perf_counter() - start,
            "failures": failures, "circuits": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", default=str(MIRROR))
    parser.add_argument("--max-qubits", type=int, default=20)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    source = Path(args.path)
    if not source.exists():
        print(f"{source}: no QASMBench checkout here", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        report = measure(checkout(source, Path(tmp)), args.max_qubits)
    print(f"{report['loaded']}/{report['files']} files load; {report['timed']} of at most "
          f"{report['max_qubits']} qubits timed and scored on {report['backend']} in {report['wall_s']:.1f} s")
    for f in report["failures"]:
        print(f"  {f['stage']}: {f['file']}: {f['error']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
