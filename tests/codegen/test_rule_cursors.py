"""missing-next-cursor, path-item-parameters and codegen.pagination, on small synthetic specs (3.0 and 3.1 forms)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from codegen.normalize import Change, cursors, normalize, parameters
from codegen.pagination import Pagination, cursor_operations, pagination

TOKEN = "The token for the page of results you want to return. Responses contain a `next` property."


def _start(type_: Any = "string", description: str = TOKEN) -> dict[str, Any]:
    return {"name": "start", "in": "query", "description": description, "schema": {"type": type_}}


def _answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


MESSAGES = {"type": "object", "properties": {"messages": {"type": "array", "items": {"type": "object"}}}}


def _spec(version: str, *, shared: list[Any], own: list[Any], answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": version,
        "paths": {
            "/v1/messages": {
                "parameters": shared,
                "get": {"operationId": "listMessages", "parameters": own, "responses": _answer(answer)},
            }
        },
    }


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_page_token_on_the_path_item_makes_the_answer_gain_next(version: str) -> None:
    token = _start(["string", "null"] if version.startswith("3.1") else "string")
    spec = _spec(
        version,
        shared=[token],
        own=[{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
        answer=copy.deepcopy(MESSAGES),
    )
    assert pagination(spec, spec["paths"]["/v1/messages"]["get"], [token]) is None  # no `next` declared yet

    changes = normalize(spec, [parameters.path_item_parameters, cursors.missing_next_cursor])

    op = spec["paths"]["/v1/messages"]["get"]
    assert "parameters" not in spec["paths"]["/v1/messages"]
    assert [p["name"] for p in op["parameters"]] == ["start", "limit"]
    properties = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert properties["next"]["type"] == "string"
    assert changes == [
        Change("path-item-parameters", "#/paths/~1v1~1messages/parameters", "1 moved into each operation"),
        Change("missing-next-cursor", "#/paths/~1v1~1messages/get", "answer gains `next`"),
    ]
    assert pagination(spec, op) == Pagination("cursor", "start", "next_", "messages", "limit")
    assert normalize(spec, [parameters.path_item_parameters, cursors.missing_next_cursor]) == []


def test_every_branch_of_a_union_answer_is_a_page() -> None:
    member = {
        "type": "object",
        "properties": {
            "identifiers": {"type": "array", "items": {"type": "object"}},
            "ids": {"type": "array", "items": {"type": "string"}},
        },
    }
    with_next = copy.deepcopy(member)
    with_next["properties"]["next"] = {"type": "string"}
    answer = {"anyOf": [with_next, copy.deepcopy(member)]}
    spec = _spec("3.0.3", shared=[], own=[_start()], answer=answer)
    changes = cursors.missing_next_cursor(spec)
    assert len(changes) == 1
    assert all("next" in branch["properties"] for branch in answer["anyOf"])
    assert pagination(spec, spec["paths"]["/v1/messages"]["get"]) == Pagination(
        "cursor", "start", "next_", "identifiers", None
    )


def test_a_component_answer_behind_a_ref_gains_next() -> None:
    spec = _spec("3.1.0", shared=[], own=[_start()], answer={"$ref": "#/components/schemas/Messages"})
    spec["components"] = {"schemas": {"Messages": copy.deepcopy(MESSAGES)}}
    assert [c.rule for c in cursors.missing_next_cursor(spec)] == ["missing-next-cursor"]
    assert "next" in spec["components"]["schemas"]["Messages"]["properties"]


@pytest.mark.parametrize(
    "token",
    [
        _start("integer", "The unix timestamp for the beginning of your metrics."),  # a time window, not a cursor
        _start("string", "Where to begin."),  # no promise of `next`
    ],
    ids=["integer-start", "no-next-promised"],
)
def test_other_start_parameters_are_not_cursors(token: dict[str, Any]) -> None:
    spec = _spec("3.0.3", shared=[token], own=[], answer=copy.deepcopy(MESSAGES))
    before = copy.deepcopy(spec)
    assert cursors.missing_next_cursor(spec) == []
    assert spec == before
    assert list(cursor_operations(spec)) == []


def test_an_operations_own_parameter_overrides_the_path_items() -> None:
    spec = _spec(
        "3.0.3",
        shared=[_start(), {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
        own=[_start("integer", "A unix timestamp.")],
        answer=copy.deepcopy(MESSAGES),
    )
    parameters.path_item_parameters(spec)
    params = spec["paths"]["/v1/messages"]["get"]["parameters"]
    assert [(p["name"], p["schema"]["type"]) for p in params] == [("limit", "integer"), ("start", "integer")]
    assert list(cursor_operations(spec)) == []


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_page_token_is_read_from_the_answer_when_its_description_does_not_say_next(version: str) -> None:
    # A republished spec may reword or drop a parameter's description; the answer's `next` is the shape itself.
    # Before, such a listing's paginate() (and the CLI's --all) stopped after the first page without a word.
    nullable: Any = ["string", "null"] if version.startswith("3.1") else "string"
    answer = copy.deepcopy(MESSAGES)
    answer["properties"]["next"] = {"type": nullable}
    spec = _spec(version, shared=[], own=[_start(nullable, "The page token."), _limit()], answer=answer)
    op = spec["paths"]["/v1/messages"]["get"]
    assert pagination(spec, op) == Pagination("cursor", "start", "next_", "messages", "limit")
    assert [path for path, _, _ in cursor_operations(spec)] == ["/v1/messages"]
    assert cursors.missing_next_cursor(spec) == []  # the answer already has it: nothing to add


def test_an_undocumented_start_without_next_in_the_answer_is_not_a_page_token() -> None:
    spec = _spec("3.0.3", shared=[], own=[_start("string", "Where to begin.")], answer=copy.deepcopy(MESSAGES))
    assert pagination(spec, spec["paths"]["/v1/messages"]["get"]) is None
    assert list(cursor_operations(spec)) == []
    answer = copy.deepcopy(MESSAGES)
    answer["properties"]["next"] = {"type": "string"}
    timestamps = _spec("3.0.3", shared=[], own=[_start("integer", "A unix timestamp.")], answer=answer)
    assert pagination(timestamps, timestamps["paths"]["/v1/messages"]["get"]) is None  # a time window


def _limit() -> dict[str, Any]:
    return {"name": "limit", "in": "query", "schema": {"type": "integer"}}
