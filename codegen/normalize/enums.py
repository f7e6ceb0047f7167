"""Enumerations the generator cannot name, examples outside their enumeration, and enums answers may outgrow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._rule import Change, Spec, rule
from ._walk import (
    Slot,
    children,
    escape,
    iter_operations,
    iter_slots,
    media_schemas,
    parameter_schemas,
    schema_type,
    unescape,
)


def _enum_key(value: Any) -> str:
    # openapi-python-client names members by the upper-cased value: values equal after that collide.
    return str(value).upper()


@rule("dedupe-enum-values")
def dedupe_enum_values(spec: Spec) -> list[Change]:
    """Enum values that repeat, exactly or after case folding, crash the generator (``Duplicate key CENTER``).

    Exact repeats are dropped (nothing is lost). Values that differ only in case are all accepted upstream, so the
    enum becomes an open string whose description lists them: narrowing it would reject values the API takes.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        values = node.get("enum") if isinstance(node, dict) else None
        if not isinstance(values, list):
            continue
        unique: list[Any] = []
        for value in values:
            if value not in unique:
                unique.append(value)
        if len(unique) != len(values):
            node["enum"] = unique
            changes.append(Change("dedupe-enum-values", slot.pointer, f"dropped {len(values) - len(unique)} repeat(s)"))
        keys = [_enum_key(v) for v in unique if v is not None]
        if len(set(keys)) != len(keys):
            del node["enum"]
            listed = ", ".join(repr(v) for v in unique)
            node["description"] = (str(node.get("description", "")) + f"\n\nKnown values: {listed}.").strip()
            changes.append(Change("dedupe-enum-values", slot.pointer, "case-colliding values: enum opened to string"))
    return changes


@rule("examples-outside-enum")
def examples_outside_enum(spec: Spec) -> list[Change]:
    """An ``example`` that is not one of its schema's ``enum`` values is replaced by the first allowed value.

    Mock servers answer with examples and contract tests send them; an example the schema rejects (Track
    ``/api/v1/metrics`` shows ``bounced``) makes a valid operation look broken.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or not isinstance(node.get("enum"), list) or not node["enum"]:
            continue
        if "example" in node and node["example"] not in node["enum"]:
            old = node["example"]
            node["example"] = node["enum"][0]
            changes.append(Change("examples-outside-enum", slot.pointer, f"{old!r} → {node['example']!r}"))
    return changes


def _refs_in(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(unescape(ref.rsplit("/", 1)[1]))
        for value in node.values():
            _refs_in(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs_in(value, found)


def _closure(spec: Spec, roots: set[str]) -> set[str]:
    components = (spec.get("components") or {}).get("schemas") or {}
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        more: set[str] = set()
        _refs_in(components[name], more)
        todo.extend(more - seen)
    return seen


def _open(node: dict[str, Any]) -> None:
    listed = ", ".join(repr(v) for v in node.pop("enum"))
    node["description"] = (str(node.get("description", "")) + f"\n\nKnown values: {listed}.").strip()


@rule("open-response-enums")
def open_response_enums(spec: Spec) -> list[Change]:
    """String enums that only responses use become open strings that list the known values.

    Generated models parse an enum strictly, so the day Customer.io adds a value (a new activity type, a new
    delivery state) every call whose answer carries it would fail. Answers must not break on news; requests keep their
    enums, so a mistyped value is still caught before sending. Schemas that requests use too are left as they are.
    """
    request_roots: set[str] = set()
    response_slots: list[Slot] = []
    for path, method, op in iter_operations(spec):
        base = f"#/paths/{escape(path)}/{method}"
        for slot in [*parameter_schemas(op.get("parameters"), base), *media_schemas(op.get("requestBody"), base)]:
            _refs_in(slot.get(), request_roots)
        for status, response in (op.get("responses") or {}).items():
            response_slots.extend(media_schemas(response, f"{base}/responses/{status}"))
    for item in (spec.get("paths") or {}).values():
        if isinstance(item, dict):
            _refs_in(item.get("parameters"), request_roots)
    used_by_requests = _closure(spec, request_roots)
    response_roots: set[str] = set()
    for slot in response_slots:
        _refs_in(slot.get(), response_roots)
    components = (spec.get("components") or {}).get("schemas") or {}
    targets = list(response_slots)
    targets += [
        Slot(components, name, f"#/components/schemas/{name}")
        for name in sorted(_closure(spec, response_roots) - used_by_requests)
    ]
    changes: list[Change] = []
    for root in targets:
        for slot in _descend(root):
            node = slot.get()
            if isinstance(node, dict) and isinstance(node.get("enum"), list) and schema_type(node) == "string":
                _open(node)
                changes.append(Change("open-response-enums", slot.pointer, "enum opened to string"))
    return changes


def _descend(root: Slot) -> Iterator[Slot]:
    stack = [root]
    while stack:
        slot = stack.pop()
        yield slot
        stack.extend(children(slot.get(), slot.pointer))
