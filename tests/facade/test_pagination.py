"""Paginators: items across pages, typed pages, max_items, positional path parameters, a repeated cursor raises."""

from __future__ import annotations

import httpx
import pytest

from aiocustomerio import CustomerIO, CustomerIOError
from aiocustomerio.errors import PaginationError

from .conftest import Wire


def _messages(pages: dict[str | None, tuple[list[str], str]]) -> object:
    def respond(request: httpx.Request) -> httpx.Response:
        ids, nxt = pages[request.url.params.get("start")]
        return httpx.Response(200, json={"messages": [{"id": i} for i in ids], "next": nxt})

    return respond


THREE = {None: (["a", "b"], "c2"), "c2": (["c"], "c3"), "c3": (["d"], "")}


async def test_paginate_takes_the_path_parameters_positionally(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _messages(THREE)  # type: ignore[assignment]
    op = cio.app.customers.get_person_messages
    items = [m.id async for m in op.paginate("a@example.com", id_type="email", limit=2)]
    assert items == ["a", "b", "c", "d"]
    assert {r.url.raw_path.split(b"?")[0] for r in wire.requests} == {b"/v1/customers/a%40example.com/messages"}
    assert [r.url.params.get("start") for r in wire.requests] == [None, "c2", "c3"]
    assert all(r.url.params["id_type"] == "email" for r in wire.requests)


async def test_pages_are_the_typed_responses(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _messages(THREE)  # type: ignore[assignment]
    pages = [page async for page in cio.app.messages.list_messages.paginate().pages()]
    assert [p.next_ for p in pages] == ["c2", "c3", ""]
    assert [len(p.messages) for p in pages] == [2, 1, 1]


async def test_a_paginator_iterated_again_starts_over(cio: CustomerIO, wire: Wire) -> None:
    # The second `async for` over one paginator yielded nothing and sent nothing: a silent empty listing.
    wire.responder = _messages(THREE)  # type: ignore[assignment]
    paginator = cio.app.messages.list_messages.paginate(max_items=3)
    assert [m.id async for m in paginator] == ["a", "b", "c"]
    assert [m.id async for m in paginator] == ["a", "b", "c"]
    assert [len(p.messages) async for p in paginator.pages()] == [2, 1]
    assert [r.url.params.get("start") for r in wire.requests] == [None, "c2"] * 3


async def test_max_items_stops_without_fetching_more(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _messages(THREE)  # type: ignore[assignment]
    assert [m.id async for m in cio.app.messages.list_messages.paginate(max_items=3)] == ["a", "b", "c"]
    assert len(wire.requests) == 2
    assert [m async for m in cio.app.messages.list_messages.paginate(max_items=0)] == []
    assert len(wire.requests) == 2


async def test_a_repeated_cursor_raises_instead_of_looping(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _messages({None: (["a"], "c2"), "c2": (["b"], "c2")})  # type: ignore[assignment]
    seen = []
    with pytest.raises(PaginationError, match="cursor 'c2' a second time") as info:
        async for message in cio.app.messages.list_messages.paginate():
            seen.append(message.id)
    assert seen == ["a", "b"] and len(wire.requests) == 2
    assert isinstance(info.value, CustomerIOError)


async def test_a_given_start_cursor_counts_as_seen(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _messages({"c2": (["b"], "c2")})  # type: ignore[assignment]
    with pytest.raises(PaginationError):
        [m async for m in cio.app.messages.list_messages.paginate(start="c2")]
    assert len(wire.requests) == 1


def test_mistakes_fail_when_paginate_is_called_not_at_the_first_page() -> None:
    # Not through the fixture: its sync view defers every call to an await, and this is about the call itself.
    cio = CustomerIO(app_api_key="k", env={})
    with pytest.raises(TypeError, match="'limt'"):
        cio.app.messages.list_messages.paginate(limt=3)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="max_items must be an integer >= 0"):
        cio.app.messages.list_messages.paginate(max_items=-1)
