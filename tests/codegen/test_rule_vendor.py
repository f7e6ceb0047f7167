"""drop-vendor-annotations: every ``x-*`` key of a documentation tool goes; meaningful ones, names and data stay."""

from __future__ import annotations

import copy
from typing import Any

from codegen.normalize import Change, vendor

RULE = vendor.drop_vendor_annotations


def _spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "x-tagGroups": [{"name": "People", "tags": ["people"]}],
        "tags": [{"name": "people", "x-displayName": "People"}],
        "paths": {
            "/v1/people/{id}": {
                "get": {
                    "operationId": "getPerson",
                    "x-moar-primitive-count": 3,
                    "x-codeSamples": [{"lang": "curl"}],
                    "parameters": [
                        {"name": "x-trace", "in": "header", "schema": {"type": "string"}, "x-scalar-ignore": True}
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"x-request-id": {"schema": {"type": "string", "x-scalar-ignore": True}}},
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Person"},
                                    "example": {"x-literal": 1},
                                    "examples": {"x-named": {"value": {"x-literal": 2}, "x-displayName": "n"}},
                                }
                            },
                        }
                    },
                }
            }
        },
        "x-webhooks": {"reportingWebhook": {"post": {"x-codeSamples": [], "responses": {}}}},
        "components": {
            "schemas": {
                "Person": {
                    "type": "object",
                    "x-moar-complexity-skipped": True,
                    "default": {"x-kept": True},
                    "properties": {
                        "x-id": {"type": "string", "examples": [{"x-kept": 1}]},
                        "tags": {"type": "array", "items": [{"type": "string", "x-moar-a": 1}]},
                        "traits": {"type": "object", "additionalProperties": {"x-additionalPropertiesName": "trait"}},
                    },
                },
                "Level": {"type": "string", "enum": ["a", "b"], "x-enum-varnames": ["A", "B"]},
            }
        },
    }


def test_removes_vendor_keys_everywhere_keeps_names_data_and_meaningful_ones() -> None:
    spec = _spec()
    changes = RULE(spec)
    op = spec["paths"]["/v1/people/{id}"]["get"]
    assert "x-tagGroups" not in spec and spec["tags"] == [{"name": "people"}]
    assert set(op) == {"operationId", "parameters", "responses"}
    assert op["parameters"] == [{"name": "x-trace", "in": "header", "schema": {"type": "string"}}]
    response = op["responses"]["200"]
    assert response["headers"] == {"x-request-id": {"schema": {"type": "string"}}}
    media = response["content"]["application/json"]
    assert media["example"] == {"x-literal": 1}
    assert media["examples"] == {"x-named": {"value": {"x-literal": 2}}}
    assert spec["x-webhooks"] == {"reportingWebhook": {"post": {"responses": {}}}}
    person = spec["components"]["schemas"]["Person"]
    assert "x-moar-complexity-skipped" not in person and person["default"] == {"x-kept": True}
    assert person["properties"]["x-id"] == {"type": "string", "examples": [{"x-kept": 1}]}
    assert person["properties"]["tags"]["items"] == [{"type": "string"}]
    assert person["properties"]["traits"]["additionalProperties"] == {}
    assert spec["components"]["schemas"]["Level"]["x-enum-varnames"] == ["A", "B"]
    assert Change("drop-vendor-annotations", "#/x-tagGroups", "removed") in changes
    assert Change("drop-vendor-annotations", "#/paths/~1v1~1people~1{id}/get/x-moar-primitive-count", "removed") in (
        changes
    )
    assert len(changes) == 11


def test_a_second_run_changes_nothing() -> None:
    spec = _spec()
    RULE(spec)
    once = copy.deepcopy(spec)
    assert RULE(spec) == []
    assert spec == once


def test_an_operations_responses_lose_their_extensions_and_component_responses_keep_their_names() -> None:
    # The Responses Object may carry extensions beside its status codes; the generator took `x-docs-note` for a
    # status code ("WARNING parsing GET /v1/people/{id}"). Under components, `responses` maps names, kept as named.
    ok = {"description": "ok"}
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": {"/v1/people/{id}": {"get": {"responses": {"200": ok, "x-docs-note": {"description": "hidden"}}}}},
        "x-webhooks": {"sent": {"post": {"responses": {"200": ok, "x-summary": "s"}}}},
        "components": {"responses": {"x-error": {"description": "a response component named x-error"}}},
    }
    changes = RULE(spec)
    assert spec["paths"]["/v1/people/{id}"]["get"]["responses"] == {"200": ok}
    assert spec["x-webhooks"]["sent"]["post"]["responses"] == {"200": ok}
    assert spec["components"]["responses"] == {"x-error": {"description": "a response component named x-error"}}
    assert Change("drop-vendor-annotations", "#/paths/~1v1~1people~1{id}/get/responses/x-docs-note", "removed") in (
        changes
    )
    assert len(changes) == 2
