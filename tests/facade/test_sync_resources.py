"""The sync resources (``<pkg>/_sync_resources.py``) run on the same base as the async ones, over ``httpx.Client``."""

from __future__ import annotations

import json

import httpx
import pytest
from aiocustomerio_app._sync_resources import SyncAppResources

from aiocustomerio._binding import ApiBinding
from aiocustomerio.errors import PaginationError, UnknownParameterError


def _client(seen: list[httpx.Request], pages: dict[str | None, tuple[list[str], str]]) -> SyncAppResources:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/messages":
            ids, nxt = pages[request.url.params.get("start")]
            return httpx.Response(200, json={"messages": [{"id": i} for i in ids], "next": nxt})
        return httpx.Response(200, json={"delivery_id": "d1", "queued_at": 1, "campaigns": []})

    def connect() -> httpx.Client:
        return httpx.Client(base_url="https://api.customer.io", transport=httpx.MockTransport(handler))

    return SyncAppResources(ApiBinding("app", "aiocustomerio_app", "unix", connect_sync=connect))


def test_calls_raw_responses_and_pagination() -> None:
    seen: list[httpx.Request] = []
    app = _client(seen, {None: (["a"], "c2"), "c2": (["b"], "")})
    assert app.campaigns.list_campaigns().campaigns == []
    sent = app.send_messages.send_email(body={"transactional_message_id": 1, "to": "a@x.io", "identifiers": {"id": 1}})
    assert sent.delivery_id == "d1"
    assert json.loads(seen[-1].content)["to"] == "a@x.io"
    assert seen[-1].extensions["aiocustomerio_unsafe"] is True
    raw = app.campaigns.list_campaigns.with_raw_response(timeout=3)
    assert isinstance(raw, httpx.Response) and seen[-1].extensions["timeout"]["read"] == 3
    assert [m.id for m in app.messages.list_messages.paginate(limit=1)] == ["a", "b"]
    assert [p.next_ for p in app.messages.list_messages.paginate().pages()] == ["c2", ""]
    assert app.route("GET /v1/campaigns") is app.campaigns.list_campaigns


def test_mistakes_and_repeated_cursors_raise_like_async() -> None:
    seen: list[httpx.Request] = []
    app = _client(seen, {None: (["a"], "c2"), "c2": (["b"], "c2")})
    with pytest.raises(UnknownParameterError, match="did you mean 'limit'"):
        app.messages.list_messages(limt=1)  # type: ignore[call-arg]
    with pytest.raises(AttributeError, match="did you mean 'campaigns'"):
        app.campaigns_  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(PaginationError):
        list(app.messages.list_messages.paginate())
    assert len(seen) == 2
