"""The OpenAPI 3.1 rules (codegen/normalize/openapi31.py), each on a small synthetic spec."""

from __future__ import annotations

import copy
from typing import Any

from codegen.normalize import Change, normalize, openapi31


def _spec(schemas: dict[str, Any], **root: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": {}, "components": {"schemas": schemas}, **root}


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def test_type_arrays_become_nullable_types_and_null_branches_nullable_unions() -> None:
    spec = _spec(
        {
            "Name": {"type": ["string", "null"]},
            "Id": {"type": ["string", "integer"]},
            "Ref": {"oneOf": [{"$ref": "#/components/schemas/Name"}, {"type": "null"}]},
            "Inline": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
            "Pair": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
            "Null": {"type": ["null"]},
        }
    )
    changes = openapi31.type_arrays(spec)
    assert _schemas(spec) == {
        "Name": {"type": "string", "nullable": True},
        "Id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "Ref": {"allOf": [{"$ref": "#/components/schemas/Name"}], "nullable": True},
        "Inline": {"type": "integer", "minimum": 1, "nullable": True},
        "Pair": {"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True},
        "Null": {"type": ["null"]},
    }
    assert changes[0] == Change("type-arrays", "#/components/schemas/Name", "['string', 'null'] → ['string'] nullable")
    assert len(changes) == 5
    assert openapi31.type_arrays(spec) == []


def test_schema_examples_arrays_and_const() -> None:
    spec = _spec(
        {
            "Kind": {"type": "string", "const": "person", "examples": ["person"]},
            "Age": {"type": "integer", "examples": [30, 40], "example": 1},
        }
    )
    spec["paths"] = {
        "/x": {
            "get": {
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}, "examples": {"a": {"value": "1"}}}
                ],
                "responses": {},
            }
        }
    }
    changes = openapi31.schema_examples(spec)
    assert _schemas(spec) == {
        "Kind": {"type": "string", "enum": ["person"], "example": "person"},
        "Age": {"type": "integer", "example": 1},
    }
    # A parameter's examples map is OpenAPI 3.0 too, and not a schema: it stays.
    assert spec["paths"]["/x"]["get"]["parameters"][0]["examples"] == {"a": {"value": "1"}}
    assert [c.detail for c in changes] == ["examples[1] → example", "const 'person' → enum", "examples[2] → example"]


def test_ref_siblings_annotations_go_constraints_move_into_all_of() -> None:
    ref = "#/components/schemas/Address"
    spec = _spec(
        {
            "Address": {"type": "object", "properties": {"city": {"type": "string"}}},
            "Person": {
                "type": "object",
                "properties": {
                    "home": {"$ref": ref, "description": "Where they live.", "title": "Home"},
                    "work": {"$ref": ref, "nullable": True, "description": "Office."},
                },
            },
        }
    )
    changes = openapi31.ref_siblings(spec)
    props = _schemas(spec)["Person"]["properties"]
    assert props == {"home": {"$ref": ref}, "work": {"allOf": [{"$ref": ref}], "nullable": True}}
    assert [c.detail for c in changes] == ["dropped description, title", "nullable → allOf"]
    assert openapi31.ref_siblings(spec) == []


def test_nested_titled_unions_are_flattened() -> None:
    a, b, c = ({"type": "object", "properties": {k: {"type": "string"}}} for k in "abc")
    spec = _spec(
        {
            "Grouped": {"oneOf": [{"title": "By id", "oneOf": [a, b]}, c]},
            "Wrapped": {"description": "kept", "oneOf": [{"title": "Variants", "anyOf": [a, c]}]},
            "Mixed": {"oneOf": [{"anyOf": [a, b]}, c]},  # a different keyword inside: not the same union
            "Object": {"oneOf": [{"title": "An object", "oneOf": [a], "properties": {"z": {}}}, b]},
        }
    )
    before = copy.deepcopy(_schemas(spec))
    changes = openapi31.nested_unions(spec)
    schemas = _schemas(spec)
    assert schemas["Grouped"] == {"oneOf": [a, b, c]}
    assert schemas["Wrapped"] == {"description": "kept", "anyOf": [a, c]}
    assert schemas["Mixed"] == before["Mixed"] and schemas["Object"] == before["Object"]
    assert [c.pointer for c in changes] == ["#/components/schemas/Grouped", "#/components/schemas/Wrapped"]


