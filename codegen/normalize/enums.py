"""Enumerations the generator cannot name, and examples outside their own enumeration."""

from __future__ import annotations

from typing import Any

from ._rule import Change, Spec, rule
from ._walk import iter_slots


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
