"""normalize() as a whole: the rules run in order, and a second run changes nothing."""

from __future__ import annotations

import copy
import json

from codegen.normalize import RULES, normalize, summarize


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


ADDRESS = {"type": "object", "properties": {"city": {"type": "string"}}}

# One spec in which every rule has something to do.
SPEC = {
    "openapi": "3.0.0",
    "paths": {
        "/customers/{identifier}": {
            "put": {
                "x-moar-primitive-count": 1,
                "parameters": [
                    {
                        "name": "identifier",
                        "in": "path",
                        "required": True,
                        "schema": {"oneOf": [{"type": "string", "title": "id"}, {"type": "string", "title": "email"}]},
                    }
                ],
                "requestBody": _json(
                    {
                        "type": "object",
                        "properties": {
                            "home": {**ADDRESS, "description": "home"},
                            "align": {"type": "string", "enum": ["left", "LEFT", "left"]},
                            "status": {"type": "string", "enum": ["sent", "sent"], "example": "bounced"},
                            "flag": {"type": "boolean", "default": "true"},
                            "count": {"type": "integer", "example": "3"},
                            "context": {"oneOf": [{"type": "object"}, ADDRESS]},
                        },
                    }
                ),
                "responses": {"200": _json({"title": "Address", "type": "object", "properties": {"zip": {}}})},
            }
        }
    },
    "components": {
        "schemas": {
            "Address": copy.deepcopy(ADDRESS),
            "Event": {"anyOf": [{"title": "Page", "type": "object", "properties": {"url": {"type": "string"}}}]},
        }
    },
}

# The rules SPEC gives work to (rules added later may join them).
EXERCISED = {
    "drop-vendor-annotations",
    "reuse-component-schemas",
    "dedupe-enum-values",
    "mistyped-defaults",
    "mistyped-examples",
    "examples-outside-enum",
    "same-primitive-union",
    "overlapping-oneof",
    "hoist-union-members",
    "colliding-titles",
}


def test_the_rules_apply_and_a_second_run_changes_nothing() -> None:
    spec = copy.deepcopy(SPEC)
    first = normalize(spec)
    assert {name for name, n in summarize(first).items() if n} >= EXERCISED
    once = json.loads(json.dumps(spec))
    assert normalize(spec) == []
    assert spec == once


def test_normalize_with_selected_rules_runs_only_those() -> None:
    spec = copy.deepcopy(SPEC)
    changes = normalize(spec, [r for r in RULES if r.name == "mistyped-defaults"])
    assert [c.rule for c in changes] == ["mistyped-defaults"]
    body = spec["paths"]["/customers/{identifier}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["flag"] == {"type": "boolean", "default": True}
    assert spec["paths"]["/customers/{identifier}"]["put"]["x-moar-primitive-count"] == 1


def test_copies_of_hoisted_union_members_are_reused_in_the_same_run() -> None:
    known = {"type": "object", "properties": {"userId": {"type": "string"}}, "required": ["userId"]}
    spec = {
        "components": {
            "schemas": {
                "identify": {"anyOf": [copy.deepcopy(known)]},
                "batch": {"type": "object", "properties": {"item": copy.deepcopy(known)}},
            }
        }
    }
    normalize(spec)
    assert normalize(spec) == []
