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


def test_simgrid_lazy_update_breaks_max_min_on_the_uplink_case(monkeypatch):
    # The check can fail: with its default Lazy update SimGrid 4.1 shares this case wrongly (the
    # first ten flows each get 32/10 B/s, and the 12.5 B/s uplink carries 7 of them: 22.4 B/s);
    # network/optim:Full fixes it (docs/network.md).
    case = network.uplink(10, seed=0)
    monkeypatch.setattr(network, "SIMGRID_CONFIG", [c for c in network.SIMGRID_CONFIG if "optim" not in c])
    assert network.max_relative_error(network.ours(case), network.simgrid(case)["finish"]) > 1e-3
