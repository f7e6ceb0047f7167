"""Which operations are paginated and how, read from the shape of the spec (never from a list of paths).

Customer.io's cursor listings share one shape: a string query parameter ``start`` documented as the page token
("Responses contain a `next` property"), and a JSON answer carrying ``next`` beside the array of items. Two readers
use this module: the normalizer, which adds ``next`` where an answer forgets to declare it (``cursors.py``), and the
operation index, which tells the façade how to follow the cursor.

A few listings page by position instead (``GET /v1/esp/suppression/{type}``: ``offset`` and ``limit``); the index
tells the façade to ask page after page until a short page (``position_paging``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from openapi_python_client.strings import PythonIdentifier

from .normalize._walk import iter_operations, resolve, schema_type

CURSOR_PARAM = "start"
NEXT_FIELD = "next"
LIMIT_PARAM = "limit"
FIELD_PREFIX = "field_"  # codegen/config/*.yaml: field_prefix
JSON_MEDIA = "application/json"
# The description of a page token names the property that carries the next one: "contain a `next` property".
_PROMISES_NEXT = re.compile(rf"\b{NEXT_FIELD}\b")

# Listings paged by position rather than a cursor: the position parameter (its style: ``offset`` counts items to
# skip, ``page`` counts pages), the page-size parameters that go with them, and the integer answer fields that give
# the documented total.
POSITION_PARAMS = {"offset": "offset", "skip": "offset", "page": "page"}
SIZE_PARAMS = ("limit", "per_page", "page_size")
TOTAL_FIELDS = ("total", "total_count")


@dataclass(frozen=True)
class Pagination:
    """How the façade walks a listing, in Python names as the generated functions and models spell them.

    ``style`` is ``cursor`` (``cursor`` takes the ``next`` token of the last answer), ``offset`` (``cursor`` is the
    position, advanced by the number of items received) or ``page`` (advanced by one). ``size`` is the spec's default
    page size, ``first`` the position parameter's default, ``total`` the answer field with the documented total.
    """

    style: str
    cursor: str
    next: str | None
    items: str
    limit: str | None
    size: int | None = None
    first: int | None = None
    total: str | None = None

    def record(self) -> dict[str, Any]:
        return asdict(self)


def python_name(wire: str) -> str:
    """The name the generator gives a wire name in Python (``next`` → ``next_``, ``2xx`` → ``field_2xx``)."""
    return str(PythonIdentifier(wire, prefix=FIELD_PREFIX))


def parameters(spec: dict[str, Any], op: dict[str, Any], shared: list[Any] | None = None) -> dict[tuple[str, str], Any]:
    """The operation's parameters by (in, name), resolved: the path item's ``shared`` ones, overridden by its own.

    OpenAPI applies a path item's ``parameters`` to every operation of the path; an operation may override one
    with the same name and location.
    """
    merged: dict[tuple[str, str], Any] = {}
    for raw in [*(shared or []), *(op.get("parameters") or [])]:
        param = resolve(spec, raw)
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            merged[(str(param.get("in")), param["name"])] = param
    return merged


def page_token(spec: dict[str, Any], op: dict[str, Any], shared: list[Any] | None = None) -> dict[str, Any] | None:
    """The ``start`` query parameter when it is a page token: a string documented as returning ``next``, or one
    whose answer declares a string ``next`` (in every shape it can take).

    Either is enough: the words are documentation, which a republished spec may reword or drop, and the answer's
    ``next`` is the shape itself (without this a reworded description would quietly make ``paginate()`` and the
    CLI's ``--all`` stop after the first page). Some operations take ``start`` as a unix timestamp (an integer):
    those are time windows, not cursors.
    """
    param = parameters(spec, op, shared).get(("query", CURSOR_PARAM))
    if not isinstance(param, dict):
        return None
    schema = resolve(spec, param.get("schema") or {})
    if not isinstance(schema, dict) or schema_type(schema) != "string":
        return None
    described = " ".join(str(d) for d in (param.get("description"), schema.get("description")) if d)
    return param if _PROMISES_NEXT.search(described) or _answers_next(spec, op) else None


def _answers_next(spec: dict[str, Any], op: dict[str, Any]) -> bool:
    """Every shape of the first 2xx JSON answer declares a string ``next``."""
    schemas = success_schemas(spec, op)
    shapes = page_shapes(spec, schemas[0]) if schemas else None
    if not shapes:
        return False
    return all(schema_type(resolve(spec, shape["properties"].get(NEXT_FIELD)) or {}) == "string" for shape in shapes)


def cursor_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation whose ``start`` is a page token."""
    for path, method, op in iter_operations(spec):
        if page_token(spec, op, spec["paths"][path].get("parameters")) is not None:
            yield path, method, op


def success_schemas(spec: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    """The resolved JSON schema of each 2xx answer."""
    found = []
    for status, raw in sorted((op.get("responses") or {}).items()):
        if not str(status).startswith("2"):
            continue
        response = resolve(spec, raw)
        media = ((response or {}).get("content") or {}).get(JSON_MEDIA) if isinstance(response, dict) else None
        schema = resolve(spec, (media or {}).get("schema"))
        if isinstance(schema, dict):
            found.append(schema)
    return found


def page_shapes(spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The object schemas an answer can be: itself, or each branch of a ``oneOf``/``anyOf`` (segment membership
    answers one of two shapes, by workspace); None when some branch is not an object with properties."""
    for keyword in ("oneOf", "anyOf"):
        if isinstance(schema.get(keyword), list):
            shapes: list[dict[str, Any]] = []
            for member in schema[keyword]:
                inner = page_shapes(spec, resolve(spec, member)) if isinstance(resolve(spec, member), dict) else None
                if inner is None:
                    return None
                shapes += inner
            return shapes or None
    return [schema] if isinstance(schema.get("properties"), dict) else None


def _items_field(spec: dict[str, Any], properties: dict[str, Any]) -> str | None:
    arrays = {}
    for name, raw in properties.items():
        schema = resolve(spec, raw)
        if isinstance(schema, dict) and schema_type(schema) == "array":
            arrays[name] = schema
    # Prefer a list of objects (``identifiers``) over a parallel list of scalars (``ids``).
    objects = [k for k, v in arrays.items() if schema_type(resolve(spec, v.get("items")) or {}) == "object"]
    names = objects or list(arrays)
    return names[0] if names else None


def _integer_query(spec: dict[str, Any], params: dict[tuple[str, str], Any], name: str) -> dict[str, Any] | None:
    """The resolved schema of the integer query parameter ``name``, else None."""
    param = params.get(("query", name))
    schema = resolve(spec, param.get("schema") or {}) if isinstance(param, dict) else None
    return schema if isinstance(schema, dict) and schema_type(schema) == "integer" else None


def _default(schema: dict[str, Any]) -> int | None:
    value = schema.get("default")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def position_paging(spec: dict[str, Any], op: dict[str, Any], shared: list[Any] | None = None) -> Pagination | None:
    """A listing paged by position instead of a cursor (``offset``/``limit``, ``page``/``per_page``), else None.

    The shape: no page token; an integer ``offset`` (or ``skip``, or ``page``) query parameter beside an integer
    page size (``limit``, ``per_page`` or ``page_size``); and a JSON answer (each shape of a union alike) with one
    array of items. The façade asks page after page until a short or empty page, or the documented total.
    """
    if page_token(spec, op, shared) is not None:
        return None
    params = parameters(spec, op, shared)
    found = [
        (name, style, schema)
        for name, style in POSITION_PARAMS.items()
        if (schema := _integer_query(spec, params, name))
    ]
    sizes = [(name, schema) for name in SIZE_PARAMS if (schema := _integer_query(spec, params, name))]
    if len(found) != 1 or len(sizes) != 1:
        return None
    (position, style, position_schema), (size, size_schema) = found[0], sizes[0]
    schemas = success_schemas(spec, op)
    shapes = page_shapes(spec, schemas[0]) if schemas else None
    if not shapes:
        return None
    items = {_items_field(spec, shape["properties"]) for shape in shapes}
    if len(items) != 1 or None in items:
        return None
    totals = {
        name
        for shape in shapes
        for name in TOTAL_FIELDS
        if schema_type(resolve(spec, shape["properties"].get(name)) or {}) == "integer"
    }
    (field,) = items
    assert field is not None
    return Pagination(
        style,
        python_name(position),
        None,
        python_name(field),
        python_name(size),
        _default(size_schema),
        _default(position_schema),
        python_name(sorted(totals)[0]) if len(totals) == 1 else None,
    )


def pagination(spec: dict[str, Any], op: dict[str, Any], shared: list[Any] | None = None) -> Pagination | None:
    """How to walk a paginated operation (a cursor listing, or one paged by position), else None.

    ``shared`` are the path item's parameters (a normalized spec has already copied them into each operation).
    Cursor-paginated means: ``start`` is a page token, and every shape the JSON answer can take has a string
    ``next`` and the same array of items. Otherwise ``position_paging`` decides.
    """
    if page_token(spec, op, shared) is None:
        return position_paging(spec, op, shared)
    schemas = success_schemas(spec, op)
    shapes = page_shapes(spec, schemas[0]) if schemas else None
    if not shapes:
        return None
    items: set[str | None] = set()
    for shape in shapes:
        properties = shape["properties"]
        nxt = resolve(spec, properties.get(NEXT_FIELD))
        if not isinstance(nxt, dict) or schema_type(nxt) != "string":
            return None
        items.add(_items_field(spec, properties))
    if len(items) != 1 or None in items:
        return None
    (field,) = items
    assert field is not None
    limit = python_name(LIMIT_PARAM) if ("query", LIMIT_PARAM) in parameters(spec, op, shared) else None
    return Pagination("cursor", python_name(CURSOR_PARAM), python_name(NEXT_FIELD), python_name(field), limit)


def position_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], Pagination]]:
    """(path, method, operation, pagination) of every listing paged by position."""
    for path, method, op in iter_operations(spec):
        paging = position_paging(spec, op, spec["paths"][path].get("parameters"))
        if paging is not None:
            yield path, method, op, paging
