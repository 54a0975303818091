"""Platforms: devices, the links between them, and the site they stand in.

A site has a power usage effectiveness (PUE: facility energy over IT energy,
The Green Grid White Paper #49, 2012) and a grid carbon intensity in grams
of CO2-equivalent per kWh. Platforms are read from YAML or JSON files (see
``docs`` in the README and ``devices/schemas/platform.schema.json``) or named
by a built-in preset in ``devices/presets/``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Iterable, Mapping

from devices.carbon import CarbonSeries, Grid, format_time, parse_time, read_series
from devices.device import CPU, GPU, Device
from devices.link import INSTANT, Link
from devices.network import Network, network_from_spec
from workloads.errors import InputError
from workloads.validate import mapping, number, sequence, text

PRESET_DIR = Path(__file__).with_name("presets")
SCHEMA = Path(__file__).with_name("schemas") / "platform.schema.json"
#: Devices a platform file may expand to (``count`` included): far above any machine room
#: simulated here, low enough that a typo like ``count: 1e9`` is an error, not a swap storm.
MAX_DEVICES = 100_000

#: Device kind -> class, or "module:Class" imported on first use (QPUs pull in
#: Qiskit, which only workflows with quantum tasks should pay for).
DEVICE_KINDS: dict[str, type[Device] | str] = {
    "processor": Device,
    "cpu": CPU,
    "gpu": GPU,
    "qpu": "devices.qpu:QPU",
}


def register_device_kind(kind: str, cls: type[Device] | str) -> None:
    """Make ``kind`` usable in platform files."""
    DEVICE_KINDS[kind] = cls


def device_class(kind: str, *, source: str | None = None, item: str | None = None) -> type[Device]:
    cls = DEVICE_KINDS.get(kind)
    if cls is None:
        raise InputError(f"unknown device kind {kind!r} (known: {', '.join(sorted(DEVICE_KINDS))})",
                         source=source, item=item)
    if isinstance(cls, str):
        module, _, attr = cls.partition(":")
        cls = DEVICE_KINDS[kind] = getattr(importlib.import_module(module), attr)
    return cls


class Platform:
    """Devices in a fixed order (ties between devices go to the earlier one),
    links between named pairs, a default link, and the site's PUE and carbon."""

    def __init__(self, name: str, devices: Iterable[Device], *,
                 links: Mapping[tuple[str, str], Link] | None = None,
                 default_link: Link = INSTANT, pue: float = 1.0,
                 carbon_g_per_kwh: float = 0.0, source: str | None = None,
                 meta: Mapping[str, Any] | None = None, network: Network | None = None,
                 carbon_series: CarbonSeries | None = None, start: float | None = None,
                 sites: Mapping[str, Grid] | None = None, device_sites: Mapping[str, str] | None = None):
        self.name = name
        self.devices: list[Device] = list(devices)
        self.source = source
        self.meta = dict(meta or {})
        self.by_name: dict[str, Device] = {}
        for d in self.devices:
            if d.name in self.by_name:
                raise InputError("duplicate device name", source=source, item=f"device {d.name!r}")
            self.by_name[d.name] = d
        if not self.devices:
            raise InputError("a platform needs at least one device", source=source, item="devices")
        self.links: dict[tuple[str, str], Link] = {}
        for (a, b), link in (links or {}).items():
            for end in (a, b):
                if end not in self.by_name:
                    raise InputError(f"unknown device {end!r}", source=source, item=f"link {a} - {b}")
            self.links[a, b] = self.links[b, a] = link
        #: Named links and routes (devices/network.py); a routed pair's entry in ``links`` is the
        #: route's contention-free equivalent, which planners estimate with.
        self.network = network
        for a, b in (network.routes if network else {}):
            if (a, b) in self.links:
                raise InputError("both a route and a link between", source=source, item=f"network: route {a} -> {b}")
            for end in (a, b):
                if end not in self.by_name:
                    raise InputError(f"unknown device {end!r}", source=source, item=f"network: route {a} -> {b}")
        for a, b in (network.routes if network else {}):
            self.links[a, b] = network.route_link(a, b)
        #: Hourly grid intensity (devices/carbon.py) and the epoch second at simulated time 0.
        self.carbon_series = carbon_series
        self.start = start if start is not None else (carbon_series.first if carbon_series else None)
        self.default_link = default_link
        self.pue = pue
        self.carbon_g_per_kwh = carbon_g_per_kwh
        if pue < 1:
            raise InputError(f"PUE must be at least 1, got {pue}", source=source, item="site: pue")
        #: Further sites by name, and the site of each device that stands in one (others: ``site``).
        self.sites: dict[str, Grid] = dict(sites or {})
        self.device_sites: dict[str, str] = {}
        for name, site in (device_sites or {}).items():
            if name not in self.by_name:
                raise InputError(f"unknown device {name!r}", source=source, item=f"sites: {site}: devices")
            if site not in self.sites:
                raise InputError(f"unknown site {site!r}", source=source, item=f"device {name!r}")
            self.device_sites[name] = site
        if self.start is None:
            self.start = next((g.series.first for g in self.sites.values() if g.series is not None), None)

    def grid(self, device: str | None = None) -> Grid:
        """The grid ``device`` draws from (the platform's own site for None or a device in no site)."""
        site = self.device_sites.get(device) if device is not None else None
        if site is not None:
            return self.sites[site]
        return Grid("default", self.carbon_g_per_kwh, self.carbon_series)

    def grids(self) -> list[tuple[Grid, list[str]]]:
        """Every grid in use with its devices: the platform's own site first, then ``sites`` in order."""
        own = [d.name for d in self.devices if d.name not in self.device_sites]
        return [(self.grid(), own)] + [(g, [d.name for d in self.devices if self.device_sites.get(d.name) == n])
                                       for n, g in self.sites.items()]

    @property
    def hourly_carbon(self) -> bool:
        """Whether any grid has an hourly series (else carbon is energy times a constant)."""
        return self.carbon_series is not None or any(g.series is not None for g in self.sites.values())

    def carbon_at(self, t: float, device: str | None = None) -> float:
        """Grid intensity (gCO2e/kWh) at simulated second ``t`` where ``device`` stands."""
        grid = self.grid(device)
        if grid.series is None:
            return grid.g_per_kwh
        return grid.series.value(grid.series.hour_index(self.start + t))

    def device(self, name: str) -> Device:
        return self.by_name[name]

    def link(self, a: str, b: str) -> Link:
        return self.links.get((a, b), self.default_link)

    def transfer_time(self, edge: Mapping[str, Any], src: str, dst: str) -> float:
        """Seconds to move an edge's data from device ``src`` to device ``dst``."""
        if src == dst:
            return 0.0
        cost = edge.get("cost")
        if cost is not None:
            return cost
        return self.link(src, dst).time(edge.get("data_bytes", 0.0))

    def mean_transfer_time(self, edge: Mapping[str, Any]) -> float:
        """Mean transfer time of an edge over ordered pairs of distinct devices
        (HEFT's average communication cost, Topcuoglu et al. 2002, eq. 3)."""
        cost = edge.get("cost")
        if cost is not None:
            return cost
        latency, inverse_bw = self.mean_link
        return latency + edge.get("data_bytes", 0.0) * inverse_bw

    @property
    def mean_link(self) -> tuple[float, float]:
        """Mean latency and mean inverse bandwidth over ordered pairs of distinct devices."""
        cached = self.__dict__.get("_mean_link_cache")
        if cached is None:
            p = len(self.devices)
            pairs = p * (p - 1)
            if pairs == 0:
                cached = (0.0, 0.0)
            else:
                named = len(self.links)  # both directions are stored
                lat = self.default_link.latency * (pairs - named)
                inv = (1 / self.default_link.bandwidth) * (pairs - named)
                for link in self.links.values():
                    lat += link.latency
                    inv += 1 / link.bandwidth
                cached = (lat / pairs, inv / pairs)
            self.__dict__["_mean_link_cache"] = cached
        return cached

    def __repr__(self) -> str:
        return f"Platform({self.name!r}, {len(self.devices)} devices)"


