"""Where a dedup id goes is read from the spec's shape: a synthetic spec with each kind of body."""

from __future__ import annotations

from typing import Any

from codegen.dedup import operation_dedup
from codegen.unsafe import is_unsafe

DEDUP = {"type": "string", "description": "An identifier used to deduplicate events."}
UNIQUE = {"type": "string", "description": "Makes each call unique."}


def _obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **extra}


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _op(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": {}}


SCHEMAS: dict[str, Any] = {
    # Track v1-like: every alternative carries the id.
    "Event": {"anyOf": [_obj({"name": {}, "id": DEDUP}), _obj({"name": {}, "type": _enum("page"), "id": DEDUP})]},
    # Track v2-like: events carry it, the other actions do not; told apart by `action`, held in allOf parts.
    "Entity": {
        "oneOf": [
            {"allOf": [_obj({"type": _enum("person")}), _obj({"action": _enum("event"), "id": DEDUP})]},
            {"allOf": [_obj({"type": _enum("person")}), _obj({"action": _enum("identify")})]},
            {"allOf": [_obj({"type": _enum("object")}), _obj({"action": _enum("delete")})]},
        ]
    },
    # Pipelines-like: shared fields that name every call type carry the id; a batch item omits them.
    "Common": _obj({"type": _enum("identify", "track"), "messageId": UNIQUE}),
    "Identify": {"allOf": [_obj({"type": _enum("identify")}), {"$ref": "#/components/schemas/Common"}]},
    "TrackCall": _obj({"type": _enum("track"), "event": {}}),
}
SPEC: dict[str, Any] = {"components": {"schemas": SCHEMAS}, "paths": {}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _rules(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return operation_dedup(SPEC, _op(schema))


def test_an_id_on_every_alternative_is_always_stamped() -> None:
    assert _rules(_ref("Event")) == [{"at": [], "field": "id", "unless": None}]


def test_kinds_without_the_id_are_exempt_by_their_discriminator() -> None:
    # `action` tells each kind without an id apart; `type` does not (a person can be an event).
    unless = {"property": "action", "values": ["delete", "identify"]}
    assert _rules(_ref("Entity")) == [{"at": [], "field": "id", "unless": unless}]


def test_batch_items_are_located_and_shared_fields_cover_every_type_they_name() -> None:
    batch = _obj({"batch": {"type": "array", "items": {"anyOf": [_ref("Identify"), _ref("TrackCall")]}}})
    assert _rules(batch) == [{"at": ["batch", "*"], "field": "messageId", "unless": None}]
    assert _rules({"type": "array", "items": _ref("Event")}) == [{"at": ["*"], "field": "id", "unless": None}]


def test_ids_that_do_not_deduplicate_are_not_dedup_ids() -> None:
    recipients = _obj({"ids": {"type": "array", "items": _obj({"id": {"type": "string"}})}})
    read_only = _obj({"id": {**DEDUP, "readOnly": True}})
    assert _rules(recipients) == [] and _rules(read_only) == []


def test_a_body_whose_kinds_cannot_be_told_apart_is_not_dedup_safe_and_so_unsafe() -> None:
    mixed = {"anyOf": [_obj({"name": {}, "id": DEDUP}), _obj({"to": {}})]}  # no discriminator
    two_names = {"anyOf": [_obj({"id": DEDUP}), _obj({"messageId": UNIQUE})]}
    for schema in (mixed, two_names):
        assert _rules(schema) == []
        assert is_unsafe(SPEC, "post", _op(schema))
    assert not is_unsafe(SPEC, "post", _op(_ref("Entity")))
