"""drop-packager-annotations: ``x-moar-*`` keys go wherever they are; every other key stays."""

from __future__ import annotations

from codegen.normalize import Change, vendor

RULE = vendor.drop_packager_annotations


def test_removes_packager_keys_everywhere_with_json_pointers() -> None:
    spec = {
        "openapi": "3.0.0",
        "paths": {
            "/v1/people/{id}": {
                "get": {
                    "operationId": "getPerson",
                    "x-moar-primitive-count": 3,
                    "x-codeSamples": [{"lang": "curl"}],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Person": {
                    "type": "object",
                    "x-moar-complexity-skipped": True,
                    "properties": {"tags": {"type": "array", "items": [{"type": "string", "x-moar-a": 1}]}},
                }
            }
        },
    }
    changes = RULE(spec)
    assert spec == {
        "openapi": "3.0.0",
        "paths": {
            "/v1/people/{id}": {
                "get": {
                    "operationId": "getPerson",
                    "x-codeSamples": [{"lang": "curl"}],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Person": {"type": "object", "properties": {"tags": {"type": "array", "items": [{"type": "string"}]}}}
            }
        },
    }
    # Path keys hold "/", which a JSON pointer must escape as "~1" (as every other rule's pointers do).
    assert changes == [
        Change("drop-packager-annotations", "#/paths/~1v1~1people~1{id}/get/x-moar-primitive-count", "removed"),
        Change("drop-packager-annotations", "#/components/schemas/Person/x-moar-complexity-skipped", "removed"),
        Change("drop-packager-annotations", "#/components/schemas/Person/properties/tags/items/0/x-moar-a", "removed"),
    ]


def test_other_vendor_keys_and_lookalikes_stay() -> None:
    spec = {
        "components": {
            "schemas": {
                "A": {
                    "type": "string",
                    "x-moar": "no dash: not the packager's prefix",
                    "x-codeSamples": [],
                    "x-moarish-thing": 1,
                    "example": "x-moar-looks-like-a-key-but-is-a-value",
                }
            }
        }
    }
    before = {"components": {"schemas": {"A": dict(spec["components"]["schemas"]["A"])}}}
    assert RULE(spec) == []
    assert spec == before
