"""Unions the generator rejects and unions a validating server cannot match exactly once."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from ._rule import Change, Spec, rule
from ._walk import component_ref, escape, iter_operations, iter_slots, resolve, schema_type, slug

PRIMITIVES = {"string", "integer", "number", "boolean"}
_STRUCTURAL = ("properties", "items", "allOf", "oneOf", "anyOf", "$ref", "enum", "const")


@rule("same-primitive-union")
def same_primitive_union(spec: Spec) -> list[Change]:
    """A ``oneOf``/``anyOf`` whose members are all the same plain primitive becomes that primitive.

    The Track ``identifier`` path parameter is a ``oneOf`` of three strings (id, email, cio_id): every value matches
    all three, so a validating server rejects every request, and the generator gains nothing from the union. The
    members' descriptions are kept in the merged description.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict):
            continue
        for keyword in ("oneOf", "anyOf"):
            members = node.get(keyword)
            if not isinstance(members, list) or not members:
                continue
            resolved = [resolve(spec, m) for m in members]
            if not all(isinstance(m, dict) for m in resolved):
                continue
            types = {schema_type(m) for m in resolved}
            if len(types) != 1 or not types <= PRIMITIVES or any(k in m for m in resolved for k in _STRUCTURAL):
                continue
            (json_type,) = types
            notes = [
                f"{m.get('title', f'option {i + 1}')}: {m['description'].strip()}"
                for i, m in enumerate(resolved)
                if isinstance(m.get("description"), str)
            ]
            del node[keyword]
            node["type"] = json_type
            # The merge must not narrow the union: when a member accepts null, the merged schema does too.
            if any(isinstance(m.get("type"), list) and "null" in m["type"] for m in resolved):
                node["type"] = [json_type, "null"]
            elif any(m.get("nullable") is True for m in resolved):
                node["nullable"] = True
            if notes:
                node["description"] = "\n".join([*filter(None, [str(node.get("description", "")).strip()]), *notes])
            example = next((m["example"] for m in resolved if "example" in m), None)
            if example is not None and "example" not in node:
                node["example"] = example
            changes.append(Change("same-primitive-union", slot.pointer, f"{keyword} of {len(members)} {json_type}s"))
    return changes


def _values(schema: dict[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _types(schema: dict[str, Any]) -> set[str] | None:
    t = schema.get("type")
    if t is None and "properties" in schema:
        t = "object"
    if t is None:
        return None
    types = set(t) if isinstance(t, list) else {t}
    if "integer" in types:
        types.add("number")
    return types


def disjoint(spec: Spec, a: Any, b: Any) -> bool:
    """True only when no value can match both schemas (a cheap, conservative proof)."""
    a, b = resolve(spec, a), resolve(spec, b)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    ta, tb = _types(a), _types(b)
    if ta is not None and tb is not None and not ta & tb:
        return True
    va, vb = _values(a), _values(b)
    if va is not None and vb is not None and not any(v in vb for v in va):
        return True
    props_a, props_b = a.get("properties") or {}, b.get("properties") or {}
    both_required = set(a.get("required") or []) & set(b.get("required") or [])
    return any(disjoint(spec, props_a[name], props_b[name]) for name in both_required & set(props_a) & set(props_b))


@rule("overlapping-oneof")
def overlapping_oneof(spec: Spec) -> list[Change]:
    """A ``oneOf`` without a discriminator whose branches can match the same value becomes ``anyOf``.

    ``oneOf`` demands exactly one match; Pipelines ``context: {}`` matches both the mobile and non-mobile context,
    so a validating server rejects valid requests. ``anyOf`` keeps every branch and the generated union is the same.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or not isinstance(node.get("oneOf"), list) or "discriminator" in node:
            continue
        members = node["oneOf"]
        overlaps = [(i, j) for (i, a), (j, b) in combinations(enumerate(members), 2) if not disjoint(spec, a, b)]
        if overlaps:
            del node["oneOf"]
            if "anyOf" in node:  # both must hold: keep them as two conditions
                node.setdefault("allOf", []).append({"anyOf": members})
            else:
                node["anyOf"] = members
            first = overlaps[0]
            changes.append(Change("overlapping-oneof", slot.pointer, f"branches {first[0]} and {first[1]} overlap"))
    return changes


def _inline_model(schema: Any) -> bool:
    """An inline schema that the generator turns into a model class (an object, or a composition of objects)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    return bool(schema.get("properties") or schema.get("allOf") or schema.get("type") == "object")


@rule("hoist-union-members")
def hoist_union_members(spec: Spec) -> list[Change]:
    """Inline object members of a component that is itself a union become components of their own.

    openapi-python-client builds the members of a root-level union twice (once when it registers the component,
    once when it processes models), so any member with a nested object fails with ``Attempted to generate duplicate
    models`` (Pipelines ``app_installed`` and its siblings). As components, the members are built once, and get
    stable names: ``<component>_<member title>`` or ``<component>_option_<n>``.
    """
    components: dict[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    changes: list[Change] = []
    for name in list(components):
        schema = components[name]
        if not isinstance(schema, dict):
            continue
        for keyword in ("oneOf", "anyOf"):
            members = schema.get(keyword)
            if not isinstance(members, list):
                continue
            for i, member in enumerate(members):
                if not _inline_model(member):
                    continue
                title = member.get("title")
                base = f"{name}_{slug(title) if isinstance(title, str) and slug(title) else f'option_{i + 1}'}"
                new_name, n = base, 2
                while new_name in components:
                    new_name, n = f"{base}_{n}", n + 1
                components[new_name] = member
                members[i] = {"$ref": component_ref(new_name)}
                changes.append(Change("hoist-union-members", f"#/components/schemas/{name}/{keyword}/{i}", new_name))
    return changes


@rule("union-body-required")
def union_body_required(spec: Spec) -> list[Change]:
    """A request body whose schema is a union is marked ``required``.

    For an optional union body, openapi-python-client 0.29.1 emits code that calls ``to_dict()`` on ``UNSET`` when no
    body is given (an AttributeError instead of a request). These bodies (Pipelines identify/track, App send_email,
    Track v2 entity) are required by the API in practice: every documented call sends one.
    """
    changes: list[Change] = []
    for section in ("paths", "webhooks", "x-webhooks"):
        for path, method, op in iter_operations(spec, section):
            body = resolve(spec, op.get("requestBody"))
            if not isinstance(body, dict) or body.get("required") is True:
                continue
            schemas = [resolve(spec, m.get("schema")) for m in (body.get("content") or {}).values()]
            if any(isinstance(s, dict) and ("oneOf" in s or "anyOf" in s) for s in schemas):
                body["required"] = True
                pointer = f"#/{section}/{escape(path)}/{method}/requestBody"
                changes.append(Change("union-body-required", pointer, "required: true"))
    return changes
