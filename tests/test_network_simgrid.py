"""Our max-min flow model against SimGrid 4.1 (CM02 without correction factors): every finish time
within 1e-6 relative on five small platforms with 2 to 50 concurrent flows. Skipped without simgrid
(the [bench] extra; it builds from source)."""

from __future__ import annotations

import pytest

from scheduler.bench import network

pytestmark = pytest.mark.skipif(not network.have_simgrid(), reason="simgrid is not installed (pip install simgrid)")


@pytest.mark.parametrize("flows", [2, 10, 50])
@pytest.mark.parametrize("platform", sorted(network.CASES))
def test_finish_times_match_simgrid(platform, flows):
    case = network.CASES[platform](flows, seed=7)
    theirs = network.simgrid(case)["finish"]
    assert len(theirs) == flows
    assert network.max_relative_error(network.ours(case), theirs) <= 1e-6
