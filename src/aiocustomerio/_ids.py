"""ULIDs for event and message IDs (https://github.com/ulid/spec).

Called once per event on the ingestion path, so the per-call work is small: the 10-character timestamp part is
encoded once per millisecond, the 80 random bits (16 characters, exactly 8 groups of 10 bits) through a
1024-entry table, and fresh randomness is drawn only when the millisecond changes: within one millisecond the
random part counts up, which is also what makes IDs from one process sort in creation order.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Any

__all__ = [
    "TRACK_EVENT_ACTIONS",
    "dedup_field",
    "derived_ulid",
    "new_ulid",
    "stamp_track_event",
    "ulid_timestamp_ms",
]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)  # 10 bits -> 2 characters
_RANDOM_MAX = (1 << 80) - 1
_TIME_MAX = (1 << 48) - 1

# Bound once: the module attribute lookup is measurable at ingestion rates, and tests can replace the clock.
_time_ns = time.time_ns

_lock = threading.Lock()
_last_ms = -1
_last_random = 0
_prefix_ms = -1
_prefix = ""
_head_key = -1  # (ms, random >> 10) that _head was encoded for
_head = ""  # the first 24 characters: time and the top 70 random bits


def _encode_time(ms: int) -> str:
    # 10 characters carry 50 bits: the 48-bit timestamp with two leading zero bits.
    p = _PAIRS
    return p[ms >> 40] + p[(ms >> 30) & 1023] + p[(ms >> 20) & 1023] + p[(ms >> 10) & 1023] + p[ms & 1023]


def _encode_random(r: int) -> str:
    p = _PAIRS
    return (
        p[r >> 70]
        + p[(r >> 60) & 1023]
        + p[(r >> 50) & 1023]
        + p[(r >> 40) & 1023]
        + p[(r >> 30) & 1023]
        + p[(r >> 20) & 1023]
        + p[(r >> 10) & 1023]
        + p[r & 1023]
    )


def new_ulid() -> str:
    """A 26-character ULID; IDs made by this process sort in creation order, also within one millisecond."""
    global _last_ms, _last_random, _prefix_ms, _prefix, _head_key, _head
    now_ms = _time_ns() // 1_000_000
    with _lock:
        if now_ms > _last_ms:
            rand = int.from_bytes(os.urandom(10), "big")
        else:
            # Same millisecond (or the wall clock stepped back): count up from the last ID so order is kept.
            now_ms = _last_ms
            rand = _last_random + 1
            if rand > _RANDOM_MAX:
                # Only after 2**80 IDs in one millisecond; borrowing the next millisecond keeps IDs unique.
                now_ms += 1
                rand = int.from_bytes(os.urandom(10), "big")
        _last_ms = now_ms
        _last_random = rand
        key = (now_ms << 70) | (rand >> 10)
        if key != _head_key:
            # Counting up within a millisecond changes only the last 10 bits 1023 times in 1024: reuse the rest.
            if now_ms != _prefix_ms:
                _prefix = _encode_time(now_ms & _TIME_MAX)
                _prefix_ms = now_ms
            _head = _prefix + _encode_random(rand)[:-2]
            _head_key = key
        head = _head
    return head + _PAIRS[rand & 1023]


def ulid_timestamp_ms(ulid: str) -> int:
    """The millisecond timestamp encoded in a ULID's first 10 characters."""
    if len(ulid) != 26:
        raise ValueError("a ULID has 26 characters")
    value = 0
    for char in ulid[:10].upper():
        digit = _CROCKFORD.find(char)
        if digit < 0:
            raise ValueError(f"invalid ULID character {char!r}")
        value = value * 32 + digit
    return value


def _reset_after_fork() -> None:
    # A forked child must not continue the parent's monotonic sequence: both would produce the same IDs.
    global _lock, _last_ms, _last_random, _prefix_ms
    _lock = threading.Lock()
    _last_ms = -1
    _last_random = 0
    _prefix_ms = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


# Track v2 actions that record something that happened: Customer.io deduplicates them on their `id`.
TRACK_EVENT_ACTIONS = frozenset({"event", "page", "screen"})


def stamp_track_event(entity: dict[str, Any]) -> dict[str, Any]:
    """``entity`` with a ULID ``id`` if it is an event that lacks one (a new dict then; never the caller's)."""
    if entity.get("action") in TRACK_EVENT_ACTIONS and not entity.get("id"):
        return {**entity, "id": new_ulid()}
    return entity


def derived_ulid(time_ms: int, key: bytes) -> str:
    """A ULID that is a function of its arguments: ``time_ms`` as its time part, a hash of ``key`` as its 80 bits.

    For ids that must come out the same when the same thing is sent twice (a backfill line read again after a
    crash, identified by its job and byte offset), so Customer.io's dedup on the id recognises the repeat.
    """
    if not 0 <= time_ms <= _TIME_MAX:
        raise ValueError(f"time_ms must be within 0..{_TIME_MAX}, not {time_ms}")
    rand = int.from_bytes(hashlib.sha256(key).digest()[:10], "big")
    return _encode_time(time_ms) + _encode_random(rand)


def dedup_field(api: str, item: dict[str, Any]) -> str | None:
    """The dedup-id field ``item`` lacks and should carry (Track v2 events: ``id``; Pipelines: ``messageId``)."""
    if api == "track":
        return "id" if item.get("action") in TRACK_EVENT_ACTIONS and not item.get("id") else None
    return "messageId" if "messageId" not in item else None
