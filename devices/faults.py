"""Device faults: random failures with repairs, and scheduled downtime.

Two models, both given per device in the platform file:

* ``failures: {mtbf_s, mttr_s, distribution, shape}``: an alternating
  renewal process (Trivedi, *Probability and Statistics with Reliability,
  Queuing and Computer Science Applications*, 2nd ed., 2016, ch. 8). Times to
  failure are drawn from an exponential distribution with mean ``mtbf_s`` or
  a Weibull distribution of shape ``shape`` scaled to the same mean
  (``scale = mtbf_s / Gamma(1 + 1/shape)``; shape < 1 models infant
  mortality, > 1 wear-out; Schroeder & Gibson, "A large-scale study of
  failures in high-performance computing systems", DSN 2006, fit Weibull
  shapes 0.7-0.8 to node failures). Repair times are exponential with mean
  ``mttr_s``. A repaired device is as good as new: the next time to failure
  counts from the repair.
* ``downtime``: windows when the device is off, known in advance: one-off
  ``{start, end}`` and periodic ``{every_s, duration_s, offset_s}`` (down in
  ``[offset_s + k*every_s, offset_s + k*every_s + duration_s)`` for k = 0,
  1, ...), e.g. a QPU's daily calibration.

A device that fails or enters a window aborts what it runs and accepts
nothing until it is repaired or the window ends. Draws come from the random
stream the engine gives each device, so runs repeat for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from workloads.errors import InputError
from workloads.validate import mapping, number, sequence

if TYPE_CHECKING:
    import numpy as np

DISTRIBUTIONS = ("exponential", "weibull")


@dataclass(frozen=True, slots=True)
class FailureModel:
    """Random failures of one device: mean time between failures and to repair, seconds."""

    mtbf_s: float
    mttr_s: float
    distribution: str = "exponential"
    #: Weibull shape k (1 is the exponential distribution).
    shape: float = 1.0

    @property
    def scale(self) -> float:
        """Weibull scale giving mean ``mtbf_s``."""
        return self.mtbf_s / math.gamma(1.0 + 1.0 / self.shape)

    def time_to_failure(self, rng: "np.random.Generator") -> float:
        if self.distribution == "weibull":
            return self.scale * float(rng.weibull(self.shape))
        return float(rng.exponential(self.mtbf_s))

    def time_to_repair(self, rng: "np.random.Generator") -> float:
        return float(rng.exponential(self.mttr_s)) if self.mttr_s > 0 else 0.0

    def survival(self, seconds: float) -> float:
        """Probability of running ``seconds`` from a repair without failing."""
        if self.distribution == "weibull":
            return math.exp(-((seconds / self.scale) ** self.shape))
        return math.exp(-seconds / self.mtbf_s)

    def expected_run_time(self, seconds: float) -> float:
        """Expected wall time to finish ``seconds`` of work that restarts from scratch
        after each failure, repairs included: ``(MTBF + MTTR) * (exp(w / MTBF) - 1)``
        for exponential failures (the restart model; Daly, "A higher order estimate
        of the optimum checkpoint interval for restart dumps", FGCS 22(3), 2006,
        with no checkpoints). Weibull failures use the same formula with the
        survival probability of ``seconds`` in place of ``exp(-w / MTBF)``
        (an approximation: it treats each try as starting fresh)."""
        survive = self.survival(seconds)
        if survive <= 0.0:
            return math.inf
        return (self.mtbf_s + self.mttr_s) * (1.0 / survive - 1.0) if survive < 1.0 else seconds


@dataclass(frozen=True, slots=True)
class Window:
    """Scheduled downtime: one window ``[start, end)``, or, when ``every_s`` is set,
    ``[start + k*every_s, end + k*every_s)`` for every k >= 0."""

    start: float
    end: float
    every_s: float | None = None

    def windows(self) -> Iterator[tuple[float, float]]:
        """The windows in time order (endless for a periodic one)."""
        if self.every_s is None:
            yield self.start, self.end
            return
        k = 0
        while True:
            yield self.start + k * self.every_s, self.end + k * self.every_s
            k += 1

    def next_after(self, t: float) -> tuple[float, float] | None:
        """The first window that ends after ``t``, or None."""
        if self.every_s is None:
            return (self.start, self.end) if self.end > t else None
        k = max(0, math.floor((t - self.end) / self.every_s) + 1) if t >= self.end else 0
        return self.start + k * self.every_s, self.end + k * self.every_s


def next_downtime(windows: Sequence[Window], t: float) -> tuple[float, float] | None:
    """The earliest scheduled window of ``windows`` that ends after ``t``."""
    found = [w for w in (x.next_after(t) for x in windows) if w is not None]
    return min(found) if found else None


def up_start(windows: Sequence[Window], t: float, seconds: float) -> float:
    """The earliest time >= ``t`` at which ``seconds`` of work fit between windows."""
    for _ in range(10_000):  # windows never overlap everything: each is shorter than its period
        nxt = next_downtime(windows, t)
        if nxt is None or t + seconds <= nxt[0]:
            return t
        t = max(t, nxt[1])
    return math.inf


def read_failures(value: Any, item: str, source: str | None) -> FailureModel | None:
    """Parse a device's ``failures`` field; None when absent."""
    if value is None:
        return None
    spec = mapping(value, item, source=source)
    unknown = sorted(set(spec) - {"mtbf_s", "mttr_s", "distribution", "shape", "source"})
    if unknown:
        raise InputError(f"unknown field {unknown[0]!r} (known: distribution, mtbf_s, mttr_s, shape)",
                         source=source, item=item)
    if "mtbf_s" not in spec:
        raise InputError("missing field 'mtbf_s'", source=source, item=item)
    distribution = spec.get("distribution", "exponential")
    if distribution not in DISTRIBUTIONS:
        raise InputError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}",
                         source=source, item=item)
    shape = number(spec.get("shape", 1.0), f"{item}: shape", source=source, positive=True)
    if distribution == "exponential" and "shape" in spec and shape != 1.0:
        raise InputError("shape applies to the weibull distribution only", source=source, item=item)
    if not 0.05 <= shape <= 20:
        raise InputError(f"shape must be between 0.05 and 20, got {shape!r}", source=source, item=item)
    return FailureModel(
        mtbf_s=number(spec["mtbf_s"], f"{item}: mtbf_s", source=source, positive=True),
        mttr_s=number(spec.get("mttr_s", 0.0), f"{item}: mttr_s", source=source),
        distribution=distribution, shape=shape)


