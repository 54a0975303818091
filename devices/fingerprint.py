"""A circuit's content as a SHA-256, the same in every process.

QPY bytes are not such a key: the table of custom gate definitions comes out
in an order that depends on ``PYTHONHASHSEED`` (and on whether the circuit
was transpiled before), so the same circuit from a file with ``gate``
definitions hashed three ways in three processes. This walk writes the
content canonically instead: per instruction its name, qubit and clbit
positions and parameters; for a gate that is not one of Qiskit's standard
gates, its definition; for control flow, its condition (bits by position)
and blocks. Circuit and register names and metadata are left out.
"""

from __future__ import annotations

import hashlib
from typing import Any


def circuit_digest(circuit: Any) -> str:
    """A SHA-256 of ``circuit``'s content, independent of names, metadata and process."""
    h = hashlib.sha256()
    _write(circuit, h, {})
    return h.hexdigest()


def _write(circuit: Any, h: Any, definitions: dict[int, str]) -> None:
    qindex = {bit: i for i, bit in enumerate(circuit.qubits)}
    cindex = {bit: i for i, bit in enumerate(circuit.clbits)}
    h.update(f"circuit {circuit.num_qubits} {circuit.num_clbits} {_param(circuit.global_phase)}\n".encode())
    for inst in circuit.data:
        qs = ",".join(str(qindex[q]) for q in inst.qubits)
        cs = ",".join(str(cindex[c]) for c in inst.clbits)
        if inst.is_standard_gate():  # the same line, without building the Python gate (half the time)
            h.update(f"{inst.name}|{qs}|{cs}|{';'.join(_param(p) for p in inst.params)}\n".encode())
            continue
        op = inst.operation
        params = ";".join(_param(p) for p in op.params if not _is_circuit(p))
        h.update(f"{op.name}|{qs}|{cs}|{params}".encode())
        if getattr(op, "blocks", None):
            h.update(f"|cond {_condition(op, cindex)}".encode())
            for block in op.blocks:
                _write(block, h, definitions)
        elif getattr(op, "_standard_gate", None) is None and op.name not in ("measure", "reset", "barrier", "delay"):
            definition = getattr(op, "definition", None)
            if definition is not None:
                key = id(definition)
                if key not in definitions:
                    definitions[key] = circuit_digest(definition)
                h.update(f"|def {definitions[key]}".encode())
        h.update(b"\n")


def _is_circuit(value: Any) -> bool:
    return hasattr(value, "num_qubits") and hasattr(value, "data")


def _param(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (range, tuple, list)):
        return "[" + ",".join(_param(v) for v in value) + "]"
    if hasattr(value, "tobytes"):  # a matrix (UnitaryGate): its str would be abbreviated
        return f"array {getattr(value, 'shape', '')} {hashlib.sha256(value.tobytes()).hexdigest()}"
    return str(value)


def _condition(op: Any, cindex: dict[Any, int]) -> str:
    """The condition or switch target with bits by position (expressions walked)."""
    target = getattr(op, "condition", None)
    if target is None:
        target = getattr(op, "target", None)
    cases = ""
    if op.name == "switch_case":
        cases = ";".join(",".join(_param(v) for v in values) for values, _ in op.cases_specifier())
    return _term(target, cindex) + "|" + cases


def _term(node: Any, cindex: dict[Any, int]) -> str:
    if node is None:
        return "-"
    if isinstance(node, tuple):
        return "(" + ",".join(_term(n, cindex) for n in node) + ")"
    if node in cindex:
        return f"c{cindex[node]}"
    if hasattr(node, "__len__") and not isinstance(node, str) and hasattr(node, "name"):  # a ClassicalRegister
        try:
            return "reg[" + ",".join(f"c{cindex[b]}" for b in node) + "]"
        except (KeyError, TypeError):
            pass
    kind = type(node).__name__
    if kind == "Var":  # a wrapped clbit or register, or a standalone variable (known by name)
        return f"var {node.name} {node.type}" if node.name is not None else _term(node.var, cindex)
    if kind == "Value":
        return f"value {node.value!r}"
    if kind == "Unary":
        return f"{node.op.name}({_term(node.operand, cindex)})"
    if kind == "Binary":
        return f"{node.op.name}({_term(node.left, cindex)},{_term(node.right, cindex)})"
    if kind == "Cast":
        return f"cast {node.type}({_term(node.operand, cindex)})"
    if kind == "Index":
        return f"index({_term(node.target, cindex)},{_term(node.index, cindex)})"
    return repr(node)
