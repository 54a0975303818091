"""Suite files: what to run, checked completely before anything runs.

A suite names workflows (files, or generators with parameter grids),
platforms (presets, files, ``own``, each optionally moved to another site),
policies (with options), a seed and a number of repeats. Its runs are every
combination less the ``exclude`` rules, or the explicit ``runs`` list, times
``repeats``
(``suite.schema.json``; ``docs/experiments.md``).

Every run has an identity, ``workflow|platform|policy|rN``, and its seed is
derived from the suite seed and that identity alone (:func:`derive_seed`),
so adding or removing a run changes no other run's numbers. A generated
workflow's seed is derived from the suite seed, the workflow's identity and
the repeat, so every policy and platform of a repeat sees the same instance.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workloads.errors import InputError

SCHEMA = Path(__file__).with_name("suite.schema.json")
#: Platform label meaning "the platform the workflow file carries".
OWN = "own"
#: Suites not yet moved into the package (``scheduler/suites/``): read only in a source
#: checkout, never shipped; ``git mv benchmarks/NAME.yaml scheduler/suites/`` makes one built in.
CHECKOUT_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


#: Runs a suite may expand to: far beyond any experiment, low enough to refuse a typo
#: (``repeats: 1e9``) before it fills memory.
MAX_RUNS = 1_000_000


def derive_seed(suite_seed: int, identity: str) -> int:
    """A 32-bit seed from the suite seed and an identity string (SHA-256; never ``hash()``)."""
    digest = hashlib.sha256(f"{suite_seed}/{identity}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs, resolved and picklable (it travels to workers)."""

    index: int
    key: str
    run_id: str
    workflow: dict[str, Any]
    platform: dict[str, Any]
    policy: dict[str, Any]
    repeat: int
    seed: int
    #: Grid parameters of a generated workflow (the table's ``param_*`` columns).
    grid: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Hash of everything that decides the run's numbers; a stored result
        is reused only when its fingerprint is this one."""
        data = {k: v for k, v in asdict(self).items() if k != "index"}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Suite:
    name: str
    path: Path
    sha256: str
    seed: int
    repeats: int
    runs: list[RunSpec]
    data: dict[str, Any]
    #: Input files (workflows, platforms) and their SHA-256.
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def gantt(self) -> int:
        return int((self.data.get("plots") or {}).get("gantt", 12))


def resolve_suite_path(name_or_path: str | Path) -> Path:
    """A suite file path, or the name of a built-in suite (:mod:`scheduler.suites`)."""
    path = Path(name_or_path)
    try:
        if path.is_file():
            return path
    except (OSError, ValueError):
        raise InputError("not a usable file name", source=repr(str(name_or_path))) from None
    from scheduler import suites

    if not path.suffix and path.name == str(name_or_path):
        builtin = suites.path(str(name_or_path)) or _checkout_suite(str(name_or_path))
        if builtin is not None:
            return builtin
    known = sorted(set(suites.names()) | {p.stem for p in checkout_suites()})
    hint = f" (built-in suites: {', '.join(known)})" if known else ""
    raise InputError(f"no such suite file{hint}", source=str(name_or_path))


def checkout_suites() -> list[Path]:
    """Suite files in a source checkout's ``benchmarks/`` (not shipped in the wheel)."""
    return sorted(CHECKOUT_DIR.glob("*.yaml")) if CHECKOUT_DIR.is_dir() else []


def _checkout_suite(name: str) -> Path | None:
    found = CHECKOUT_DIR / f"{name}.yaml"
    return found if found.is_file() else None


