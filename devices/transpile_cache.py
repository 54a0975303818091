"""The transpile cache on disk: a circuit transpiled to a target once, across processes.

:func:`devices.qpu.compile_circuit` (transpile at level >= 2, then duration,
reset and ESP) costs 10 ms to seconds per circuit; the QPU keeps its results
per process, and this module keeps them on disk so that a second process
reads instead of transpiling. An entry is keyed by

* the circuit's content (:func:`devices.qpu.circuit_fingerprint`, QPY-based),
* the backend (``fake:torino``, ``generic:20``) and a digest of its
  calibration (the fake backend's ``conf``/``props`` JSON files, or the
  generic backend's size and seed),
* the optimisation level and transpiler seed,
* the Qiskit version, and a digest of the source of the modules that compute
  the figures (``devices/qpu.py``, ``devices/circuit_timing.py``,
  ``devices/pass_managers.py``), so that a
  change in the model never reads a stale figure.

Each entry is two files, ``KEY.json`` (the figures) and ``KEY.qpy`` (the
transpiled circuit), written atomically. A missing or damaged entry is
recomputed and rewritten: the cache never turns into a failure. The
directory is ``$HYBRIDSCHED_CACHE_DIR/transpile`` or
``~/.cache/hybridsched/transpile``; ``HYBRIDSCHED_TRANSPILE_CACHE=off``
turns it off.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, Callable

from devices.qpu import Compiled

#: Bump when the entry layout changes.
FORMAT = 1
_DIGESTS: dict[str, str] = {}
_SOURCE_DIGEST: list[str] = []


def cache_dir() -> Path:
    """``$HYBRIDSCHED_CACHE_DIR/transpile``, or ``~/.cache/hybridsched/transpile``."""
    root = os.environ.get("HYBRIDSCHED_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "hybridsched") / "transpile"


def enabled() -> bool:
    return os.environ.get("HYBRIDSCHED_TRANSPILE_CACHE", "on").strip().lower() not in ("0", "off", "no", "false")


def calibration_digest(backend_key: str) -> str:
    """A digest of the backend's calibration, read from files without importing the backend."""
    digest = _DIGESTS.get(backend_key)
    if digest is None:
        family, _, name = backend_key.partition(":")
        h = hashlib.sha256(backend_key.encode())
        if family == "fake":
            from devices.qpu import fake_backend_dir

            folder = Path(fake_backend_dir()) / name
            for path in sorted(folder.glob("*.json")):
                h.update(path.name.encode())
                h.update(path.read_bytes())
        else:
            from devices.qpu import TRANSPILE_SEED

            h.update(f"seed={TRANSPILE_SEED}".encode())
        digest = _DIGESTS[backend_key] = h.hexdigest()
    return digest


def source_digest() -> str:
    """A digest of the model's source: ``devices/qpu.py`` (which also builds the backends),
    ``circuit_timing.py`` and ``pass_managers.py``."""
    if not _SOURCE_DIGEST:
        here = Path(__file__).parent
        h = hashlib.sha256()
        for name in ("qpu.py", "circuit_timing.py", "pass_managers.py"):
            h.update((here / name).read_bytes())
        _SOURCE_DIGEST.append(h.hexdigest())
    return _SOURCE_DIGEST[0]


def entry_key(fingerprint: str, backend_key: str, optimization_level: int) -> str:
    import qiskit

    from devices.qpu import TRANSPILE_SEED

    parts = [FORMAT, fingerprint, backend_key, calibration_digest(backend_key), optimization_level,
             TRANSPILE_SEED, qiskit.__version__, source_digest()]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def compile_cached(circuit: Any, fingerprint: str, backend_key: str, backend: Any,
                   optimization_level: int) -> Any:
    """:func:`devices.qpu.compile_circuit`, read from the disk cache when it holds the entry."""
    from devices.qpu import compile_circuit

    if not enabled():
        return compile_circuit(circuit, backend(), optimization_level)
    key = entry_key(fingerprint, backend_key, optimization_level)
    folder = cache_dir() / key[:2]
    found = read_entry(folder, key, lambda: compile_circuit(circuit, backend(), optimization_level))
    if found is not None:
        return found
    result = compile_circuit(circuit, backend(), optimization_level)
    try:
        write_entry(folder, key, result)
    except OSError:  # a read-only or full disk: the figures are still right, just not kept
        pass
    return result


def read_entry(folder: Path, key: str, recompute: Callable[[], Any]) -> Any:
    """The Compiled (or the reason string) an entry holds, or None when missing or damaged.

    The figures are read now; the transpiled circuit (QPY, slow to rebuild: a layout per
    circuit) only when something asks for it (mitigation, an Aer run). A circuit file damaged
    by then is recomputed with ``recompute``."""
    try:
        meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        if "reason" in meta:
            return str(meta["reason"])
        path = folder / f"{key}.qpy"
        if not path.is_file():
            return None
        return LazyCompiled(path, _rewriting(folder, key, recompute), float(meta["duration_s"]),
                            float(meta["reset_s"]), float(meta["esp"]), tuple(int(q) for q in meta["qubits"]),
                            int(meta["feedforwards"]))
    except Exception:  # missing, truncated, from another layout: recompute
        return None


def _rewriting(folder: Path, key: str, recompute: Callable[[], Any]) -> Callable[[], Any]:
    """``recompute``, also writing the fresh entry over the damaged one."""

    def again() -> Any:
        fresh = recompute()
        try:
            write_entry(folder, key, fresh)
        except OSError:
            pass
        return fresh

    return again


class LazyCompiled(Compiled):
    """A cache entry's :class:`~devices.qpu.Compiled`: its circuit read from QPY on first use."""

    def __init__(self, path: Path, recompute: Callable[[], Any], *figures: Any):
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_recompute", recompute)
        super().__init__(None, *figures)

    @property  # type: ignore[override]
    def circuit(self) -> Any:
        if self._circuit is None:
            object.__setattr__(self, "_circuit", self._load())
        return self._circuit

    @circuit.setter
    def circuit(self, value: Any) -> None:
        object.__setattr__(self, "_circuit", value)

    def __reduce__(self):  # a plain Compiled elsewhere: the path and the closure stay here
        return (Compiled, (self.circuit, self.duration_s, self.reset_s, self.esp, self.qubits, self.feedforwards))

    def _load(self) -> Any:
        from qiskit import qpy

        try:
            with open(self._path, "rb") as f:
                (isa,) = qpy.load(f)
            return isa
        except Exception:
            fresh = self._recompute()
            if not isinstance(fresh, Compiled):  # the circuit no longer maps: the figures were stale
                raise RuntimeError(f"damaged transpile cache entry {self._path}, and its circuit no longer "
                                   f"compiles ({fresh}): delete the entry") from None
            return fresh.circuit


def write_entry(folder: Path, key: str, result: Any) -> None:
    from scheduler.api import replace_atomic, write_atomic

    if isinstance(result, str):
        write_atomic(folder / f"{key}.json", json.dumps({"reason": result}) + "\n")
        return
    from qiskit import qpy

    buffer = io.BytesIO()
    qpy.dump(result.circuit, buffer)

    def write_qpy(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(buffer.getvalue())

    # The circuit first: an entry whose JSON exists is complete.
    replace_atomic(folder / f"{key}.qpy", write_qpy)
    meta = {"duration_s": result.duration_s, "reset_s": result.reset_s, "esp": result.esp,
            "qubits": list(result.qubits), "feedforwards": result.feedforwards}
    write_atomic(folder / f"{key}.json", json.dumps(meta) + "\n")
