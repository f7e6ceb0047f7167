"""A raw Pipelines message that the API cannot take is refused at `put` (naming the field), never sent: a 400 would
fail its whole batch until bisection found it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aiocustomerio.errors import InvalidArgumentError
from aiocustomerio.ingest import Ingestor, InvalidItem

BAD: list[tuple[dict[str, Any], str]] = [
    ({"userId": "u1", "event": "e"}, r"item\.type is None: .*identify, track, page, screen, group, alias"),
    ({"type": "trak", "userId": "u1", "event": "e"}, r"item\.type is 'trak'"),
    ({"type": "identify", "traits": {"a": 1}}, r"identify message needs userId or anonymousId"),
    ({"type": "track", "userId": "u1"}, r"item\.event is None: a track message needs the event's name"),
    ({"type": "track", "userId": "u1", "event": "  "}, r"item\.event is '  '"),
    ({"type": "track", "userId": "u1", "event": 5}, r"item\.event is 5"),
    ({"type": "group", "userId": "u1"}, r"group message needs groupId"),
    ({"type": "alias", "userId": "u1"}, r"alias message needs userId .* and previousId"),
    ({"type": "alias", "previousId": "old"}, r"alias message needs userId"),
    ({"type": "page", "userId": " "}, r"item\.userId is ' ': an identifier cannot be empty or blank"),
    ({"type": "screen", "anonymousId": ""}, r"item\.anonymousId is ''"),
    ({"type": "alias", "userId": "u1", "previousId": ""}, r"item\.previousId is ''"),
]
GOOD: list[dict[str, Any]] = [
    {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}},
    {"type": "identify", "anonymousId": "a1"},
    {"type": "track", "userId": "u1", "event": "Order Completed"},
    {"type": "track", "groupId": "g1", "event": "Renewed"},  # the spec's third track variant
    {"type": "page", "userId": "u1", "name": "home"},
    {"type": "screen", "anonymousId": "a1", "name": "home"},
    {"type": "group", "userId": "u1", "groupId": "g1"},
    {"type": "alias", "userId": "u1", "previousId": "a1"},
]


def client(sent: list[dict[str, Any]]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.extend(json.loads(request.content)["batch"])
        return httpx.Response(200)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x/v1")


@pytest.mark.parametrize(("message", "error"), BAD)
async def test_a_message_the_api_cannot_take_is_refused_at_put(message: dict[str, Any], error: str) -> None:
    sent: list[dict[str, Any]] = []
    async with Ingestor(client(sent), api="pipelines") as ing:
        with pytest.raises(InvalidArgumentError, match=error):
            await ing.put(message)
        with pytest.raises(InvalidArgumentError, match=error):
            ing.put_nowait(message)
        with pytest.raises(InvalidItem) as many:
            await ing.put_many([GOOD[0], message])
        assert many.value.index == 1
        await ing.put(GOOD[2])
    assert [item["type"] for item in sent] == ["track"]  # only the good one reached the wire


async def test_every_kind_of_good_message_is_sent_as_given_with_a_message_id() -> None:
    sent: list[dict[str, Any]] = []
    async with Ingestor(client(sent), api="pipelines", concurrency=1) as ing:  # one lane: sent in order
        for message in GOOD:
            await ing.put(message)
    assert [{k: v for k, v in item.items() if k != "messageId"} for item in sent] == GOOD
    assert all(len(item["messageId"]) == 26 for item in sent)