def load_suite(name_or_path: str | Path, *, base_dir: Path | None = None, allow_code: bool = False) -> Suite:
    """Read, validate and expand a suite; InputError naming the key (and line) of any problem.

    ``base_dir`` overrides the folder relative paths are read from (used when
    reproducing from the copy of a suite kept in a results folder). A suite
    names built-in and installed policies only, unless ``allow_code`` lets it
    name ``module:Class`` or ``file.py:Class``: a data file runs no code the
    user did not ask for.
    """
    from workloads.schema import check_schema, read_data

    path = resolve_suite_path(name_or_path)
    source = str(path)
    raw = path.read_bytes()
    data = read_data(path)
    lines = _line_index(raw.decode("utf-8", "replace"), path.suffix.lower())
    try:
        check_schema(data, SCHEMA, source=source)
        return _expand(data, path, base_dir or path.parent, hashlib.sha256(raw).hexdigest(), allow_code)
    except InputError as err:
        raise _with_line(err, lines, source) from None


# -- expansion ------------------------------------------------------------------------


def _expand(data: dict, path: Path, base: Path, sha: str, allow_code: bool = False) -> Suite:
    source = str(path)
    seed = int(data.get("seed", 0))
    repeats = int(data.get("repeats", 1))
    inputs: dict[str, str] = {}
    workflows = _workflows(data["workflows"], base, source, inputs)
    platforms = _platforms(data.get("platforms") or [OWN], base, source, inputs)
    policies = _policies(data["policies"], source, allow_code)

    combos: list[tuple[str, str, str]] = []
    if data.get("runs"):
        groups = {}
        for w in workflows:
            groups.setdefault(w["entry"], []).append(w["label"])
        for i, run in enumerate(data["runs"]):
            item = f"runs[{i}]"
            wf_labels = groups.get(run["workflow"]) or ([run["workflow"]] if any(
                w["label"] == run["workflow"] for w in workflows) else None)
            if wf_labels is None:
                raise InputError(f"unknown workflow {run['workflow']!r} (known: {', '.join(groups)})",
                                 source=source, item=f"{item}.workflow")
            if run["platform"] not in platforms:
                raise InputError(f"unknown platform {run['platform']!r} (known: {', '.join(platforms)})",
                                 source=source, item=f"{item}.platform")
            if run["policy"] not in policies:
                raise InputError(f"unknown policy {run['policy']!r} (known: {', '.join(policies)})",
                                 source=source, item=f"{item}.policy")
            combos += [(w, run["platform"], run["policy"]) for w in wf_labels]
    else:
        combos = [(w["label"], p, q) for w in workflows for p in platforms for q in policies]
        entry_of = {w["label"]: w["entry"] for w in workflows}
        for i, rule in enumerate(data.get("exclude") or []):
            known = {"workflow": set(entry_of) | set(entry_of.values()), "platform": platforms, "policy": policies}
            for key, value in rule.items():
                if value not in known[key]:
                    raise InputError(f"unknown {key} {value!r} (known: {', '.join(sorted(known[key]))})",
                                     source=source, item=f"exclude[{i}].{key}")
            combos = [c for c in combos if not _excluded(rule, c, entry_of)]

    if len(combos) * repeats > MAX_RUNS:  # refuse before building a list that cannot fit
        raise InputError(f"the suite expands to {len(combos) * repeats} runs; at most {MAX_RUNS} are allowed",
                         source=source, item="repeats")
    by_label = {w["label"]: w for w in workflows}
    runs: list[RunSpec] = []
    seen: set[str] = set()
    for wf_label, plat_label, pol_label in combos:
        for r in range(repeats):
            key = f"{wf_label}|{plat_label}|{pol_label}|r{r}"
            if key in seen:
                raise InputError(f"run {key!r} is listed twice", source=source, item="runs")
            seen.add(key)
            w = by_label[wf_label]
            wf = {k: v for k, v in w.items() if k not in ("entry", "grid", "seeded")}
            if w.get("generator") and not w["seeded"]:
                wf["params"] = dict(wf["params"], seed=derive_seed(seed, f"workflow|{wf_label}|r{r}"))
            runs.append(RunSpec(
                index=len(runs), key=key, run_id=_run_id(key), workflow=wf,
                platform=platforms[plat_label], policy=policies[pol_label], repeat=r,
                seed=derive_seed(seed, key), grid=dict(w["grid"])))
    return Suite(name=data["name"], path=path.resolve(), sha256=sha, seed=seed, repeats=repeats,
                 runs=runs, data=data, inputs=inputs)


