"""The operation index each generated package carries: the façade builds its namespaces and paginators from it.

Emitted at generation time from the generated modules (their method and URL) and the normalized spec (pagination),
so a new operation in a regenerated spec reaches the façade with no handwritten change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .normalize._walk import iter_operations
from .normalize.unions import resolve

_METHOD = re.compile(r'"method":\s*"(\w+)"')
_URL = re.compile(r'"url":\s*"([^"]+)"')
_CURSOR_PARAM = "start"
_NEXT_FIELD = "next"
_LIMIT_PARAM = "limit"


def _json_response(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    for status in ("200", "201", "2XX", "default"):
        response = resolve(spec, (op.get("responses") or {}).get(status))
        schema = ((response or {}).get("content") or {}).get("application/json", {}).get("schema")
        if isinstance(schema, dict):
            resolved = resolve(spec, schema)
            return resolved if isinstance(resolved, dict) else {}
    return {}


def pagination(spec: dict[str, Any], op: dict[str, Any]) -> tuple[str, str, str, str | None] | None:
    """(cursor parameter, next field, items field, limit parameter) for a cursor-paginated operation, else None.

    Cursor-paginated means: a string query parameter ``start`` and a string ``next`` in the JSON response. Some
    operations take ``start`` as a unix timestamp (an integer): those are time windows, not cursors.
    """
    params = {}
    for raw in op.get("parameters") or []:
        param = resolve(spec, raw)
        if isinstance(param, dict) and param.get("in") == "query":
            params[param.get("name")] = param
    cursor = params.get(_CURSOR_PARAM)
    if cursor is None or resolve(spec, cursor.get("schema") or {}).get("type") != "string":
        return None
    properties = _json_response(spec, op).get("properties") or {}
    if _NEXT_FIELD not in properties:
        return None
    arrays = {k: resolve(spec, v) for k, v in properties.items() if resolve(spec, v).get("type") == "array"}
    if not arrays:
        return None
    # Prefer a list of objects (e.g. ``identifiers``) over a parallel list of scalars (``ids``).
    objects = [k for k, v in arrays.items() if resolve(spec, v.get("items") or {}).get("type") == "object"]
    items = (objects or list(arrays))[0]
    return (_CURSOR_PARAM, _NEXT_FIELD, items, _LIMIT_PARAM if _LIMIT_PARAM in params else None)


def build(package_dir: Path, spec: dict[str, Any]) -> dict[str, dict[str, tuple[Any, ...]]]:
    by_route = {(method.upper(), path): op for path, method, op in iter_operations(spec)}
    index: dict[str, dict[str, tuple[Any, ...]]] = {}
    for module in sorted((package_dir / "api").glob("*/*.py")):
        if module.name == "__init__.py":
            continue
        text = module.read_text()
        method_match, url_match = _METHOD.search(text), _URL.search(text)
        if not (method_match and url_match):
            continue
        method, path = method_match.group(1).upper(), url_match.group(1)
        op = by_route.get((method, path), {})
        dotted = ".".join((package_dir.name, "api", module.parent.name, module.stem))
        index.setdefault(module.parent.name, {})[module.stem] = (dotted, method, path, pagination(spec, op))
    return index


def write(package_dir: Path, spec: dict[str, Any]) -> None:
    index = build(package_dir, spec)
    body = json.dumps(index, indent=4, sort_keys=True).replace("null", "None")
    (package_dir / "_index.py").write_text(
        '"""Operations of this package by tag: name → (module, method, path, pagination), from codegen/index.py.\n\n'
        "pagination is (cursor parameter, next field, items field, limit parameter) or None.\n"
        '"""\n\n'
        "from typing import Any\n\n"
        f"OPERATIONS: dict[str, dict[str, Any]] = {body}\n"
    )
