"""Customer.io's Track API field limits (journeys-track.json, "Track API limits"; in bytes) are refused before
anything is sent, by the sugar and the generated operations alike, naming the field, the limit and the fix; what is
at a limit is sent as it was (tests/ingest/test_ingest_track_limits.py: the ingestor, by the same rule)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiocustomerio import CustomerIO, PayloadTooLargeError
from tests.facade.conftest import Wire

Call = Callable[[CustomerIO], Awaitable[Any]]
TWO = "é"  # two bytes in UTF-8: limits count bytes, not characters
PERSON = {"type": "person", "identifiers": {"id": "u1"}}

TOO_LARGE: list[tuple[str, Call, str]] = [
    (
        "identify: an id over 150 bytes",
        lambda cio: cio.track.identify("u" * 151, {"plan": "pro"}),
        r"^identifier is 151 bytes, over Customer\.io's 150-byte limit for a person's id .*use a shorter id",
    ),
    (
        "identify: an id of 76 two-byte characters",
        lambda cio: cio.track.identify(TWO * 76, {"plan": "pro"}),
        r"^identifier is 152 bytes, over .*150-byte limit",
    ),
    (
        "identify: an attribute name over 150 bytes",
        lambda cio: cio.track.identify("u1", {"n" * 151: 1}),
        r"^attributes: the attribute name 'n{40}\.\.\.' is 151 bytes, over .*150-byte limit for an attribute name",
    ),
    (
        "identify: an attribute value over 1000 bytes",
        lambda cio: cio.track.identify("u1", {"bio": TWO * 501}),
        r"^attributes\['bio'\] is 1,002 bytes, over .*1000-byte limit for an attribute value .*send a reference",
    ),
    (
        "identify: 301 attributes",
        lambda cio: cio.track.identify("u1", {f"a{i}": i for i in range(301)}),
        r"^attributes has 301 attributes, over .*limit of 300 per person or identify call .*: split them",
    ),
    (
        "identify: an id attribute over 150 bytes",
        lambda cio: cio.track.identify("a@example.com", {"id": "u" * 151}),
        r"^attributes\['id'\] is 151 bytes, over .*150-byte limit for a person's id",
    ),
    (
        "event: a name over 100 bytes",
        lambda cio: cio.track.event("u1", "e" * 101),
        r"^name is 101 bytes, over Customer\.io's 100-byte limit for an event name .*use a shorter name",
    ),
    (
        "event: data over 100,000 bytes",
        lambda cio: cio.track.event("u1", "e", {f"k{i}": "x" * 990 for i in range(101)}),
        r"^data \(the event's attributes\) is 10\d,\d{3} bytes encoded, over .*100,000-byte limit for an event's data",
    ),
    (
        "event: an id over 150 bytes",
        lambda cio: cio.track.event("u" * 151, "e"),
        r"^identifier is 151 bytes",
    ),
    (
        "anonymous_event: a name over 100 bytes",
        lambda cio: cio.track.anonymous_event("anon", "e" * 101),
        r"^name is 101 bytes",
    ),
    (
        "v2 entity: an id over 150 bytes",
        lambda cio: cio.track.entity({**PERSON, "identifiers": {"id": "u" * 151}, "action": "identify"}),
        r"^entity\.identifiers\.id is 151 bytes",
    ),
    (
        "v2 entity: an object id over 150 bytes",
        lambda cio: cio.track.entity(
            {"type": "object", "identifiers": {"object_type_id": "1", "object_id": "o" * 151}, "action": "identify"}
        ),
        r"^entity\.identifiers\.object_id is 151 bytes, over .*150-byte limit for an object's id",
    ),
    (
        "v2 batch: an event name over 100 bytes",
        lambda cio: cio.track.batch(
            [{**PERSON, "action": "identify"}, {**PERSON, "action": "event", "name": "e" * 101}]
        ),
        r"^batch\[1\]\.name is 101 bytes",
    ),
    (
        "v2 batch: an attribute value over 1000 bytes",
        lambda cio: cio.track.batch([{**PERSON, "action": "identify", "attributes": {"bio": "x" * 1001}}]),
        r"^batch\[0\]\.attributes\['bio'\] is 1,001 bytes",
    ),
]


@pytest.mark.parametrize(("call", "message"), [case[1:] for case in TOO_LARGE], ids=[case[0] for case in TOO_LARGE])
async def test_a_field_over_a_track_limit_is_refused_before_sending(
    cio: CustomerIO, wire: Wire, call: Call, message: str
) -> None:
    with pytest.raises(PayloadTooLargeError, match=message) as info:
        await call(cio)
    assert wire.requests == []
    assert info.value.size > info.value.limit


@pytest.mark.generated_names
async def test_the_generated_operations_share_the_rule(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(PayloadTooLargeError, match=r"^identifier is 151 bytes"):
        await cio.track.track_customers.identify("u" * 151, body={"plan": "pro"})
    with pytest.raises(PayloadTooLargeError, match=r"^attributes\['bio'\] is 1,001 bytes"):
        await cio.track.track_customers.identify("u1", body={"bio": "x" * 1001})
    with pytest.raises(PayloadTooLargeError, match=r"^name is 101 bytes"):
        await cio.track.track_events.track("u1", body={"name": "e" * 101})
    with pytest.raises(PayloadTooLargeError, match=r"^name is 101 bytes"):
        await cio.track.track_events.track_anonymous(body={"name": "e" * 101, "anonymous_id": "a"})
    assert wire.requests == []


async def test_what_is_at_each_limit_is_sent(cio: CustomerIO, wire: Wire) -> None:
    attributes = {"n" * 150: "x" * 1000, "bio": TWO * 500, **{f"a{i}": i for i in range(298)}}
    await cio.track.identify(TWO * 75, attributes)
    # The instructions of an identify body are not attributes: 300 attributes and _update is one legal call.
    await cio.track.identify("u1", {**{f"a{i}": i for i in range(300)}, "_update": True})
    await cio.track.event("u" * 150, "e" * 100, {f"k{i}": "x" * 990 for i in range(99)})
    await cio.track.anonymous_event("anon", TWO * 50)
    # A page view is named by its URL, which no event-name limit bounds; a nested value's size is not documented.
    await cio.track.entity({**PERSON, "action": "page", "name": "https://example.com/" + "p" * 200})
    await cio.track.entity({**PERSON, "action": "identify", "attributes": {"cart": ["x" * 900, "y" * 900]}})
    # An email in the path is not an id: only an id has the 150-byte limit.
    await cio.track.identify("a" * 150 + "@example.com", {"plan": "pro"})
    assert len(wire.requests) == 7
    assert wire.body(0)["n" * 150] == "x" * 1000
