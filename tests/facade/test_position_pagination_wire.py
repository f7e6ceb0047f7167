"""Listings paged by position (``offset``/``limit``) walk every page on the wire, async and sync.

The listings come from the index (codegen/pagination.py ``position_paging`` reads them from the spec's shape); the
pinned App spec has one, ``GET /v1/esp/suppression/{suppression_type}``, which stopped after its first page (100 of
250 addresses) before.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiocustomerio_app._index import OPERATIONS as APP
from aiocustomerio_app.models.suppressions import Suppressions

from aiocustomerio import CustomerIO, Limits, RetryPolicy, SyncCustomerIO
from aiocustomerio.errors import PaginationError

from .conftest import APP_KEY

TOTAL = 250
ROUTE = "/v1/esp/suppression/bounces"


class Suppressed:
    """An answer of ``TOTAL`` suppressed addresses, paged by ``offset`` and ``limit`` (default 100)."""

    def __init__(self, total: int = TOTAL, ignore_offset: bool = False) -> None:
        self.total, self.ignore_offset = total, ignore_offset
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        offset = 0 if self.ignore_offset else int(request.url.params.get("offset", 0))
        limit = int(request.url.params.get("limit", 100))
        rows = [
            {"email": f"a{i}@x.io", "reason": "bounce", "created": 1}
            for i in range(offset, min(offset + limit, self.total))
        ]
        return httpx.Response(200, json={"suppressions": rows})

    def offsets(self) -> list[str | None]:
        assert all(r.url.path == ROUTE for r in self.requests)
        return [r.url.params.get("offset") for r in self.requests]


def _client(wire: Suppressed, kind: type[Any] = CustomerIO) -> Any:
    return kind(
        app_api_key=APP_KEY,
        env={},
        limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(wire),
    )


def test_the_index_walks_the_pinned_offset_listing_by_position() -> None:
    positions = {
        (tag, name): op["pagination"]
        for tag, ops in APP.items()
        for name, op in ops.items()
        if op["pagination"] and op["pagination"]["style"] != "cursor"
    }
    assert positions == {
        ("esp_suppression", "get_suppression_by_type"): {
            "style": "offset",
            "cursor": "offset",
            "next": None,
            "items": "suppressions",
            "limit": "limit",
            "size": 100,
            "first": 0,
            "total": None,
        }
    }


async def test_async_paginate_asks_offset_after_offset_until_a_short_page() -> None:
    wire = Suppressed()
    async with _client(wire) as cio:
        items = [item async for item in cio.app.esp_suppression.get_suppression_by_type.paginate("bounces")]
    assert wire.offsets() == ["0", "100", "200"]
    assert [i.email for i in items] == [f"a{i}@x.io" for i in range(TOTAL)]
    assert all(isinstance(i, Suppressions) for i in items)


async def test_a_given_limit_and_offset_set_the_pages_and_max_items_stops_early() -> None:
    wire = Suppressed()
    async with _client(wire) as cio:
        op = cio.app.esp_suppression.get_suppression_by_type
        items = [i async for i in op.paginate("bounces", limit=60, offset=10)]
        assert wire.offsets() == ["10", "70", "130", "190", "250"]  # 4 full pages of 60, then an empty one
        assert [r.url.params["limit"] for r in wire.requests] == ["60"] * 5
        assert len(items) == TOTAL - 10 and items[0].email == "a10@x.io"
        wire.requests.clear()
        capped = [i async for i in op.paginate("bounces", max_items=150)]
        assert wire.offsets() == ["0", "100"] and len(capped) == 150
        wire.requests.clear()
        pages = [p async for p in op.paginate("bounces", limit=125).pages()]
        # 125 + 125 fills the total exactly: the third, empty page says it is the end.
        assert wire.offsets() == ["0", "125", "250"] and [len(p.suppressions) for p in pages] == [125, 125, 0]


async def test_an_api_that_ignores_the_offset_raises_instead_of_looping() -> None:
    wire = Suppressed(ignore_offset=True)
    async with _client(wire) as cio:
        seen = []
        with pytest.raises(PaginationError, match="offset=100"):
            async for item in cio.app.esp_suppression.get_suppression_by_type.paginate("bounces"):
                seen.append(item)
    assert wire.offsets() == ["0", "100"] and len(seen) == 200


def test_sync_paginate_walks_every_page() -> None:
    wire = Suppressed()
    with _client(wire, SyncCustomerIO) as cio:
        items = list(cio.app.esp_suppression.get_suppression_by_type.paginate("bounces"))
    assert wire.offsets() == ["0", "100", "200"]
    assert len(items) == TOTAL and all(isinstance(i, Suppressions) for i in items)
