"""A platform's network: named links and the routes between devices that cross them.

A platform file may declare::

    network:
      sharing: max-min        # or none: each transfer alone on its route
      links:
        - {name: pcie-sw, bandwidth: 6.4e10, latency: 1.0e-6, idle_w: 0, j_per_byte: 0}
      routes:
        - {between: [gpu0, cpu], links: [pcie0, pcie-sw]}

A route serves both directions (the reverse crosses the links in reverse
order; SimGrid's symmetrical routes) unless ``symmetric: false``. Pairs of
devices without a route use ``links:`` (latency and bandwidth, no sharing).

With ``sharing: max-min`` transfers on a route share its links' bandwidth
with every other transfer crossing them (:mod:`scheduler.network`); with
``none`` a transfer takes ``sum of latencies + bytes / narrowest bandwidth``,
the time it would take alone, which is also what planners estimate in both
modes.

Link power: ``idle_w`` around the clock over the makespan, plus
``j_per_byte`` for each byte that crosses the link. Defaults (sources):

* ``idle_w = 0``: a link's port power is normally counted in the devices or
  switches a platform already lists; give it where a switch or NIC is not.
* ``j_per_byte = 0``; typical figures to give: ~1e-10 J/byte (0.1 nJ/byte,
  ~12 pJ/bit) for a data-centre Ethernet port, ~0.06 kWh/GB = 2.2e-7 J/byte
  for data moved over the internet (Aslan, Mayers, Koomey & France,
  "Electricity intensity of internet data transmission", J. Industrial
  Ecology 22(4), 2018: 0.06 kWh/GB for 2015, halving every two years).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from devices.link import Link
from workloads.errors import InputError
from workloads.validate import mapping, number, sequence, text

MAX_MIN = "max-min"
NONE = "none"
SHARING = (MAX_MIN, NONE)


@dataclass(frozen=True, slots=True)
class NetLink:
    """A named link: bandwidth in bytes/s, latency in s, power in W and J per byte."""

    name: str
    bandwidth: float
    latency: float = 0.0
    idle_w: float = 0.0
    j_per_byte: float = 0.0


@dataclass
class Network:
    """Named links, and for ordered device pairs the links a transfer crosses."""

    links: list[NetLink]
    routes: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    sharing: str = MAX_MIN

    def __post_init__(self):
        self.index = {link.name: k for k, link in enumerate(self.links)}

    @property
    def shared(self) -> bool:
        return self.sharing == MAX_MIN

    def route_link(self, a: str, b: str) -> Link:
        """The route's contention-free equivalent: summed latency, narrowest bandwidth."""
        links = [self.links[self.index[n]] for n in self.routes[a, b]]
        return Link(latency=sum(link.latency for link in links), bandwidth=min(link.bandwidth for link in links))

    def to_spec(self) -> dict[str, Any]:
        links = []
        for link in self.links:
            entry: dict[str, Any] = {"name": link.name, "bandwidth": link.bandwidth, "latency": link.latency}
            if link.idle_w:
                entry["idle_w"] = link.idle_w
            if link.j_per_byte:
                entry["j_per_byte"] = link.j_per_byte
            links.append(entry)
        routes = []
        done = set()
        for (a, b), names in self.routes.items():
            if (a, b) in done:
                continue
            symmetric = self.routes.get((b, a)) == tuple(reversed(names))
            done.add((a, b))
            entry = {"between": [a, b], "links": list(names)}
            if symmetric:
                done.add((b, a))
            else:
                entry["symmetric"] = False
            routes.append(entry)
        return {"sharing": self.sharing, "links": links, "routes": routes}


def network_from_spec(spec: Any, devices: Mapping[str, Any], *, source: str | None) -> Network:
    """Read a platform file's ``network:`` section; ``devices`` are the platform's device names."""
    spec = mapping(spec, "network", source=source)
    sharing = spec.get("sharing", MAX_MIN)
    if sharing not in SHARING:
        raise InputError(f"unknown sharing {sharing!r} (known: {', '.join(SHARING)})", source=source,
                         item="network: sharing")
    links: list[NetLink] = []
    names: set[str] = set()
    for k, entry in enumerate(sequence(spec.get("links", []) or [], "network: links", source=source)):
        item = f"network: links[{k}]"
        entry = mapping(entry, item, source=source)
        name = text(entry.get("name"), f"{item}: name", source=source)
        if name in names:
            raise InputError(f"duplicate link name {name!r}", source=source, item=item)
        names.add(name)
        item = f"network: link {name!r}"
        if "bandwidth" not in entry:
            raise InputError("a link needs a bandwidth (bytes per second)", source=source, item=item)
        links.append(NetLink(
            name=name,
            bandwidth=number(entry["bandwidth"], f"{item}: bandwidth", source=source, positive=True),
            latency=number(entry.get("latency", 0.0), f"{item}: latency", source=source),
            idle_w=number(entry.get("idle_w", 0.0), f"{item}: idle_w", source=source),
            j_per_byte=number(entry.get("j_per_byte", 0.0), f"{item}: j_per_byte", source=source)))
    routes: dict[tuple[str, str], tuple[str, ...]] = {}
    for k, entry in enumerate(sequence(spec.get("routes", []) or [], "network: routes", source=source)):
        item = f"network: routes[{k}]"
        entry = mapping(entry, item, source=source)
        ends = sequence(entry.get("between"), f"{item}: between", source=source)
        if len(ends) != 2 or ends[0] == ends[1]:
            raise InputError("between must name two different devices", source=source, item=item)
        a, b = (text(e, f"{item}: between", source=source) for e in ends)
        for end in (a, b):
            if end not in devices:
                raise InputError(f"unknown device {end!r}", source=source, item=item)
        crossed = tuple(text(n, f"{item}: links", source=source)
                        for n in sequence(entry.get("links"), f"{item}: links", source=source))
        if not crossed:
            raise InputError("a route crosses at least one link", source=source, item=item)
        for n in crossed:
            if n not in names:
                raise InputError(f"route through unknown link {n!r}", source=source, item=f"{item} {a} -> {b}")
        if (a, b) in routes:
            raise InputError(f"a second route {a} -> {b}", source=source, item=item)
        routes[a, b] = crossed
        if entry.get("symmetric", True):
            if (b, a) in routes:
                raise InputError(f"a second route {b} -> {a}", source=source, item=item)
            routes[b, a] = tuple(reversed(crossed))
    return Network(links, routes, sharing)
