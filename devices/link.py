"""Links: how long data takes between two devices.

``transfer time = latency + bytes / bandwidth`` (the LogP-style latency and
bandwidth model used by SimGrid's default network model without contention,
and by HEFT's communication cost ``L_m + data / B_mn``, Topcuoglu et al.
2002, eq. 2). Data between tasks on the same device moves for free. Links
carry any number of transfers at once: there is no contention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Link:
    """A bidirectional link; ``bandwidth`` in bytes per second, ``latency`` in seconds."""

    latency: float = 0.0
    bandwidth: float = math.inf

    def time(self, nbytes: float) -> float:
        if nbytes == 0:
            return self.latency
        return self.latency + nbytes / self.bandwidth


#: Used between devices the platform names no link for when it has no default:
#: data arrives at once. Platforms that care give a ``default`` link.
INSTANT = Link()