def _excluded(rule: dict, combo: tuple[str, str, str], entry_of: dict[str, str]) -> bool:
    wf, plat, pol = combo
    return (rule.get("workflow") in (None, wf, entry_of[wf]) and rule.get("platform") in (None, plat)
            and rule.get("policy") in (None, pol))


def _workflows(entries: list, base: Path, source: str, inputs: dict[str, str]) -> list[dict]:
    from workloads.generators import GENERATORS, generator
    from workloads.loaders import load_workflow

    out: list[dict] = []
    labels: set[str] = set()
    for i, entry in enumerate(entries):
        item = f"workflows[{i}]"
        if "file" in entry:
            file = _existing_file(base, entry["file"])
            if file is None:
                raise InputError(f"no such workflow file {entry['file']!r} (looked in {base})",
                                 source=source, item=f"{item}.file")
            try:
                load_workflow(file)  # a bad workflow is reported now, not in the middle of a sweep
            except InputError as err:
                raise InputError(str(err), source=source, item=f"{item}.file") from None
            inputs[str(file)] = file_sha256(file)
            entry_label = entry.get("name") or _slug(file.stem)
            points = [({}, entry_label)]
            spec = {"file": str(file), "sha256": inputs[str(file)]}
        else:
            name = entry["generator"]
            if name not in GENERATORS:
                raise InputError(f"unknown generator {name!r} (known: {', '.join(sorted(GENERATORS))})",
                                 source=source, item=f"{item}.generator")
            accepted = inspect.signature(generator(name)).parameters
            params = entry.get("params") or {}
            grid = entry.get("grid") or {}
            for where, keys in (("params", params), ("grid", grid)):
                for key in keys:
                    if key not in accepted:
                        raise InputError(f"{name} has no parameter {key!r} (accepted: {', '.join(accepted)})",
                                         source=source, item=f"{item}.{where}.{key}")
            both = sorted(set(params) & set(grid))
            if both:
                raise InputError("set in both params and grid", source=source, item=f"{item}.grid.{both[0]}")
            entry_label = entry.get("name") or name
            points = []
            points_in_grid = math.prod(len(v) if isinstance(v, list) else 1 for v in grid.values())
            if points_in_grid > MAX_RUNS:
                raise InputError(f"the grid has {points_in_grid} points; at most {MAX_RUNS} are allowed",
                                 source=source, item=f"{item}.grid")
            for values in itertools.product(*grid.values()):
                point = dict(zip(grid, values))
                suffix = ",".join(f"{k}={_value_text(v)}" for k, v in point.items())
                points.append((point, f"{entry_label}[{suffix}]" if suffix else entry_label))
            spec = {"generator": name, "params": params}
        for point, label in points:
            if label in labels:
                raise InputError(f"two workflows are both called {label!r}: give one a name",
                                 source=source, item=f"{item}.name")
            labels.add(label)
            wf = dict(spec, label=label, entry=entry_label, grid=point, seeded="seed" in (entry.get("params") or {}))
            if "generator" in spec:
                wf["params"] = dict(spec["params"], **point)
            out.append(wf)
    return out


def _platforms(entries: list, base: Path, source: str, inputs: dict[str, str]) -> dict[str, dict]:
    from devices.platform import load_platform

    out: dict[str, dict] = {}
    for i, entry in enumerate(entries):
        item = f"platforms[{i}]"
        if isinstance(entry, str):
            entry = {"name": _slug(Path(entry).stem), "own": True} if entry == OWN else (
                {"name": _slug(Path(entry).stem), "file": entry} if Path(entry).suffix else
                {"name": entry, "preset": entry})
        label = entry["name"]
        if label in out:
            raise InputError(f"two platforms are both called {label!r}: give one a name",
                             source=source, item=f"{item}.name")
        spec: dict[str, Any] = {"label": label}
        if entry.get("own"):
            spec["own"] = True
        else:
            target = entry.get("preset")
            key = "preset"
            if target is None:
                key, found = "file", _existing_file(base, entry["file"])
                if found is None:
                    raise InputError(f"no such platform file {entry['file']!r} (looked in {base})",
                                     source=source, item=f"{item}.file")
                target = str(found)
            try:
                platform = load_platform(target)
            except InputError as err:
                raise InputError(str(err), source=source, item=f"{item}.{key}") from None
            except (OSError, ValueError):  # a name no file system accepts (a NUL byte)
                raise InputError(f"no such platform file or preset {target!r}", source=source,
                                 item=f"{item}.{key}") from None
            spec[key] = target
            if platform.source:
                spec["sha256"] = inputs.setdefault(platform.source, file_sha256(platform.source))
        if entry.get("site"):
            spec["site"] = {k: v for k, v in entry["site"].items() if k != "source"}
        out[label] = spec
    return out


