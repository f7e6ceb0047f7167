"""What the ingestor puts on the wire: shapes, dedup ids, encoding, batch cutting."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
from collections.abc import Callable

import httpx
import pytest

from aiocustomerio import CustomerIOError
from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError
from aiocustomerio.ingest import MAX_BATCH_BYTES, Ingestor, InvalidItem, ItemTooLarge
from tests.support.batch_server import BatchServer

ClientFactory = Callable[..., httpx.AsyncClient]


def raw_event(key: str) -> dict[str, object]:
    return {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": key}


ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def sent_items(server: BatchServer) -> list[dict[str, object]]:
    return [item for _, _, body in server.bodies for item in json.loads(body)["batch"]]


async def test_track_entities_on_the_wire(server: BatchServer, client: ClientFactory) -> None:
    server.keep_bodies = True
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    async with Ingestor(client("track"), concurrency=1) as ing:  # one lane: one batch
        await ing.identify("u1", email="u1@example.com", plan="pro")
        await ing.identify({"email": "u2@example.com"}, {"name": "Two"})
        await ing.event("u1", "purchase", {"total": 12.5, "at": when}, timestamp=when)
        await ing.page("u1", "/pricing", id="01HZZZZZZZZZZZZZZZZZZZZZZZ")
    [(target, headers, body)] = server.bodies
    assert target == "/api/v2/batch"
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"site:key").decode()
    assert body.startswith(b'{"batch":[{"type":"person"')
    identify, identify2, event, page = json.loads(body)["batch"]
    assert identify == {
        "type": "person",
        "identifiers": {"id": "u1"},
        "action": "identify",
        "attributes": {"email": "u1@example.com", "plan": "pro"},
    }
    assert identify2["identifiers"] == {"email": "u2@example.com"} and identify2["attributes"] == {"name": "Two"}
    assert "id" not in identify and "id" not in identify2  # identify entities take no id in Track v2
    assert event["action"] == "event" and event["name"] == "purchase"
    assert ULID.match(event["id"])
    # Track wants unix seconds, for the timestamp and for dates among attributes alike.
    assert event["timestamp"] == int(when.timestamp())
    assert event["attributes"] == {"total": 12.5, "at": int(when.timestamp())}
    assert page["action"] == "page" and page["id"] == "01HZZZZZZZZZZZZZZZZZZZZZZZ"
    assert isinstance(page["timestamp"], int)
    assert ing.report.delivered == 4 and ing.report.ok


async def test_pipelines_messages_on_the_wire(server: BatchServer, client: ClientFactory) -> None:
    server.keep_bodies = True
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    async with Ingestor(client("pipelines"), api="pipelines", concurrency=1) as ing:  # one lane: one batch
        await ing.identify("u1", email="u1@example.com")
        await ing.track("u1", "Order Completed", {"total": 3}, timestamp=when)
        await ing.page(None, "Home", {"url": "https://example.com"}, anonymous_id="anon-1")
        await ing.screen("u1", "feed")
        await ing.group("u1", "acme", {"plan": "enterprise"})
        await ing.alias("u1", "anon-1")
        await ing.put({"type": "track", "userId": "u2", "event": "Raw", "messageId": "mine"})
    [(target, _, body)] = server.bodies
    assert target == "/v1/batch"
    messages = json.loads(body)["batch"]
    assert [m["type"] for m in messages] == ["identify", "track", "page", "screen", "group", "alias", "track"]
    assert all(ULID.match(m["messageId"]) for m in messages[:-1]) and messages[-1]["messageId"] == "mine"
    assert len({m["messageId"] for m in messages}) == len(messages)
    identify, track, page, screen, group, alias, _ = messages
    assert identify["userId"] == "u1" and identify["traits"] == {"email": "u1@example.com"}
    assert track["event"] == "Order Completed" and track["properties"] == {"total": 3}
    assert track["timestamp"] == "2024-05-01T12:00:00+00:00"  # ISO 8601 for Pipelines
    assert dt.datetime.fromisoformat(identify["timestamp"]).tzinfo is not None
    assert page == {**page, "anonymousId": "anon-1", "name": "Home", "properties": {"url": "https://example.com"}}
    assert "userId" not in page
    assert screen["name"] == "feed" and group["groupId"] == "acme" and group["traits"] == {"plan": "enterprise"}
    assert alias["userId"] == "u1" and alias["previousId"] == "anon-1"


async def test_raw_put_adds_dedup_id_without_touching_callers_dict(server: BatchServer, client: ClientFactory) -> None:
    server.keep_bodies = True
    raw = {"type": "person", "identifiers": {"id": "u1"}, "action": "event", "name": "x"}
    mine = {**raw, "id": "keep-me"}
    identify = {"type": "person", "identifiers": {"id": "u1"}, "action": "identify", "attributes": {}}
    async with Ingestor(client()) as ing:
        await ing.put(raw)
        ing.put_nowait(mine)
        await ing.put(identify)
    assert "id" not in raw
    first, second, third = sent_items(server)
    assert ULID.match(str(first["id"])) and second["id"] == "keep-me" and "id" not in third


async def test_oversized_item_is_rejected_at_put_and_does_not_poison_the_batch(
    server: BatchServer, client: ClientFactory
) -> None:
    async with Ingestor(client()) as ing:
        await ing.event("u1", "small", id="a")
        with pytest.raises(ItemTooLarge, match=r"\d+ bytes, over the per-item limit of 32768 bytes") as caught:
            await ing.event("u1", "big", {"blob": "x" * 40_000}, id="b")
        assert isinstance(caught.value, ValueError) and caught.value.size > 40_000
        with pytest.raises(ItemTooLarge):
            ing.put_nowait(
                {
                    "type": "person",
                    "action": "event",
                    "identifiers": {"id": "u1"},
                    "name": "n",
                    "attributes": {"b": "y" * 33_000},
                }
            )
        await ing.event("u1", "small", id="c")
    assert server.ids == {"a", "c"}
    assert ing.report.accepted == 2 and ing.report.ok


async def test_unserializable_value_names_the_field(client: ClientFactory) -> None:
    async with Ingestor(client()) as ing:
        with pytest.raises(TypeError, match=r"attributes\.cart\[1\]\.sku.*object is not JSON serializable"):
            await ing.event("u1", "x", {"cart": [{"sku": 1}, {"sku": object()}]})
        with pytest.raises(ValueError, match=r"attributes\.ratio"):
            await ing.event("u1", "x", {"ratio": float("nan")})
        with pytest.raises(InvalidItem) as caught:
            who = {"type": "person", "action": "identify", "identifiers": {"id": "u1"}}
            await ing.put_many([who, {**who, "x": {1, object()}}])
        assert caught.value.index == 1 and isinstance(caught.value.cause, TypeError)
    assert ing.report.accepted == 0  # put_many validates everything before accepting anything


BAD_VALUES = [
    (b"ab", InvalidArgumentTypeError, r"at attributes\.x: a value of type bytes cannot be sent as JSON.*use str"),
    (dt.time(1), InvalidArgumentTypeError, r"at attributes\.x: a value of type time cannot be sent as JSON"),
    (float("nan"), InvalidArgumentError, r"at attributes\.x: NaN and infinity are not JSON; send null or a finite"),
    (float("-inf"), InvalidArgumentError, r"at attributes\.x: NaN and infinity are not JSON"),
]


@pytest.mark.parametrize(("value", "error", "message"), BAD_VALUES, ids=["bytes", "time", "nan", "inf"])
async def test_an_unencodable_value_is_a_typed_error_naming_where_it_is(
    server: BatchServer, client: ClientFactory, value: object, error: type[Exception], message: str
) -> None:
    # Before: builtins TypeError/ValueError (the façade raises InvalidArgumentTypeError for the same values).
    async with Ingestor(client("track")) as ing, Ingestor(client("pipelines"), api="pipelines") as pl:
        entity = {"type": "person", "action": "identify", "identifiers": {"id": "u"}, "attributes": {"x": value}}
        calls = [
            lambda: ing.identify("u", {"x": value}),
            lambda: ing.event("u", "e", {"x": value}),
            lambda: ing.page("u", "p", {"x": value}),
            lambda: ing.put(entity),
            lambda: pl.put({"type": "track", "userId": "u", "event": "e", "attributes": {"x": value}}),
        ]
        for call in calls:
            with pytest.raises(error, match=message) as caught:
                await call()
            assert isinstance(caught.value, CustomerIOError)
        with pytest.raises(error, match=message):
            ing.put_nowait(entity)
        pipeline_message = pytest.raises(error, match=message.replace("attributes", "properties"))
        with pipeline_message:
            await pl.track("u", "e", {"x": value})
        with pytest.raises(error, match=message.replace("attributes", "traits")):
            await pl.identify("u", {"x": value})
        with pytest.raises(InvalidItem) as many:
            await ing.put_many([entity])
        assert isinstance(many.value.cause, error) and re.search(message, str(many.value))
        await ing.event("u", "good", id="good")
        await pl.track("u", "good", message_id="good-pl")
    assert server.ids == {"good", "good-pl"}  # nothing refused reached the wire, nor poisoned a batch
    assert ing.report.accepted == 1 and pl.report.accepted == 1


async def test_batches_are_cut_by_size_and_by_count(server: BatchServer, client: ClientFactory) -> None:
    server.keep_bodies = True
    filler = "z" * 2_000
    async with Ingestor(client(), max_wait=5.0) as ing:
        for i in range(600):
            await ing.event("u1", "e", {"filler": filler}, id=f"s{i}")
    sizes = [len(body) for _, _, body in server.bodies]
    assert max(sizes) <= MAX_BATCH_BYTES
    assert max(sizes) > MAX_BATCH_BYTES - 2_200  # full batches, not a trickle of small ones
    assert server.ids == {f"s{i}" for i in range(600)}

    server.bodies.clear()
    async with Ingestor(client(), max_batch_items=7, max_wait=5.0) as ing:
        for i in range(50):
            ing.put_nowait(raw_event(f"c{i}"))
    counts = [len(json.loads(body)["batch"]) for _, _, body in server.bodies]
    assert counts == [7] * 7 + [1]


async def test_a_trickle_is_sent_after_max_wait_without_close(server: BatchServer, client: ClientFactory) -> None:
    async with Ingestor(client(), max_wait=0.05) as ing:
        await ing.event("u1", "lonely", id="t1")
        for _ in range(500):
            if server.ids:
                break
            await asyncio.sleep(0.01)
        assert server.ids == {"t1"}


async def test_a_full_queue_sends_open_batches_instead_of_waiting_out_max_wait(
    server: BatchServer, client: ClientFactory
) -> None:
    # 100 items of room spread over 4 lanes: no batch ever fills by size or count. Producers waiting for room mean
    # no more items can join the open batches, so they go out at once, not after max_wait (an hour here).
    server.keep_bodies = True
    async with Ingestor(client(), max_queue=100, concurrency=4, max_wait=3600) as ing:

        async def produce() -> None:
            for i in range(1000):
                await ing.event(f"user_{i}", "e", id=f"q{i}")

        await asyncio.wait_for(produce(), timeout=60)
    assert server.ids == {f"q{i}" for i in range(1000)}
    assert len(server.bodies) >= 10  # room for at most 100 at a time
