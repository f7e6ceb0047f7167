"""Inline copies of component schemas become references to the component."""

from __future__ import annotations

from typing import Any

from ._rule import Change, Spec, rule
from ._walk import iter_slots, schema_hash


def _ignored(key: str) -> bool:
    # Documentation-only keys differ between otherwise equal copies in the wild; they do not change the model.
    return key in {"description", "example", "examples", "x-codeSamples"}


def _is_model(schema: dict[str, Any]) -> bool:
    """Worth a reference: a schema that becomes a model or a union, not a bare primitive."""
    return bool(schema.get("properties") or any(k in schema for k in ("allOf", "oneOf", "anyOf")))


@rule("reuse-component-schemas")
def reuse_component_schemas(spec: Spec) -> list[Change]:
    """Replace inline schemas equal to an entry of components/schemas by a $ref to it.

    Specs published with every $ref inlined repeat one schema dozens of times; generated unmodified, each copy
    becomes its own anonymous model (or a duplicate-name failure). Equality ignores documentation-only keys. When
    several components are equal, the first by name wins, so the choice is stable.
    """
    components: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    by_hash: dict[str, str] = {}
    for name in sorted(components):
        schema = components[name]
        if isinstance(schema, dict) and "$ref" not in schema and _is_model(schema):
            by_hash.setdefault(schema_hash(schema, _ignored), name)
    if not by_hash:
        return []
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or "$ref" in node or not _is_model(node):
            continue
        found = by_hash.get(schema_hash(node, _ignored))
        if found is None:
            continue
        # A component is never replaced by another (even an equal one): its own name is part of the API.
        if slot.pointer.startswith("#/components/schemas/") and slot.pointer.count("/") == 3:
            continue
        target = f"#/components/schemas/{found.replace('~', '~0').replace('/', '~1')}"
        slot.set({"$ref": target})
        changes.append(Change("reuse-component-schemas", slot.pointer, f"→ {target}"))
    return changes
