"""hoist-repeated-schemas and union-body-required, on small synthetic specs."""

from __future__ import annotations

import copy
from typing import Any

from codegen.normalize import Change, refs, unions

FILTER = {"title": "People Filter", "type": "object", "properties": {"segment": {"type": "integer"}}}
POINT = {"type": "object", "properties": {"x": {"type": "number"}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _spec(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {
        "paths": {
            "/a": {"post": {"requestBody": _body(a), "responses": {}}},
            "/b": {"post": {"requestBody": _body(b), "responses": {}}},
        }
    }


def test_repeated_titled_schema_becomes_one_component_named_by_its_title() -> None:
    spec = _spec(
        {"type": "object", "properties": {"filter": copy.deepcopy(FILTER)}},
        {"type": "array", "items": {**FILTER, "description": "other words, same shape"}},
    )
    changes = refs.hoist_repeated_schemas(spec)
    ref = {"$ref": "#/components/schemas/people_filter"}
    assert spec["components"]["schemas"] == {"people_filter": FILTER}
    assert spec["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"] == {
        "filter": ref
    }
    assert spec["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]["schema"]["items"] == ref
    assert changes == [
        Change(
            "hoist-repeated-schemas",
            "#/paths/~1a/post/requestBody/content/application~1json/schema/properties/filter",
            "2 copies → people_filter",
        )
    ]


def test_untitled_copies_are_named_by_their_common_property_only() -> None:
    same_name = _spec(
        {"type": "object", "properties": {"point": copy.deepcopy(POINT)}},
        {"type": "object", "properties": {"point": copy.deepcopy(POINT)}},
    )
    assert [c.detail for c in refs.hoist_repeated_schemas(same_name)] == ["2 copies → point"]
    different_names = _spec(
        {"type": "object", "properties": {"origin": copy.deepcopy(POINT)}},
        {"type": "object", "properties": {"target": copy.deepcopy(POINT)}},
    )
    before = copy.deepcopy(different_names)
    assert refs.hoist_repeated_schemas(different_names) == []
    assert different_names == before


def test_a_single_copy_and_existing_names_are_respected() -> None:
    spec = _spec({"type": "object", "properties": {"point": copy.deepcopy(POINT)}}, {"type": "string"})
    assert refs.hoist_repeated_schemas(spec) == []
    taken = _spec(
        {"type": "object", "properties": {"point": copy.deepcopy(POINT)}},
        {"type": "object", "properties": {"point": copy.deepcopy(POINT)}},
    )
    taken["components"] = {"schemas": {"point": {"type": "string"}}}
    changes = refs.hoist_repeated_schemas(taken)
    # Named after where its first copy sits (the operation, here without an operationId), never ``point_2``.
    assert set(taken["components"]["schemas"]) == {"point", "post_a_point"}
    assert [c.detail for c in changes] == ["2 copies → post_a_point"]


def test_a_taken_name_is_qualified_by_the_owner_then_the_enclosing_properties() -> None:
    def nested() -> dict[str, Any]:
        return {"type": "object", "properties": {"and": {"type": "object", "properties": {"x": {"type": "string"}}}}}

    spec = {
        "paths": {
            "/t": {
                "post": {
                    "operationId": "triggerBroadcast",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "properties": {
                                "recipients": {"type": "object", "properties": {"filter": nested()}},
                                "other": nested(),
                            },
                        }
                    ),
                    "responses": {},
                }
            }
        },
        "components": {"schemas": {"and": {"type": "string"}, "trigger_broadcast_and": {"type": "integer"}}},
    }
    spec["paths"]["/t"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["other"] = {
        "type": "object",
        "properties": {"and": nested()["properties"]["and"]},
    }
    refs.hoist_repeated_schemas(spec)
    # trigger_broadcast_and is taken too: the nearest enclosing property (``filter``) comes next.
    assert "trigger_broadcast_filter_and" in spec["components"]["schemas"]


def test_copies_of_an_equal_component_refer_to_it_instead_of_a_numbered_twin() -> None:
    spec = _spec(
        {"type": "object", "properties": {"point": copy.deepcopy(POINT)}},
        {"type": "object", "properties": {"point": copy.deepcopy(POINT)}},
    )
    spec["components"] = {"schemas": {"point": {**POINT, "description": "documented once"}}}
    changes = refs.hoist_repeated_schemas(spec)
    assert set(spec["components"]["schemas"]) == {"point"}
    assert [c.detail for c in changes] == ["2 copies → existing point"]


def test_union_bodies_become_required_and_others_do_not() -> None:
    union = {"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "string"}]}
    spec = _spec(union, {"type": "object", "properties": {"a": {"type": "string"}}})
    changes = unions.union_body_required(spec)
    assert spec["paths"]["/a"]["post"]["requestBody"]["required"] is True
    assert "required" not in spec["paths"]["/b"]["post"]["requestBody"]
    assert changes == [Change("union-body-required", "#/paths/~1a/post/requestBody", "required: true")]
    assert unions.union_body_required(spec) == []
