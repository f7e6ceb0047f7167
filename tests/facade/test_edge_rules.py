"""The shared edge rules (timestamps, identifiers in bodies, Track v2 entity shape, per-item size) hold on every path
that builds a body: the sugar, the generated operations and the ingestors. A refused value sends nothing and raises a
typed CustomerIOError naming the field and the fix."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiocustomerio import CustomerIO, CustomerIOError
from aiocustomerio._payload import PayloadTooLargeError
from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError
from tests.facade.conftest import Wire

NAN, INF = float("nan"), float("inf")


async def refused(wire: Wire, call: Awaitable[Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        await call
    assert isinstance(info.value, CustomerIOError)
    assert wire.requests == []  # nothing sent


# --- 1. timestamps: one rule, typed errors ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [NAN, INF, -INF])
async def test_track_event_refuses_a_non_finite_timestamp(cio: CustomerIO, wire: Wire, value: float) -> None:
    await refused(wire, cio.track.event("u", "e", timestamp=value), InvalidArgumentError, r"timestamp is .*finite")


async def test_track_event_refuses_a_bool_timestamp(cio: CustomerIO, wire: Wire) -> None:
    await refused(wire, cio.track.event("u", "e", timestamp=True), InvalidArgumentTypeError, "timestamp must be")


async def test_a_datetime_widened_query_parameter_refuses_nan(cio: CustomerIO, wire: Wire) -> None:
    await refused(wire, cio.app.messages.list_messages(start_ts=NAN), CustomerIOError, "start_ts")


@pytest.mark.parametrize("value", [True, 1_700_000_000, 1.7e9, NAN])
async def test_pipelines_refuses_a_number_where_the_spec_wants_an_iso_string(
    cio: CustomerIO, wire: Wire, value: Any
) -> None:
    await refused(
        wire, cio.pipelines.track(user_id="u", event="e", timestamp=value), InvalidArgumentTypeError, "ISO-8601"
    )


async def test_pipelines_sends_datetimes_and_strings_as_iso(cio: CustomerIO, wire: Wire) -> None:
    await cio.pipelines.track(user_id="u", event="e", timestamp=dt.datetime(2024, 1, 2, 3, 4, 5))
    await cio.pipelines.track(user_id="u", event="e", timestamp="2024-01-02T03:04:05Z")
    assert [wire.body(i)["timestamp"] for i in (0, 1)] == ["2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"]


@pytest.mark.parametrize("value", ["soon", "1700000000", "", "2024-01-02T", "02/01/2024"])
async def test_pipelines_refuses_a_string_that_is_not_an_iso_date_time(cio: CustomerIO, wire: Wire, value: str) -> None:
    # Sent as given before; in permissive mode (pipelines_strict=False) the API answers 200 to it and drops it.
    await refused(wire, cio.pipelines.track(user_id="u", event="e", timestamp=value), InvalidArgumentError, "ISO-8601")
    await refused(
        wire, cio.pipelines.batch([{"type": "track", "userId": "u", "event": "e", "timestamp": value}]),
        InvalidArgumentError, "ISO-8601",
    )  # fmt: skip


@pytest.mark.parametrize("value", ["2024-01-02T03:04:05.123+01:00", "2024-01-02T03:04:05+0100", "2024-01-02"])
async def test_pipelines_sends_iso_date_times_as_given(cio: CustomerIO, wire: Wire, value: str) -> None:
    await cio.pipelines.track(user_id="u", event="e", timestamp=value)
    assert wire.last.method == "POST" and wire.last.url.path == "/v1/track"
    assert wire.body()["timestamp"] == value


@pytest.mark.async_only
async def test_the_pipelines_ingestor_refuses_a_timestamp_that_is_not_iso(cio: CustomerIO, wire: Wire) -> None:
    async with cio.pipelines.ingestor() as ing:
        with pytest.raises(InvalidArgumentError, match="ISO-8601"):
            await ing.track("u", "e", timestamp="yesterday")
    assert wire.requests == []


@pytest.mark.async_only
async def test_the_track_ingestor_refuses_a_nan_timestamp_typed(cio: CustomerIO, wire: Wire) -> None:
    async with cio.track.ingestor() as ing:
        with pytest.raises(InvalidArgumentError, match="timestamp is nan"):
            await ing.event("u", "e", timestamp=NAN)
    assert wire.requests == []


# --- 2. identifiers in bodies -------------------------------------------------------------------------------------

BLANK_IDS: list[tuple[str, Callable[[CustomerIO], Awaitable[Any]], str]] = [
    ("pipelines.track user_id ''", lambda c: c.pipelines.track(user_id="", event="e"), "user_id is ''"),
    ("pipelines.identify anonymous_id ' '", lambda c: c.pipelines.identify(anonymous_id=" "), "anonymous_id is ' '"),
    ("track.anonymous_event ''", lambda c: c.track.anonymous_event("", "e"), "anonymous_id is ''"),
    (
        "track.entity identifiers.email ''",
        lambda c: c.track.entity({"type": "person", "action": "identify", "identifiers": {"email": ""}}),
        r"entity.identifiers.email is ''",
    ),
]


@pytest.mark.parametrize(("label", "call", "match"), BLANK_IDS, ids=[b[0] for b in BLANK_IDS])
async def test_blank_identifiers_in_bodies_are_refused(
    cio: CustomerIO, wire: Wire, label: str, call: Callable[[CustomerIO], Awaitable[Any]], match: str
) -> None:
    await refused(wire, call(cio), InvalidArgumentError, match + ".*cannot be empty or blank")


@pytest.mark.async_only
async def test_the_ingestors_refuse_blank_identifiers(cio: CustomerIO, wire: Wire) -> None:
    async with cio.track.ingestor() as ing:
        for call in (ing.identify(""), ing.event("", "e"), ing.event("  ", "e"), ing.identify({"id": " "})):
            with pytest.raises(InvalidArgumentError, match="cannot be empty or blank"):
                await call
        await ing.event(" padded", "e")  # only an all-blank id is refused
    async with cio.pipelines.ingestor() as ping:
        with pytest.raises(InvalidArgumentError, match="user_id is ''"):
            await ping.track(user_id="", event="e")
    assert [json.loads(r.content)["batch"][0]["identifiers"] for r in wire.requests] == [{"id": " padded"}]


# --- 3. Track v2 entity shape ---------------------------------------------------------------------------------------

BAD_ENTITIES: list[tuple[str, dict[str, Any], str]] = [
    ("no type", {"action": "identify", "identifiers": {"id": "u"}}, r"\.type is None: .*person, object, delivery"),
    ("unknown type", {"type": "people", "action": "identify", "identifiers": {"id": "u"}}, r"\.type is 'people'"),
    ("no identifiers", {"type": "person", "action": "identify"}, r"\.identifiers is None: .*one of id"),
    ("empty identifiers", {"type": "person", "action": "identify", "identifiers": {}}, r"\.identifiers is \{\}"),
    (
        "an unknown identifier",
        {"type": "person", "action": "identify", "identifiers": {"user_id": "u"}},
        r"\.identifiers is .*one of id, email or cio_id",
    ),
    (
        "misspelt action",
        {"type": "person", "action": "idntify", "identifiers": {"id": "u"}},
        r"\.action is 'idntify': a person entity's action is one of .*identify.*; did you mean 'identify'\?",
    ),
    (
        "action of another type",
        {"type": "object", "action": "event", "identifiers": {"object_type_id": "1", "object_id": "a"}},
        r"\.action is 'event': an object entity's action is one of add_relationships, delete, ",
    ),
    (
        "object without identifiers",
        {"type": "object", "action": "identify"},
        r"\.identifiers is None: an object entity needs identifiers",
    ),
]


@pytest.mark.parametrize(("label", "entity", "match"), BAD_ENTITIES, ids=[b[0] for b in BAD_ENTITIES])
async def test_track_batch_and_entity_refuse_a_bad_shape(
    cio: CustomerIO, wire: Wire, label: str, entity: dict[str, Any], match: str
) -> None:
    await refused(wire, cio.track.batch([entity]), InvalidArgumentError, r"^batch\[0\]" + match)
    await refused(wire, cio.track.entity(entity), InvalidArgumentError, r"^entity" + match)


@pytest.mark.async_only
@pytest.mark.parametrize(("label", "entity", "match"), BAD_ENTITIES, ids=[b[0] for b in BAD_ENTITIES])
async def test_the_track_ingestor_put_refuses_a_bad_shape(
    cio: CustomerIO, wire: Wire, label: str, entity: dict[str, Any], match: str
) -> None:
    async with cio.track.ingestor() as ing:
        with pytest.raises(InvalidArgumentError, match=r"^item" + match):
            await ing.put(entity)
    assert wire.requests == []


async def test_every_shape_the_spec_allows_is_sent(cio: CustomerIO, wire: Wire) -> None:
    good = [
        {"type": "person", "action": "identify", "identifiers": {"email": "a@example.com"}, "attributes": {}},
        {"type": "person", "action": "page", "identifiers": {"id": 7}, "name": "/home"},
        {"type": "object", "action": "identify", "identifiers": {"object_type_id": "1", "object_id": "acme"}},
        {"type": "delivery", "action": "event", "identifiers": {"id": "d1"}, "name": "opened", "attributes": {}},
    ]
    await cio.track.batch(good)
    sent = wire.body()["batch"]
    assert [(e["type"], e["action"]) for e in sent] == [(e["type"], e["action"]) for e in good]
    assert "id" in sent[1] and "id" not in sent[0]  # the page event got its dedup id, the identify none


# --- 4. the 32 KB per-item limit on the generated batch operations -------------------------------------------------

BIG = {"a": "x" * 40_000}


@pytest.mark.generated_names
async def test_generated_batches_check_each_item(cio: CustomerIO, wire: Wire) -> None:
    small = {"type": "person", "action": "identify", "identifiers": {"id": "u"}}
    track_body = {"batch": [small, {**small, "attributes": BIG}]}
    with pytest.raises(PayloadTooLargeError, match=r"^batch\[1\] \(a Track v2 entity\) is 40,\d{3} bytes"):
        await cio.track.track_v2.batch(body=track_body)
    message = {"type": "track", "userId": "u", "event": "e"}
    with pytest.raises(PayloadTooLargeError, match=r"^batch\[0\] \(a Pipelines message\) is 40,\d{3} bytes"):
        await cio.pipelines.batch_operations.batch(body={"batch": [{**message, "properties": BIG}]})
    assert wire.requests == []
    # Many small items over 32 KB together are one legal batch.
    many = [{**small, "attributes": {"a": "x" * 1_000}} for _ in range(40)]
    await cio.track.track_v2.batch(body={"batch": many})
    assert len(wire.requests) == 1 and len(wire.requests[0].content) > 32 * 1024
    assert re.fullmatch(r".*/api/v2/batch", str(wire.last.url))
