"""hybridsched platforms: list the built-in platform presets."""

from __future__ import annotations

import argparse

ORDER = 30
HELP = "list the built-in platform presets and their devices"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="show one preset's devices")


def run(args: argparse.Namespace) -> int:
    from devices.platform import load_platform, presets

    for name in [args.name] if args.name else presets():
        platform = load_platform(name)
        kinds: dict[str, int] = {}
        for d in platform.devices:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in kinds.items())
        print(f"{name:<22} {summary}   PUE {platform.pue}, {platform.carbon_g_per_kwh} gCO2e/kWh"
              f"   {platform.meta.get('description', '')}")
        if args.name:
            for d in platform.devices:
                print(f"  {d.name:<16} {d.kind:<6} slots {d.slots:<4} idle {d.idle_w} W  busy {d.busy_w} W  "
                      f"{d.usd_per_hour} USD/h {d.billing}")
    return 0
