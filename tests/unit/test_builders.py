"""The request builders: one timestamp rule, one identifier rule, one size check, one Pipelines message shape."""

from __future__ import annotations

import datetime as dt

import pytest

from aiocustomerio import CustomerIOError, PayloadTooLargeError
from aiocustomerio._builders import (
    check_item,
    identifiers,
    pipelines_batch_item,
    pipelines_message,
    track_event,
    unix_seconds,
)
from aiocustomerio.ingest import ItemTooLarge

UTC = dt.timezone.utc


def test_one_timestamp_rule() -> None:
    aware = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert unix_seconds(aware) == 1704164645
    assert unix_seconds(aware.replace(tzinfo=None)) == 1704164645  # naive is UTC
    assert unix_seconds(dt.date(2024, 1, 2)) == 1704153600
    assert unix_seconds(1704164645) == unix_seconds(1704164645.9) == 1704164645
    with pytest.raises(CustomerIOError, match="timestamp must be a datetime"):
        unix_seconds("2024-01-02")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        unix_seconds(True)  # type: ignore[arg-type]


def test_identifiers() -> None:
    assert identifiers("u1") == {"id": "u1"} and identifiers(7) == {"id": 7}
    assert identifiers({"email": "a@example.com"}) == {"email": "a@example.com"}
    for bad in ({}, {"id": 1, "email": "x"}, {"phone": "1"}, None, True):
        with pytest.raises(ValueError, match="exactly one of id, email or cio_id"):
            identifiers(bad)  # type: ignore[arg-type]


def test_track_event_and_size() -> None:
    body = track_event("purchase", {"amount": 1}, id=None, timestamp=dt.datetime(2024, 1, 1, tzinfo=UTC))
    assert body["name"] == "purchase" and body["data"] == {"amount": 1} and len(body["id"]) == 26
    assert body["timestamp"] == 1704067200
    with pytest.raises(ValueError, match="needs a name"):
        track_event("", None, id=None, timestamp=None)
    assert check_item("x", b"{}") == b"{}"
    with pytest.raises(PayloadTooLargeError, match="x is 40,000 bytes"):
        check_item("x", b"a" * 40_000)
    assert issubclass(ItemTooLarge, PayloadTooLargeError)  # the ingestors' size error is the same type


def test_pipelines_message_shape() -> None:
    when = dt.datetime(2024, 5, 1, 12, tzinfo=UTC)
    message = pipelines_message("track", "u", None, {"event": "e"}, timestamp=when, message_id="m", context={"a": 1})
    assert message == {
        "type": "track",
        "userId": "u",
        "event": "e",
        "messageId": "m",
        "timestamp": "2024-05-01T12:00:00+00:00",
        "context": {"a": 1},
    }
    stamped = pipelines_message("identify", None, "anon", {}, stamp_time=True)
    assert stamped["anonymousId"] == "anon" and stamped["timestamp"].endswith("+00:00")
    assert "timestamp" not in pipelines_message("identify", "u", None, {})
    with pytest.raises(ValueError, match="needs user_id or anonymous_id"):
        pipelines_message("page", None, None, {})
    assert pipelines_message("alias", "u", None, {"previousId": "a"})["previousId"] == "a"
    item = pipelines_batch_item(0, {"type": "track", "userId": "u", "event": "e", "messageId": "k"})
    assert item == {"type": "track", "userId": "u", "event": "e", "messageId": "k"}
    with pytest.raises(ValueError, match=r"batch\[2\]\.type is None: a Pipelines message's type is one of"):
        pipelines_batch_item(2, {"userId": "u"})
    with pytest.raises(ValueError, match=r"batch\[1\]\.event is None: a track message needs the event's name"):
        pipelines_batch_item(1, {"type": "track", "userId": "u"})  # the façade's batch() and the ingestor: one rule
