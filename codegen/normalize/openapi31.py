"""OpenAPI 3.1 idioms, written the 3.0 way, so the generator sees one form whichever way a spec is published.

Customer.io republishes the same APIs as 3.1 documents (JSON Schema 2020-12 inside). The generator reads both, but
not the same way: the same API written with type arrays, ``const`` or ``$ref`` siblings would generate different
models, or fail. Each rule below rewrites one 3.1 shape into its 3.0 equivalent; ``openapi-version`` then labels the
document 3.0.3 once nothing 3.1-only is left, so validators read ``nullable`` as meant.
"""

from __future__ import annotations

import copy
from typing import Any

from ._rule import Change, Spec, rule
from ._walk import iter_slots, resolve

# Keywords that describe a schema to people without constraining it: siblings of a $ref 3.0 ignores anyway.
ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "deprecated", "readOnly", "writeOnly", "$comment", "default"}
)
_UNIONS = ("oneOf", "anyOf")


@rule("type-arrays")
def type_arrays(spec: Spec) -> list[Change]:
    """``type: [T, "null"]`` becomes ``type: T`` with ``nullable: true``; several types become an ``anyOf``.

    3.1 spells "may be null" as a type array; 3.0 as ``nullable``. A ``{"type": "null"}`` branch of a union becomes
    ``nullable`` on the union (``oneOf: [{$ref: X}, {type: null}]`` is 3.1's nullable reference).
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict):
            continue
        types = node.get("type")
        if isinstance(types, list):
            non_null = [t for t in types if t != "null"]
            if "null" in types and non_null:
                node["nullable"] = True
            if len(non_null) == 1:
                node["type"] = non_null[0]
            elif non_null:
                del node["type"]
                node["anyOf"] = [{"type": t} for t in non_null]
            else:
                continue  # only "null": nothing 3.0 can say better
            changes.append(
                Change("type-arrays", slot.pointer, f"{types} → {non_null}{' nullable' * ('null' in types)}")
            )
        for keyword in _UNIONS:
            members = node.get(keyword)
            if not isinstance(members, list):
                continue
            kept = [m for m in members if m != {"type": "null"}]
            if len(kept) == len(members) or not kept:
                continue
            node["nullable"] = True
            if len(kept) == 1 and "$ref" in kept[0]:
                del node[keyword]
                node["allOf"] = kept  # 3.0's nullable reference: allOf [$ref] + nullable
            elif len(kept) == 1:
                del node[keyword]
                for key, value in kept[0].items():
                    node.setdefault(key, value)
            else:
                node[keyword] = kept
            changes.append(Change("type-arrays", slot.pointer, f"{keyword} null branch → nullable"))
    return changes


@rule("schema-examples")
def schema_examples(spec: Spec) -> list[Change]:
    """A schema's ``examples`` array becomes its ``example`` (the first), and ``const`` becomes a one-value ``enum``.

    3.0 schemas have one ``example`` and no ``const``; the generator names and types both forms differently.
    (``examples`` maps of parameters and media types are 3.0 too, and are left alone: they are not schemas.)
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("examples"), list):
            values = node.pop("examples")
            if values and "example" not in node:
                node["example"] = values[0]
            changes.append(Change("schema-examples", slot.pointer, f"examples[{len(values)}] → example"))
        if "const" in node:
            value = node.pop("const")
            if "enum" not in node:
                node["enum"] = [value]
            changes.append(Change("schema-examples", slot.pointer, f"const {value!r} → enum"))
    return changes


