"""Pipelines sugar on the wire: Basic ``key:`` auth, messageId, ISO timestamps."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from aiocustomerio import CustomerIO, CustomerIOError, InvalidArgumentTypeError, PayloadTooLargeError

from .conftest import CDP_KEY, Wire

BASIC = "Basic " + base64.b64encode(f"{CDP_KEY}:".encode()).decode()


async def test_track(cio: CustomerIO, wire: Wire) -> None:
    await cio.pipelines.track(user_id="user_1", event="plan_upgraded", properties={"mrr": 49})
    req = wire.last
    assert (req.method, str(req.url)) == ("POST", "https://cdp.customer.io/v1/track")
    assert req.headers["authorization"] == BASIC
    body = wire.body()
    assert {k: body[k] for k in ("type", "userId", "event", "properties")} == {
        "type": "track",
        "userId": "user_1",
        "event": "plan_upgraded",
        "properties": {"mrr": 49},
    }
    assert len(body["messageId"]) == 26


@pytest.mark.parametrize(
    ("call", "args", "expected"),
    [
        ("identify", {"user_id": "u", "traits": {"plan": "pro"}}, {"userId": "u", "traits": {"plan": "pro"}}),
        ("page", {"anonymous_id": "a", "name": "Home"}, {"anonymousId": "a", "name": "Home", "properties": {}}),
        ("screen", {"user_id": "u", "name": "Cart"}, {"userId": "u", "name": "Cart", "properties": {}}),
        ("group", {"user_id": "u", "group_id": "acme"}, {"userId": "u", "groupId": "acme", "traits": {}}),
        ("alias", {"user_id": "u", "previous_id": "anon"}, {"userId": "u", "previousId": "anon"}),
    ],
)
async def test_calls(
    cio: CustomerIO, wire: Wire, call: str, args: dict[str, object], expected: dict[str, object]
) -> None:
    await getattr(cio.pipelines, call)(**args, message_id="m-1")
    assert (wire.last.method, wire.last.url.path) == ("POST", f"/v1/{call}")
    assert wire.body() == {**expected, "type": call, "messageId": "m-1"}


async def test_timestamp_is_iso8601(cio: CustomerIO, wire: Wire) -> None:
    await cio.pipelines.identify("u", {}, timestamp=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc))
    assert wire.body()["timestamp"] == "2024-05-01T12:00:00+00:00"


async def test_needs_an_identity(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(ValueError, match="user_id or anonymous_id"):
        await cio.pipelines.track(event="x")
    with pytest.raises(TypeError, match="unexpected keyword"):
        await cio.pipelines.identify("u", {}, bogus=1)
    assert wire.requests == []


async def test_batch(cio: CustomerIO, wire: Wire) -> None:
    await cio.pipelines.batch([{"type": "track", "userId": "u", "event": "e"}, {"type": "identify", "userId": "u"}])
    assert wire.last.url.path == "/v1/batch"
    batch = wire.body()["batch"]
    assert [m["type"] for m in batch] == ["track", "identify"]
    assert all(len(m["messageId"]) == 26 for m in batch)


@pytest.mark.parametrize(
    ("messages", "named"),
    [
        ({"type": "track", "userId": "u", "event": "e"}, "messages must be a list"),  # one message, not a list
        ("track", "messages must be a list"),
        ([{"type": "track", "userId": "u", "event": "e"}, "identify"], r"batch\[1\] must be a mapping"),
        ([["type", "track"]], r"batch\[0\] must be a mapping"),
    ],
)
async def test_batch_of_the_wrong_shape_is_a_typed_error_naming_it(
    cio: CustomerIO, wire: Wire, messages: object, named: str
) -> None:
    # As Track's batch(): before, a dict or a str here failed with AttributeError ('str' object has no attribute
    # 'get'), which escapes `except CustomerIOError`.
    with pytest.raises(InvalidArgumentTypeError, match=named) as info:
        await cio.pipelines.batch(messages)  # type: ignore[arg-type]
    assert isinstance(info.value, CustomerIOError) and isinstance(info.value, TypeError)
    assert wire.requests == []


async def test_message_size_limit(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(PayloadTooLargeError, match="Pipelines message is"):
        await cio.pipelines.track("u", "e", {"blob": "x" * 33_000})
    with pytest.raises(PayloadTooLargeError, match=r"batch\[1\] \(a Pipelines message\)"):
        await cio.pipelines.batch(
            [
                {"type": "track", "userId": "u", "event": "e"},
                {"type": "track", "userId": "u", "event": "e", "properties": {"b": "x" * 33_000}},
            ]
        )
    assert wire.requests == []
