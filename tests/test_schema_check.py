"""The compiled schema check agrees with jsonschema, the reference, on what is valid."""

from __future__ import annotations

import json

import fastjsonschema
import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.platform import SCHEMA as PLATFORM_SCHEMA
from workloads.loaders import SCHEMA as WORKFLOW_SCHEMA
from workloads.schema import _compiled

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False),
                    st.sampled_from(["", "a", "cpu", "gpu", "reserved", "per-use", "quantum", "hybridsched-workflow/1"]))
KEYS = st.sampled_from(["id", "kind", "cores", "flops", "times", "tasks", "edges", "from", "to", "cost",
                        "data_bytes", "devices", "name", "busy_w", "idle_w", "billing", "links", "default",
                        "latency", "bandwidth", "site", "pue", "count", "memory_bytes", "shots", "x"])
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
                    max_leaves=12)


def agree(schema_path, doc) -> None:
    reference = jsonschema.Draft202012Validator(json.loads(schema_path.read_text())).is_valid(doc)
    try:
        _compiled(schema_path)(doc)
        compiled = True
    except fastjsonschema.JsonSchemaException:
        compiled = False
    # The compiled check may only be stricter: what it passes, the reference passes.
    assert not compiled or reference, doc


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["tasks", "edges", "name", "format", "platform"]), DOCS, max_size=3))
def test_compiled_workflow_check_never_passes_what_jsonschema_refuses(doc):
    agree(WORKFLOW_SCHEMA, doc)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["devices", "links", "site", "name"]), DOCS, max_size=3))
def test_compiled_platform_check_never_passes_what_jsonschema_refuses(doc):
    agree(PLATFORM_SCHEMA, doc)
