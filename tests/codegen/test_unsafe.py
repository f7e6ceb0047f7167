"""The unsafe-to-repeat rule works on the spec's shape: a synthetic spec with each kind of operation."""

from __future__ import annotations

from typing import Any

from codegen.unsafe import is_unsafe


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"type": "object", "properties": properties}}}}


def _ok(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties}
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


DEDUP = {"type": "string", "description": "An identifier used to deduplicate events."}
SPEC: dict[str, Any] = {
    "components": {"schemas": {"Event": {"type": "object", "properties": {"id": DEDUP, "name": {"type": "string"}}}}},
    "paths": {
        # A send: POST, a body, no dedup id, answers one object.
        "/send": {"post": {"requestBody": _body({"to": {"type": "string"}}), "responses": _ok({"id": {}})}},
        # A recipient's id is not a dedup id.
        "/trigger": {
            "post": {
                "requestBody": _body(
                    {"ids": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}}}
                ),
                "responses": _ok({"id": {"type": "integer"}}),
            }
        },
        # An event carrying a dedup id, and a batch whose items do.
        "/event": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Event"}, "responses": {}}},
        "/batch": {
            "post": {
                "requestBody": _body({"batch": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}),
                "responses": {},
            }
        },
        # A search: POST answering with a list of objects.
        "/search": {
            "post": {
                "requestBody": _body({"filter": {"type": "object"}}),
                "responses": _ok({"people": {"type": "array", "items": {"type": "object"}}}),
            }
        },
        # No body (a toggle), and an idempotent method.
        "/suppress": {"post": {"responses": {}}},
        "/update": {"put": {"requestBody": _body({"name": {"type": "string"}}), "responses": {}}},
    },
}
SPEC["components"]["requestBodies"] = {
    "Event": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}}
}


def _unsafe(path: str) -> bool:
    ((method, op),) = SPEC["paths"][path].items()
    return is_unsafe(SPEC, method, op)


def test_sends_and_triggers_are_unsafe() -> None:
    assert _unsafe("/send") and _unsafe("/trigger")


def test_dedup_ids_searches_toggles_and_puts_are_safe() -> None:
    assert not any(_unsafe(p) for p in ("/event", "/batch", "/search", "/suppress", "/update"))
