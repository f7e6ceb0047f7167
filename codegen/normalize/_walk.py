"""Walking the schema positions of an OpenAPI document (3.0 or 3.1).

Rules must only touch schemas, never examples or vendor data that merely look like schemas, so the walk follows the
places the OpenAPI and JSON Schema specifications define as schemas, and nothing else.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

JSON = Any
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords whose value is a schema, a list of schemas, or a map of name → schema.
_SUB_SCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
_SUB_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf", "prefixItems")
_SUB_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


@dataclass
class Slot:
    """A place in the document that holds a schema; ``set`` replaces it there."""

    parent: Any
    key: Any
    pointer: str

    def get(self) -> Any:
        return self.parent[self.key]

    def set(self, value: Any) -> None:
        self.parent[self.key] = value


def escape(token: Any) -> str:
    """One JSON-pointer token (RFC 6901): ``/v1/x`` → ``~1v1~1x``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def component_ref(name: str) -> str:
    return f"#/components/schemas/{escape(name)}"


def slug(text: str) -> str:
    """A lower_snake name from free text (``"Identified User"`` → ``identified_user``), for new components."""
    return "_".join("".join(c.lower() if c.isalnum() else " " for c in text).split())


def snake(name: str) -> str:
    """A lower_snake name from an identifier (``transactionalSharedObject`` → ``transactional_shared_object``)."""
    spaced = "".join(
        f" {c}" if c.isupper() and i and (name[i - 1].islower() or name[i - 1].isdigit()) else c
        for i, c in enumerate(name)
    )
    return slug(spaced)


def resolve(spec: dict[str, Any], schema: Any) -> Any:
    """Follow local ``$ref``s (``#/...``) to the schema they name."""
    seen: set[str] = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        ref = schema["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        node: Any = spec
        for token in ref[2:].split("/"):
            node = node[unescape(token)]
        schema = node
    return schema


def media_schemas(container: Any, pointer: str) -> Iterator[Slot]:
    if not isinstance(container, dict):
        return
    for media, body in (container.get("content") or {}).items():
        if isinstance(body, dict) and isinstance(body.get("schema"), dict):
            yield Slot(body, "schema", f"{pointer}/content/{escape(media)}/schema")


def parameter_schemas(params: Any, pointer: str) -> Iterator[Slot]:
    if not isinstance(params, list):
        return
    for i, param in enumerate(params):
        if isinstance(param, dict):
            if isinstance(param.get("schema"), dict):
                yield Slot(param, "schema", f"{pointer}/{i}/schema")
            yield from media_schemas(param, f"{pointer}/{i}")


def _operation_roots(op: dict[str, Any], pointer: str) -> Iterator[Slot]:
    yield from parameter_schemas(op.get("parameters"), f"{pointer}/parameters")
    yield from media_schemas(op.get("requestBody"), f"{pointer}/requestBody")
    for status, response in (op.get("responses") or {}).items():
        rp = f"{pointer}/responses/{escape(status)}"
        yield from media_schemas(response, rp)
        for name, header in ((response or {}).get("headers") or {}).items() if isinstance(response, dict) else ():
            if isinstance(header, dict) and isinstance(header.get("schema"), dict):
                yield Slot(header, "schema", f"{rp}/headers/{escape(name)}/schema")


def iter_operations(spec: dict[str, Any], section: str = "paths") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation under ``section`` (``paths``, ``webhooks``, ``x-webhooks``)."""
    for path, item in (spec.get(section) or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield path, method, op


def root_slots(spec: dict[str, Any]) -> Iterator[Slot]:
    """The outermost schema of every schema position in the document."""
    components = spec.get("components") or {}
    for name in components.get("schemas") or {}:
        yield Slot(components["schemas"], name, f"#/components/schemas/{escape(name)}")
    yield from parameter_schemas(list((components.get("parameters") or {}).values()), "#/components/parameters")
    for kind in ("responses", "requestBodies"):
        for name, body in (components.get(kind) or {}).items():
            yield from media_schemas(body, f"#/components/{kind}/{escape(name)}")
    for name, header in (components.get("headers") or {}).items():
        if isinstance(header, dict) and isinstance(header.get("schema"), dict):
            yield Slot(header, "schema", f"#/components/headers/{escape(name)}/schema")
    for section in ("paths", "webhooks", "x-webhooks"):
        for path, item in (spec.get(section) or {}).items():
            if isinstance(item, dict):
                yield from parameter_schemas(item.get("parameters"), f"#/{section}/{escape(path)}/parameters")
        for path, method, op in iter_operations(spec, section):
            yield from _operation_roots(op, f"#/{section}/{escape(path)}/{method}")


def children(schema: Any, pointer: str) -> Iterator[Slot]:
    if not isinstance(schema, dict):
        return
    for key in _SUB_SCHEMA:
        if isinstance(schema.get(key), dict):
            yield Slot(schema, key, f"{pointer}/{key}")
    for key in _SUB_SCHEMA_LISTS:
        value = schema.get(key)
        if isinstance(value, list):
            for i, sub in enumerate(value):
                if isinstance(sub, dict):
                    yield Slot(value, i, f"{pointer}/{key}/{i}")
    if isinstance(schema.get("items"), list):  # OpenAPI 3.0 tuple form is invalid but seen in the wild
        for i, sub in enumerate(schema["items"]):
            if isinstance(sub, dict):
                yield Slot(schema["items"], i, f"{pointer}/items/{i}")
    for key in _SUB_SCHEMA_MAPS:
        value = schema.get(key)
        if isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(sub, dict):
                    yield Slot(value, name, f"{pointer}/{key}/{escape(name)}")


def iter_slots(spec: dict[str, Any], *, include_roots: bool = True) -> Iterator[Slot]:
    """Every schema position, pre-order; a rule may ``set`` its slot and the walk descends into the new value."""
    for root in root_slots(spec):
        stack = [(root, True)]
        while stack:
            slot, is_root = stack.pop()
            if include_roots or not is_root:
                yield slot
            node = slot.get()
            stack.extend((child, False) for child in reversed(list(children(node, slot.pointer))))


def schema_hash(schema: Any, ignore: Callable[[str], bool] = lambda _k: False) -> str:
    """A stable content hash, ignoring keys for which ``ignore`` is true."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not ignore(k)}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    blob = json.dumps(strip(schema), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def deepcopy(value: JSON) -> JSON:
    return copy.deepcopy(value)


def schema_type(schema: dict[str, Any]) -> str | None:
    """The single JSON type of a schema, or None when it has none or several."""
    t = schema.get("type")
    if isinstance(t, list):
        non_null = [x for x in t if x != "null"]
        return non_null[0] if len(non_null) == 1 else None
    return t if isinstance(t, str) else None
