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


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Keep the suite's on-disk caches (transpile, Aer) out of the user's ~/.cache."""
    import os

    old = os.environ.get("HYBRIDSCHED_CACHE_DIR")
    os.environ["HYBRIDSCHED_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("HYBRIDSCHED_CACHE_DIR", None)
    else:
        os.environ["HYBRIDSCHED_CACHE_DIR"] = old
