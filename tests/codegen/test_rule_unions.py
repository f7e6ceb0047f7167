"""same-primitive-union, overlapping-oneof and hoist-union-members."""

from __future__ import annotations

import copy

from codegen.normalize import Change, unions

IDENTIFIER = {
    "description": "Who to update.",
    "oneOf": [
        {"type": "string", "title": "id", "description": "The unique id.", "example": "42"},
        {"type": "string", "title": "email", "description": "An email address."},
        {"type": "string", "description": "A cio_id."},
    ],
}


def _param_spec(schema: dict) -> dict:
    return {
        "paths": {
            "/customers/{identifier}": {
                "put": {"parameters": [{"name": "identifier", "in": "path", "required": True, "schema": schema}]}
            }
        }
    }


PARAM_POINTER = "#/paths/~1customers~1{identifier}/put/parameters/0/schema"


def test_union_of_one_primitive_becomes_it_and_keeps_the_descriptions() -> None:
    spec = _param_spec(copy.deepcopy(IDENTIFIER))
    changes = unions.same_primitive_union(spec)
    assert spec == _param_spec(
        {
            "description": "Who to update.\nid: The unique id.\nemail: An email address.\noption 3: A cio_id.",
            "type": "string",
            "example": "42",
        }
    )
    assert changes == [Change("same-primitive-union", PARAM_POINTER, "oneOf of 3 strings")]


def test_refs_to_primitive_components_are_followed() -> None:
    spec = {
        "components": {
            "schemas": {
                "Id": {"type": "integer"},
                "Holder": {
                    "type": "object",
                    "properties": {"n": {"anyOf": [{"$ref": "#/components/schemas/Id"}, {"type": "integer"}]}},
                },
            }
        }
    }
    changes = unions.same_primitive_union(spec)
    assert spec["components"]["schemas"]["Holder"]["properties"]["n"] == {"type": "integer"}
    assert changes == [
        Change("same-primitive-union", "#/components/schemas/Holder/properties/n", "anyOf of 2 integers")
    ]


def test_a_nullable_member_keeps_the_merged_schema_nullable() -> None:
    # Merging must not narrow: null matched the union, so it must match the merged schema too.
    spec = _param_spec({"oneOf": [{"type": "string"}, {"type": ["string", "null"]}]})
    unions.same_primitive_union(spec)
    assert spec == _param_spec({"type": ["string", "null"]})

    spec30 = _param_spec({"anyOf": [{"type": "string", "nullable": True}, {"type": "string"}]})
    unions.same_primitive_union(spec30)
    assert spec30 == _param_spec({"type": "string", "nullable": True})


def test_mixed_structured_or_enumerated_unions_stay() -> None:
    spec = {
        "components": {
            "schemas": {
                "Mixed": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "Objects": {"anyOf": [{"type": "object", "properties": {"a": {}}}, {"type": "object"}]},
                "Enumerated": {"oneOf": [{"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["b"]}]},
                "Arrays": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "array"}]},
                "WithNull": {"oneOf": [{"type": "string"}, {"type": "null"}]},
            }
        }
    }
    before = copy.deepcopy(spec)
    assert unions.same_primitive_union(spec) == []
    assert spec == before


def _obj(**props: dict) -> dict:
    return {"type": "object", "properties": props}


def test_overlapping_oneof_becomes_anyof() -> None:
    mobile = _obj(device=_obj(id={"type": "string"}))
    web = _obj(page=_obj(url={"type": "string"}))
    spec = {"components": {"schemas": {"Context": {"description": "context", "oneOf": [mobile, web]}}}}
    changes = unions.overlapping_oneof(spec)
    assert spec == {"components": {"schemas": {"Context": {"description": "context", "anyOf": [mobile, web]}}}}
    assert changes == [Change("overlapping-oneof", "#/components/schemas/Context", "branches 0 and 1 overlap")]


