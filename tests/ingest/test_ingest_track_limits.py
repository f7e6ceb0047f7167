"""The Track ingestor refuses an entity over one of Customer.io's Track field limits at put time, by the façade's rule
(_payload; tests/facade/test_track_limits.py): a 400 would fail its whole batch until bisection found it. Every way
in (put, put_nowait, put_many's one-by-one and bulk paths, the typed methods), async and sync; at a limit, sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aiocustomerio import PayloadTooLargeError
from aiocustomerio._sync.ingest import SyncTrackIngestor
from aiocustomerio.ingest import Ingestor, InvalidItem

PERSON = {"type": "person", "identifiers": {"id": "u1"}}
EVENT = {**PERSON, "action": "event", "name": "purchase", "attributes": {"total": 9}}
IDENTIFY = {**PERSON, "action": "identify", "attributes": {"plan": "pro"}}

BAD: list[tuple[dict[str, Any], str]] = [
    ({**EVENT, "identifiers": {"id": "u" * 151}}, r"^item\.identifiers\.id is 151 bytes, over .*150-byte limit"),
    ({**EVENT, "name": "é" * 51}, r"^item\.name is 102 bytes, over Customer\.io's 100-byte limit for an event name"),
    ({**IDENTIFY, "attributes": {"n" * 151: 1}}, r"^item\.attributes: the attribute name 'n{40}\.\.\.' is 151 bytes"),
    ({**IDENTIFY, "attributes": {"bio": "x" * 1001}}, r"^item\.attributes\['bio'\] is 1,001 bytes, over .*1000-byte"),
    ({**IDENTIFY, "attributes": {f"a{i}": i for i in range(301)}}, r"^item\.attributes has 301 attributes"),
    (
        {"type": "object", "identifiers": {"object_type_id": "1", "object_id": "o" * 151}, "action": "identify"},
        r"^item\.identifiers\.object_id is 151 bytes, over .*for an object's id",
    ),
]


def client(sent: list[dict[str, Any]]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.extend(json.loads(request.content)["batch"])
        return httpx.Response(200)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x")


@pytest.mark.parametrize(("entity", "error"), BAD)
async def test_a_raw_entity_over_a_limit_is_refused_at_put(entity: dict[str, Any], error: str) -> None:
    sent: list[dict[str, Any]] = []
    async with Ingestor(client(sent)) as ing:
        with pytest.raises(PayloadTooLargeError, match=error):
            await ing.put(entity)
        with pytest.raises(PayloadTooLargeError, match=error):
            ing.put_nowait(entity)
        # put_many's bulk path (all person entities) and its one-by-one path (an object among them).
        for others in ([EVENT, IDENTIFY], [{**IDENTIFY, "type": "object"}]):
            with pytest.raises(InvalidItem, match=error.lstrip("^")) as many:
                await ing.put_many([*others, entity])
            assert many.value.index == len(others)
        await ing.put(EVENT)
    # put_many queues nothing of a call with a refused item: only the last put reached the wire.
    assert [{k: v for k, v in item.items() if k != "id"} for item in sent] == [EVENT]


TYPED: list[tuple[Callable[[Any], Any], str]] = [
    (lambda ing: ing.event("u" * 151, "purchase"), r"^identifier is 151 bytes, over .*for a person's id"),
    (lambda ing: ing.event({"id": "u" * 151}, "purchase"), r"^identifier is 151 bytes"),
    (lambda ing: ing.event("u1", "e" * 101), r"^name is 101 bytes, over .*100-byte limit for an event name"),
    (lambda ing: ing.page("u" * 151, "/home"), r"^identifier is 151 bytes"),
    (lambda ing: ing.identify("u" * 151, {"plan": "pro"}), r"^identifier is 151 bytes"),
    (lambda ing: ing.identify("u1", {"bio": "x" * 1001}), r"^attributes\['bio'\] is 1,001 bytes"),
    (lambda ing: ing.identify("u1", **{"n" * 151: 1}), r"^attributes: the attribute name 'n{40}\.\.\.' is 151"),
]


@pytest.mark.parametrize(("call", "error"), TYPED)
async def test_the_typed_methods_refuse_what_is_over_a_limit(call: Callable[[Any], Any], error: str) -> None:
    sent: list[dict[str, Any]] = []
    async with Ingestor(client(sent)) as ing:
        with pytest.raises(PayloadTooLargeError, match=error):
            await call(ing)
    assert sent == []


@pytest.mark.parametrize(("call", "error"), TYPED[:3])
def test_the_sync_ingestor_refuses_them_too(call: Callable[[Any], Any], error: str) -> None:
    sent: list[dict[str, Any]] = []
    with SyncTrackIngestor(lambda: client(sent)) as ing, pytest.raises(PayloadTooLargeError, match=error):
        call(ing)
    assert sent == []


async def test_what_is_at_each_limit_is_sent() -> None:
    sent: list[dict[str, Any]] = []
    at_limits = [
        {**EVENT, "identifiers": {"id": "é" * 75}, "name": "e" * 100},
        {**IDENTIFY, "attributes": {"n" * 150: "x" * 1000, **{f"a{i}": i for i in range(299)}}},
        {**PERSON, "action": "page", "name": "https://example.com/" + "p" * 200},  # a URL is not an event name
    ]
    async with Ingestor(client(sent), concurrency=1) as ing:
        for entity in at_limits:
            await ing.put(entity)
        await ing.put_many(at_limits)
        await ing.event("u" * 150, "e" * 100)
        await ing.screen("u1", "s" * 300)
        await ing.identify("u1", {"bio": "é" * 500})
    assert len(sent) == 9
    assert [item["name"] for item in sent[6:8]] == ["e" * 100, "s" * 300]