def read_downtime(value: Any, item: str, source: str | None) -> tuple[Window, ...]:
    """Parse a device's ``downtime`` list."""
    if value is None:
        return ()
    windows = []
    for k, entry in enumerate(sequence(value, item, source=source)):
        where = f"{item}[{k}]"
        entry = mapping(entry, where, source=source)
        keys = set(entry) - {"source"}
        if keys == {"start", "end"}:
            start = number(entry["start"], f"{where}: start", source=source)
            end = number(entry["end"], f"{where}: end", source=source)
            if end <= start:
                raise InputError(f"end ({end}) must come after start ({start})", source=source, item=where)
            windows.append(Window(start, end))
        elif keys and keys <= {"every_s", "duration_s", "offset_s"} and {"every_s", "duration_s"} <= keys:
            every = number(entry["every_s"], f"{where}: every_s", source=source, positive=True)
            duration = number(entry["duration_s"], f"{where}: duration_s", source=source, positive=True)
            offset = number(entry.get("offset_s", 0.0), f"{where}: offset_s", source=source)
            if duration >= every:
                raise InputError(f"duration_s ({duration}) must be shorter than every_s ({every}), "
                                 f"or the device is never up", source=source, item=where)
            windows.append(Window(offset, offset + duration, every))
        else:
            raise InputError("expected {start, end} or {every_s, duration_s, offset_s}",
                             source=source, item=where)
    return tuple(windows)