def test_integer_and_number_overlap_and_an_existing_anyof_is_kept_as_a_second_condition() -> None:
    existing = [{"minimum": 0}, {"maximum": 10}]
    spec = {"components": {"schemas": {"N": {"oneOf": [{"type": "integer"}, {"type": "number"}], "anyOf": existing}}}}
    changes = unions.overlapping_oneof(spec)
    assert spec == {
        "components": {
            "schemas": {"N": {"anyOf": existing, "allOf": [{"anyOf": [{"type": "integer"}, {"type": "number"}]}]}}
        }
    }
    assert changes == [Change("overlapping-oneof", "#/components/schemas/N", "branches 0 and 1 overlap")]


def test_disjoint_or_discriminated_oneof_stays() -> None:
    def kind(value: str) -> dict:
        return {**_obj(type={"type": "string", "enum": [value]}, x={"type": "string"}), "required": ["type"]}

    spec = {
        "components": {
            "schemas": {
                "A": kind("a"),
                "B": {**_obj(type={"const": "b"}), "required": ["type"]},
                "ByType": {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "array"}]},
                "ByEnum": {"oneOf": [{"type": "string", "enum": ["x", "y"]}, {"type": "string", "enum": ["z"]}]},
                "ByTag": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
                "Discriminated": {
                    "oneOf": [_obj(a={"type": "string"}), _obj(b={"type": "string"})],
                    "discriminator": {"propertyName": "kind"},
                },
            }
        }
    }
    before = copy.deepcopy(spec)
    assert unions.overlapping_oneof(spec) == []
    assert spec == before


def test_tag_property_that_is_not_required_in_both_does_not_prove_disjointness() -> None:
    spec = {
        "components": {
            "schemas": {
                "U": {"oneOf": [_obj(type={"const": "a"}), {**_obj(type={"const": "b"}), "required": ["type"]}]}
            }
        }
    }
    changes = unions.overlapping_oneof(spec)
    assert "anyOf" in spec["components"]["schemas"]["U"]
    assert "oneOf" not in spec["components"]["schemas"]["U"]
    assert changes == [Change("overlapping-oneof", "#/components/schemas/U", "branches 0 and 1 overlap")]


def test_inline_object_members_of_a_component_union_are_hoisted() -> None:
    page = {"title": "Page View", "type": "object", "properties": {"url": {"type": "string"}}}
    untitled = {"type": "object", "properties": {"name": {"type": "string"}}}
    composed = {"title": "!!", "allOf": [{"$ref": "#/components/schemas/Other"}]}
    spec = {
        "components": {
            "schemas": {
                "Other": {"type": "object", "properties": {"o": {"type": "string"}}},
                "Event_page_view": {"type": "string"},
                "Event": {
                    "anyOf": [
                        copy.deepcopy(page),
                        copy.deepcopy(untitled),
                        {"type": "string"},
                        {"$ref": "#/components/schemas/Other"},
                        copy.deepcopy(composed),
                    ]
                },
            }
        }
    }
    changes = unions.hoist_union_members(spec)
    schemas = spec["components"]["schemas"]
    assert schemas["Event"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/Event_page_view_2"},
            {"$ref": "#/components/schemas/Event_option_2"},
            {"type": "string"},
            {"$ref": "#/components/schemas/Other"},
            {"$ref": "#/components/schemas/Event_option_5"},
        ]
    }
    assert schemas["Event_page_view"] == {"type": "string"}
    assert schemas["Event_page_view_2"] == page
    assert schemas["Event_option_2"] == untitled
    assert schemas["Event_option_5"] == composed
    assert changes == [
        Change("hoist-union-members", "#/components/schemas/Event/anyOf/0", "Event_page_view_2"),
        Change("hoist-union-members", "#/components/schemas/Event/anyOf/1", "Event_option_2"),
        Change("hoist-union-members", "#/components/schemas/Event/anyOf/4", "Event_option_5"),
    ]


def test_unions_below_the_component_root_or_outside_components_are_not_hoisted() -> None:
    member = {"type": "object", "properties": {"a": {"type": "string"}}}
    spec = {
        "components": {
            "schemas": {"Holder": {"type": "object", "properties": {"u": {"oneOf": [copy.deepcopy(member)]}}}}
        },
        "paths": {
            "/x": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"anyOf": [copy.deepcopy(member)]}}}}
                }
            }
        },
    }
    before = copy.deepcopy(spec)
    assert unions.hoist_union_members(spec) == []
    assert spec == before
