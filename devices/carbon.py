"""Hourly grid carbon intensity: a CSV series and the hour each simulated second falls in.

A series file has a header and one row per hour::

    timestamp,g_co2e_per_kwh
    2024-06-01T00:00:00Z,41.0
    2024-06-01T01:00:00Z,38.5

Timestamps are ISO 8601 (``Z`` or an offset; none means UTC), strictly
increasing, exactly one hour apart. A row's intensity holds for the hour that
starts at its timestamp. A platform's ``site`` names the series and the
wall-clock time at which simulated time 0 falls (``start``; default: the
series' first hour).

A run that outlasts the series is refused (an error naming the series and
the first hour it lacks) unless the site says ``carbon_repeat: true``: then
the series repeats end to end, which suits a typical-day (24-row) series.
Built-in series live in ``devices/carbon/`` (see its README for provenance).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from workloads.errors import InputError

SERIES_DIR = Path(__file__).with_name("carbon")
HOUR = 3600.0


def parse_time(value: str, *, source: str | None, item: str) -> float:
    """Seconds since the Unix epoch of an ISO 8601 timestamp (UTC when it names no zone)."""
    try:
        when = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"not an ISO 8601 timestamp: {value!r}", source=source, item=item) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def format_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CarbonSeries:
    """Hourly intensities (gCO2e/kWh) from ``first`` (epoch seconds), read from ``source``."""

    first: float
    values: tuple[float, ...]
    source: str
    repeat: bool = False

    def hour_index(self, epoch: float) -> int:
        """The row whose hour holds ``epoch`` (before wrapping)."""
        return math.floor((epoch - self.first) / HOUR)

    def value(self, k: int, *, item: str = "site: carbon_series") -> float:
        """Intensity of row ``k``; wraps, or refuses a row past the end."""
        n = len(self.values)
        if self.repeat:
            return self.values[k % n]
        if not 0 <= k < n:
            hour = format_time(self.first + k * HOUR)
            span = f"{format_time(self.first)} to {format_time(self.first + n * HOUR)}"
            raise InputError(f"the run needs the hour starting {hour}, outside the series ({span}); "
                             f"give a longer series or carbon_repeat: true", source=self.source, item=item)
        return self.values[k]


def read_series(path_or_name: str, *, base: Path | None = None, repeat: bool = False,
                platform_source: str | None = None) -> CarbonSeries:
    """Read a series CSV: a path (relative to ``base``) or a built-in series name."""
    path = Path(path_or_name)
    if not path.is_absolute() and base is not None and (base / path).exists():
        path = base / path
    if not path.exists():
        builtin = SERIES_DIR / f"{path_or_name}.csv"
        if not builtin.exists():
            known = ", ".join(sorted(p.stem for p in SERIES_DIR.glob("*.csv")))
            raise InputError(f"no such carbon series file or built-in series {path_or_name!r} (built-in: {known})",
                             source=platform_source, item="site: carbon_series")
        path = builtin
    source = str(path)
    times: list[float] = []
    values: list[float] = []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row and not row[0].lstrip().startswith("#")]
    if not rows or len(rows[0]) < 2:
        raise InputError("expected a header 'timestamp,g_co2e_per_kwh' and hourly rows", source=source)
    for line, row in enumerate(rows[1:], start=2):
        item = f"row {line}"
        if len(row) < 2:
            raise InputError("expected two columns: timestamp, gCO2e/kWh", source=source, item=item)
        t = parse_time(row[0], source=source, item=item)
        try:
            g = float(row[1])
        except ValueError:
            raise InputError(f"not a number: {row[1]!r}", source=source, item=item) from None
        if not math.isfinite(g) or g < 0:
            raise InputError(f"intensity must be a finite number >= 0, got {row[1]!r}", source=source, item=item)
        if times:
            step = t - times[-1]
            if step <= 0:
                raise InputError(f"timestamps must increase: {row[0]} is not after the row before",
                                 source=source, item=item)
            if step != HOUR:
                raise InputError(f"gap in the series: {row[0]} is {step / HOUR:g} h after the row before "
                                 f"(rows must be exactly 1 h apart)", source=source, item=item)
        times.append(t)
        values.append(g)
    if not values:
        raise InputError("the series has no rows", source=source)
    return CarbonSeries(times[0], tuple(values), source, repeat)


#: Hours of per-hour rows a run may span (about 114 years); longer runs get no hourly breakdown.
MAX_HOURS = 1_000_000


def hourly_energy(series: CarbonSeries, start: float, intervals: tuple[np.ndarray, np.ndarray, np.ndarray]
                  ) -> dict[int, float] | None:
    """Joules per series row of constant-power intervals ``(begin_s, end_s, watts)`` in
    simulated seconds, with simulated time 0 at epoch ``start``; None when the intervals
    span more than :data:`MAX_HOURS` hours (a breakdown that long would not fit in memory)."""
    begin, end, watts = intervals
    offset = start - series.first  # simulated time 0, in seconds from the series' first hour
    b = (begin + offset) / HOUR
    e = (end + offset) / HOUR
    if len(b) and not float(e.max()) - float(b.min()) <= MAX_HOURS:
        return None
    kb = np.floor(b).astype(np.int64)
    ke = np.ceil(e).astype(np.int64) - 1
    ke = np.maximum(ke, kb)
    out: dict[int, float] = {}
    one = kb == ke
    if one.any():
        rows, joules = kb[one], watts[one] * (end[one] - begin[one])
        uniq, inverse = np.unique(rows, return_inverse=True)
        sums = np.zeros(len(uniq))
        np.add.at(sums, inverse, joules)
        out = {int(k): float(j) for k, j in zip(uniq, sums)}
    cross = np.flatnonzero(~one)
    if cross.size:  # intervals crossing hour boundaries: partial first and last hours, full hours between
        lo, hi, w = kb[cross], ke[cross], watts[cross]
        base = int(lo.min())
        n = int(hi.max()) - base + 1
        joules = np.zeros(n)
        np.add.at(joules, lo - base, w * (lo + 1 - b[cross]) * HOUR)
        np.add.at(joules, hi - base, w * (e[cross] - hi) * HOUR)
        full = np.zeros(n + 1)
        np.add.at(full, lo + 1 - base, w)
        np.add.at(full, hi - base, -w)
        joules += np.cumsum(full)[:n] * HOUR
        cover = np.zeros(n + 1, dtype=np.int64)
        np.add.at(cover, lo - base, 1)
        np.add.at(cover, hi + 1 - base, -1)
        for k in np.flatnonzero(np.cumsum(cover)[:n] > 0):
            key = int(k) + base
            out[key] = out.get(key, 0.0) + float(joules[k])
    return out
