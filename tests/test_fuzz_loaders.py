"""Fuzzing every loader: any input loads, or gives an InputError; never another
exception, a hang, or a silently wrong value.

Inputs come from three places: mutations of a valid file of each format (a
value replaced by a random JSON/YAML value: NaN, infinities, negative and
huge numbers, unicode, empty containers; a key dropped or added), raw text
and bytes, and a fixed list of known-nasty documents (deep nesting,
duplicate keys, YAML alias bombs, special files, huge counts). What loads is
checked for values no simulation should see (non-finite or negative
numbers, empty ids), and small loaded workflows are simulated.

Examples per test: ``HYBRIDSCHED_FUZZ_EXAMPLES`` (default 40, so the file
runs in CI in seconds); derandomized, so CI runs the same inputs each time.
A deeper hunt: ``HYBRIDSCHED_FUZZ_SEARCH=1 HYBRIDSCHED_FUZZ_EXAMPLES=2000``.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.platform import Platform, load_platform
from scheduler.api import simulate, write_result
from tests.conftest import TOPCUOGLU
from workloads.errors import InputError
from workloads.loaders import load_workflow
from workloads.workflow import Workflow

EXAMPLES = int(os.environ.get("HYBRIDSCHED_FUZZ_EXAMPLES", "40"))
#: Set HYBRIDSCHED_FUZZ_SEARCH=1 to draw new inputs each run instead of CI's fixed ones.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("HYBRIDSCHED_FUZZ_SEARCH"),
                database=None,
                suppress_health_check=list(HealthCheck))

# -- valid seeds of each format ------------------------------------------------------------

COST_MATRIX = json.loads(TOPCUOGLU.read_text())

PLATFORM = {
    "name": "fuzz",
    "site": {"pue": 1.2, "carbon_g_per_kwh": 300},
    "devices": [
        {"name": "cpu", "kind": "cpu", "cores": 4, "flops_per_core": 1e10, "mem_bandwidth": 1e10,
         "memory_bytes": 1e10, "idle_w": 10, "busy_w": 100, "usd_per_hour": 1, "billing": "per-use",
         "failures": {"mtbf_s": 100, "mttr_s": 5, "distribution": "weibull", "shape": 0.8}},
        {"name": "gpu", "kind": "gpu", "count": 2, "peak_flops": 1e12, "mem_bandwidth": 1e11,
         "idle_w": 20, "busy_w": 300, "downtime": [{"start": 5, "end": 10}, {"every_s": 50, "duration_s": 5}]},
        {"name": "table", "idle_w": 1, "busy_w": 2},
    ],
    "links": {"default": {"latency": 1e-5, "bandwidth": 1e9},
              "between": [{"devices": ["cpu", "gpu0"], "latency": 1e-6, "bandwidth": 1e10}]},
}

NATIVE = {
    "format": "hybridsched-workflow/1",
    "name": "fuzz",
    "platform": PLATFORM,
    "tasks": [
        {"id": "a", "flops": 1e10, "mem_bytes": 1e8, "cores": 2, "times": {"table": 1.5}},
        {"id": "b", "accelerator": "gpu", "flops": 1e11, "memory_bytes": 1e6},
        {"id": "c", "times": {"cpu": 2, "table": 3, "gpu": 1}, "meta": {"stage": "end"}},
    ],
    "edges": [{"from": "a", "to": "b", "data_bytes": 1e6}, {"from": "a", "to": "c", "cost": 0.5},
              {"from": "b", "to": "c"}],
}

WFFORMAT = {
    "name": "tiny", "schemaVersion": "1.5",
    "workflow": {
        "specification": {
            "tasks": [
                {"name": "p", "id": "p1", "parents": [], "children": ["d1"], "inputFiles": ["in"],
                 "outputFiles": ["x"]},
                {"name": "d", "id": "d1", "parents": ["p1"], "children": [], "inputFiles": ["x"],
                 "outputFiles": ["y"]},
            ],
            "files": [{"id": "in", "sizeInBytes": 10}, {"id": "x", "sizeInBytes": 1000},
                      {"id": "y", "sizeInBytes": 5}],
        },
        "execution": {
            "tasks": [{"id": "p1", "runtimeInSeconds": 10.0, "coreCount": 2, "machines": ["n1"]},
                      {"id": "d1", "runtimeInSeconds": 5.0, "memoryInBytes": 1e9}],
            "machines": [{"nodeName": "n1", "cpu": {"coreCount": 8, "speedInMHz": 2400}}],
        },
    },
}

WFFORMAT_13 = {
    "name": "old", "schemaVersion": "1.3",
    "workflow": {
        "machines": [{"nodeName": "m", "cpu": {"count": 4, "speed": 2000}}],
        "tasks": [
            {"name": "a", "runtime": 4.0, "parents": [], "machine": "m",
             "files": [{"link": "output", "name": "x", "size": 500}]},
            {"name": "b", "runtime": 6.0, "cores": 2, "parents": ["a"],
             "files": [{"link": "input", "name": "x", "size": 500}]},
        ],
    },
}

SUITE = {
    "format": "hybridsched-suite/1",
    "name": "fuzz-suite",
    "seed": 7,
    "repeats": 2,
    "workflows": [
        {"generator": "fork-join", "params": {"stages": 2, "flops": 1e10}, "grid": {"width": [2, 4]}},
        {"file": "wf.json", "name": "own"},
    ],
    "platforms": ["edge-box", {"name": "mine", "file": "platform.json"}],
    "policies": ["heft", "greedy-eft"],
}

QASM = """OPENQASM 2.0;
include "qelib1.inc";
// shots: 100
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
rz(pi/4) q[2];
measure q -> c;
"""

# -- random values and mutations ----------------------------------------------------------------

NASTY_NUMBERS = st.sampled_from([0, -0.0, -1, -1e-300, 1e-320, 1e308, -1e308, 2**63, 2**64 + 1, 10**30,
                                 float("nan"), float("inf"), float("-inf"), 0.5, 1, 3, True, False])
LEAVES = st.one_of(
    st.none(), st.booleans(), NASTY_NUMBERS,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", " ", "\u0000", "\ud7ff", "é", "名前", "🙂", "a" * 300, "cpu", "gpu", "qpu",
                     "exponential", "weibull", "per-use", "../x", "/dev/zero", "a", "b", "c"]),
)
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``doc`` (the root included)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw, seed: dict, rounds: int = 3) -> Any:
    """``seed`` with a few random edits: values replaced, keys dropped or added, items duplicated."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, rounds))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add", "duplicate"]))
        if not path:
            if action == "replace":
                doc = draw(VALUES)
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "drop":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(VALUES)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return doc


