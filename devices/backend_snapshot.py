"""What scoring reads from a Qiskit backend, kept on disk so a warm process never builds it.

Planning asks a QPU for its ``Target`` (qubits, gate errors and durations,
the transpiler's input) and its default repetition delay, never for the
backend object. Building a fake backend imports ``qiskit_ibm_runtime``, whose
package ``__init__`` imports the whole runtime service (~1.1 s of CPU), and
then parses its calibration JSON into a ``Target`` (~0.3 s on FakeTorino).
A :class:`Snapshot` holds just those answers; it is pickled (as Qiskit's own
parallel transpile ships a ``Target`` to its workers) to
``$HYBRIDSCHED_CACHE_DIR/backends/`` and read back in ~5 ms. The file's key
is the backend, a digest of its calibration files
(:func:`devices.transpile_cache.calibration_digest`), the Python, Qiskit
and qiskit-ibm-runtime versions (the code that builds the target) and the
digest of ``devices/qpu.py`` (which picks and builds the backend), so an
upgrade or a code change never reads a stale target. A missing, damaged or
foreign file is rebuilt from the backend and rewritten atomically; the cache
never turns into a failure. ``HYBRIDSCHED_TRANSPILE_CACHE=off`` turns it off
too. Unpickling runs what the file names: the cache directory must be the
user's own, as ``~/.cache`` is.

The real backend (:func:`devices.qpu.load_backend`) is still built for what
needs it: an Aer simulation.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bump when the snapshot's layout changes.
FORMAT = 2
#: Backend key -> its snapshot, once per process.
_SNAPSHOTS: dict[str, "Snapshot"] = {}


@dataclass(frozen=True)
class Snapshot:
    """A backend's name, target and default rep delay: all that scoring asks of it; and its
    version and calibration date, which a run's manifest records."""

    name: str
    target: Any
    #: The backend's ``default_rep_delay``, seconds (IBM's 250 us when it has none).
    default_rep_delay_s: float
    backend_version: str = ""
    #: ``properties().last_update_date``, or ``unknown (ErrorType)`` when the backend has none.
    calibration_date: str = ""


def snapshot(key: str) -> Snapshot:
    """The :class:`Snapshot` of a :func:`devices.qpu.backend_key`: memo, disk, else the backend."""
    found = _SNAPSHOTS.get(key)
    if found is None:
        from devices import transpile_cache

        path = None
        if transpile_cache.enabled():
            path = cache_path(key)
            found = read(path, key)
        if found is None:
            found = build(key)
            if path is not None:
                try:
                    write(path, key, found)
                except (OSError, pickle.PicklingError, TypeError):  # the answers are right, just not kept
                    pass
        _SNAPSHOTS[key] = found
    return found


def cache_path(key: str) -> Path:
    """``$HYBRIDSCHED_CACHE_DIR/backends/fake-torino-DIGEST.pickle`` (:func:`file_key`)."""
    from devices.transpile_cache import cache_dir

    return cache_dir().parent / "backends" / f"{key.replace(':', '-')}-{file_key(key)}.pickle"


def build(key: str) -> Snapshot:
    """The snapshot of the backend itself (:func:`devices.qpu.load_backend`)."""
    from devices.qpu import default_rep_delay, load_backend

    backend = load_backend(key)
    try:
        date = str(backend.properties().last_update_date)
    except Exception as err:  # a generic backend has no properties
        date = f"unknown ({type(err).__name__})"
    return Snapshot(str(getattr(backend, "name", key)), backend.target, default_rep_delay(backend),
                    str(getattr(backend, "backend_version", "")), date)


def file_key(key: str) -> str:
    """A digest of everything the snapshot's content depends on."""
    return hashlib.sha256(json.dumps(_identity(key)).encode()).hexdigest()[:32]


def _identity(key: str) -> list[Any]:
    import qiskit

    from devices.transpile_cache import calibration_digest, source_digest

    runtime = _runtime_version() if key.startswith("fake:") else None
    # source_digest: devices/qpu.py builds the backend (load_backend) and reads its rep delay
    return [FORMAT, key, calibration_digest(key), list(sys.version_info[:2]), qiskit.__version__, runtime,
            source_digest()]


def _runtime_version() -> str:
    """qiskit-ibm-runtime's version, read from its package without importing it."""
    from devices.qpu import fake_backend_dir

    try:  # fake_provider/backends -> the package's VERSION.txt (what its version.py reads)
        return (Path(fake_backend_dir()).parents[1] / "VERSION.txt").read_text(encoding="utf-8").strip()
    except OSError:
        from importlib.metadata import version

        return version("qiskit-ibm-runtime")


def read(path: Path, key: str) -> Snapshot | None:
    """The snapshot in ``path``, or None when missing, damaged or not this backend's."""
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
        from qiskit.transpiler import Target

        if (not isinstance(data, dict) or data.get("identity") != _identity(key)
                or not isinstance(data.get("target"), Target) or data["target"].num_qubits is None):
            return None
        return Snapshot(str(data["name"]), data["target"], float(data["default_rep_delay_s"]),
                        str(data["backend_version"]), str(data["calibration_date"]))
    except Exception:  # missing, truncated, from another layout: rebuild
        return None


def write(path: Path, key: str, snap: Snapshot) -> None:
    from scheduler.api import replace_atomic

    data = pickle.dumps({"identity": _identity(key), "name": snap.name, "target": snap.target,
                         "default_rep_delay_s": snap.default_rep_delay_s, "backend_version": snap.backend_version,
                         "calibration_date": snap.calibration_date}, protocol=pickle.HIGHEST_PROTOCOL)

    def write_bytes(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    replace_atomic(path, write_bytes)


def clear() -> None:
    """Forget the snapshots read in this process (tests: as in a fresh process)."""
    _SNAPSHOTS.clear()
