"""Finding policies: built-ins, installed plugins and one-off files.

A policy is named by

* a built-in name (``heft``), listed in :data:`BUILTIN`;
* the name of an installed plugin: an entry point in the group
  ``hybridsched.policies`` whose object is a :class:`~scheduler.policy.Policy`
  subclass (``[project.entry-points."hybridsched.policies"] mine = "pkg.mod:Mine"``);
* ``module:Class`` for an importable module, or ``path/to/file.py:Class``.

Only the last two, and installed plugins, run code that is not
hybridsched's: data files never name code.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from scheduler.policy import Policy, PolicyError
from workloads.errors import InputError

ENTRY_POINT_GROUP = "hybridsched.policies"

#: Built-in policy name -> "module:Class", imported on first use.
BUILTIN: dict[str, str] = {
    # static list schedulers
    "heft": "scheduler.policies.heft:HEFT",
    "heft-append": "scheduler.policies.heft_append:HEFTAppend",
    "cpop": "scheduler.policies.cpop:CPOP",
    "peft": "scheduler.policies.peft:PEFT",
    # batch heuristics, planned (Braun et al. 2001 round by round, as SAGA)
    "minmin": "scheduler.policies.batch:MinMin",
    "maxmin": "scheduler.policies.batch:MaxMin",
    "sufferage": "scheduler.policies.batch:Sufferage",
    # batch rounds at run time (ready = predecessors finished)
    "minmin-online": "scheduler.policies.batch_online:MinMinOnline",
    "maxmin-online": "scheduler.policies.batch_online:MaxMinOnline",
    "sufferage-online": "scheduler.policies.batch_online:SufferageOnline",
    # immediate, one task at a time
    "greedy-eft": "scheduler.policies.greedy:GreedyEFT",
    "queue-aware-eft": "scheduler.policies.queue_aware:QueueAwareEFT",
    "mct": "scheduler.policies.simple:MCT",
    "met": "scheduler.policies.simple:MET",
    "olb": "scheduler.policies.simple:OLB",
    "round-robin": "scheduler.policies.simple:RoundRobin",
    "random": "scheduler.policies.simple:Random",
    # beyond makespan
    "weighted": "scheduler.policies.multiobjective:Weighted",
    "energy-heft": "scheduler.policies.multiobjective:EnergyHEFT",
    "deadline": "scheduler.policies.multiobjective:Deadline",
    "carbon-aware": "scheduler.policies.carbon_aware:CarbonAware",
    # under faults
    "failure-aware": "scheduler.policies.failure_aware:FailureAware",
}

#: A trained policy (docs/rl.md): ``rl:PATH`` or ``rl`` with ``weights=PATH``; not in BUILTIN
#: because it cannot run without its weights file (which is data: it runs no code).
LEARNED = "scheduler.policies.learned:Learned"


def _import_attr(target: str, item: str) -> Any:
    module_name, _, attr = target.rpartition(":")
    if not module_name or not attr.isidentifier():
        raise InputError(f"expected module:Class or path/to/file.py:Class, got {target!r}", item=item)
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise InputError("no such file", source=module_name, item=item)
        spec = importlib.util.spec_from_file_location(f"hybridsched_user_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # the user's file, not ours: one line, not a traceback
            del sys.modules[spec.name]
            raise InputError(f"cannot load it: {type(err).__name__}: {err}", source=module_name,
                             item=item) from err
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            raise InputError(f"cannot import module {module_name!r}: {err}", item=item) from None
        except Exception as err:
            raise InputError(f"cannot import module {module_name!r}: {type(err).__name__}: {err}",
                             item=item) from err
    try:
        return getattr(module, attr)
    except AttributeError:
        raise InputError(f"{module_name} has no {attr!r}", item=item) from None


def plugins() -> dict[str, Any]:
    """Installed plugin entry points by name."""
    return {ep.name: ep for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)}


def policy_class(name: str) -> type[Policy]:
    """The Policy subclass a name refers to; InputError naming it if there is none."""
    item = f"policy {name!r}"
    if name in BUILTIN:
        cls = _import_attr(BUILTIN[name], item)
    elif name == "rl" or name.startswith("rl:"):
        cls = _import_attr(LEARNED, item)
    else:
        found = plugins().get(name)
        if found is not None:
            try:
                cls = found.load()
            except Exception as err:
                raise InputError(f"cannot load plugin {found.value!r}: {type(err).__name__}: {err}",
                                 item=item) from err
        elif ":" in name:
            cls = _import_attr(name, item)
        else:
            known = sorted(BUILTIN) + sorted(plugins())
            raise InputError(f"unknown policy (known: {', '.join(known)}; or module:Class, file.py:Class)",
                             item=item)
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise InputError(f"{cls!r} is not a hybridsched Policy subclass", item=item)
    return cls


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """``["key=value", ...]`` from the command line as policy options (see
    :func:`workloads.schema.parse_assignments`)."""
    from workloads.schema import parse_assignments

    return parse_assignments(pairs, "--option")


def make_policy(name: str, *, seed: int = 0, **options: Any) -> Policy:
    """An instance of the named policy, seeded."""
    cls = policy_class(name)
    if name.startswith("rl:"):  # rl:PATH names the weights file
        options = {**options, "weights": name[3:]}
    try:
        policy = cls(seed=seed, **options)
    except InputError:
        raise
    except Exception as err:  # a plugin's bug must not look like ours
        raise PolicyError(f"raised {type(err).__name__} while starting: {err}", item=f"policy {name!r}") from err
    if not policy.name:
        policy.name = name  # an unnamed plugin class is known by what the user called it
    return policy


def describe() -> list[dict[str, str]]:
    """Every built-in and installed policy: name, origin, kind and one-line description.

    ``origin`` is ``built-in`` or ``plugin``; ``kind`` is ``static`` (it
    overrides :meth:`Policy.plan`) or ``dynamic``. A plugin that fails to
    load is listed with the reason, so that it cannot hide the others.
    """
    rows = []
    installed = plugins()
    for name in list(BUILTIN) + ["rl:PATH"] + [n for n in installed if n not in BUILTIN]:
        origin = "plugin" if name in installed and name not in BUILTIN else "built-in"
        try:
            cls = policy_class(name)
        except Exception as err:
            rows.append({"name": name, "origin": origin, "kind": "?", "description": f"(cannot load: {err})"})
            continue
        kind = "static" if cls.plan is not Policy.plan else "dynamic"
        text = cls.description or (cls.__doc__ or "").strip().split("\n")[0] or "(no description)"
        rows.append({"name": name, "origin": origin, "kind": kind, "description": text})
    return rows
