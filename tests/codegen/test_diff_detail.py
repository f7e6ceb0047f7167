"""The spec diff `make update-specs` prints, on small synthetic old/new specs: operations added and removed, and for
an operation on both sides its parameters and request-body fields added, removed and retyped, with their types.

Before, a retyped parameter was `~ path id changed` and a new body field `#/properties/note added`, so a team
regenerating had to open both specs to learn what a field now takes.
"""

from __future__ import annotations

import copy
from typing import Any

from codegen.diff import diff, diff_specs, render
from codegen.surface import api_surface, body_fields, type_label


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ok"}}}}}

OLD: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "components": {
        "schemas": {
            "Ok": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
            "Device": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}, "platform": {"type": "string", "enum": ["ios", "android"]}},
            },
        }
    },
    "paths": {
        "/v1/people/{id}": {
            "put": {
                "operationId": "updatePerson",
                "tags": ["People"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "old_flag", "in": "query", "schema": {"type": "boolean"}},
                ],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["email"],
                        "properties": {
                            "email": {"type": "string"},
                            "age": {"type": "string"},
                            "gone": {"type": "integer"},
                            "devices": {"type": "array", "items": {"$ref": "#/components/schemas/Device"}},
                            "name": {"type": "string", "maxLength": 10},
                        },
                    }
                ),
                "responses": OK,
            }
        },
        "/v1/legacy": {"get": {"operationId": "legacy", "tags": ["People"], "responses": OK}},
    },
}


def _new() -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    op = new["paths"]["/v1/people/{id}"]["put"]
    op["parameters"][0]["schema"] = {"type": "integer"}  # retyped
    op["parameters"][1]["required"] = True  # now required
    del op["parameters"][2]  # removed
    op["parameters"].append({"name": "X-Trace", "in": "header", "schema": {"type": "string", "format": "uuid"}})
    body = op["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["age"] = {"type": "integer", "nullable": True}  # retyped
    del body["properties"]["gone"]
    body["properties"]["note"] = {"type": "array", "items": {"type": "string"}}  # added
    body["properties"]["name"]["maxLength"] = 20  # a bound: no type changes, told by pointer
    body["required"] = ["email", "note"]
    new["components"]["schemas"]["Device"]["properties"]["platform"]["enum"].append("web")  # a component's field
    new["components"]["schemas"]["Ok"]["properties"]["ok"] = {"type": "string"}  # a response's shape
    del new["paths"]["/v1/legacy"]
    new["paths"]["/v1/people/{id}/notes"] = {"post": {"operationId": "addNote", "tags": ["People"], "responses": OK}}
    return new


ROUTE = "PUT /v1/people/{id}"


def test_operations_parameters_and_fields_are_named_with_their_types() -> None:
    lines = render("t.json", diff_specs(copy.deepcopy(OLD), _new())).splitlines()
    assert lines == [
        "t.json: operations: 1 added, 1 removed, 1 changed",
        "  + operation added: POST /v1/people/{id}/notes (People.addNote)",
        "  - operation removed: GET /v1/legacy (People.legacy)",
        f"  ~ parameter {ROUTE}: + header X-Trace (string (uuid))",
        f"  ~ parameter {ROUTE}: - query old_flag (boolean)",
        f"  ~ parameter {ROUTE}: ~ path id: required string → required integer",
        f"  ~ parameter {ROUTE}: ~ query limit: integer → required integer",
        f"  ~ field {ROUTE} request: + note (required array of string)",
        f"  ~ field {ROUTE} request: - gone (integer)",
        f"  ~ field {ROUTE} request: ~ age: string → integer or null",
        f"  ~ field {ROUTE} request: ~ devices[].platform: enum (ios, android) → enum (ios, android, web)",
        f"  ~ schema {ROUTE} request: #/properties/name changed",  # a bound: the pointer, as before
        f"  ~ schema {ROUTE} response 200: #/properties/ok changed",
    ]


def test_the_same_spec_has_no_changes() -> None:
    assert diff_specs(copy.deepcopy(OLD), copy.deepcopy(OLD)).empty


def test_a_surface_written_before_the_types_still_diffs_by_fingerprint_and_pointer() -> None:
    # specs/surface.json committed by an older codegen has no parameter_types or request_fields.
    old = api_surface(copy.deepcopy(OLD))
    for op in old.values():
        del op["parameter_types"], op["request_fields"]
    lines = render("t", diff(old, api_surface(_new()))).splitlines()
    assert f"  ~ parameter {ROUTE}: ~ path id changed" in lines
    assert f"  ~ parameter {ROUTE}: + header X-Trace (string (uuid))" in lines  # the new side's words
    assert f"  ~ schema {ROUTE} request: #/properties/note added" in lines
    assert not [line for line in lines if line.startswith("  ~ field ")]


def test_type_labels_and_fields_read_the_schema_shape() -> None:
    spec = copy.deepcopy(OLD)
    assert type_label(spec, {"$ref": "#/components/schemas/Device"}) == "object"
    assert type_label(spec, {"oneOf": [{"type": "string"}, {"type": "integer", "format": "int64"}]}) == (
        "oneOf (string | integer (int64))"
    )
    assert type_label(spec, {}) == "any"
    schema = {
        "allOf": [{"$ref": "#/components/schemas/Device"}],
        "oneOf": [{"properties": {"v": {"type": "string"}}}, {"properties": {"v": {"type": "integer"}}}],
    }
    assert body_fields(spec, schema) == {
        "id": "required string",
        "platform": "enum (ios, android)",
        "v": "integer | string",  # two alternatives type it differently: both
    }
