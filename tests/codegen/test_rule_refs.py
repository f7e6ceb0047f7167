"""reuse-component-schemas: inline copies of a component model become a $ref to it, and nothing else does."""

from __future__ import annotations

import copy

from codegen.normalize import Change, refs

RULE = refs.reuse_component_schemas
ADDRESS = {"type": "object", "properties": {"city": {"type": "string"}}, "description": "A postal address"}


def _body(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def test_inline_copies_become_refs_ignoring_documentation_keys() -> None:
    spec = {
        "components": {
            "schemas": {
                "Address": copy.deepcopy(ADDRESS),
                "Person": {"type": "object", "properties": {"home": {**ADDRESS, "description": "Where they live"}}},
            }
        },
        "paths": {
            "/people": {
                "post": {
                    "requestBody": _body({**ADDRESS, "example": {"city": "Oslo"}}),
                    "responses": {"200": _body({"type": "array", "items": copy.deepcopy(ADDRESS)})},
                }
            }
        },
    }
    changes = RULE(spec)
    ref = {"$ref": "#/components/schemas/Address"}
    assert spec["components"]["schemas"] == {
        "Address": ADDRESS,
        "Person": {"type": "object", "properties": {"home": ref}},
    }
    op = spec["paths"]["/people"]["post"]
    assert op["requestBody"] == _body(ref)
    assert op["responses"]["200"] == _body({"type": "array", "items": ref})
    assert changes == [
        Change(
            "reuse-component-schemas", "#/components/schemas/Person/properties/home", "→ #/components/schemas/Address"
        ),
        Change(
            "reuse-component-schemas",
            "#/paths/~1people/post/requestBody/content/application~1json/schema",
            "→ #/components/schemas/Address",
        ),
        Change(
            "reuse-component-schemas",
            "#/paths/~1people/post/responses/200/content/application~1json/schema/items",
            "→ #/components/schemas/Address",
        ),
    ]


def test_equal_components_stay_and_the_first_by_name_wins() -> None:
    spec = {
        "components": {
            "schemas": {
                "Place": copy.deepcopy(ADDRESS),
                "Address": copy.deepcopy(ADDRESS),
                "Order": {"type": "object", "properties": {"ship_to": copy.deepcopy(ADDRESS)}},
            }
        }
    }
    changes = RULE(spec)
    schemas = spec["components"]["schemas"]
    # Component roots keep their own content: their names are part of the API.
    assert schemas["Place"] == ADDRESS
    assert schemas["Address"] == ADDRESS
    assert schemas["Order"]["properties"]["ship_to"] == {"$ref": "#/components/schemas/Address"}
    assert changes == [
        Change(
            "reuse-component-schemas", "#/components/schemas/Order/properties/ship_to", "→ #/components/schemas/Address"
        )
    ]


def test_leaves_primitives_examples_vendor_data_and_different_shapes_alone() -> None:
    spec = {
        "components": {
            "schemas": {
                "Address": copy.deepcopy(ADDRESS),
                "Email": {"type": "string", "format": "email"},
                "Person": {
                    "type": "object",
                    "properties": {
                        # Equal to the primitive component Email: a $ref would gain nothing, so it stays inline.
                        "email": {"type": "string", "format": "email"},
                        # Same shape plus a property: a different model.
                        "office": {"type": "object", "properties": {"city": {"type": "string"}, "floor": {}}},
                        # A different type for the same property name: a different model.
                        "other": {"type": "object", "properties": {"city": {"type": "integer"}}},
                    },
                    # Data that merely looks like a schema is not a schema position.
                    "example": {"home": copy.deepcopy(ADDRESS)},
                    "x-shape": copy.deepcopy(ADDRESS),
                },
            }
        }
    }
    before = copy.deepcopy(spec)
    assert RULE(spec) == []
    assert spec == before


def test_existing_refs_are_not_rewritten_and_no_components_means_no_change() -> None:
    spec = {
        "components": {
            "schemas": {
                "Address": copy.deepcopy(ADDRESS),
                "Alias": {"$ref": "#/components/schemas/Address"},
                "Person": {"type": "object", "properties": {"home": {"$ref": "#/components/schemas/Alias"}}},
            }
        }
    }
    before = copy.deepcopy(spec)
    assert RULE(spec) == []
    assert spec == before

    bare = {"paths": {"/x": {"get": {"responses": {"200": _body(copy.deepcopy(ADDRESS))}}}}}
    assert RULE(bare) == []
    assert bare["paths"]["/x"]["get"]["responses"]["200"] == _body(ADDRESS)
