"""Workflow generators: plain functions that return a :class:`~workloads.workflow.Workflow`.

Each generator lives in its own module with its reference in the docstring
and takes keyword parameters plus ``seed``. :data:`GENERATORS` maps a name
(used by suite files and ``hybridsched generate``) to ``"module:function"``,
imported on first use.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable

from workloads.errors import InputError
from workloads.workflow import Workflow

#: Generator name -> "module:function".
GENERATORS: dict[str, str] = {}
GENERATORS.update({
    "random-dag": "workloads.generators.random_dag:random_dag",
    "fork-join": "workloads.generators.shapes:fork_join",
    "pipeline": "workloads.generators.shapes:pipeline",
    "wfcommons": "workloads.wfformat:generate_wfcommons",
})
GENERATORS.update({
    "vqe": "workloads.generators.vqe:vqe",
    "qaoa-maxcut": "workloads.generators.qaoa:qaoa_maxcut",
    "quantum-kernel": "workloads.generators.qkernel:quantum_kernel",
    "hybrid-ai": "workloads.generators.hybrid_ai:hybrid_ai",
})
GENERATORS["wide-circuit"] = "workloads.generators.wide:wide_circuit"  # circuit cutting's workload


def generator(name: str) -> Callable[..., Workflow]:
    """The generator function called ``name``; InputError if there is none."""
    target = GENERATORS.get(name)
    if target is None:
        raise InputError(f"unknown generator (known: {', '.join(sorted(GENERATORS))})", item=f"generator {name!r}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def generate(name: str, **params: Any) -> Workflow:
    """Call generator ``name`` with ``params``; unknown parameters are an InputError."""
    fn = generator(name)
    accepted = inspect.signature(fn).parameters
    unknown = sorted(k for k in params if k not in accepted)
    if unknown:
        raise InputError(f"unknown parameter(s) {', '.join(unknown)} (accepted: {', '.join(accepted)})",
                         item=f"generator {name!r}")
    return fn(**params)
