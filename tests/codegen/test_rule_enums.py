"""dedupe-enum-values and examples-outside-enum."""

from __future__ import annotations

import copy

from codegen.normalize import Change, enums


def _spec(**schemas: dict) -> dict:
    return {"components": {"schemas": schemas}}


def test_exact_repeats_are_dropped() -> None:
    spec = _spec(Status={"type": "string", "enum": ["sent", "failed", "sent", "sent"]})
    changes = enums.dedupe_enum_values(spec)
    assert spec == _spec(Status={"type": "string", "enum": ["sent", "failed"]})
    assert changes == [Change("dedupe-enum-values", "#/components/schemas/Status", "dropped 2 repeat(s)")]


def test_case_colliding_values_open_the_enum_and_are_listed() -> None:
    spec = _spec(
        Msg={
            "type": "object",
            "properties": {
                "align": {"type": "string", "description": "Alignment", "enum": ["center", "CENTER", "left"]}
            },
        }
    )
    changes = enums.dedupe_enum_values(spec)
    assert spec["components"]["schemas"]["Msg"]["properties"]["align"] == {
        "type": "string",
        "description": "Alignment\n\nKnown values: 'center', 'CENTER', 'left'.",
    }
    assert changes == [
        Change(
            "dedupe-enum-values",
            "#/components/schemas/Msg/properties/align",
            "case-colliding values: enum opened to string",
        )
    ]


def test_repeats_and_case_collisions_together_give_two_changes() -> None:
    spec = _spec(Pos={"type": "string", "enum": ["top", "Top", "top"]})
    changes = enums.dedupe_enum_values(spec)
    assert spec == _spec(Pos={"type": "string", "description": "Known values: 'top', 'Top'."})
    assert [c.detail for c in changes] == ["dropped 1 repeat(s)", "case-colliding values: enum opened to string"]


def test_distinct_values_null_and_lookalikes_stay() -> None:
    spec = _spec(
        Kind={"type": ["string", "null"], "enum": ["a", "b", None]},
        Holder={
            "type": "object",
            "properties": {"k": {"type": "string"}},
            "example": {"enum": ["x", "X", "x"]},
            "x-enum-source": {"enum": ["y", "y"]},
        },
    )
    before = copy.deepcopy(spec)
    assert enums.dedupe_enum_values(spec) == []
    assert spec == before


def test_example_outside_its_enum_becomes_the_first_value() -> None:
    spec = {
        "paths": {
            "/api/v1/metrics": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "event": {"type": "string", "enum": ["opened", "clicked"], "example": "bounced"}
                                    },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    changes = enums.examples_outside_enum(spec)
    schema = spec["paths"]["/api/v1/metrics"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["event"] == {"type": "string", "enum": ["opened", "clicked"], "example": "opened"}
    assert changes == [
        Change(
            "examples-outside-enum",
            "#/paths/~1api~1v1~1metrics/post/requestBody/content/application~1json/schema/properties/event",
            "'bounced' → 'opened'",
        )
    ]


def test_examples_inside_the_enum_missing_or_without_enum_stay() -> None:
    spec = _spec(
        Ok={"type": "string", "enum": ["a", "b"], "example": "b"},
        NoExample={"type": "string", "enum": ["a"]},
        EmptyEnum={"type": "string", "enum": [], "example": "z"},
        NoEnum={"type": "string", "example": "z"},
        # An object example is data, not a schema: the values inside it are not checked against property enums.
        Obj={"type": "object", "properties": {"e": {"type": "string", "enum": ["a"]}}, "example": {"e": "zz"}},
    )
    before = copy.deepcopy(spec)
    assert enums.examples_outside_enum(spec) == []
    assert spec == before


def test_response_only_enums_open_and_request_enums_stay() -> None:
    state = {"type": "string", "enum": ["sent", "failed"]}
    spec = {
        "components": {
            "schemas": {
                "delivery": {"type": "object", "properties": {"state": dict(state)}},
                "filter": {"type": "object", "properties": {"state": dict(state)}},
            }
        },
        "paths": {
            "/d": {
                "post": {
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/filter"}}}
                    },
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "delivery": {"$ref": "#/components/schemas/delivery"},
                                            "kind": {"type": "string", "enum": ["a", "b"]},
                                            "echo": {"$ref": "#/components/schemas/filter"},
                                        },
                                    }
                                }
                            }
                        }
                    },
                }
            }
        },
    }
    changes = enums.open_response_enums(spec)
    delivery_state = spec["components"]["schemas"]["delivery"]["properties"]["state"]
    assert "enum" not in delivery_state and "Known values: 'sent', 'failed'." in delivery_state["description"]
    assert spec["components"]["schemas"]["filter"]["properties"]["state"]["enum"] == ["sent", "failed"]
    response = spec["paths"]["/d"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "enum" not in response["properties"]["kind"]
    assert sorted(c.pointer for c in changes) == [
        "#/components/schemas/delivery/properties/state",
        "#/paths/~1d/post/responses/200/content/application~1json/schema/properties/kind",
    ]
    assert enums.open_response_enums(spec) == []
