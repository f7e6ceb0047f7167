"""colliding-titles: titles that would name two models alike are dropped; unique titles stay."""

from __future__ import annotations

import copy

import pytest

from codegen.normalize import Change, titles


@pytest.mark.parametrize(
    ("a", "b"),
    [("email_failed", "EmailFailed"), ("Known User", "known_user"), ("sent", "Sent"), ("ID", "Id")],
)
def test_names_that_give_the_same_class_or_module_collide(a: str, b: str) -> None:
    assert titles.class_name(a) == titles.class_name(b)


@pytest.mark.parametrize(("a", "b"), [("sent", "sent2"), ("email_failed", "push_failed"), ("Id", "Ids")])
def test_different_names_do_not_collide(a: str, b: str) -> None:
    assert titles.class_name(a) != titles.class_name(b)


def test_titles_sharing_a_class_name_are_all_dropped() -> None:
    spec = {
        "components": {
            "schemas": {
                "email_failed": {"title": "failed", "type": "object", "properties": {"email": {"type": "string"}}},
                "push_failed": {"title": "Failed", "type": "object", "properties": {"push": {"type": "string"}}},
                "Unique": {"title": "Delivered", "type": "object"},
            }
        }
    }
    changes = titles.colliding_titles(spec)
    schemas = spec["components"]["schemas"]
    assert "title" not in schemas["email_failed"]
    assert "title" not in schemas["push_failed"]
    assert schemas["Unique"] == {"title": "Delivered", "type": "object"}
    assert changes == [
        Change("colliding-titles", "#/components/schemas/email_failed", "dropped title 'failed'"),
        Change("colliding-titles", "#/components/schemas/push_failed", "dropped title 'Failed'"),
    ]


def test_a_title_colliding_with_an_untitled_component_name_is_dropped_and_the_component_kept() -> None:
    inline = {"title": "known user", "type": "object", "properties": {"id": {"type": "string"}}}
    spec = {
        "components": {"schemas": {"KnownUser": {"type": "object", "properties": {"id": {"type": "integer"}}}}},
        "paths": {"/identify": {"post": {"requestBody": {"content": {"application/json": {"schema": inline}}}}}},
    }
    changes = titles.colliding_titles(spec)
    assert spec["paths"]["/identify"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "object",
        "properties": {"id": {"type": "string"}},
    }
    assert spec["components"]["schemas"]["KnownUser"] == {"type": "object", "properties": {"id": {"type": "integer"}}}
    assert changes == [
        Change(
            "colliding-titles",
            "#/paths/~1identify/post/requestBody/content/application~1json/schema",
            "dropped title 'known user'",
        )
    ]


def test_two_identical_titled_copies_both_lose_the_title() -> None:
    copy_ = {"title": "Sent", "type": "object", "properties": {"at": {"type": "integer"}}}
    spec = {
        "components": {
            "schemas": {"A": {"type": "object", "properties": {"x": copy.deepcopy(copy_), "y": copy.deepcopy(copy_)}}}
        }
    }
    changes = titles.colliding_titles(spec)
    props = spec["components"]["schemas"]["A"]["properties"]
    assert props["x"] == props["y"] == {"type": "object", "properties": {"at": {"type": "integer"}}}
    assert [c.pointer for c in changes] == [
        "#/components/schemas/A/properties/x",
        "#/components/schemas/A/properties/y",
    ]


def test_unique_titles_and_titles_outside_schemas_stay() -> None:
    spec = {
        "info": {"title": "Track API"},
        "components": {
            "schemas": {
                "Person": {
                    "title": "Person",
                    "type": "object",
                    "properties": {
                        # A property *named* title is a field, not a schema title.
                        "title": {"type": "string"},
                        "job": {"title": "Job", "type": "object"},
                    },
                    "example": {"title": "Person"},
                    "x-meta": {"title": "Job"},
                }
            }
        },
    }
    before = copy.deepcopy(spec)
    assert titles.colliding_titles(spec) == []
    assert spec == before
