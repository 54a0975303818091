"""OpenQASM circuits: read them as tasks, write them beside workflow files.

* A ``.qasm`` file is a workflow of one quantum task (id: the file's stem,
  :data:`devices.qpu.DEFAULT_SHOTS` shots unless a ``// shots: N`` comment
  says otherwise).
* The native workflow format's ``qasm:`` task field reads a circuit with
  :func:`read_circuit`.

OpenQASM 2 (Cross et al., arXiv:1707.03429) is read by Qiskit's built-in
parser with the legacy ``qelib1.inc`` gates; OpenQASM 3 (Cross et al.,
ACM TQC 3(3), 2022) by ``qiskit.qasm3`` (which needs the
``qiskit-qasm3-import`` package). The version is taken from the file's
``OPENQASM`` header. Circuits are written as OpenQASM 2 when they can be
(the faster, dependency-free parser) and as OpenQASM 3 otherwise.
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
_VERSION = re.compile(r"^\s*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.MULTILINE)
#: Register sizes in declarations: ``qreg q[N]``, ``creg c[N]`` (OpenQASM 2), ``qubit[N] q``, ``bit[N] c`` (3).
_REGISTER = re.compile(r"\b(?:qreg|creg)\s+\w+\s*\[\s*(\d+)\s*\]|\b(?:qubit|bit)\s*\[\s*(\d+)\s*\]")
#: Qubits and bits a circuit file may declare (the largest QPUs have about 1,100 qubits).
MAX_BITS = 100_000
_SHOTS = re.compile(r"^\s*//\s*shots\s*:\s*(\d+)\s*$", re.MULTILINE | re.IGNORECASE)


def read_circuit(path: str | Path) -> Any:
    """The ``qiskit.QuantumCircuit`` in an OpenQASM 2 or 3 file; InputError on bad input."""
    from workloads.schema import read_text

    path = Path(path)
    source = read_text(path)  # InputError for a missing, special, huge or non-UTF-8 file
    return parse_circuit(source, source_name=str(path), base=path.parent)


def parse_circuit(text: str, *, source_name: str | None = None, base: Path | None = None) -> Any:
    """Parse OpenQASM 2 or 3 text into a ``qiskit.QuantumCircuit``."""
    match = _VERSION.search(_strip_comments(text))
    if match is None:
        raise InputError("no 'OPENQASM 2.0;' or 'OPENQASM 3.0;' header", source=source_name)
    declared = sum(int(a or b) for a, b in _REGISTER.findall(text))
    if declared > MAX_BITS:  # Qiskit would build every (qu)bit object before any other check
        raise InputError(f"declares {declared} qubits and bits; at most {MAX_BITS} are read", source=source_name)
    version = match.group(1)
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
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"not valid OpenQASM {version}: {message}", source=source_name) from None
    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise InputError(f"the circuit has unbound parameters ({names}); bind them before writing it",
                         source=source_name)
    return circuit


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


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)


register_loader("openqasm", SUFFIXES, load_qasm)
