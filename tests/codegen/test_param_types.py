"""What each parameter takes is read from its schema's shape: a synthetic spec with each kind of parameter."""

from __future__ import annotations

import ast
from typing import Any

from codegen.param_types import parameter_types
from codegen.signatures import Param


def _param(name: str, annotation: str, positional: bool = False) -> Param:
    return Param(name, ast.parse(annotation, mode="eval").body, positional, positional)


def _p(name: str, where: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": where, "schema": schema}


SPEC: dict[str, Any] = {
    "components": {
        "schemas": {"Limit": {"type": "integer", "minimum": 1, "maximum": 100}},
        "parameters": {"Limit": _p("limit", "query", {"$ref": "#/components/schemas/Limit"})},
    },
}
OP: dict[str, Any] = {
    "parameters": [
        _p("thing_id", "path", {"type": "integer", "format": "int32"}),
        {"$ref": "#/components/parameters/Limit"},
        _p("type", "query", {"type": "string", "enum": ["a", "b"]}),  # a Python keyword: `type_` in the function
        _p("deleted", "query", {"type": "boolean", "default": False}),
        _p("score", "query", {"type": "number", "maximum": 1, "exclusiveMaximum": True}),  # OpenAPI 3.0's flag
        _p("ratio", "query", {"type": "number", "exclusiveMinimum": 0}),  # 3.1's bound
        _p("since", "query", {"type": "string", "format": "date-time"}),
        _p("tags", "query", {"type": "array", "items": {"type": "string"}}),
        _p("X-Strict-Mode", "header", {"type": "string"}),
        _p("either", "query", {"oneOf": [{"type": "string"}, {"type": "integer"}]}),  # no single type: unchecked
        _p("file", "query", {"type": "string", "format": "binary"}),  # the generator's own type: unchecked
        _p("mismatch", "query", {"type": "integer"}),  # the generated function takes a str: left as it is
        _p("session", "cookie", {"type": "string"}),  # not a location the façade sends
        _p("absent", "query", {"type": "string"}),  # not in the generated function
    ]
}
GENERATED = [
    _param("thing_id", "int", positional=True),
    _param("shared", "str", positional=True),
    _param("limit", "int | Unset"),
    _param("type_", "ThingType | Unset"),
    _param("deleted", "bool | Unset"),
    _param("score", "float | Unset"),
    _param("ratio", "float | Unset"),
    _param("since", "datetime.datetime | Unset"),
    _param("tags", "list[str] | Unset"),
    _param("x_strict_mode", "str | Unset"),
    _param("either", "int | str | Unset"),
    _param("file", "File | Unset"),
    _param("mismatch", "str | Unset"),
    _param("session", "str | Unset"),
]


def test_each_parameter_is_recorded_by_its_schema() -> None:
    shared = [_p("shared", "path", {"type": "string"})]  # a path item's parameter applies to the operation
    assert parameter_types(SPEC, OP, GENERATED, shared) == {
        "deleted": {"in": "query", "name": "deleted", "type": "boolean"},
        "limit": {"in": "query", "name": "limit", "type": "integer", "minimum": 1, "maximum": 100},
        "ratio": {"in": "query", "name": "ratio", "type": "number", "exclusiveMinimum": 0},
        "score": {"in": "query", "name": "score", "type": "number", "exclusiveMaximum": 1},
        "shared": {"in": "path", "name": "shared", "type": "string"},
        "since": {"in": "query", "name": "since", "type": "date-time"},
        "tags": {"in": "query", "name": "tags", "type": "array", "items": "string"},
        "thing_id": {"in": "path", "name": "thing_id", "type": "integer"},
        "type_": {"in": "query", "name": "type", "type": "enum"},
        "x_strict_mode": {"in": "header", "name": "X-Strict-Mode", "type": "string"},
    }


def test_an_operation_without_parameters_has_no_records() -> None:
    assert parameter_types(SPEC, {"responses": {}}, []) == {}


def test_a_body_field_is_recorded_when_every_alternative_types_it_alike() -> None:
    from codegen.param_types import body_field_types

    common = {"type": "object", "properties": {"userId": {"type": "string"}, "version": {"type": "number"}}}
    spec: dict[str, Any] = {"components": {"schemas": {"Common": common}}}
    body = {
        "oneOf": [
            {
                "allOf": [
                    {"$ref": "#/components/schemas/Common"},
                    {"properties": {"event": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}},
                ]
            },
            {
                "allOf": [
                    {"$ref": "#/components/schemas/Common"},
                    {"properties": {"event": {"type": "integer"}, "sent": {"type": "boolean"}}},
                ]
            },
        ],
        "properties": {"kind": {"type": "string", "enum": ["a"]}, "data": {"type": "object"}, "any": {}},
    }
    assert body_field_types(spec, body) == {
        "at": {"type": "date-time-text"},  # a date-time string: a datetime is encoded into one
        "sent": {"type": "boolean"},
        "userId": {"type": "string"},
        "version": {"type": "number"},
    }  # event: typed differently by two alternatives; kind: an enum; data: an object; any: untyped
    assert body_field_types(spec, {"type": "array", "items": common}) == {}
    assert body_field_types(spec, None) == {}
