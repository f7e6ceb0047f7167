"""Track sugar on the wire: method, URL, Basic auth, JSON body."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from aiocustomerio import CustomerIO, PayloadTooLargeError

from .conftest import SITE_ID, TRACK_KEY, Wire

BASIC = "Basic " + base64.b64encode(f"{SITE_ID}:{TRACK_KEY}".encode()).decode()


async def test_identify(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.identify("user_1", {"plan": "pro"}, email="a@example.com")
    req = wire.last
    assert (req.method, str(req.url)) == ("PUT", "https://track.customer.io/api/v1/customers/user_1")
    assert req.headers["authorization"] == BASIC
    assert req.headers["content-type"] == "application/json"
    assert wire.body() == {"email": "a@example.com", "plan": "pro"}


async def test_event_carries_a_ulid_and_unix_timestamp(cio: CustomerIO, wire: Wire) -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    await cio.track.event("user_1", "purchase", {"amount": 99}, timestamp=when)
    req = wire.last
    assert (req.method, req.url.path) == ("POST", "/api/v1/customers/user_1/events")
    body = wire.body()
    assert body["name"] == "purchase" and body["data"] == {"amount": 99}
    assert body["timestamp"] == int(when.timestamp())
    assert len(body["id"]) == 26 and body["id"].isalnum()


async def test_event_keeps_a_given_id(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.event("u", "e", id="01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert wire.body()["id"] == "01HZZZZZZZZZZZZZZZZZZZZZZZ"


async def test_each_event_gets_its_own_id(cio: CustomerIO, wire: Wire) -> None:
    for _ in range(3):
        await cio.track.event("u", "e")
    assert len({wire.body(i)["id"] for i in range(3)}) == 3


async def test_anonymous_event(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.anonymous_event("anon_123", "page_viewed", {"page": "/pricing"})
    assert (wire.last.method, wire.last.url.path) == ("POST", "/api/v1/events")
    body = wire.body()
    assert body["anonymous_id"] == "anon_123" and body["name"] == "page_viewed"
    assert body["data"] == {"page": "/pricing"} and len(body["id"]) == 26


@pytest.mark.parametrize(
    ("call", "method", "path"),
    [
        ("delete", "DELETE", "/api/v1/customers/user_1"),
        ("suppress", "POST", "/api/v1/customers/user_1/suppress"),
        ("unsuppress", "POST", "/api/v1/customers/user_1/unsuppress"),
    ],
)
async def test_person_actions(cio: CustomerIO, wire: Wire, call: str, method: str, path: str) -> None:
    await getattr(cio.track, call)("user_1")
    assert (wire.last.method, wire.last.url.path) == (method, path)
    assert wire.last.headers["authorization"] == BASIC


async def test_devices(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.add_device("user_1", "tok", "ios", last_used=1700000000, attributes={"app_version": "1.2"})
    assert (wire.last.method, wire.last.url.path) == ("PUT", "/api/v1/customers/user_1/devices")
    assert wire.body() == {
        "device": {"id": "tok", "platform": "ios", "last_used": 1700000000, "attributes": {"app_version": "1.2"}}
    }
    await cio.track.delete_device("user_1", "tok/1")
    assert (wire.last.method, wire.last.url.raw_path) == ("DELETE", b"/api/v1/customers/user_1/devices/tok%2F1")
    with pytest.raises(ValueError, match="platform"):
        await cio.track.add_device("user_1", "tok", "windows")


async def test_merge(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.merge({"id": "a"}, {"email": "b@example.com"})
    assert (wire.last.method, wire.last.url.path) == ("POST", "/api/v1/merge_customers")
    assert wire.body() == {"primary": {"id": "a"}, "secondary": {"email": "b@example.com"}}
    with pytest.raises(ValueError, match="exactly one"):
        await cio.track.merge({"id": "a", "email": "x"}, {"id": "b"})
    assert len(wire.requests) == 1


async def test_manual_segments(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.add_to_segment(7, ["a", "b"], id_type="email")
    assert wire.last.method == "POST"
    assert str(wire.last.url) == "https://track.customer.io/api/v1/segments/7/add_customers?id_type=email"
    assert wire.body() == {"ids": ["a", "b"]}
    await cio.track.remove_from_segment(7, ["a"])
    assert wire.last.url.path == "/api/v1/segments/7/remove_customers"


async def test_v2_entity_and_batch(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.entity({"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "x"})
    assert (wire.last.method, wire.last.url.path) == ("POST", "/api/v2/entity")
    assert len(wire.body()["id"]) == 26
    await cio.track.batch(
        [
            {"type": "person", "identifiers": {"id": "u"}, "action": "identify", "attributes": {"a": 1}},
            {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "x"},
        ]
    )
    batch = wire.body()["batch"]
    assert wire.last.url.path == "/api/v2/batch"
    assert "id" not in batch[0] and len(batch[1]["id"]) == 26


async def test_sizes_are_checked_before_sending(cio: CustomerIO, wire: Wire) -> None:
    # Many attributes within Customer.io's 1000 bytes each (tests/facade/test_track_limits.py), over 32 KB together.
    attributes = {f"x{i}": "y" * 800 for i in range(50)}
    big = {"type": "person", "identifiers": {"id": "u"}, "action": "identify", "attributes": attributes}
    with pytest.raises(PayloadTooLargeError, match=r"Track v2 entity is 40,\d+ bytes .* 32,768-byte"):
        await cio.track.entity(big)
    with pytest.raises(PayloadTooLargeError, match=r"batch\[0\] \(a Track v2 entity\)"):
        await cio.track.batch([big])
    medium = {**big, "attributes": {f"x{i}": "y" * 750 for i in range(40)}}
    with pytest.raises(PayloadTooLargeError, match=r"Track v2 batch is .* 512,000-byte"):
        await cio.track.batch([medium] * 20)
    assert wire.requests == []
