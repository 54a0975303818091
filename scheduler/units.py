"""Numbers for people: SI prefixes and units for terminal tables and summaries.

One place for every unit hybridsched prints (``simulate``, ``run``,
``platforms``, the results page). Only what a person reads goes through
here: JSON, CSV and Parquet keep full-precision SI numbers (seconds, joules,
US dollars, grams).

>>> seconds(3.90625e-07), joules(5.648e+05), usd(2.2039), grams(106.23)
('390.6 ns', '564.8 kJ', '2.204 USD', '106.2 g')
"""

from __future__ import annotations

import math

#: SI prefixes from nano to tera (micro as 'u': plain ASCII lines up in every terminal).
_PREFIXES = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n")]


def _digits(value: float, sig: int) -> str:
    """``value`` to ``sig`` significant digits, without an exponent, trailing zeros dropped."""
    if value == 0:
        return "0"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def si(value: float | None, unit: str, sig: int = 4) -> str:
    """``value`` with an SI prefix (n to T) so that 1 <= mantissa < 1000: ``si(5.648e5, 'J')`` is 564.8 kJ."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return f"{'-' if value < 0 else ''}inf {unit}"
    if value == 0:
        return f"0 {unit}"
    for scale, prefix in _PREFIXES:
        mantissa = value / scale
        # Round first: 999.96 kJ is shown as 1 MJ, not 1000 kJ.
        if abs(float(_digits(mantissa, sig))) >= 1.0 or scale == 1e-9:
            if abs(float(_digits(mantissa, sig))) >= 1000 and scale < 1e12:
                continue
            return f"{_digits(mantissa, sig)} {prefix}{unit}"
    return f"{value:.{sig}g} {unit}"  # pragma: no cover


def seconds(value: float | None, sig: int = 4) -> str:
    """A duration: ns, us, ms and s below 100 s, min below 100 min, then h (``seconds(7200)`` is 2 h)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 6000:
        return f"{_digits(value / 3600, sig)} h"
    if abs(value) >= 100:
        return f"{_digits(value / 60, sig)} min"
    return si(value, "s", sig)


def joules(value: float | None, sig: int = 4) -> str:
    """Energy: uJ to MJ, then kWh from 1 GJ (277.8 kWh) up, the unit of an energy bill."""
    if value is not None and not math.isnan(value) and abs(value) >= 999.95e6:
        return si(value / 3.6e3, "Wh", sig)  # kWh, MWh, ... (1 Wh = 3600 J)
    return si(value, "J", sig)


def watts(value: float | None, sig: int = 4) -> str:
    return si(value, "W", sig)


def grams(value: float | None, sig: int = 4) -> str:
    """Mass of CO2e: mg, g, kg, then t."""
    if value is not None and not math.isnan(value) and abs(value) >= 999.95e3:
        return f"{_digits(value / 1e6, sig)} t"
    return si(value, "g", sig)


def usd(value: float | None, sig: int = 4) -> str:
    """Money: ``sig`` significant digits (at most 2 decimals from 100 USD up), never an exponent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value == 0:
        return "0 USD"
    if abs(value) < 1e-4:  # a task's share of a cent: an exponent reads better than twelve zeros
        return f"{value:.1e} USD"
    if abs(value) >= 100:
        return f"{value:,.2f}".rstrip("0").rstrip(".") + " USD" if abs(value) < 1e4 else f"{value:,.0f} USD"
    return f"{_digits(value, sig)} USD"


def nbytes(value: float | None, sig: int = 4) -> str:
    return si(value, "B", sig)


def flops(value: float | None, sig: int = 4) -> str:
    return si(value, "FLOP/s", sig)


def number(value: float | None, sig: int = 4) -> str:
    """A plain ratio or score (SLR, speedup, fidelity): ``sig`` significant digits, no unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-4):
        return f"{value:.{sig - 1}e}"
    return _digits(value, sig)


#: The formatter of each metric column of the results tables.
METRIC = {"makespan": seconds, "energy_j": joules, "facility_energy_j": joules, "cost_usd": usd,
          "carbon_g": grams, "slr": number, "speedup": number, "fidelity_product": number,
          "fidelity_mean": number, "wasted_energy_j": joules, "wasted_cost_usd": usd}


def metric(name: str, value: float | None) -> str:
    """``value`` of metric column ``name`` for a person (unknown names: :func:`number`)."""
    if name.startswith("energy_j_"):
        return joules(value)
    return METRIC.get(name, number)(value)


def text_table(headers: list[str], rows: list[list[str]], *, indent: str = "  ",
               left: int = 1, align: str | None = None) -> list[str]:
    """Plain-text lines of an aligned table: each column as wide as its widest cell
    (names are never cut), the first ``left`` columns left-aligned, the rest right-aligned,
    or ``align`` giving each column's side (``"llrrl"``)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows if i < len(r)]) for i, h in enumerate(headers)]
    sides = align or "l" * left + "r" * (len(headers) - left)

    def line(cells: list[str]) -> str:
        parts = [c.ljust(w) if sides[i] == "l" else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return (indent + "  ".join(parts)).rstrip()

    return [line(headers)] + [line(r) for r in rows]


def fit_table(headers: list[str], rows: list[list[str]], *, align: str, width: int | None = 100,
              drop: tuple[str, ...] = (), indent: str = "  ") -> tuple[list[str], list[str]]:
    """:func:`text_table` within ``width`` columns: drop the columns named in ``drop``, in that
    order, until it fits (names are never cut). Returns the lines and the headers dropped."""
    keep = list(range(len(headers)))
    dropped: list[str] = []
    order = [headers.index(h) for h in drop if h in headers]
    while True:
        lines = text_table([headers[i] for i in keep], [[r[i] for i in keep] for r in rows], indent=indent,
                           align="".join(align[i] for i in keep))
        if width is None or max(len(line) for line in lines) <= width or not order:
            return lines, dropped
        gone = order.pop(0)
        keep.remove(gone)
        dropped.append(headers[gone])
