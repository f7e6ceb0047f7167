"""A raw Pipelines message's `timestamp` is checked at put time by the rule of the façade and the typed methods
(_encode.iso_timestamp): an ISO-8601 date-time string, a datetime or a date. Anything else ('soon', a unix time,
milliseconds) was queued and sent, and in permissive mode (pipelines_strict=False) the API answers 200 to such a
message and drops it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIOError
from aiocustomerio._sync.ingest import SyncPipelinesIngestor
from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError
from aiocustomerio.ingest import Ingestor, InvalidItem

TRACK = {"type": "track", "userId": "u1", "event": "Order Completed"}

BAD: list[tuple[object, type[Exception], str]] = [
    ("soon", InvalidArgumentError, r"item\.timestamp is 'soon', not an ISO-8601 date-time"),
    ("", InvalidArgumentError, r"item\.timestamp is '', not an ISO-8601"),
    ("1700000000", InvalidArgumentError, r"item\.timestamp is '1700000000', not an ISO-8601"),
    (1700000000, InvalidArgumentTypeError, r"item\.timestamp is the number 1700000000, but Pipelines takes an ISO"),
    (1.7e12, InvalidArgumentTypeError, r"item\.timestamp is the number"),
    (True, InvalidArgumentTypeError, r"item\.timestamp must be an ISO-8601 date-time string or a datetime, not bool"),
    ([2026, 1, 2], InvalidArgumentTypeError, r"item\.timestamp must be .* not list"),
]


def client(sent: list[dict[str, Any]]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.extend(json.loads(request.content)["batch"])
        return httpx.Response(200)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x/v1")


@pytest.mark.parametrize(("timestamp", "error", "message"), BAD)
async def test_a_raw_message_with_a_timestamp_that_is_not_one_is_refused_at_put(
    timestamp: object, error: type[Exception], message: str
) -> None:
    sent: list[dict[str, Any]] = []
    bad = {**TRACK, "timestamp": timestamp}
    async with Ingestor(client(sent), api="pipelines") as ing:
        with pytest.raises(error, match=message) as info:
            await ing.put(bad)
        assert isinstance(info.value, CustomerIOError)
        with pytest.raises(error, match=message):
            ing.put_nowait(bad)
        with pytest.raises(InvalidItem, match=message) as many:
            await ing.put_many([TRACK, bad])
        assert many.value.index == 1
        assert ing.qsize() == 0  # nothing was queued
        await ing.put(TRACK)
    assert [{k: v for k, v in item.items() if k != "messageId"} for item in sent] == [TRACK]


def test_the_sync_ingestor_refuses_it_too() -> None:
    sent: list[dict[str, Any]] = []
    with SyncPipelinesIngestor(lambda: client(sent)) as ing, pytest.raises(InvalidArgumentError, match="timestamp"):
        ing.put({**TRACK, "timestamp": "yesterday"})
    assert sent == []


async def test_timestamps_of_the_rule_are_sent_as_the_facade_sends_them() -> None:
    sent: list[dict[str, Any]] = []
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    good: list[object] = [
        "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+01:00", "2026-01-02", when,
        dt.datetime(2026, 1, 2, 3, 4, 5), dt.date(2026, 1, 2),
    ]  # fmt: skip
    async with Ingestor(client(sent), api="pipelines", concurrency=1) as ing:
        for timestamp in good:
            await ing.put({**TRACK, "timestamp": timestamp})
        await ing.put(TRACK)  # none: sent without one, as before
    # A date: midnight UTC, a date-time as the spec asks; a date-only string the caller gave: as given.
    assert [item.get("timestamp") for item in sent] == [
        "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+01:00", "2026-01-02", "2026-01-02T03:04:05+00:00",
        "2026-01-02T03:04:05+00:00", "2026-01-02T00:00:00+00:00", None,
    ]  # fmt: skip


def test_the_shape_shortcut_decides_as_the_pattern_does() -> None:
    # is_iso_8601 remembers the shapes (digits as 0) that matched; a string of a known shape must still be decided as
    # the pattern decides it, whichever digits it holds (Unicode digits included: the pattern's \d takes them).
    from aiocustomerio._encode import _ISO_8601, is_iso_8601

    samples = [
        "2026-01-02T03:04:05Z", "2026-01-02t03:04:05.123456z", "2026-01-02 03:04", "2026-01-02T03:04:05,5+01:00",
        "2026-01-02T03:04:05-0130", "2026-01-02T03:04:05+01", "2026-01-02", "9999-99-99T99:99:99Z",
        "٢٠٢٦-٠١-٠٢T03:04:05Z", "2026-01-02T03", "2026-01-02T03:04:05+01:00:30", "20260102T030405Z",
        "2026-01-02T03:04:05ZZ", "2026-01-02X03:04:05Z", "a026-01-02T03:04:05Z", "2026-01-02T03:04:05.Z",
        "\ud800026-01-02", "", " 2026-01-02",
    ]  # fmt: skip
    for _ in range(2):  # cold, then with every matching shape remembered
        for text in samples:
            assert is_iso_8601(text) is (_ISO_8601.fullmatch(text) is not None), text
        for text in samples:  # the same shapes with other digits
            other = text.translate(str.maketrans("0123456789", "9876543210"))
            assert is_iso_8601(other) is (_ISO_8601.fullmatch(other) is not None), other
