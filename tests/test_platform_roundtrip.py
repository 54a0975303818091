"""A platform written with platform_to_spec reads back to the same platform."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devices.platform import load_platform, platform_from_spec, platform_to_spec


@pytest.mark.parametrize("preset", ["dual-socket-server", "h100-node", "edge-box"])
def test_classical_presets_round_trip(preset):
    platform = load_platform(preset)
    again = platform_from_spec(platform_to_spec(platform))
    assert [(type(d), vars(d)) for d in again.devices] == [(type(d), vars(d)) for d in platform.devices]
    assert again.links == platform.links
    assert again.default_link == platform.default_link
    assert (again.pue, again.carbon_g_per_kwh) == (platform.pue, platform.carbon_g_per_kwh)


def test_generated_random_dag_carries_its_platform(tmp_path):
    out = tmp_path / "rd.yaml"
    cli = [sys.executable, "-m", "scheduler.cli"]
    subprocess.run(cli + ["generate", "random-dag", "-p", "v=12", "--out", str(out)], check=True,
                   capture_output=True)
    done = subprocess.run(cli + ["simulate", str(out), "--policy", "heft", "--json"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert '"platform": "4-processors"' in done.stdout