@rule("ref-siblings")
def ref_siblings(spec: Spec) -> list[Change]:
    """Keywords beside a ``$ref``: annotations are dropped (3.0 ignores them), constraints move into an ``allOf``.

    3.1 lets a ``$ref`` carry siblings (most often a description of where it is used); 3.0 ignores them, and the
    generator treats such a schema as a new inline model instead of the component.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or "$ref" not in node or len(node) == 1:
            continue
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        constraints = {k: v for k, v in siblings.items() if k not in ANNOTATIONS}
        if constraints:
            slot.set({"allOf": [{"$ref": node["$ref"]}], **constraints})
            detail = f"{', '.join(sorted(constraints))} → allOf"
        else:
            slot.set({"$ref": node["$ref"]})
            detail = f"dropped {', '.join(sorted(siblings))}"
        changes.append(Change("ref-siblings", slot.pointer, detail))
    return changes


def _pure_union(member: Any) -> str | None:
    """The union keyword of a member that is nothing but a (titled, described) union, else None."""
    if not isinstance(member, dict):
        return None
    keywords = [k for k in _UNIONS if isinstance(member.get(k), list)]
    if len(keywords) != 1 or set(member) - {keywords[0], "title", "description"}:
        return None
    return keywords[0]


@rule("nested-unions")
def nested_unions(spec: Spec) -> list[Change]:
    """A union branch that is itself only a union is replaced by its branches; a union of one union becomes it.

    Documentation tools group variants under titled sub-unions (``oneOf: [{title: "By id", oneOf: [...]}, ...]``).
    Every branch still matches the same values, but the generator turns each level into its own union type (and
    fails on some: "Invalid property in union"). The inner titles name groups, not models, and go.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict):
            continue
        for keyword in _UNIONS:
            members = node.get(keyword)
            if not isinstance(members, list):
                continue
            if (
                len(members) == 1
                and _pure_union(members[0]) is not None
                and not any(k in node for k in _UNIONS if k != keyword)
            ):
                inner = members[0]
                inner_keyword = _pure_union(inner)
                assert inner_keyword is not None
                del node[keyword]
                node[inner_keyword] = inner[inner_keyword]
                changes.append(Change("nested-unions", slot.pointer, f"{keyword} of one {inner_keyword} → it"))
                break
            if any(_pure_union(m) == keyword for m in members):
                flat: list[Any] = []
                for member in members:
                    flat.extend(member[keyword] if _pure_union(member) == keyword else [member])
                node[keyword] = flat
                changes.append(Change("nested-unions", slot.pointer, f"{len(members)} → {len(flat)} branches"))
    return changes


def _pure_allof(spec: Spec, member: Any) -> list[Any] | None:
    """The members of a schema that is only an ``allOf`` (inline, or a bare ``$ref`` to one), else None."""
    target = resolve(spec, member) if isinstance(member, dict) and set(member) == {"$ref"} else member
    pure = isinstance(target, dict) and isinstance(target.get("allOf"), list)
    if pure and not set(target) - {"allOf", "title", "description"}:
        members: list[Any] = target["allOf"]
        return members
    return None


@rule("nested-allof")
def nested_allof(spec: Spec) -> list[Change]:
    """An ``allOf`` member that is itself only an ``allOf`` is replaced by its members (``allOf`` is associative).

    Published specs compose shared fields this way (``allOf: [{allOf: [{$ref: common_fields}, {userId}]}, event]``),
    and openapi-python-client 0.29.1 silently drops the inner level: the generated model lost ``userId`` and every
    common field, with no warning (App ``object_delete`` lost ``type`` and ``identifiers``). A bare ``$ref`` to a
    component that is only an ``allOf`` is spliced the same way, so inlined and referenced copies generate alike.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        members = node.get("allOf") if isinstance(node, dict) else None
        if not isinstance(members, list):
            continue
        flat: list[Any] = []
        spliced = False
        for member in members:
            inner = _pure_allof(spec, member)
            if inner is None or inner is members or member is node:
                flat.append(member)
            else:
                flat.extend(copy.deepcopy(inner))
                spliced = True
        if spliced:
            node["allOf"] = flat
            changes.append(Change("nested-allof", slot.pointer, f"{len(members)} → {len(flat)} members"))
    return changes


@rule("described-additional-properties")
def described_additional_properties(spec: Spec) -> list[Change]:
    """``additionalProperties`` whose schema only describes the values (no constraint) becomes ``true``.

    ``{"description": "trait values"}`` accepts any value, exactly as ``true`` and ``{}`` do; written three ways it
    would hash three ways and keep equal schemas apart.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        extra = node.get("additionalProperties") if isinstance(node, dict) else None
        if isinstance(extra, dict) and not set(extra) - ANNOTATIONS:
            node["additionalProperties"] = True
            changes.append(Change("described-additional-properties", f"{slot.pointer}/additionalProperties", "→ true"))
    return changes


@rule("openapi-version")
def openapi_version(spec: Spec) -> list[Change]:
    """A 3.1 document's root is written as 3.0.3: ``webhooks`` as ``x-webhooks``, no ``jsonSchemaDialect``.

    Runs after the schema rules above, which leave nothing 3.1-only in the schemas: labelled 3.1, ``nullable`` would
    mean nothing to a validator. The reporting webhooks stay where the project reads them (``x-webhooks``).
    """
    changes: list[Change] = []
    if isinstance(spec.get("webhooks"), dict):
        spec.setdefault("x-webhooks", {}).update(spec.pop("webhooks"))
        changes.append(Change("openapi-version", "#/webhooks", "→ x-webhooks"))
    if "jsonSchemaDialect" in spec:
        dialect = spec.pop("jsonSchemaDialect")
        changes.append(Change("openapi-version", "#/jsonSchemaDialect", f"dropped {dialect!r}"))
    version = spec.get("openapi")
    if isinstance(version, str) and version.startswith("3.1"):
        spec["openapi"] = "3.0.3"
        changes.append(Change("openapi-version", "#/openapi", f"{version} → 3.0.3"))
    return changes