def serialise(doc: Any, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(doc, allow_nan=True)  # NaN and Infinity tokens too: they must be refused
    return yaml.safe_dump(doc, allow_unicode=True)


# -- what a loaded value must satisfy ---------------------------------------------------------


def _finite_non_negative(value: Any, what: str) -> None:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{what}: {value!r}"
    assert math.isfinite(value) and value >= 0, f"{what}: {value!r}"


def check_platform(platform: Platform) -> None:
    assert platform.devices
    assert math.isfinite(platform.pue) and platform.pue >= 1
    _finite_non_negative(platform.carbon_g_per_kwh, "carbon")
    names = [d.name for d in platform.devices]
    assert len(set(names)) == len(names) and all(isinstance(n, str) and n.strip() for n in names)
    for d in platform.devices:
        assert isinstance(d.slots, int) and d.slots >= 1
        for field in ("idle_w", "busy_w", "usd_per_hour"):
            _finite_non_negative(getattr(d, field), f"{d.name}.{field}")
        assert d.memory_bytes >= 0 and not math.isnan(d.memory_bytes)
        if d.failures is not None:
            _finite_non_negative(d.failures.mtbf_s, "mtbf")
            _finite_non_negative(d.failures.mttr_s, "mttr")
            assert d.failures.mtbf_s > 0 and 0 < d.failures.shape < math.inf
        for w in d.downtime:
            assert 0 <= w.start < w.end < math.inf
    for link in list(platform.links.values()) + [platform.default_link]:
        _finite_non_negative(link.latency, "latency")
        assert link.bandwidth > 0 and not math.isnan(link.bandwidth)


def check_workflow(workflow: Workflow) -> None:
    assert isinstance(workflow.name, str)
    for task in workflow.tasks:
        assert isinstance(task.id, str) and task.id, repr(task.id)
        assert isinstance(task.cores, int) and task.cores >= 1
        for key, seconds in task.times.items():
            _finite_non_negative(seconds, f"{task.id}.times[{key}]")
        for field in ("flops", "mem_bytes", "memory_bytes"):
            _finite_non_negative(getattr(task, field), f"{task.id}.{field}")
        assert isinstance(task.shots, int) and task.shots >= 0
    for u, v, attrs in workflow.graph.edges(data=True):
        _finite_non_negative(attrs["data_bytes"], f"{u}->{v} data_bytes")
        if attrs.get("cost") is not None:
            _finite_non_negative(attrs["cost"], f"{u}->{v} cost")
    if workflow.platform is not None:
        check_platform(workflow.platform)


def check_runs(workflow: Workflow) -> None:
    """Small loaded workflows with a platform also simulate, or give an InputError."""
    if workflow.platform is None or len(workflow.tasks) > 50:
        return
    for policy in ("heft", "greedy-eft"):
        try:
            result = simulate(workflow, workflow.platform, policy)
        except InputError:
            return
        m = result.metrics
        for value in (m.makespan, m.energy_j, m.cost_usd, m.carbon_g):
            assert math.isfinite(value) and value >= 0, (policy, m)
        with tempfile.TemporaryDirectory(prefix="hybridsched-fuzz-out-") as out:
            for path in write_result(result, out):  # ids of any kind survive the trip to disk
                path.read_text(encoding="utf-8")


def attempt(load: Callable[[Path], Any], text: str | bytes, suffix: str) -> Any:
    """Write ``text`` to a file and load it: the result, or None for an InputError.
    Anything else (another exception, a hang past 20 s) fails the test."""
    with tempfile.TemporaryDirectory(prefix="hybridsched-fuzz-") as tmp:
        path = Path(tmp) / f"input{suffix}"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        (Path(tmp) / "wf.json").write_text(json.dumps(NATIVE))
        (Path(tmp) / "platform.json").write_text(json.dumps(PLATFORM))
        started = time.perf_counter()
        try:
            loaded = load(path)
        except InputError as err:
            assert str(err).strip() and "\n" not in str(err).strip(), repr(str(err))
            loaded = None
        assert time.perf_counter() - started < 20, "a loader took more than 20 s"
        return loaded


def load_checked_workflow(path: Path) -> Workflow:
    workflow = load_workflow(path)
    check_workflow(workflow)
    check_runs(workflow)
    return workflow


def load_checked_platform(path: Path) -> Platform:
    platform = load_platform(path)
    check_platform(platform)
    return platform


def load_suite_file(path: Path) -> Any:
    from scheduler.experiments.suite import load_suite

    suite = load_suite(path)
    assert suite.runs and all(isinstance(r.seed, int) for r in suite.runs)
    return suite


SUFFIXES = st.sampled_from([".json", ".yaml"])


# -- mutations of valid files -------------------------------------------------------------------


def test_the_seeds_are_valid():
    for seed, suffix, load in [(COST_MATRIX, ".json", load_checked_workflow),
                               (NATIVE, ".yaml", load_checked_workflow),
                               (WFFORMAT, ".json", load_checked_workflow),
                               (WFFORMAT_13, ".json", load_checked_workflow),
                               (PLATFORM, ".yaml", load_checked_platform),
                               (SUITE, ".yaml", load_suite_file)]:
        assert attempt(load, serialise(seed, suffix), suffix) is not None
    assert attempt(load_checked_workflow, QASM, ".qasm") is not None


@FUZZ
@given(doc=mutated(COST_MATRIX), suffix=SUFFIXES)
def test_fuzz_cost_matrix(doc, suffix):
    attempt(load_checked_workflow, serialise(doc, suffix), suffix)


@FUZZ
@given(doc=mutated(NATIVE, rounds=4), suffix=SUFFIXES)
def test_fuzz_native_workflow(doc, suffix):
    attempt(load_checked_workflow, serialise(doc, suffix), suffix)


@FUZZ
@given(doc=mutated(PLATFORM, rounds=4), suffix=SUFFIXES)
def test_fuzz_platform(doc, suffix):
    attempt(load_checked_platform, serialise(doc, suffix), suffix)


@FUZZ
@given(doc=st.one_of(mutated(WFFORMAT, rounds=4), mutated(WFFORMAT_13, rounds=4)), suffix=SUFFIXES)
def test_fuzz_wfformat(doc, suffix):
    attempt(load_checked_workflow, serialise(doc, suffix), suffix)


@FUZZ
@given(doc=mutated(SUITE, rounds=3), suffix=SUFFIXES)
def test_fuzz_suite(doc, suffix):
    attempt(load_suite_file, serialise(doc, suffix), suffix)


@st.composite
def qasm_texts(draw) -> str:
    text = QASM
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace-line"]))
        if action == "insert":
            text = text[:at] + draw(st.one_of(st.text(max_size=6), st.sampled_from(
                ["(", ")", ";", "[", "]", "q[99999]", "-1", "1e400", "nan", "pi/0", "\u0000", "🙂", "OPENQASM 3.0;",
                 "gate g a { g a; }\ng q[0];", "include \"nope.inc\";", "qreg r[0];", "U(0,0,0) q;"]))) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 10)):]
        else:
            lines = text.splitlines()
            lines[draw(st.integers(0, len(lines) - 1))] = draw(st.text(max_size=20))
            text = "\n".join(lines)
    return text


