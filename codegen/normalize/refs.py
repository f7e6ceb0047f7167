"""Inline copies of component schemas become references to the component."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._rule import Change, Spec, rule
from ._walk import component_ref, iter_slots, schema_hash, slug, snake, unescape


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
        target = component_ref(found)
        slot.set({"$ref": target})
        changes.append(Change("reuse-component-schemas", slot.pointer, f"→ {target}"))
    return changes


def _property_name(pointer: str) -> str | None:
    """The property a schema sits under (``.../properties/filter`` → ``filter``; array items count as the array)."""
    parts = pointer.split("/")
    while parts and parts[-1] in {"items", "additionalProperties"}:
        parts.pop()
    if len(parts) >= 2 and parts[-2] == "properties":
        return unescape(parts[-1])
    return None


def _owner(spec: Spec, pointer: str) -> str | None:
    """The named thing a schema sits in: its component, or its operation (by operationId, else method and path)."""
    parts = [unescape(p) for p in pointer.split("/")]
    if parts[1:3] == ["components", "schemas"] and len(parts) > 3:
        return snake(parts[3])
    if len(parts) > 3 and parts[1] in {"paths", "webhooks", "x-webhooks"}:
        op = (spec.get(parts[1]) or {}).get(parts[2], {}).get(parts[3])
        if isinstance(op, dict) and isinstance(op.get("operationId"), str):
            return snake(op["operationId"])
        return slug(f"{parts[3]} {parts[2]}")
    return None


def _enclosing_properties(pointer: str) -> list[str]:
    """The property names a schema sits under, nearest first, without its own (``.../a/.../b/.../c`` → b, a)."""
    parts = pointer.split("/")
    names = [unescape(parts[i + 1]) for i in range(len(parts) - 1) if parts[i] == "properties"]
    own = _property_name(pointer)
    if own is not None and names and names[-1] == own:
        names.pop()
    return [slug(n) for n in reversed(names) if slug(n)]


def _names_by_place(spec: Spec, pointer: str, base: str) -> Iterator[str]:
    """Names for a schema whose own name is taken, from where it sits: ``<owner>_<base>``, then the enclosing
    properties, nearest first (``trigger_broadcast_recipients_and``); a number only when all of those are taken."""
    owner = _owner(spec, pointer)
    qualifiers = _enclosing_properties(pointer)
    prefix = [owner] if owner and owner != base else []
    for n in range(len(qualifiers) + 1):
        words = [*prefix, *reversed(qualifiers[:n]), base]
        if len(words) > 1:
            yield "_".join(words)
    n = 2
    while True:
        yield f"{base}_{n}"
        n += 1


def _hoist_once(spec: Spec, changes: list[Change]) -> bool:
    components: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    existing = {
        schema_hash(schema, _ignored): name
        for name, schema in sorted(components.items(), reverse=True)
        if isinstance(schema, dict) and "$ref" not in schema
    }
    occurrences: dict[str, list[Any]] = {}
    for slot in iter_slots(spec, include_roots=False):
        node = slot.get()
        if isinstance(node, dict) and "$ref" not in node and node.get("properties"):
            occurrences.setdefault(schema_hash(node, _ignored), []).append(slot)
    done: set[str] = set()
    hoisted = False
    replaced: list[str] = []
    for digest, slots in occurrences.items():
        slots = [s for s in slots if not any(s.pointer.startswith(p + "/") for p in replaced)]
        if len(slots) < 2 or digest in done:
            continue
        node = slots[0].get()
        if digest in existing:
            # A copy of a component hoisted earlier in this run (reuse-component-schemas ran before it existed).
            name, detail = existing[digest], f"{len(slots)} copies → existing {existing[digest]}"
        else:
            names = {_property_name(s.pointer) for s in slots}
            title = node.get("title")
            base = slug(title) if isinstance(title, str) and slug(title) else None
            if base is None and len(names) == 1 and None not in names:
                base = slug(next(iter(names)) or "")
            if not base:
                continue  # no name that fits every use: an anonymous shared model would be misleading
            name = base
            if name in components:
                name = next(n for n in _names_by_place(spec, slots[0].pointer, base) if n not in components)
            if not components:
                components = spec.setdefault("components", {}).setdefault("schemas", {})
            components[name] = node
            existing[digest] = name
            detail = f"{len(slots)} copies → {name}"
        for slot in slots:
            slot.set({"$ref": component_ref(name)})
            replaced.append(slot.pointer)
        changes.append(Change("hoist-repeated-schemas", slots[0].pointer, detail))
        done.add(digest)
        hoisted = True
    return hoisted


@rule("hoist-repeated-schemas")
def hoist_repeated_schemas(spec: Spec) -> list[Change]:
    """An inline object schema repeated verbatim becomes one component, named by its title or its property name.

    Inlined specs repeat schemas that have no component of their own (the App API's people filter appears in the
    customer and object searches, nested several levels deep); unhoisted, each copy becomes another model class. A
    schema is hoisted only when it has a name that fits every use: its title, or the one property name it always
    sits under. When a component already has that name, the first copy's place qualifies it (``segment`` inside the
    ``triggerBroadcast`` body becomes ``trigger_broadcast_segment``), never a bare number the reader cannot place.
    Copies of a component hoisted earlier in the same run refer to it. Runs to a fixed point, so copies nested
    inside a hoisted schema are shared too.
    """
    changes: list[Change] = []
    for _ in range(20):
        if not _hoist_once(spec, changes):
            break
    return changes
