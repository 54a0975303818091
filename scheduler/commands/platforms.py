"""hybridsched platforms: list the built-in platform presets."""

from __future__ import annotations

import argparse

ORDER = 30
HELP = "list the built-in platform presets and their devices"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="show one preset's devices (a QPU's backend among them)")


def run(args: argparse.Namespace) -> int:
    from devices.platform import load_platform, presets
    from scheduler.units import text_table, usd, watts

    names = [args.name] if args.name else presets()
    rows = []
    for name in names:
        platform = load_platform(name)
        kinds: dict[str, int] = {}
        for d in platform.devices:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        rows.append([name, ", ".join(f"{n} {k}" for k, n in kinds.items()), f"{platform.pue:g}",
                     f"{platform.carbon_g_per_kwh:g} g/kWh"])
        rows[-1].append(str(platform.meta.get("description", "")))
    table = text_table(["preset", "devices", "PUE", "grid CO2e"], [r[:4] for r in rows], left=2, indent="")
    print(table[0])
    for line, row in zip(table[1:], rows):  # the description on its own line keeps 100 columns
        print(line)
        if row[4]:
            print(f"    {row[4]}")
    if args.name:
        devices = []
        for d in platform.devices:
            devices.append([d.name, d.kind, str(d.slots), watts(d.idle_w), watts(d.busy_w),
                            f"{usd(d.usd_per_hour)}/h", d.billing, _detail(d)])
        print()
        for line in text_table(["device", "kind", "slots", "idle", "busy", "price", "billing", "detail"],
                               devices, align="llrrrrll"):
            print(line)
    return 0


def _detail(device) -> str:
    """What a QPU is: its backend (with its qubits when generic) and how its power is attributed."""
    if device.kind != "qpu":
        return ""
    backend = str(getattr(device, "backend", "?"))
    if backend == "generic" and getattr(device, "qubits", None):
        backend = f"generic, {device.qubits} qubits"
    attribution = getattr(device, "attribution", None)
    return f"backend {backend}" + (f", {attribution}" if attribution else "")
