"""OpenQASM circuits: read them as tasks, write them beside workflow files.

* A ``.qasm`` file is a workflow of one quantum task (id: the file's stem,
  :data:`devices.qpu.DEFAULT_SHOTS` shots unless a ``// shots: N`` comment
  says otherwise).
* A ``.qpy`` file (Qiskit's binary circuit format, ``qiskit.qpy.dump``) is a
  workflow of one quantum task per circuit it holds.
* The native workflow format's ``qasm:`` task field reads a circuit with
  :func:`read_circuit` (an OpenQASM file, or a QPY file of one circuit).

OpenQASM 2 (Cross et al., arXiv:1707.03429) is read by Qiskit's built-in
parser with the legacy ``qelib1.inc`` gates and custom instructions
(``qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS``, as ``QuantumCircuit.from_qasm_file``
does); OpenQASM 3 (Cross et al., ACM TQC 3(3), 2022) by ``qiskit.qasm3``
(which needs the ``qiskit-qasm3-import`` package). The version is taken from
the file's ``OPENQASM`` header; a file without one (public benchmark suites
have such files, and Qiskit reads them) is OpenQASM 3 when it declares
``qubit``/``bit`` variables or includes ``stdgates.inc``, else OpenQASM 2.
Circuits are written as OpenQASM 2 when they can be (the faster,
dependency-free parser) and as OpenQASM 3 otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from workloads.errors import InputError
from workloads.loaders import register_loader
from workloads.task import QUANTUM, Task
from workloads.workflow import Workflow

SUFFIXES = (".qasm",)
QPY_SUFFIXES = (".qpy",)
_VERSION = re.compile(r"^\s*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.MULTILINE)
#: Register sizes in declarations: ``qreg q[N]``, ``creg c[N]`` (OpenQASM 2), ``qubit[N] q``, ``bit[N] c`` (3).
_REGISTER = re.compile(r"\b(?:qreg|creg)\s+\w+\s*\[\s*(\d+)\s*\]|\b(?:qubit|bit)\s*\[\s*(\d+)\s*\]")
#: Qubits and bits a circuit file may declare (the largest QPUs have about 1,100 qubits).
MAX_BITS = 100_000
_SHOTS = re.compile(r"^\s*//\s*shots\s*:\s*(\d+)\s*$", re.MULTILINE | re.IGNORECASE)
#: Signs of OpenQASM 3 in a file without a version line.
_QASM3_SIGNS = re.compile(r"\b(?:qubit|bit)\b|stdgates\.inc")


def read_circuit(path: str | Path) -> Any:
    """The ``qiskit.QuantumCircuit`` in an OpenQASM 2 or 3 file; InputError on bad input."""
    from workloads.schema import read_text

    path = Path(path)
    if path.suffix.lower() in QPY_SUFFIXES:
        circuits = read_qpy(path)
        if len(circuits) != 1:
            raise InputError(f"holds {len(circuits)} circuits; a task's circuit file must hold one", source=str(path))
        return circuits[0]
    source = read_text(path)  # InputError for a missing, special, huge or non-UTF-8 file
    return parse_circuit(source, source_name=str(path), base=path.parent)


def read_qpy(path: str | Path) -> list[Any]:
    """The circuits in a QPY file (``qiskit.qpy.dump``); InputError on bad input."""
    import os
    import stat

    from workloads.memory import check_file

    path = Path(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise InputError("is not a regular file", source=str(path))
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except OSError as err:
        raise InputError(f"cannot read: {err}", source=str(path)) from None
    check_file(path)
    from qiskit import qpy

    try:
        with open(path, "rb") as f:
            circuits = list(qpy.load(f))
    except Exception as err:  # QPY's own errors, struct errors on truncated files, ...
        raise InputError(f"not a valid QPY file: {_first_line(err)}", source=str(path)) from None
    if not circuits:
        raise InputError("holds no circuits", source=str(path))
    for circuit in circuits:
        if not hasattr(circuit, "num_qubits"):  # QPY can also hold pulse schedules
            raise InputError(f"holds a {type(circuit).__name__}, not a circuit", source=str(path))
        _check_circuit(circuit, str(path))
    return circuits


def parse_circuit(text: str, *, source_name: str | None = None, base: Path | None = None) -> Any:
    """Parse OpenQASM 2 or 3 text into a ``qiskit.QuantumCircuit``."""
    bare = _strip_comments(text)
    match = _VERSION.search(bare)
    if match is None and not _REGISTER.search(bare):
        raise InputError("not OpenQASM: no 'OPENQASM 2.0;' or 'OPENQASM 3.0;' header and no qreg or qubit "
                         "declaration", source=source_name)
    declared = sum(int(a or b) for a, b in _REGISTER.findall(text))
    if declared > MAX_BITS:  # Qiskit would build every (qu)bit object before any other check
        raise InputError(f"declares {declared} qubits and bits; at most {MAX_BITS} are read", source=source_name)
    if match is not None:
        version = match.group(1)
    else:  # no version line: Qiskit still reads the file (FACTS.md; QASMBench has such files)
        version = "3" if _QASM3_SIGNS.search(bare) else "2"
    try:
        if version == "2":
            from qiskit import qasm2

            circuit = qasm2.loads(text, include_path=[str(base)] if base else (),
                                  custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        elif version == "3":
            from qiskit import qasm3

            circuit = qasm3.loads(text)
        else:
            raise InputError(f"unsupported OpenQASM version {version} (2 and 3 are read)", source=source_name)
    except InputError:
        raise
    except ImportError as err:
        raise InputError(f"reading OpenQASM 3 needs qiskit-qasm3-import ({err})", source=source_name) from None
    except Exception as err:  # the parsers' own error types differ by version
        raise InputError(f"not valid OpenQASM {version}: {_first_line(err)}", source=source_name) from None
    _check_circuit(circuit, source_name)
    return circuit


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _check_circuit(circuit: Any, source_name: str | None) -> None:
    if circuit.num_qubits == 0:
        raise InputError("the circuit has no qubits", source=source_name)
    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise InputError(f"the circuit has unbound parameters ({names}); bind them before writing it",
                         source=source_name)


def circuit_text(circuit: Any) -> str:
    """OpenQASM 2 text of ``circuit`` when it can be written so, else OpenQASM 3."""
    from qiskit import qasm2, qasm3

    try:
        return qasm2.dumps(circuit) + "\n"
    except Exception:  # gates OpenQASM 2 cannot express
        return qasm3.dumps(circuit) + "\n"


def load_qasm(path: Path, data: Any) -> Workflow:
    """A ``.qasm`` file as a workflow of one quantum task."""
    from workloads.schema import read_text

    text = read_text(path)
    circuit = parse_circuit(text, source_name=str(path), base=path.parent)
    shots = _SHOTS.search(text)
    task = Task(path.stem, kind=QUANTUM, circuit=circuit, shots=int(shots.group(1)) if shots else 0)
    return Workflow.build(path.stem, [task], source=str(path))


def load_qpy(path: Path, data: Any) -> Workflow:
    """A ``.qpy`` file as a workflow of one quantum task per circuit (ids: the circuits'
    names, or the file's stem with an index when names repeat)."""
    circuits = read_qpy(path)
    names = [c.name for c in circuits]
    if len(circuits) == 1:
        ids = [path.stem]
    elif len(set(names)) == len(names) and all(names):
        ids = names
    else:
        ids = [f"{path.stem}-{i}" for i in range(len(circuits))]
    tasks = [Task(tid, kind=QUANTUM, circuit=c) for tid, c in zip(ids, circuits)]
    return Workflow.build(path.stem, tasks, source=str(path))


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)


register_loader("openqasm", SUFFIXES, load_qasm)
register_loader("qpy", QPY_SUFFIXES, load_qpy)