def test_described_additional_properties_become_true() -> None:
    spec = _spec(
        {
            "Traits": {"type": "object", "additionalProperties": {"description": "Any trait value."}},
            "Empty": {"type": "object", "additionalProperties": {}},
            "Typed": {"type": "object", "additionalProperties": {"type": "string", "description": "A string."}},
        }
    )
    changes = openapi31.described_additional_properties(spec)
    assert _schemas(spec)["Traits"]["additionalProperties"] is True
    assert _schemas(spec)["Empty"]["additionalProperties"] is True
    assert _schemas(spec)["Typed"]["additionalProperties"] == {"type": "string", "description": "A string."}
    assert len(changes) == 2


def test_the_root_becomes_3_0_3_with_x_webhooks() -> None:
    hook = {"post": {"requestBody": {"content": {}}, "responses": {}}}
    spec = _spec({}, webhooks={"reporting": hook}, jsonSchemaDialect="https://spec.openapis.org/oas/3.1/dialect/base")
    changes = openapi31.openapi_version(spec)
    assert spec["openapi"] == "3.0.3" and spec["x-webhooks"] == {"reporting": hook}
    assert "webhooks" not in spec and "jsonSchemaDialect" not in spec
    assert [c.pointer for c in changes] == ["#/webhooks", "#/jsonSchemaDialect", "#/openapi"]
    assert openapi31.openapi_version({"openapi": "3.0.0"}) == []


def test_a_31_spec_and_its_30_twin_normalize_to_the_same_document_and_stay_there() -> None:
    spec_31 = _spec(
        {
            "Person": {
                "type": "object",
                "properties": {
                    "name": {"type": ["string", "null"], "examples": ["Ada"]},
                    "kind": {"const": "person", "type": "string"},
                    "tags": {"type": "object", "additionalProperties": {"description": "tag values"}},
                },
                "x-scalar-ignore": True,
            }
        },
        webhooks={},
    )
    spec_30 = {
        "openapi": "3.0.3",
        "paths": {},
        "components": {
            "schemas": {
                "Person": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "nullable": True, "example": "Ada"},
                        "kind": {"enum": ["person"], "type": "string"},
                        "tags": {"type": "object", "additionalProperties": True},
                    },
                }
            }
        },
        "x-webhooks": {},
    }
    normalize(spec_31)
    normalize(spec_30)
    assert spec_31 == spec_30
    assert normalize(spec_31) == []


def test_nested_allof_members_are_spliced_in() -> None:
    common = {"$ref": "#/components/schemas/Common"}
    user = {"type": "object", "properties": {"userId": {"type": "string"}}}
    event = {"type": "object", "properties": {"event": {"type": "string"}}}
    spec = _spec(
        {
            "Common": {"type": "object", "properties": {"timestamp": {"type": "string"}}},
            "Track": {"allOf": [{"title": "Known", "allOf": [common, user]}, event]},
            "Kept": {"allOf": [{"allOf": [user], "properties": {"x": {}}}, event]},  # not only an allOf: stays
        }
    )
    changes = openapi31.nested_allof(spec)
    assert _schemas(spec)["Track"] == {"allOf": [common, user, event]}
    assert _schemas(spec)["Kept"]["allOf"][0] == {"allOf": [user], "properties": {"x": {}}}
    assert changes == [Change("nested-allof", "#/components/schemas/Track", "2 → 3 members")]
    assert openapi31.nested_allof(spec) == []


def test_a_ref_to_a_component_that_is_only_an_allof_is_spliced_like_an_inline_copy() -> None:
    user = {"type": "object", "properties": {"userId": {"type": "string"}}}
    event = {"type": "object", "properties": {"event": {"type": "string"}}}
    spec = _spec(
        {
            "Known": {"allOf": [{"$ref": "#/components/schemas/Common"}, user]},
            "Common": {"type": "object"},
            "Track": {"allOf": [{"$ref": "#/components/schemas/Known"}, event]},
        }
    )
    openapi31.nested_allof(spec)
    assert _schemas(spec)["Track"] == {"allOf": [{"$ref": "#/components/schemas/Common"}, user, event]}
