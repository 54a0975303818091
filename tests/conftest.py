"""Shared fixtures: the paths every test needs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TOPCUOGLU = SHARED / "cases" / "topcuoglu2002.json"


@pytest.fixture
def topcuoglu_path() -> Path:
    if not TOPCUOGLU.exists():
        pytest.skip("../shared/cases/topcuoglu2002.json is not beside the project")
    return TOPCUOGLU
