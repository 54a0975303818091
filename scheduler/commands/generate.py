"""hybridsched generate: write a workflow file from a generator."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

ORDER = 20
HELP = "write a workflow file (and its circuits as OpenQASM) from a generator"
DESCRIPTION = """\
Write a workflow in hybridsched's own format (YAML, or JSON for a .json
path) from a built-in generator. Circuits go into OpenQASM files in
FILE_STEM.circuits/ beside it, referenced by each task's 'qasm' field.
Parameters are k=v pairs; values are read as YAML scalars (3, 0.5, qpu).

The generators and their parameters (with defaults) are listed below; see
docs/quantum.md and each generator's docstring for what they mean.

  hybridsched generate vqe --param iterations=5 --out vqe.yaml
  hybridsched simulate vqe.yaml --platform hybrid-lab

Exit status: 0 on success, 2 on bad input.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from scheduler.commands._checks import seed

    # The generator list is made only when this command's help is asked for, read from the
    # generators' source (no import: they import Qiskit or wfcommons), so other commands stay fast.
    original = parser.format_help

    def format_help() -> str:
        parser.epilog = generators_help()
        return original()

    parser.format_help = format_help  # type: ignore[method-assign]
    parser.add_argument("name", help="generator name")
    parser.add_argument("--param", "-p", action="append", default=[], metavar="K=V",
                        help="a generator parameter (repeatable)")
    parser.add_argument("--seed", type=seed, default=None, help="random seed (the generator's 'seed' parameter)")
    parser.add_argument("--out", required=True, metavar="FILE", help="workflow file to write (.yaml or .json)")


def run(args: argparse.Namespace) -> int:
    from workloads.errors import InputError
    from workloads.generators import generate

    from scheduler.api import check_writable

    params = parse_params(args.param)
    check_writable(args.out)
    if args.seed is not None:
        params["seed"] = args.seed
    workflow = generate(args.name, **params)
    out = Path(args.out)
    if out.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise InputError("the workflow file must end in .yaml, .yml or .json", source=str(out))
    written = write_workflow(workflow, out, generator={"name": args.name, "params": params})
    quantum = sum(1 for t in workflow.tasks if t.kind == "quantum")
    print(f"wrote {out} ({len(workflow.tasks)} tasks, {workflow.graph.number_of_edges()} edges"
          f"{f', {quantum} circuits in {written[0].parent}' if quantum else ''})")
    return 0


def generators_help() -> str:
    """Each generator's name, its parameters with their defaults and its docstring's first line."""
    import ast
    import importlib.util
    import textwrap

    from workloads.generators import GENERATORS

    lines = ["generators (parameters with defaults):"]
    for name, target in sorted(GENERATORS.items()):
        module, _, function = target.partition(":")
        spec = importlib.util.find_spec(module)
        try:
            tree = ast.parse(open(spec.origin, encoding="utf-8").read())  # type: ignore[union-attr, arg-type]
            node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
        except (OSError, StopIteration, SyntaxError, AttributeError):
            lines.append(f"  {name}")
            continue
        args = node.args.args
        defaults = [None] * (len(args) - len(node.args.defaults)) + list(node.args.defaults)
        params = [a.arg if d is None else f"{a.arg}={_default(d)}" for a, d in zip(args, defaults)]
        params += [f"{a.arg}={_default(d)}" for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d]
        doc = (ast.get_docstring(node) or "").split("\n\n")[0].replace("\n", " ")
        lines += textwrap.wrap(f"{name}: {doc}" if doc else name, width=96, initial_indent="  ",
                               subsequent_indent="      ")
        lines += textwrap.wrap(" ".join(params), width=96, initial_indent="      ", subsequent_indent="      ")
        choices = _top_level_keys(tree, "RECIPES") if name == "wfcommons" else []
        if choices:
            lines += textwrap.wrap("recipe: " + ", ".join(choices), width=96, initial_indent="      ",
                                   subsequent_indent="        ")
    return "\n".join(lines)


def _default(node: Any) -> str:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        return f"{node.value:g}"  # 1e+13, not 10000000000000.0
    return ast.unparse(node)


def _top_level_keys(tree: Any, name: str) -> list[str]:
    """The keys of a module-level dict literal ``name = {...}`` (read from the source, not imported)."""
    import ast

    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if isinstance(node.value, ast.Dict):
                return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["k=v", ...]`` to generator parameters (see :func:`workloads.schema.parse_assignments`)."""
    from workloads.schema import parse_assignments

    return parse_assignments(pairs, "--param")


def write_workflow(workflow: Any, out: Path, *, generator: dict | None = None) -> list[Path]:
    """Write ``workflow`` in the native format to ``out`` and its circuits beside it.

    Every file is written atomically, circuits first, so the workflow file never
    names a circuit that is not there. Returns the circuit files written.
    """
    from scheduler.api import write_atomic
    from workloads.qasm import circuit_text

    circuit_dir = out.with_name(f"{out.stem}.circuits")
    written = []
    tasks = []
    for task in workflow.tasks:
        spec: dict[str, Any] = {"id": task.id}
        if task.kind != "classical":
            spec["kind"] = task.kind
        if task.cores != 1:
            spec["cores"] = task.cores
        for key in ("memory_bytes", "flops", "mem_bytes"):
            value = getattr(task, key)
            if value:
                spec[key] = float(value)
        if task.accelerator:
            spec["accelerator"] = task.accelerator
        if task.times:
            spec["times"] = {k: float(v) for k, v in task.times.items()}
        if task.circuit is not None:
            path = circuit_dir / f"{task.id}.qasm"
            write_atomic(path, circuit_text(task.circuit))
            written.append(path)
            spec["qasm"] = f"{circuit_dir.name}/{path.name}"
        if task.shots:
            spec["shots"] = int(task.shots)
        if task.group is not None:
            spec["group"] = task.group
        if task.meta:
            spec["meta"] = dict(task.meta)
        tasks.append(spec)
    edges = []
    for u, v, attrs in workflow.graph.edges(data=True):
        edge: dict[str, Any] = {"from": u, "to": v}
        if attrs.get("data_bytes"):
            edge["data_bytes"] = float(attrs["data_bytes"])
        if attrs.get("cost") is not None:
            edge["cost"] = float(attrs["cost"])
        edges.append(edge)
    doc: dict[str, Any] = {"format": "hybridsched-workflow/1", "name": workflow.name}
    if generator:
        doc["description"] = f"generated by hybridsched generate {generator['name']} " + " ".join(
            f"{k}={v}" for k, v in sorted(generator["params"].items()))
    if workflow.platform is not None:  # e.g. random-dag's own processors
        from devices.platform import platform_to_spec

        doc["platform"] = platform_to_spec(workflow.platform)
    if workflow.groups:
        from workloads.groups import group_to_spec

        doc["groups"] = {name: group_to_spec(g) for name, g in workflow.groups.items()}
    doc["tasks"] = tasks
    doc["edges"] = edges
    write_atomic(out, _dump(doc, out.suffix.lower() == ".json"))
    return written


def _dump(doc: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(doc, indent=1) + "\n"
    import yaml

    def floats(dumper, value):  # YAML 1.2 floats: always a '.' or exponent, never 1.1-only forms
        if math.isinf(value) or math.isnan(value):
            return dumper.represent_scalar("tag:yaml.org,2002:float", ".inf" if value > 0 else ".nan")
        return dumper.represent_scalar("tag:yaml.org,2002:float", repr(value))

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(float, floats)
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, default_flow_style=None, width=120)
