"""position-pages and codegen.pagination.position_paging, on small synthetic specs: listings paged by position."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codegen.normalize import FINDINGS, Change, cursors, normalize_file, summarize
from codegen.pagination import Pagination, pagination, position_operations


def _query(name: str, type_: str = "integer", **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": type_, **schema}}


TOKEN = {**_query("start", "string"), "description": "The page token. Responses contain a `next` property."}
ROWS = {
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "suppressions": {"type": "array", "items": {"type": "object", "properties": {"email": {"type": "string"}}}},
    },
}


def _spec(params: list[Any], answer: dict[str, Any] = ROWS, shared: list[Any] | None = None) -> dict[str, Any]:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": answer}}}}
    return {
        "openapi": "3.0.3",
        "paths": {
            "/v1/rows/{kind}": {
                "parameters": shared or [],
                "get": {"operationId": "listRows", "parameters": params, "responses": ok},
            }
        },
    }


def _op(spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"]["/v1/rows/{kind}"]["get"]
    return op


def test_offset_and_limit_page_by_position() -> None:
    spec = _spec([_query("limit", default=100, maximum=1000), _query("offset", default=0)])
    assert pagination(spec, _op(spec)) == Pagination("offset", "offset", None, "suppressions", "limit", 100, 0, None)
    assert cursors.position_pages(spec) == [
        Change(
            "position-pages",
            "#/paths/~1v1~1rows~1{kind}/get",
            "paged by `offset` + `limit` (offset), items `suppressions`",
        )
    ]


def test_page_and_per_page_on_the_path_item_with_a_documented_total() -> None:
    answer = {**ROWS, "properties": {**ROWS["properties"], "total": {"type": "integer"}}}
    spec = _spec([], answer, shared=[_query("page", default=1), _query("per_page")])
    assert pagination(spec, _op(spec), spec["paths"]["/v1/rows/{kind}"]["parameters"]) == Pagination(
        "page", "page", None, "suppressions", "per_page", None, 1, "total"
    )
    assert [path for path, *_ in position_operations(spec)] == ["/v1/rows/{kind}"]


@pytest.mark.parametrize(
    "params, answer",
    [
        ([_query("offset")], ROWS),  # no page size beside it
        ([_query("limit")], ROWS),  # a page size alone: one page, the API's cap
        ([_query("offset", "string"), _query("limit")], ROWS),  # not a position
        ([_query("offset"), _query("limit"), TOKEN], ROWS),  # a page token: a cursor listing, not this rule's
        ([_query("offset"), _query("page"), _query("limit")], ROWS),  # two positions: ambiguous
        ([_query("offset"), _query("limit")], {"type": "object", "properties": {"n": {"type": "integer"}}}),  # no items
    ],
)
def test_other_shapes_are_not_paged_by_position(params: list[Any], answer: dict[str, Any]) -> None:
    spec = _spec(params, answer)
    assert pagination(spec, _op(spec)) is None
    assert cursors.position_pages(spec) == []


def test_the_finding_is_logged_once_and_changes_nothing(tmp_path: Path) -> None:
    spec = _spec([_query("limit", default=100), _query("offset", default=0)])
    source, dest = tmp_path / "raw.json", tmp_path / "normalized.json"
    source.write_text(json.dumps(spec))
    changes = normalize_file(source, dest)
    assert cursors.position_pages in FINDINGS
    assert [c.rule for c in changes].count("position-pages") == 1 and summarize(changes)["position-pages"] == 1
    again = normalize_file(dest, tmp_path / "twice.json")  # a normalized spec: the finding is reported again, only
    assert [c.rule for c in again] == ["position-pages"]
    assert json.loads((tmp_path / "twice.json").read_text()) == json.loads(dest.read_text())