def platform_from_spec(spec: Any, *, source: str | None = None) -> Platform:
    """Build a platform from the parsed content of a platform file."""
    from workloads.schema import check_schema

    check_schema(spec, SCHEMA, source=source)
    devices: list[Device] = []
    for i, entry in enumerate(sequence(spec["devices"], "devices", source=source)):
        entry = mapping(entry, f"devices[{i}]", source=source)
        kind = entry.get("kind", "processor")
        cls = device_class(kind, source=source, item=f"devices[{i}]")
        count = number(entry.get("count", 1), f"devices[{i}]: count", source=source,
                       positive=True, integer=True)
        name = text(entry.get("name"), f"devices[{i}]: name", source=source)
        if len(devices) + count > MAX_DEVICES:
            raise InputError(f"the platform would have more than {MAX_DEVICES} devices", source=source,
                             item=f"devices[{i}]: count")
        for k in range(count):
            one = dict(entry, name=name if count == 1 else f"{name}{k}")
            devices.append(cls.from_spec(one, source=source))
    links_spec = spec.get("links", {}) or {}
    default = INSTANT
    if "default" in links_spec:
        default = _link(links_spec["default"], "links: default", source)
    links: dict[tuple[str, str], Link] = {}
    for i, entry in enumerate(links_spec.get("between", []) or []):
        a, b = entry["devices"]
        links[a, b] = _link(entry, f"links: between[{i}]", source)
    site = spec.get("site", {}) or {}
    network = None
    if spec.get("network") is not None:
        network = network_from_spec(spec["network"], {d.name for d in devices}, source=source)
    base = Path(source).parent if source else None
    series = _grid(site, "site", base, source).series
    start = None
    if site.get("start") is not None:
        start = parse_time(site["start"], source=source, item="site: start")
    sites: dict[str, Grid] = {}
    device_sites: dict[str, str] = {}
    for name, entry in (spec.get("sites") or {}).items():
        if name == "default":
            raise InputError("'default' names the platform's own site (site:); give this site another name",
                             source=source, item="sites: default")
        if entry.get("carbon_series") is None and entry.get("carbon_g_per_kwh") is None:
            # 0 g/kWh by omission would hide a forgotten grid; the platform's own site keeps its 0 default.
            raise InputError("a site needs carbon_series or carbon_g_per_kwh", source=source, item=f"sites: {name}")
        sites[name] = _grid(entry, f"sites: {name}", base, source, name=name)
        for device in entry.get("devices", []):  # Platform() refuses an unknown device, naming the site
            if device in device_sites:
                raise InputError(f"device {device!r} is already in site {device_sites[device]!r}", source=source,
                                 item=f"sites: {name}: devices")
            device_sites[device] = name
    return Platform(
        spec.get("name", Path(source).stem if source else "platform"), devices,
        links=links, default_link=default,
        pue=number(site.get("pue", 1.0), "site: pue", source=source),
        carbon_g_per_kwh=number(site.get("carbon_g_per_kwh", 0.0), "site: carbon_g_per_kwh",
                                source=source),
        source=source, meta={k: v for k, v in spec.items() if k in ("description", "sources")},
        network=network, carbon_series=series, start=start, sites=sites, device_sites=device_sites,
    )