@FUZZ
@given(text=qasm_texts())
def test_fuzz_qasm(text):
    attempt(load_checked_workflow, text, ".qasm")


# -- raw text and bytes -------------------------------------------------------------------------


@FUZZ
@given(raw=st.one_of(st.text(max_size=200), st.binary(max_size=200)),
       suffix=st.sampled_from([".json", ".yaml", ".yml", ".qasm"]))
def test_fuzz_raw_text_as_workflow(raw, suffix):
    attempt(load_checked_workflow, raw, suffix)


@FUZZ
@given(raw=st.one_of(st.text(max_size=200), st.binary(max_size=200)), suffix=SUFFIXES)
def test_fuzz_raw_text_as_platform_and_suite(raw, suffix):
    attempt(load_checked_platform, raw, suffix)
    attempt(load_suite_file, raw, suffix)


# -- the known-nasty list (docs/reliability.md lists each with what it gets) ---------------------------


def _with(doc: dict, path: tuple, value: Any) -> dict:
    doc = copy.deepcopy(doc)
    _get(doc, path[:-1])[path[-1]] = value
    return doc


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi")) + "tasks: [{id: t, meta: {bomb: *i}}]\n"

NASTY: list[tuple[str, str | bytes, str, str]] = [
    # (what, content, suffix, loader: workflow|platform|suite)
    ("empty file", "", ".json", "workflow"),
    ("empty YAML document", "", ".yaml", "workflow"),
    ("null document", "null", ".json", "workflow"),
    ("a bare list", "[]", ".json", "workflow"),
    ("empty workflow (no tasks)", json.dumps({"tasks": [], "platform": "edge-box"}), ".json", "workflow"),
    ("NaN token in JSON", TOPCUOGLU.read_text().replace("14", "NaN", 1), ".json", "workflow"),
    ("Infinity token in JSON", TOPCUOGLU.read_text().replace("14", "Infinity", 1), ".json", "workflow"),
    ("1e400 (overflows to inf)", TOPCUOGLU.read_text().replace("14", "1e400", 1), ".json", "workflow"),
    (".nan in YAML", serialise(_with(NATIVE, ("tasks", 0, "flops"), 1.0), ".yaml").replace(
        "flops: 1.0", "flops: .nan"), ".yaml", "workflow"),
    ("negative time", json.dumps(_with(COST_MATRIX, ("cost", "n1", 0), -3)), ".json", "workflow"),
    ("huge time (1e308)", json.dumps(_with(COST_MATRIX, ("cost", "n1", 0), 1e308)), ".json", "workflow"),
    ("huge time on powered devices (energy overflows)",
     json.dumps(_with(NATIVE, ("tasks", 2, "times"), {"cpu": 1e308, "table": 1e308, "gpu": 1e308})), ".json",
     "workflow"),
    ("integer with 5,000 digits", TOPCUOGLU.read_text().replace("14", "9" * 5000, 1), ".json", "workflow"),
    ("integer with 5,000 digits in YAML", serialise(NATIVE, ".yaml").replace("cores: 2", "cores: " + "9" * 5000),
     ".yaml", "workflow"),
    ("2**64 cores", json.dumps(_with(NATIVE, ("tasks", 0, "cores"), 2**64)), ".json", "workflow"),
    ("unicode ids", json.dumps(_with(_with(NATIVE, ("tasks", 2, "id"), "名前🙂"), ("edges", 1, "to"), "名前🙂")
                               | {"edges": []}), ".json", "workflow"),
    ("lone surrogate in an id", json.dumps(_with(NATIVE, ("tasks", 0, "id"), "\ud800")), ".json", "workflow"),
    ("NUL and a newline in ids", json.dumps(NATIVE).replace('"c"', '"c\\u0000"').replace('"b"', '"b\\n"'), ".json",
     "workflow"),
    ("duplicate key in JSON", '{"tasks": [], "tasks": []}', ".json", "workflow"),
    ("duplicate key in YAML", "tasks: []\ntasks: []\n", ".yaml", "workflow"),
    ("duplicate task id", json.dumps(_with(NATIVE, ("tasks", 1, "id"), "a")), ".json", "workflow"),
    ("cycle", json.dumps(_with(NATIVE, ("edges", 2), {"from": "c", "to": "a"})), ".json", "workflow"),
    ("nesting 100,000 deep (JSON)", "[" * 100_000 + "]" * 100_000, ".json", "workflow"),
    ("nesting 100,000 deep (YAML)", "[" * 100_000 + "]" * 100_000, ".yaml", "workflow"),
    ("nesting 900 deep in meta", json.dumps(NATIVE).replace('{"stage": "end"}', '{"a": ' * 900 + "1" + "}" * 900),
     ".json", "workflow"),
    ("a list 900 deep where an object belongs", json.dumps(NATIVE).replace('{"stage": "end"}',
                                                                         "[" * 900 + "]" * 900), ".json", "workflow"),
    ("YAML alias bomb (10^9 leaves)", BOMB, ".yaml", "workflow"),
    ("YAML recursive alias", "tasks: &t [{id: a, meta: {self: *t}}]\n", ".yaml", "workflow"),
    ("YAML unhashable key", "tasks: [{id: a, times: {[1, 2]: 3}}]\n", ".yaml", "workflow"),
    ("YAML python object tag", "!!python/object/apply:os.system ['echo hacked']\n", ".yaml", "workflow"),
    ("YAML binary and set tags", "tasks: [{id: !!binary aGk=}]\n", ".yaml", "workflow"),
    ("YAML timestamp id", "tasks: [{id: 2001-12-14}]\n", ".yaml", "workflow"),
    ("platform path naming /dev/zero", json.dumps(NATIVE | {"platform": "/dev/zero"}), ".json", "workflow"),
    ("platform path naming a directory", json.dumps(NATIVE | {"platform": "/tmp"}), ".json", "workflow"),
    ("qasm path naming /dev/zero", json.dumps(_with(NATIVE, ("tasks", 0, "qasm"), "/dev/zero")), ".json",
     "workflow"),
    ("binary garbage", bytes(range(256)) * 4, ".json", "workflow"),
    ("UTF-16 file", QASM.encode("utf-16"), ".qasm", "workflow"),
    ("QASM with 10^8 qubits", QASM.replace("qreg q[3]", "qreg q[100000000]"), ".qasm", "workflow"),
    ("QASM nesting 100,000 parentheses", QASM.replace("pi/4", "(" * 100_000 + "1" + ")" * 100_000), ".qasm",
     "workflow"),
    ("QASM recursive gate", QASM.replace("h q[0];", "gate g a { g a; }\ng q[0];"), ".qasm", "workflow"),
    ("QASM include of /dev/zero", QASM.replace('"qelib1.inc"', '"/dev/zero"'), ".qasm", "workflow"),
    ("device count 10^9", json.dumps(_with(PLATFORM, ("devices", 1, "count"), 10**9)), ".json", "platform"),
    ("PUE below 1", json.dumps(_with(PLATFORM, ("site", "pue"), 0.5)), ".json", "platform"),
    ("zero bandwidth", json.dumps(_with(PLATFORM, ("links", "default", "bandwidth"), 0)), ".json", "platform"),
    ("link to an unknown device", json.dumps(_with(PLATFORM, ("links", "between", 0, "devices"), ["cpu", "x"])),
     ".json", "platform"),
    ("MTBF of 0", json.dumps(_with(PLATFORM, ("devices", 0, "failures", "mtbf_s"), 0)), ".json", "platform"),
    ("downtime always on", json.dumps(_with(PLATFORM, ("devices", 1, "downtime", 1, "duration_s"), 50)),
     ".json", "platform"),
    ("suite of 10^12 runs", serialise(_with(SUITE, ("repeats",), 10**12), ".yaml"), ".yaml", "suite"),
    ("suite grid of 10^10 points", serialise(_with(SUITE, ("workflows", 0, "grid"),
                                                   {k: list(range(1, 101)) for k in
                                                    ("width", "cores", "mem_bytes", "data_bytes", "cv")}),
                                             ".yaml"), ".yaml", "suite"),
]

LOADERS = {"workflow": load_checked_workflow, "platform": load_checked_platform, "suite": load_suite_file}


@pytest.mark.parametrize("what, content, suffix, kind", NASTY, ids=[n[0] for n in NASTY])
def test_known_nasty_input(what, content, suffix, kind, capsys):
    try:
        loaded = attempt(LOADERS[kind], content, suffix)
        got = "loads" if loaded is not None else "InputError"
    except InputError as err:  # pragma: no cover - attempt() returns None for these
        got = f"InputError: {err}"
    with capsys.disabled():
        if os.environ.get("HYBRIDSCHED_FUZZ_REPORT"):
            print(f"\n  {what} -> {got}")
