"""Shared fixtures: the paths every test needs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
#: The HEFT paper's worked example, copied from ../shared/cases/ so the suite stands alone.
TOPCUOGLU = DATA / "topcuoglu2002.json"


@pytest.fixture
def topcuoglu_path() -> Path:
    return TOPCUOGLU
