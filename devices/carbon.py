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

A platform may also name further ``sites`` (each a :class:`Grid`: a series
or a constant, and the devices that stand there); every site shares the one
wall-clock ``start``.
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


@dataclass(frozen=True)
class Grid:
    """The grid a site draws from: an hourly ``series``, or one constant intensity."""

    name: str
    g_per_kwh: float = 0.0
    series: CarbonSeries | None = None

    def hourly(self, start: float | None) -> tuple[CarbonSeries, float]:
        """The series and the epoch of simulated 0; a constant grid is a one-row repeating series
        whose hours count from simulated 0."""
        if self.series is not None:
            return self.series, start if start is not None else self.series.first
        item = "site" if self.name == "default" else f"sites: {self.name}"
        return CarbonSeries(0.0, (float(self.g_per_kwh),), f"{item}: carbon_g_per_kwh", repeat=True), 0.0


def read_series(path_or_name: str, *, base: Path | None = None, repeat: bool = False,
                platform_source: str | None = None, item: str = "site: carbon_series") -> CarbonSeries:
    """Read a series CSV: a path (relative to ``base``) or a built-in series name."""
    path = Path(path_or_name)
    if not path.is_absolute() and base is not None and (base / path).exists():
        path = base / path
    if not path.exists():
        builtin = SERIES_DIR / f"{path_or_name}.csv"
        if not builtin.exists():
            known = ", ".join(sorted(p.stem for p in SERIES_DIR.glob("*.csv")))
            raise InputError(f"no such carbon series file or built-in series {path_or_name!r} (built-in: {known})",
                             source=platform_source, item=item)
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


#: Hours of hourly carbon accounting a run may span (about 11 years): beyond that a run with a
#: series is refused, and one without gets no per-hour rows.
MAX_HOURS = 100_000


def hour_span(series: CarbonSeries, start: float, makespan: float) -> tuple[int, int]:
    """Rows ``(first, last)`` that simulated ``[0, makespan]`` touches (before wrapping)."""
    offset = start - series.first
    return math.floor(offset / HOUR), max(math.ceil((offset + makespan) / HOUR) - 1, math.floor(offset / HOUR))


def hourly_energy(series: CarbonSeries, start: float, intervals: tuple[np.ndarray, np.ndarray, np.ndarray],
                  span: tuple[int, int]) -> np.ndarray:
    """Joules in each row ``span[0] .. span[1]`` of constant-power intervals ``(begin_s, end_s,
    watts)`` in simulated seconds, with simulated time 0 at epoch ``start``."""
    begin, end, watts = intervals
    offset = start - series.first
    k0 = span[0]
    b = (begin + offset) / HOUR - k0  # in hours from row k0
    e = (end + offset) / HOUR - k0
    n = span[1] - k0 + 1
    kb = np.clip(np.floor(b).astype(np.int64), 0, n - 1)
    ke = np.clip(np.ceil(e).astype(np.int64) - 1, 0, n - 1)
    ke = np.maximum(ke, kb)
    out = np.zeros(n)
    one = kb == ke
    np.add.at(out, kb[one], watts[one] * (end[one] - begin[one]))
    many = ~one
    if many.any():  # first and last partial hours, and the full hours between (a difference array)
        kb, ke, b, e, w = kb[many], ke[many], b[many], e[many], watts[many]
        np.add.at(out, kb, w * (kb + 1 - b) * HOUR)
        np.add.at(out, ke, w * (e - ke) * HOUR)
        diff = np.zeros(n + 1)
        np.add.at(diff, kb + 1, w * HOUR)
        np.add.at(diff, ke, -w * HOUR)
        out += np.cumsum(diff)[:n]
    return out