def _policies(entries: list, source: str, allow_code: bool = False) -> dict[str, dict]:
    from scheduler.policies import BUILTIN, make_policy, plugins

    out: dict[str, dict] = {}
    for i, entry in enumerate(entries):
        item = f"policies[{i}]"
        if isinstance(entry, str):
            entry = {"policy": entry}
        name = entry["policy"]
        label = entry.get("name") or _slug(name.rsplit(":", 1)[-1])
        if label in out:
            raise InputError(f"two policies are both called {label!r}: give one a name",
                             source=source, item=f"{item}.name")
        if (not allow_code and name not in BUILTIN and ":" in name and name not in plugins()
                and not name.startswith("rl:")):  # rl:PATH names a weights file, which runs no code
            raise InputError(f"names code to run ({name}); a suite runs only built-in and installed "
                             f"policies unless you pass --allow-code", source=source, item=f"{item}.policy")
        options = entry.get("options") or {}
        bad = [k for k in options if not (isinstance(k, str) and k.isidentifier())]
        if bad:
            raise InputError(f"option names must be names, got {bad[0]!r}", source=source, item=f"{item}.options")
        try:
            if "cut_width" in options:  # a workflow transformation's option, not the policy's (workloads/cutting.py)
                from workloads.cutting import check_width

                check_width(options["cut_width"])
            # unknown names and options fail here, before any run
            make_policy(name, **{k: v for k, v in options.items() if k != "cut_width"})
        except InputError as err:
            raise InputError(err.message, source=source,
                             item=f"{item}.{'options' if options and 'option' in err.message else 'policy'}"
                             ) from None
        out[label] = {"label": label, "policy": name, "options": options}
    return out


def _existing_file(base: Path, name: str) -> Path | None:
    """``base / name`` resolved, when it is a file; None otherwise (also for impossible names)."""
    try:
        path = (base / name).resolve()
        return path if path.is_file() else None
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        return None


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-") or "x"


def _run_id(key: str) -> str:
    """A file-name-safe, unique and readable name for a run's folder."""
    short = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{_slug(key.replace('|', '__'))[:80]}-{short}"


# -- locating errors ------------------------------------------------------------------


def _line_index(raw: str, suffix: str) -> dict[tuple, int]:
    """Key path -> 1-based line of a YAML suite ({} when it cannot be composed)."""
    if suffix == ".json":
        return {}
    import yaml

    try:
        root = yaml.compose(raw, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    index: dict[tuple, int] = {}

    def walk(node: Any, path: tuple) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                index[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
                index[path + (key.value,)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for k, value in enumerate(node.value):
                walk(value, path + (k,))

    if root is not None:
        walk(root, ())
    return index


def _with_line(err: InputError, lines: dict[tuple, int], source: str) -> InputError:
    """``err`` with the suite file as source and its item's line appended."""
    item = err.item
    if item and err.source in (None, source):
        path: list[Any] = []
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", item):
            path.append(int(part[1:-1]) if part.startswith("[") else part)
        while path and tuple(path) not in lines:
            path.pop()
        if path:
            item = f"{item} (line {lines[tuple(path)]})"
    return InputError(err.message, source=err.source or source, item=item)
