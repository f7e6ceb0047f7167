"""`put_many`'s bulk path (`_encode_many`: C loops over a part) gives what the one-item path gives, or steps aside.

Each helper either returns exactly what the per-item rule would for every item, or None (then the part is encoded
one by one, and a bad item raises there with its index). Checked on random mixtures of good and bad entities."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aiocustomerio._builders import check_track_entity, person_ids
from aiocustomerio._ids import stamp_track_event, stamp_track_events
from aiocustomerio.errors import CustomerIOError
from aiocustomerio.ingest import Ingestor, InvalidItem
from aiocustomerio.ingest._encode import encode_track, encode_track_many

GOOD: dict[str, Any] = {
    "type": "person",
    "identifiers": {"id": "u1"},
    "action": "event",
    "name": "order",
    "id": "01J0000000000000000000000A",
    "attributes": {"total": 1.5},
}

# Each a change that makes an entity leave the common case (invalid, or valid but not a lone string id).
VARIANTS: list[tuple[str, Any]] = [
    ("type", "object"),
    ("type", "persn"),
    ("type", ["person"]),
    ("action", "identify"),
    ("action", "evnt"),
    ("action", {"x": 1}),
    ("identifiers", {"email": "a@example.com"}),
    ("identifiers", {"id": "u1", "email": "a@example.com"}),
    ("identifiers", {"id": ""}),
    ("identifiers", {"id": "   "}),
    ("identifiers", {"id": 42}),
    ("identifiers", {"cio_id": "c1"}),
    ("identifiers", "u1"),
    ("identifiers", ["u1"]),
    ("identifiers", {}),
    ("id", ""),
    ("id", None),
    ("attributes", {"when": dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)}),
    ("attributes", {"key": uuid.UUID(int=7)}),
    ("attributes", {"none": None}),
    ("attributes", {"nan": math.nan}),
    ("attributes", {"inf": math.inf}),
    ("attributes", {"set": {1, 2}}),
    ("attributes", {1: "int key"}),
    ("attributes", {"text": "null and nullable"}),
    ("name", "line\nbreak"),
]


def entities(rng: random.Random, bad_share: float) -> Iterator[dict[str, Any]]:
    for i in range(rng.randint(1, 30)):
        entity = {**GOOD, "identifiers": {"id": f"u{i}"}, "id": f"01J{i:023d}"}
        if rng.random() < bad_share:
            key, value = rng.choice(VARIANTS)
            entity[key] = value
        if rng.random() < 0.1:
            del entity[rng.choice(["type", "action", "identifiers", "id"])]
        yield entity


def one_by_one(items: list[dict[str, Any]]) -> list[str | None] | None:
    try:
        return [check_track_entity(item, "item") for item in items]
    except CustomerIOError:
        return None


def test_person_ids_agree_with_check_track_entity() -> None:
    rng = random.Random(11)
    common = 0
    for _ in range(3000):
        items = list(entities(rng, rng.choice([0.0, 0.02, 0.3])))
        bulk = person_ids(items)
        if bulk is not None:
            common += 1
            assert bulk == one_by_one(items)  # each valid, and each's id is what the bulk path hashes
        else:
            each = one_by_one(items)
            assert each is None or None in each  # something was invalid, or not a lone string id
    assert common > 300  # the common case is taken, not always declined
    assert person_ids([]) is None


def test_stamped_and_encoded_like_one_item_at_a_time() -> None:
    rng = random.Random(12)
    encoded = 0
    for _ in range(2000):
        items = list(entities(rng, rng.choice([0.0, 0.05, 0.5])))
        if one_by_one(items) is None:
            continue  # refused before stamping, on either path
        stamped = stamp_track_events(items)
        single = [stamp_track_event(item) for item in items]
        # The same items stamped (new dicts, each with a fresh ULID), the others passed through untouched.
        assert [a is b for a, b in zip(stamped, items, strict=True)] == [
            a is b for a, b in zip(single, items, strict=True)
        ]
        for a, b in zip(stamped, single, strict=True):
            assert {**a, "id": None} == {**b, "id": None} and (a is b or len(a["id"]) == len(b["id"]) == 26)
        bulk = encode_track_many(stamped)
        if bulk is None:
            continue
        encoded += 1
        assert bulk == [encode_track(item) for item in stamped]
    assert encoded > 300


async def test_put_many_sends_the_bytes_put_sends() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(200)

    items = [{**GOOD, "identifiers": {"id": f"u{i}"}, "id": f"e{i}"} for i in range(50)]
    items += [
        {**GOOD, "identifiers": {"id": f"u{i}"}, "id": f"a{i}", "attributes": {"when": dt.date(2024, 5, i + 1)}}
        for i in range(5)
    ]
    sent = []
    for bulk in (True, False):
        bodies.clear()
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x")
        async with Ingestor(http, concurrency=1) as ing:
            if bulk:
                await ing.put_many(items)
            else:
                for item in items:
                    await ing.put(item)
            assert ing._encode_many(items) is not None  # the bulk path is the one put_many took
        assert ing.report.delivered == len(items)
        sent.append(b"".join(bodies))
    assert sent[0] == sent[1]


@pytest.mark.parametrize("bad", [{"total": math.nan}, {"when": object()}])
async def test_a_bad_item_in_a_bulk_part_is_named_by_its_index(bad: dict[str, Any]) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)), base_url="http://x")
    items = [{**GOOD, "identifiers": {"id": f"u{i}"}, "id": f"e{i}"} for i in range(40)]
    items[17] = {**items[17], "attributes": bad}
    async with Ingestor(http) as ing:
        with pytest.raises(InvalidItem) as raised:
            await ing.put_many(items)
    assert raised.value.index == 17 and ing.report.accepted == 0
