"""ULIDs for event and message IDs (https://github.com/ulid/spec).

Called once per event on the ingestion path, so the per-call work is small. Fresh randomness is drawn only when the
millisecond changes: within one millisecond the 80-bit random part counts up, which is also what makes IDs from one
process sort in creation order. The first 24 characters (time and the top 70 random bits) are encoded once per
millisecond, or per 1,024 IDs within one; an ID then costs a clock read, one step of a shared counter and one
lookup in a 1024-entry table of character pairs for its last 10 bits: no lock (with the GIL) and no big-integer
arithmetic on the per-event path.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
import threading
import time
from collections.abc import Mapping
from itertools import compress, repeat
from operator import not_
from typing import Any, NamedTuple

__all__ = [
    "TRACK_EVENT_ACTIONS",
    "DedupRule",
    "dedup_field",
    "derived_ulid",
    "new_ulid",
    "stamp_dedup",
    "stamp_track_event",
    "stamp_track_events",
    "ulid_timestamp_ms",
]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)  # 10 bits -> 2 characters
_TIME_MAX = (1 << 48) - 1

# Bound once: the module attribute lookup is measurable at ingestion rates, and tests can replace the clock.
_time_ns = time.time_ns

_lock = threading.Lock()
_HI_MAX = (1 << 70) - 1
# IDs are numbered by one process-wide counter; `_state` is (millisecond, head, base, end, hi): number n in
# base..end-1 gets `head + _PAIRS[n - base]`. `head` is the first 24 characters (the time and `hi`, the top 70 random
# bits), unique per state, so distinct numbers give distinct IDs. The millisecond never goes back, even when the
# wall clock does.
_counter = itertools.count()
_state: tuple[int, str, int, int, int] = (-1, "", 0, 0, 0)
# Without the GIL, `next()` on a shared count is not atomic: every ID then takes the lock.
_GIL = getattr(sys, "_is_gil_enabled", lambda: True)()


# Fresh randomness for each millisecond, drawn from the OS 256 draws at a time (under `_lock`): one `os.urandom` per
# millisecond is a system call that also lets go of the GIL, which a spool's thread then holds while the producer
# waits (about 3% of a spooled ingestor's time, sampled).
_POOL_DRAWS = 256
_pool = b""
_pool_at = 0


def _random80() -> int:
    global _pool, _pool_at
    if _pool_at >= len(_pool):
        _pool, _pool_at = os.urandom(10 * _POOL_DRAWS), 0
    at = _pool_at
    _pool_at = at + 10
    return int.from_bytes(_pool[at : at + 10], "big")


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
    now_ms = _time_ns() // 1_000_000
    if _GIL:
        # The per-event path, without the lock: `next()` on the count is atomic under the GIL, and `_state` is read
        # once. A number drawn just before another thread moved the state on is outside the new range: it takes
        # the locked path, which draws again.
        n = next(_counter)
        ms, head, base, end, _ = _state
        if now_ms <= ms and base <= n < end:
            return head + _PAIRS[n - base]
    return _new_ulid_locked(now_ms)


def _new_ulid_locked(now_ms: int) -> str:
    global _state
    with _lock:
        n = next(_counter)
        ms, head, base, end, _ = _state
        if now_ms <= ms and base <= n < end:
            return head + _PAIRS[n - base]
        if now_ms > ms:
            rand = _random80()
            ms, hi, lo = now_ms, rand >> 10, rand & 1023
        else:
            # Same millisecond (or the wall clock stepped back) and its 1,024 numbers used up: count up from the
            # last ID, so order is kept.
            hi, lo = _state[4] + 1, 0
            if hi > _HI_MAX:
                # Only after 2**80 IDs in one millisecond; borrowing the next millisecond keeps IDs unique.
                rand = _random80()
                ms, hi, lo = ms + 1, rand >> 10, rand & 1023
        head = _encode_time(ms & _TIME_MAX) + _encode_random(hi << 10)[:14]
        _state = (ms, head, n - lo, n - lo + 1024, hi)
        return head + _PAIRS[lo]


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
    global _lock, _counter, _state, _pool, _pool_at
    _lock = threading.Lock()
    _counter = itertools.count()
    _state = (-1, "", 0, 0, 0)
    _pool, _pool_at = b"", 0  # nor draw the parent's random numbers


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


# Track v2 actions that record something that happened: Customer.io deduplicates them on their `id`.
TRACK_EVENT_ACTIONS = frozenset({"event", "page", "screen"})


def stamp_track_event(entity: dict[str, Any]) -> dict[str, Any]:
    """``entity`` with a ULID ``id`` if it is an event that lacks one (a new dict then; never the caller's)."""
    if entity.get("action") in TRACK_EVENT_ACTIONS and not entity.get("id"):
        return {**entity, "id": new_ulid()}
    return entity


def stamp_track_events(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`stamp_track_event` of each entity (dicts); the same list when none lacks an id (found by C loops: a bulk
    put)."""
    if all(map(dict.get, entities, _ID)):
        return entities
    stamped = list(entities)
    for index in compress(range(len(entities)), map(not_, map(dict.get, entities, _ID))):
        stamped[index] = stamp_track_event(stamped[index])
    return stamped


_ID = repeat("id")


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


class DedupRule(NamedTuple):
    """Where one operation's body takes a dedup id (the generated index's ``dedup``, from codegen/dedup.py).

    ``at``: keys from the body to the objects carrying it, ``"*"`` for each item of a list (``("batch", "*")``);
    ``field``: ``id`` or ``messageId``; an object whose ``unless_property`` is one of ``unless_values`` (a Track v2
    ``identify``) is not deduplicated by the server and gets none."""

    at: tuple[str, ...]
    field: str
    unless_property: str | None = None
    unless_values: frozenset[str] = frozenset()


def stamp_dedup(body: Any, rules: tuple[DedupRule, ...]) -> Any:
    """``body`` with a ULID in every place ``rules`` name that lacks one; what changes is copied, never the caller's.

    Called once per call, before the first attempt, so every retry of the request carries the same ids."""
    for rule in rules:
        body = _stamp_at(body, rule, 0)
    return body


def _stamp_at(value: Any, rule: DedupRule, depth: int) -> Any:
    if depth == len(rule.at):
        if not isinstance(value, Mapping) or value.get(rule.field):
            return value
        kind = value.get(rule.unless_property) if rule.unless_property is not None else None
        if isinstance(kind, str) and kind in rule.unless_values:
            return value
        return {**value, rule.field: new_ulid()}
    key = rule.at[depth]
    if key == "*":
        if not isinstance(value, (list, tuple)):
            return value
        items = [_stamp_at(item, rule, depth + 1) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if not isinstance(value, Mapping) or key not in value:
        return value
    inner = _stamp_at(value[key], rule, depth + 1)
    return value if inner is value[key] else {**value, key: inner}
