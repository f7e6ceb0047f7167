"""invalid-examples: structured examples their own schema rejects are dropped; valid ones stay."""

from __future__ import annotations

from typing import Any

from codegen.normalize import examples

RULE = examples.invalid_examples
PERSON = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "at": {"type": "string", "format": "date-time"}},
}


def _spec(schema_example: Any, media_example: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "components": {"schemas": {"person": {**PERSON, "example": schema_example}}},
        "paths": {
            "/p": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/person"},
                                "example": media_example,
                            }
                        }
                    },
                    "responses": {},
                }
            }
        },
    }


def test_invalid_examples_are_dropped_with_the_reason() -> None:
    spec = _spec({"id": 12345}, {"id": "u", "at": "2015-02-23T22:28:55.387Z,"})
    changes = RULE(spec)
    assert "example" not in spec["components"]["schemas"]["person"]
    assert "example" not in spec["paths"]["/p"]["post"]["requestBody"]["content"]["application/json"]
    assert [(c.pointer, c.detail.split(":")[0]) for c in changes] == [
        ("#/components/schemas/person/example", "id"),
        ("#/paths/~1p/post/requestBody/content/application~1json/example", "at"),
    ]


def test_valid_examples_stay() -> None:
    spec = _spec({"id": "u"}, {"id": "u", "at": "2015-02-23T22:28:55.387Z"})
    assert RULE(spec) == []
    assert spec["components"]["schemas"]["person"]["example"] == {"id": "u"}


def test_nullable_is_understood() -> None:
    spec = _spec({"id": "u"}, {"id": "u"})
    spec["components"]["schemas"]["person"]["properties"]["id"]["nullable"] = True
    spec["components"]["schemas"]["person"]["example"] = {"id": None}
    assert RULE(spec) == []


def test_named_examples_are_checked_one_by_one() -> None:
    spec = _spec({"id": "u"}, {"id": "u"})
    media = spec["paths"]["/p"]["post"]["requestBody"]["content"]["application/json"]
    del media["example"]
    media["examples"] = {"good": {"value": {"id": "a"}}, "bad": {"value": {}}}
    changes = RULE(spec)
    assert list(media["examples"]) == ["good"]
    assert changes[0].pointer.endswith("/examples/bad") and "'id' is a required property" in changes[0].detail
