"""The ``hybridsched`` command.

Each subcommand lives in its own module of :mod:`scheduler.commands` with
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``;
modules import their heavy dependencies inside ``run`` so that ``--help``
stays fast. User mistakes (:class:`~workloads.errors.InputError`) and
output that cannot be written (``OSError``) print one line on stderr and
exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from workloads.errors import InputError

import scheduler.commands as commands_package


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hybridsched",
        description="Simulate workflow DAGs on CPUs, GPUs and QPUs and score every placement "
                    "by time, energy, cost, carbon and fidelity.",
        epilog="Run 'hybridsched COMMAND --help' for a command's options.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = []
    for info in pkgutil.iter_modules(commands_package.__path__):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"scheduler.commands.{info.name}"))
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        name = module.__name__.rsplit(".", 1)[-1].replace("_", "-")
        cmd = sub.add_parser(name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


class _Version(argparse.Action):
    """``--version``, reading the installed metadata only when asked (importlib.metadata costs ~50 ms)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"{parser.prog} {_version()}")  # on stdout, as argparse's own version action does
        parser.exit()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hybridsched")
    except Exception:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except InputError as err:
        print(f"hybridsched: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridsched: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as err:  # output that cannot be written (a full disk, a read-only folder, ...)
        from scheduler.api import output_error

        print(f"hybridsched: error: {output_error(err)}", file=sys.stderr)
        return 2
    except SystemExit as err:  # plugin code (a policy's import or constructor) ending the process
        print(f"hybridsched: error: code loaded by this command called sys.exit({err.code!r}); "
              f"stopped", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
