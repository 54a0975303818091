"""The terminal's units: hand-worked values (scheduler.units)."""

import pytest

from scheduler import units


@pytest.mark.parametrize("value, text", [
    (3.90625e-07, "390.6 ns"), (0.0015, "1.5 ms"), (2.5e-5, "25 us"), (80.0, "80 s"), (59.99, "59.99 s"),
    (99.0, "99 s"), (150.0, "2.5 min"), (5400.0, "90 min"), (7200.0, "2 h"), (0.0, "0 s"), (None, "-")])
def test_seconds(value, text):
    assert units.seconds(value) == text


@pytest.mark.parametrize("value, text", [
    (5.648e5, "564.8 kJ"), (1.19e6, "1.19 MJ"), (999.96e3, "1 MJ"), (12.0, "12 J"), (0.25, "250 mJ"),
    (3.6e9, "1 MWh"), (1.8e9, "500 kWh")])
def test_joules(value, text):
    assert units.joules(value) == text


@pytest.mark.parametrize("value, text", [
    (2.2039, "2.204 USD"), (0.012345, "0.01235 USD"), (432.3, "432.3 USD"), (1234.567, "1,234.57 USD"),
    (56789.1, "56,789 USD"), (0.0, "0 USD"), (9.375e-12, "9.4e-12 USD")])
def test_usd(value, text):
    assert units.usd(value) == text


def test_grams_and_plain_numbers():
    assert units.grams(106.23) == "106.2 g"
    assert units.grams(2.5e6) == "2.5 t"
    assert units.number(0.76583) == "0.7658"
    assert units.metric("energy_j_qpu", 2.0e4) == "20 kJ"
    assert units.metric("makespan", 0.004) == "4 ms"
