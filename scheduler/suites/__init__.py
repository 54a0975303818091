"""The built-in suites: every ``*.yaml`` file in this package's folder.

``hybridsched run NAME`` and ``hybridsched suites`` find them through
:mod:`importlib.resources`, so they work from an installed wheel in any
folder. A new built-in suite is a new YAML file here; nothing lists them by hand.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def folder() -> Path:
    """The folder holding the built-in suite files (a real folder: the package is not zipped)."""
    return Path(str(files(__name__)))


def names() -> list[str]:
    """Names of the built-in suites, sorted."""
    return sorted(p.stem for p in folder().glob("*.yaml"))


def path(name: str) -> Path | None:
    """The file of built-in suite ``name``, or None."""
    candidate = folder() / f"{name}.yaml"
    return candidate if candidate.is_file() else None


def description(name: str) -> str:
    """A suite's ``description`` line (read without validating the whole suite)."""
    import yaml

    found = path(name)
    try:
        data = yaml.safe_load(found.read_text(encoding="utf-8")) if found else None
    except (OSError, yaml.YAMLError):
        return ""
    return str(data.get("description", "")) if isinstance(data, dict) else ""
