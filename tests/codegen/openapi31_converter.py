"""Rewrite a pinned OpenAPI 3.0 spec into the 3.1 idioms Customer.io's documentation tooling publishes.

The same API, shaped differently: ``$ref``s where the pinned copies inline (some copies stay inline, and some
inline schemas are hoisted into components of their own), ``$ref`` siblings, type arrays instead of ``nullable``,
``examples`` arrays and ``const``, other documentation tools' annotations, titled sub-unions around every union, and
``webhooks``/``jsonSchemaDialect`` at the root. Written independently of codegen's walker, so that a schema
position the normalizer does not visit is still converted here and shows up as a difference.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import Counter
from typing import Any

DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
_DOCS = {"description", "example", "examples", "x-codeSamples"}
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")
_SCHEMA_ONE = ("items", "not", "additionalProperties")


def _hash(node: Any) -> str:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _DOCS and not str(k).startswith("x-")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return hashlib.sha256(json.dumps(strip(node), sort_keys=True).encode()).hexdigest()


def _is_model(node: Any) -> bool:
    return isinstance(node, dict) and bool(node.get("properties") or any(k in node for k in _SCHEMA_LISTS))


def _schema_slots(node: Any) -> list[tuple[Any, Any]]:
    """(container, key) of each direct sub-schema of a schema."""
    slots: list[tuple[Any, Any]] = []
    if not isinstance(node, dict):
        return slots
    for name in (node.get("properties") or {}) if isinstance(node.get("properties"), dict) else {}:
        slots.append((node["properties"], name))
    for key in _SCHEMA_ONE:
        if isinstance(node.get(key), dict):
            slots.append((node, key))
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            slots += [(node[key], i) for i in range(len(node[key]))]
    return slots


def _root_slots(spec: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(container, key) of every outermost schema: components, parameters, bodies, responses, headers, webhooks."""
    slots: list[tuple[Any, Any]] = []

    def media(container: Any) -> None:
        for body in ((container or {}).get("content") or {}).values() if isinstance(container, dict) else ():
            if isinstance(body, dict) and isinstance(body.get("schema"), dict):
                slots.append((body, "schema"))

    def params(items: Any) -> None:
        for param in items or []:
            if isinstance(param, dict) and isinstance(param.get("schema"), dict):
                slots.append((param, "schema"))

    components = spec.get("components") or {}
    slots += [(components["schemas"], name) for name in components.get("schemas") or {}]
    for section in ("paths", "webhooks", "x-webhooks"):
        for item in (spec.get(section) or {}).values():
            params(item.get("parameters"))
            for method, op in item.items():
                if method == "parameters" or not isinstance(op, dict):
                    continue
                params(op.get("parameters"))
                media(op.get("requestBody"))
                for response in (op.get("responses") or {}).values():
                    media(response)
                    for header in ((response or {}).get("headers") or {}).values():
                        if isinstance(header, dict) and isinstance(header.get("schema"), dict):
                            slots.append((header, "schema"))
    return slots


def _every_schema(spec: dict[str, Any]) -> list[tuple[Any, Any, bool]]:
    """(container, key, is_component_root) of every schema position, outermost first."""
    found: list[tuple[Any, Any, bool]] = []
    components = (spec.get("components") or {}).get("schemas") or {}
    todo = [(c, k, c is components) for c, k in _root_slots(spec)]
    while todo:
        container, key, root = todo.pop(0)
        found.append((container, key, root))
        todo += [(c, k, False) for c, k in _schema_slots(container[key])]
    return found


def _use_refs(spec: dict[str, Any]) -> None:
    """Inline copies of a component become ``$ref``s to it, as in the live files; every third copy stays inline."""
    components = spec["components"]["schemas"]
    by_hash: dict[str, str] = {}
    for name in sorted(components):
        if _is_model(components[name]):
            by_hash.setdefault(_hash(components[name]), name)
    seen: Counter[str] = Counter()
    for container, key, root in _every_schema(spec):
        node = container[key]
        name = by_hash.get(_hash(node)) if _is_model(node) and not root else None
        if name is None:
            continue
        seen[name] += 1
        if seen[name] % 3 != 0:
            container[key] = {"$ref": f"#/components/schemas/{name}", "description": f"See {name}."}


def _hoist_inline(spec: dict[str, Any]) -> None:
    """Some inline property objects of components become components, named as the generator names their class."""
    components = spec["components"]["schemas"]
    counts = Counter(_hash(c[k]) for c, k, _root in _every_schema(spec) if isinstance(c[k], dict))
    hoisted = 0
    for name in sorted(components):
        props = components[name].get("properties") if isinstance(components[name], dict) else None
        for prop, schema in sorted((props or {}).items()):
            if not isinstance(schema, dict) or "title" in schema or not schema.get("properties"):
                continue
            if counts[_hash(schema)] != 1 or f"{name}_{prop}" in components:
                continue
            hoisted += 1
            if hoisted % 2:
                components[f"{name}_{prop}"] = schema
                props[prop] = {"$ref": f"#/components/schemas/{name}_{prop}", "description": "Hoisted."}


def _rewrite(node: dict[str, Any], counter: Counter[str]) -> None:
    """One schema's 3.1 spelling (sub-schemas are visited on their own)."""
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        del node["nullable"]
        node["type"] = [node["type"], "null"]
    if "example" in node:
        node["examples"] = [node.pop("example")]
    if isinstance(node.get("enum"), list) and len(node["enum"]) == 1:
        node["const"] = node.pop("enum")[0]
    for keyword in ("oneOf", "anyOf"):
        members = node.get(keyword)
        if isinstance(members, list) and members:
            if len(members) >= 4:
                half = len(members) // 2
                node[keyword] = [
                    {"title": "First variants", keyword: members[:half]},
                    {"title": "More variants", keyword: members[half:]},
                ]
            else:
                node[keyword] = [{"title": "Variants", keyword: members}]
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"]["x-additionalPropertiesName"] = "value"
    if node.get("properties"):
        counter["objects"] += 1
        if counter["objects"] % 3 == 0:
            node["x-scalar-ignore"] = True


def convert(spec_30: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec_30)
    spec["openapi"] = "3.1.0"
    spec["jsonSchemaDialect"] = DIALECT
    if "x-webhooks" in spec:
        spec["webhooks"] = spec.pop("x-webhooks")
    spec.setdefault("components", {}).setdefault("schemas", {})
    _use_refs(spec)
    _hoist_inline(spec)
    # Unions are rewritten after their members, so the new titled levels are not themselves rewritten.
    counter: Counter[str] = Counter()
    for container, key, _root in reversed(_every_schema(spec)):
        if isinstance(container[key], dict):
            _rewrite(container[key], counter)
    for tag in spec.get("tags") or []:
        tag["x-displayName"] = str(tag.get("name", "")).title()
    spec["x-tagGroups"] = [{"name": "All", "tags": [t.get("name") for t in spec.get("tags") or []]}]
    for section in ("paths", "webhooks"):
        for item in (spec.get(section) or {}).values():
            for method, op in item.items():
                if isinstance(op, dict) and method != "parameters":
                    op["x-codeSamples"] = [{"lang": "curl", "source": f"curl -X {method.upper()} ..."}]
    return spec
