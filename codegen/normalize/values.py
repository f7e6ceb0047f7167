"""Defaults and examples written with the wrong JSON type."""

from __future__ import annotations

from typing import Any

from ._rule import Change, Spec, rule
from ._walk import iter_slots, schema_type

_MISSING = object()


def _coerce(value: Any, json_type: str) -> Any:
    """``value`` as ``json_type`` when it is that type written another way; ``_MISSING`` when it cannot be."""
    if json_type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
        return _MISSING
    if json_type in {"integer", "number"}:
        if isinstance(value, bool):
            return _MISSING
        if isinstance(value, int) or (json_type == "number" and isinstance(value, float)):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return _MISSING
            return int(number) if json_type == "integer" and number.is_integer() else number
        return _MISSING
    if json_type == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return _MISSING
    return value


def _valid_datetime(value: Any) -> bool:
    from datetime import datetime

    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _retype(spec: Spec, key: str, rule_name: str, types: set[str] | None) -> list[Change]:
    """Convert each ``key`` value (``default`` or ``example``) to its schema's JSON type, or drop it if it cannot be."""
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or key not in node:
            continue
        json_type = schema_type(node)
        if json_type is None or (types is not None and json_type not in types):
            continue
        old = node[key]
        new = _coerce(old, json_type)
        if json_type == "string" and node.get("format") in {"date-time", "date"} and not _valid_datetime(old):
            new = _MISSING
        if new is _MISSING:
            del node[key]
            changes.append(Change(rule_name, slot.pointer, f"dropped {old!r} (not a {json_type})"))
        elif new != old or type(new) is not type(old):
            node[key] = new
            changes.append(Change(rule_name, slot.pointer, f"{old!r} → {new!r}"))
    return changes


@rule("mistyped-defaults")
def mistyped_defaults(spec: Spec) -> list[Change]:
    """A ``default`` whose JSON type differs from the schema's (``"true"`` for a boolean) is converted, or dropped.

    The generator refuses such schemas (``Invalid boolean value``). Pipelines mapping schemas put JSONPath
    expressions such as ``$.context.network.wifi`` in ``default``: those are documentation, not defaults, and go.
    """
    return _retype(spec, "default", "mistyped-defaults", None)


@rule("mistyped-examples")
def mistyped_examples(spec: Spec) -> list[Change]:
    """An ``example`` whose JSON type differs from the schema's (``12345`` for a string id) is converted, or dropped.

    Validating mock servers and contract tests use examples as values: a mistyped one is an invalid request.
    """
    return _retype(spec, "example", "mistyped-examples", {"boolean", "integer", "number", "string"})


@rule("keyword-as-property")
def keyword_as_property(spec: Spec) -> list[Change]:
    """A property literally named ``additionalProperties`` is the keyword, written one level too deep.

    The App spec's person ``timestamps`` lists ``additionalProperties`` under ``properties``; generated as it is, the
    model gets a field that collides with the generator's own ``additional_properties`` and every response that
    carries timestamps fails to parse. Moved to the keyword (unless the schema already has one), it means what the
    spec's author meant: a map of attribute name to timestamp.
    """
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or "additionalProperties" not in props:
            continue
        misplaced = props.pop("additionalProperties")
        if isinstance(node.get("required"), list) and "additionalProperties" in node["required"]:
            node["required"].remove("additionalProperties")
        if "additionalProperties" not in node and isinstance(misplaced, dict):
            node["additionalProperties"] = misplaced
            changes.append(Change("keyword-as-property", slot.pointer, "properties.additionalProperties → keyword"))
        else:
            changes.append(Change("keyword-as-property", slot.pointer, "dropped properties.additionalProperties"))
    return changes
