"""What each path, query and header parameter takes at run time: the index's ``types``, read from its spec schema.

The generated ``_get_kwargs`` puts whatever it is given into the URL, the query or a header (``str()`` of a dict,
``True`` for an integer), and its annotations are only seen by type checkers. So the index records, per parameter,
the JSON type its schema declares, the spec's own name and location (for messages), and any bounds; the façade's
``_params`` checks each given value against it before anything is sent. One record per parameter of every
operation, derived from the schema's shape (``type``, ``format``, ``items``, ``minimum``/``maximum``), never from a
list of names.

An enum's record (``type: enum``) only names it: the façade's enum conversion (``index.Entry.enums``) checks its
value. A parameter gets no record (it is left as the generator takes it) when its schema has no single JSON type (a
union, no ``type``), or when the generated annotation does not take what the schema says (the record would refuse
what the generated function accepts).
"""

from __future__ import annotations

import ast
from typing import Any

from .normalize._walk import resolve, schema_type
from .pagination import parameters, python_name
from .signatures import Param, union_members

LOCATIONS = ("path", "query", "header")
# A string format the generated function takes as a Python type of its own (it calls .isoformat() or str() on it).
_FORMATS = {"date-time": "date-time", "date": "date", "uuid": "uuid"}
# What the generated annotation names for each recorded type: a record must agree with the function it guards.
_ANNOTATION = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "date-time": "datetime.datetime",
    "date": "datetime.date",
    "uuid": "UUID",
}
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def value_type(spec: dict[str, Any], schema: Any) -> str | None:
    """The recorded type of a parameter schema: ``string``, ``integer``, ``number``, ``boolean``, a string format
    the generator types itself (``date-time``, ``date``, ``uuid``), ``array``, ``enum``; None for anything else."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("enum"), list):
        return "enum"
    kind = schema_type(schema)
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "binary":
            return None
        return _FORMATS.get(str(fmt), "string")
    if kind in ("integer", "number", "boolean", "array"):
        return str(kind)
    return None


def _annotation_names(param: Param) -> set[str]:
    return {ast.unparse(m) for m in union_members(param.annotation)} - {"Unset", "None"}


def _record(spec: dict[str, Any], location: str, name: str, schema: Any, param: Param) -> dict[str, Any] | None:
    kind = value_type(spec, schema)
    if kind is None:
        resolved = resolve(spec, schema)
        models = {n for n in _annotation_names(param) if n[:1].isupper()}
        if isinstance(resolved, dict) and schema_type(resolved) == "object" and models:
            # An object parameter (a deepObject query) the generator types as a model: the façade takes a mapping
            # for it as for a body; before, the generated code called `.to_dict()` on the caller's dict.
            return {"in": location, "name": name, "type": "object"}
        return None
    schema = resolve(spec, schema)
    names = _annotation_names(param)
    record: dict[str, Any] = {"in": location, "name": name, "type": kind}
    if kind == "enum":
        return record  # for its names only: the enum's conversion checks the value (index.Entry.enums)
    if kind == "array":
        items = value_type(spec, schema.get("items"))
        if items == "enum":  # a list of the generated enum: the façade checks it is a list, the enum each value
            if not any(name.startswith("list[") for name in names):
                return None
        elif items not in _ANNOTATION or f"list[{_ANNOTATION[items]}]" not in names:
            return None
        record["items"] = items
    elif _ANNOTATION[kind] not in names:
        return None
    if kind in ("integer", "number"):
        for bound in _BOUNDS:
            value = schema.get(bound)
            # OpenAPI 3.0 writes exclusiveMaximum as a flag beside maximum; 3.1 (and JSON Schema) as the bound.
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                record[bound] = value
            elif value is True and bound.startswith("exclusive"):
                plain = "minimum" if bound == "exclusiveMinimum" else "maximum"
                if isinstance(schema.get(plain), (int, float)):
                    record[bound] = schema[plain]
                    record.pop(plain, None)
    return record


def parameter_types(
    spec: dict[str, Any], op: dict[str, Any], params: list[Param], shared: list[Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Generated parameter name → ``{in, name, type[, items][, minimum, maximum, ...]}`` for each path, query and
    header parameter of ``op`` whose schema has one JSON type the generated function takes."""
    by_name = {p.name: p for p in params}
    found: dict[str, dict[str, Any]] = {}
    for (location, name), param in parameters(spec, op, shared).items():
        generated = by_name.get(python_name(name))
        if location not in LOCATIONS or generated is None:
            continue
        record = _record(spec, location, name, param.get("schema") or {}, generated)
        if record is not None:
            found[generated.name] = record
    return dict(sorted(found.items()))


# A body's top-level field: the JSON type of its schema in every alternative of the body that declares it.
_BODY_KINDS = ("string", "integer", "number", "boolean")
_MAX_ALTERNATIVES = 64
_DEPTH = 8


def _alternatives(spec: dict[str, Any], schema: Any, depth: int = 0) -> list[dict[str, Any]]:
    """Each alternative shape of an object schema as {property: schema}: a oneOf/anyOf member each, allOf parts
    merged (their alternatives combined)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > _DEPTH:
        return [{}]
    shapes: list[dict[str, Any]] = [{}]
    for part in schema.get("allOf") or []:
        shapes = [{**a, **b} for a in shapes for b in _alternatives(spec, part, depth + 1)][:_MAX_ALTERNATIVES]
    members = [m for key in ("oneOf", "anyOf") for m in schema.get(key) or []]
    if members:
        branches = [b for m in members for b in _alternatives(spec, m, depth + 1)]
        shapes = [{**a, **b} for a in shapes for b in branches][:_MAX_ALTERNATIVES]
    own = {name: resolve(spec, prop) for name, prop in (schema.get("properties") or {}).items()}
    return [{**shape, **own} for shape in shapes]


def _field_kind(schema: Any) -> str | None:
    if not isinstance(schema, dict) or schema.get("enum") is not None:
        return None  # an enum field is left to the server: a body is the caller's data, not the façade's
    kind = schema_type(schema)
    if kind == "string" and schema.get("format") == "date-time":
        return "date-time-text"
    return kind if kind in _BODY_KINDS else None


def body_field_types(spec: dict[str, Any], body: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Top-level body field → ``{type}`` for each field every alternative of the body that declares it types alike
    as a string, integer, number or boolean (``date-time-text``: a date-time string). A field typed differently by
    two alternatives, or untyped by one, gets no record."""
    if body is None or schema_type(resolve(spec, body)) not in ("object", None):
        return {}
    kinds: dict[str, set[str | None]] = {}
    for shape in _alternatives(spec, body):
        for name, schema in shape.items():
            kinds.setdefault(name, set()).add(_field_kind(schema))
    found: dict[str, dict[str, str]] = {}
    for name, seen in sorted(kinds.items()):
        kind = next(iter(seen))
        if len(seen) == 1 and kind is not None:
            found[name] = {"type": kind}
    return found