def _grid(entry: Mapping[str, Any], item: str, base: Path | None, source: str | None,
          name: str = "default") -> Grid:
    """A site's grid: its hourly series (which wins) or its constant intensity."""
    series = None
    if entry.get("carbon_series") is not None:
        series = read_series(text(entry["carbon_series"], f"{item}: carbon_series", source=source), base=base,
                             repeat=bool(entry.get("carbon_repeat", False)), platform_source=source,
                             item=f"{item}: carbon_series")
    return Grid(name, number(entry.get("carbon_g_per_kwh", 0.0), f"{item}: carbon_g_per_kwh", source=source),
                series)


def _link(entry: Mapping[str, Any], item: str, source: str | None) -> Link:
    bandwidth = entry.get("bandwidth")
    return Link(latency=number(entry.get("latency", 0.0), f"{item}: latency", source=source),
                bandwidth=INSTANT.bandwidth if bandwidth is None else
                number(bandwidth, f"{item}: bandwidth", source=source, positive=True))


def presets() -> list[str]:
    """Names of the built-in platform presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_platform(name_or_path: str | Path) -> Platform:
    """Read a platform from a file path, or a built-in preset by name."""
    from workloads.schema import read_data

    path = Path(name_or_path)
    if not path.exists() and not path.suffix:
        preset = PRESET_DIR / f"{name_or_path}.yaml"
        if preset.exists():
            path = preset
        else:
            raise InputError(f"no such platform file or preset (presets: {', '.join(presets())})",
                             source=str(name_or_path))
    return platform_from_spec(read_data(path), source=str(path))


def platform_to_spec(platform: Platform) -> dict[str, Any]:
    """The platform-file content that :func:`platform_from_spec` reads back to ``platform``.

    Device fields that keep their defaults are left out; so are fields that
    are not plain numbers or strings (a QPU's Qiskit target is rebuilt from
    its backend name).
    """
    import dataclasses

    devices = []
    for device in platform.devices:
        spec: dict[str, Any] = {"name": device.name, "kind": device.kind}
        for f in dataclasses.fields(device):
            value = getattr(device, f.name)
            if f.name in ("name", "meta") or not isinstance(value, (int, float, str)):
                continue
            default = f.default if f.default is not dataclasses.MISSING else None
            if value != default:
                spec[f.name] = value
        devices.append(spec)
    spec = {"name": platform.name, "devices": devices,
            "site": {"pue": platform.pue, "carbon_g_per_kwh": platform.carbon_g_per_kwh}}
    links: dict[str, Any] = {}
    if platform.default_link != INSTANT:
        links["default"] = _link_spec(platform.default_link)
    routed = platform.network.routes if platform.network else {}
    between = [dict(devices=[a, b], **_link_spec(link)) for (a, b), link in platform.links.items()
               if a < b and (a, b) not in routed]
    if between:
        links["between"] = between
    if links:
        spec["links"] = links
    if platform.network is not None:
        spec["network"] = platform.network.to_spec()
    if platform.carbon_series is not None:
        spec["site"].update(carbon_series=platform.carbon_series.source, start=format_time(platform.start),
                            carbon_repeat=platform.carbon_series.repeat)
    elif platform.start is not None and platform.hourly_carbon:
        spec["site"]["start"] = format_time(platform.start)
    if platform.sites:
        spec["sites"] = {}
        for name, grid in platform.sites.items():
            entry: dict[str, Any] = {"carbon_g_per_kwh": grid.g_per_kwh,
                                     "devices": [d for d, s in platform.device_sites.items() if s == name]}
            if grid.series is not None:
                entry.update(carbon_series=grid.series.source, carbon_repeat=grid.series.repeat)
            spec["sites"][name] = entry
    return spec


def _link_spec(link: Link) -> dict[str, float]:
    spec = {"latency": link.latency}
    if link.bandwidth != INSTANT.bandwidth:
        spec["bandwidth"] = link.bandwidth
    return spec
