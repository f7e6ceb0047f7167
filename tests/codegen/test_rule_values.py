"""mistyped-defaults and mistyped-examples: values written with the wrong JSON type are converted or dropped."""

from __future__ import annotations

import copy

import pytest

from codegen.normalize import Change, values


def _props(**props: dict) -> dict:
    return {"components": {"schemas": {"M": {"type": "object", "properties": props}}}}


def _pointer(prop: str) -> str:
    return f"#/components/schemas/M/properties/{prop}"


@pytest.mark.parametrize(
    ("schema", "after", "detail"),
    [
        ({"type": "boolean", "default": "true"}, {"type": "boolean", "default": True}, "'true' → True"),
        ({"type": "boolean", "default": " False "}, {"type": "boolean", "default": False}, "' False ' → False"),
        ({"type": "integer", "default": "5"}, {"type": "integer", "default": 5}, "'5' → 5"),
        ({"type": "integer", "default": 5.0}, {"type": "integer", "default": 5}, "5.0 → 5"),
        ({"type": "number", "default": "1.5"}, {"type": "number", "default": 1.5}, "'1.5' → 1.5"),
        ({"type": "string", "default": 3}, {"type": "string", "default": "3"}, "3 → '3'"),
        ({"type": ["integer", "null"], "default": "7"}, {"type": ["integer", "null"], "default": 7}, "'7' → 7"),
        (
            {"type": "boolean", "default": "$.context.network.wifi"},
            {"type": "boolean"},
            "dropped '$.context.network.wifi' (not a boolean)",
        ),
        ({"type": "integer", "default": True}, {"type": "integer"}, "dropped True (not a integer)"),
        ({"type": "integer", "default": 1.5}, {"type": "integer"}, "dropped 1.5 (not a integer)"),
        (
            {"type": "string", "format": "date-time", "default": "now"},
            {"type": "string", "format": "date-time"},
            "dropped 'now' (not a string)",
        ),
    ],
)
def test_mistyped_defaults(schema: dict, after: dict, detail: str) -> None:
    spec = _props(p=schema)
    changes = values.mistyped_defaults(spec)
    assert spec == _props(p=after)
    assert changes == [Change("mistyped-defaults", _pointer("p"), detail)]


def test_defaults_of_the_right_type_or_without_a_single_type_stay() -> None:
    spec = _props(
        a={"type": "boolean", "default": False},
        b={"type": "integer", "default": 5},
        c={"type": "number", "default": 2},
        d={"type": "string", "format": "date-time", "default": "2024-01-31T10:00:00Z"},
        e={"type": "object", "default": {}},
        f={"default": "anything"},
        g={"type": ["string", "integer"], "default": 1},
        # A property *named* default is a field of the model, not a default value.
        h={"type": "object", "properties": {"default": {"type": "boolean"}}},
    )
    before = copy.deepcopy(spec)
    assert values.mistyped_defaults(spec) == []
    assert spec == before


@pytest.mark.parametrize(
    ("schema", "after", "detail"),
    [
        ({"type": "string", "example": 12345}, {"type": "string", "example": "12345"}, "12345 → '12345'"),
        ({"type": "integer", "example": "42"}, {"type": "integer", "example": 42}, "'42' → 42"),
        ({"type": "boolean", "example": "yes"}, {"type": "boolean"}, "dropped 'yes' (not a boolean)"),
        ({"type": "number", "example": "abc"}, {"type": "number"}, "dropped 'abc' (not a number)"),
    ],
)
def test_mistyped_examples(schema: dict, after: dict, detail: str) -> None:
    spec = _props(p=schema)
    changes = values.mistyped_examples(spec)
    assert spec == _props(p=after)
    assert changes == [Change("mistyped-examples", _pointer("p"), detail)]


def test_examples_of_the_right_type_structured_or_outside_schemas_stay() -> None:
    spec = _props(
        a={"type": "number", "example": 3},
        b={"type": "string", "example": "x"},
        c={"type": "object", "example": {"n": "1"}},
        d={"type": "array", "items": {"type": "string"}, "example": [1, 2]},
        e={"example": 1},
    )
    # A media type's example sits beside the schema, not in it: it is not a schema position.
    spec["paths"] = {
        "/p": {
            "get": {
                "responses": {"200": {"content": {"application/json": {"schema": {"type": "string"}, "example": 5}}}}
            }
        }
    }
    before = copy.deepcopy(spec)
    assert values.mistyped_examples(spec) == []
    assert spec == before


def test_keyword_written_as_a_property_becomes_the_keyword() -> None:
    ts = {"type": "integer", "description": "unix seconds"}
    spec = {
        "components": {
            "schemas": {
                "timestamps": {"type": "object", "properties": {"additionalProperties": ts, "id": {"type": "string"}}},
                "fine": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
            }
        }
    }
    changes = values.keyword_as_property(spec)
    assert spec["components"]["schemas"]["timestamps"] == {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "additionalProperties": ts,
    }
    assert spec["components"]["schemas"]["fine"]["additionalProperties"] is False
    assert [c.pointer for c in changes] == ["#/components/schemas/timestamps"]
