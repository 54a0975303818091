"""Reading data files: YAML or JSON in, clear errors out.

YAML is read with a safe loader (no object construction, so nothing in a
data file executes code) that also refuses duplicate keys, which plain YAML
and JSON parsers silently resolve to the last value.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from workloads.errors import InputError


def read_data(path: str | Path) -> Any:
    """Parse a ``.json``, ``.yaml`` or ``.yml`` file; raise InputError on any problem."""
    from workloads.memory import check_file

    path = Path(path)
    source = str(path)
    check_file(path)  # refuse a file too big to parse in memory, before trying
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", source=source) from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read: {err}", source=source) from None
    if path.suffix.lower() == ".json":
        return parse_json(raw, source)
    return parse_yaml(raw, source)


def parse_json(raw: str, source: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"duplicate key {key!r}", source=source)
            out[key] = value
        return out

    def no_constant(name: str) -> Any:
        raise InputError(f"{name} is not valid JSON", source=source)

    try:
        return json.loads(raw, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except json.JSONDecodeError as err:
        raise InputError(f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}",
                         source=source) from None
    except RecursionError:
        raise InputError("nested too deeply", source=source) from None


def parse_yaml(raw: str, source: str) -> Any:
    import yaml

    try:
        return yaml.load(raw, Loader=_strict_loader())
    except InputError as err:
        raise err.located(source) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"malformed YAML{where}: {err.problem}", source=source) from None
    except yaml.YAMLError as err:
        raise InputError(f"malformed YAML: {err}", source=source) from None
    except RecursionError:
        raise InputError("nested too deeply", source=source) from None


@lru_cache(maxsize=1)
def _strict_loader() -> type:
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise InputError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    # YAML 1.1 (PyYAML) reads 1e9 and 2.5e11 as strings; YAML 1.2 and JSON read
    # them as numbers, and so does every user who writes a wattage or a FLOP rate.
    StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X),
        list("-+0123456789."))
    return StrictLoader


@lru_cache(maxsize=None)
def _validator(schema_path: Path):
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def check_schema(data: Any, schema_path: Path, *, source: str | None = None) -> None:
    """Validate ``data`` against a JSON Schema file; raise the most relevant error."""
    import jsonschema

    errors = list(_validator(schema_path).iter_errors(data))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path).lstrip(".")
    raise InputError(err.message, source=source, item=where or "top level")
