"""The Pipelines ingestor's typed methods take the spec's `context` and `integrations`, as the façade's do, checked
by the same rule (_builders.pipelines_message): `integrations` (which destinations get a message) was missing, so a
caller moving from `cio.pipelines.track(...)` to the ingestor could not keep a message from a destination."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO
from aiocustomerio._sync.ingest import SyncPipelinesIngestor
from aiocustomerio.errors import InvalidArgumentTypeError
from aiocustomerio.ingest import Ingestor

CONTEXT = {"ip": "203.0.113.7", "locale": "en-GB"}
INTEGRATIONS = {"All": False, "Customer.io Data Pipelines": True}

CALLS: dict[str, Callable[..., Any]] = {
    "identify": lambda ing, **fields: ing.identify("u1", {"plan": "pro"}, **fields),
    "track": lambda ing, **fields: ing.track("u1", "Order Completed", {"total": 9}, **fields),
    "page": lambda ing, **fields: ing.page("u1", "Home", {"path": "/"}, **fields),
    "screen": lambda ing, **fields: ing.screen("u1", "Home", {"tab": 1}, **fields),
    "group": lambda ing, **fields: ing.group("u1", "g1", {"name": "Acme"}, **fields),
    "alias": lambda ing, **fields: ing.alias("u1", "anon-1", **fields),
}


def client(sent: list[dict[str, Any]]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.extend(json.loads(request.content)["batch"])
        return httpx.Response(200)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x/v1")


@pytest.mark.parametrize("kind", CALLS)
async def test_every_typed_method_sends_context_and_integrations(kind: str) -> None:
    sent: list[dict[str, Any]] = []
    async with Ingestor(client(sent), api="pipelines") as ing:
        await CALLS[kind](ing, context=CONTEXT, integrations=INTEGRATIONS)
        await CALLS[kind](ing)  # neither: left out, not sent as null
    assert [item["type"] for item in sent] == [kind, kind]
    assert sent[0]["context"] == CONTEXT and sent[0]["integrations"] == INTEGRATIONS
    assert "context" not in sent[1] and "integrations" not in sent[1]


@pytest.mark.parametrize("field", ["context", "integrations"])
@pytest.mark.parametrize("kind", CALLS)
async def test_a_field_that_is_not_a_mapping_is_refused_as_the_facade_refuses_it(kind: str, field: str) -> None:
    facade = CustomerIO(cdp_api_key="k", env={}, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(InvalidArgumentTypeError) as by_facade:
        await getattr(facade.pipelines, kind)(
            *{"track": ("u1", "e"), "group": ("u1", "g1"), "alias": ("u1", "anon-1")}.get(kind, ("u1",)),
            **{field: ["All", False]},
        )
    await facade.aclose()
    sent: list[dict[str, Any]] = []
    async with Ingestor(client(sent), api="pipelines") as ing:
        with pytest.raises(InvalidArgumentTypeError) as by_ingestor:
            await CALLS[kind](ing, **{field: ["All", False]})
    assert str(by_ingestor.value) == str(by_facade.value)
    assert field in str(by_ingestor.value) and "must be a mapping" in str(by_ingestor.value)
    assert sent == []


def test_the_sync_ingestor_takes_them_too() -> None:
    sent: list[dict[str, Any]] = []
    with SyncPipelinesIngestor(lambda: client(sent)) as ing:
        ing.identify("u1", {"plan": "pro"}, integrations=INTEGRATIONS, context=CONTEXT)
        ing.track("u1", "Order Completed", integrations=INTEGRATIONS)
    assert [item.get("integrations") for item in sent] == [INTEGRATIONS, INTEGRATIONS]
    assert sent[0]["context"] == CONTEXT
