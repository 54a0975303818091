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
    path = Path(path)
    raw = read_text(path)
    if path.suffix.lower() == ".json":
        data = parse_json(raw, str(path))
    else:
        data = parse_yaml(raw, str(path))
    if "\\u" in raw or "\\U" in raw:  # escapes can spell unpaired surrogates, which no file can hold
        check_unicode(data, str(path))
    return data


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a regular file; InputError for anything else (a directory,
    a device such as /dev/zero, a pipe, a file too big to parse in memory, bad UTF-8)."""
    import os
    import stat

    from workloads.memory import check_file

    path = Path(path)
    source = str(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise InputError(f"cannot read: {err}", source=source) from None
    if stat.S_ISDIR(mode):
        raise InputError("is a directory, expected a file", source=source)
    if not stat.S_ISREG(mode):
        raise InputError("is not a regular file (a device, pipe or socket)", source=source)
    check_file(path)  # refuse a file too big to parse in memory, before trying
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start}: {err.reason})", source=source) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", source=source) from None


def check_unicode(data: Any, source: str) -> None:
    """Refuse strings (keys too) that are not valid Unicode: unpaired surrogates, which
    JSON's and YAML's escapes can spell but no UTF-8 file, CSV or JSON report can hold."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                shown = value.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                raise InputError(f"text {shown!r} holds an unpaired surrogate: not valid Unicode",
                                 source=source) from None
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


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
    except ValueError as err:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"malformed JSON: {err}", source=source) from None


def parse_yaml(raw: str, source: str) -> Any:
    import yaml

    fast = _fast_loader()
    # PyYAML's reader refuses characters that libyaml may let through: those go the slow way.
    if fast is not None and not yaml.reader.Reader.NON_PRINTABLE.search(raw):
        # libyaml (C) parses about 10x faster; it is trusted only with documents it
        # reads without any complaint. Anything else is read again below, so every
        # error is worded by the pure-Python parser as before.
        try:
            return yaml.load(raw, Loader=fast)
        except Exception:  # noqa: BLE001 - the reference parser below decides
            pass
    try:
        return yaml.load(raw, Loader=_strict_loader())
    except InputError as err:
        raise err.located(source) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"malformed YAML{where}: {err.problem}", source=source) from None
    except yaml.YAMLError as err:
        raise InputError(f"malformed YAML: {' '.join(str(err).split())}", source=source) from None
    except RecursionError:
        raise InputError("nested too deeply", source=source) from None
    except (ValueError, OverflowError) as err:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"malformed YAML: {err}", source=source) from None


#: Nodes a YAML document may expand to through aliases, beyond ten times its own nodes.
YAML_EXPANSION_LIMIT = 1_000_000


@lru_cache(maxsize=1)
def _fast_loader() -> type | None:
    """:func:`_strict_loader`'s rules on libyaml's parser, or None without libyaml."""
    import yaml

    base = getattr(yaml, "CSafeLoader", None)
    return None if base is None else _strict_loader(base)


@lru_cache(maxsize=2)
def _strict_loader(base: type | None = None) -> type:
    import yaml

    class StrictLoader(base or yaml.SafeLoader):
        def construct_document(self, node):
            _check_expansion(node)
            return super().construct_document(node)

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    if key in seen:
                        raise InputError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeLoader reports it below
                    pass
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


def _check_expansion(root: Any) -> None:
    # Aliases let a small YAML file stand for a huge tree ("billion laughs") or a
    # cycle; whatever walks the tree later (validation, reports) would hang on it.
    import yaml

    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            size[key] = 1
            continue
        children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        if children_done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise InputError(f"a YAML alias refers to a node that contains it (line {node.start_mark.line + 1}): "
                             f"recursive data is not allowed")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    expanded = size[id(root)]
    if expanded > max(YAML_EXPANSION_LIMIT, 10 * len(size)):
        raise InputError(f"YAML aliases expand {len(size)} nodes to {expanded}: refused, as an alias bomb")


@lru_cache(maxsize=None)
def _validator(schema_path: Path):
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _plain(key: Any) -> bool:
    # A key shown as is in an error's item; others (empty, spaces, newlines) are quoted.
    return isinstance(key, str) and key.isprintable() and bool(key) and not any(c.isspace() for c in key)


@lru_cache(maxsize=None)
def _compiled(schema_path: Path):
    import fastjsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    # use_default=False: a check must never fill defaults into the user's data.
    return fastjsonschema.compile(schema, use_default=False)


def check_schema(data: Any, schema_path: Path, *, source: str | None = None) -> None:
    """Validate ``data`` against a JSON Schema file; raise the most relevant error.

    A compiled validator (fastjsonschema) passes valid documents about 20x
    faster than jsonschema, which matters for workflows of 100k tasks; a
    document it rejects goes to jsonschema, the reference, which decides and
    picks the error to report.
    """
    import fastjsonschema
    import jsonschema

    try:
        _compiled(schema_path)(data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    except RecursionError:  # the reference below says what is wrong with deep nesting
        pass
    errors = list(_validator(schema_path).iter_errors(data))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if _plain(p) else f"[{p!r}]"
                    for p in err.absolute_path).lstrip(".")
    message = " ".join(err.message.split())
    if len(message) > 240:  # the message quotes the bad value, which may be huge
        message = f"{message[:120]} ... {message[-100:]}"
    raise InputError(message, source=source, item=where or "top level")


def parse_assignments(pairs: list[str], flag: str) -> dict[str, Any]:
    """``["key=value", ...]`` from the command line (``--option``, ``--param``) as a dict.

    A value is read as a YAML 1.2 scalar or flow collection (``4e10``, ``0.5``,
    ``true``, ``[1, 2]``); anything that does not parse is the text itself.
    """
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise InputError(f"expected KEY=VALUE with KEY a name, got {pair!r}", item=flag)
        try:
            values[key] = parse_yaml(value, flag) if value.strip() else ""
        except InputError:
            values[key] = value
    return values
