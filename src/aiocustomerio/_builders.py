"""Request builders: the one place Track and Pipelines bodies get their shape, timestamps, ids and size checks.

The sugar (``track.py``, ``pipelines.py``) and the ingestors (``ingest/_apis.py``) both build through here, with one
set of names: a person is an ``identifier`` (an id, or identifiers such as ``{"email": ...}``), what describes a
person or an event is ``attributes`` (Track) or ``traits``/``properties`` (Pipelines), as Customer.io calls them.
Timestamps follow ``_encode.unix_seconds`` (Track, App) or ISO 8601 (Pipelines); sizes ``_payload.check_item``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from ._encode import iso8601, unix_seconds
from ._ids import new_ulid
from ._payload import ITEM_LIMIT, PayloadTooLargeError, check_item
from .errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = [
    "CALL_TYPES",
    "ITEM_LIMIT",
    "PERSON_KEYS",
    "PayloadTooLargeError",
    "check_item",
    "identifiers",
    "iso_now",
    "listed",
    "mapping",
    "optional_mapping",
    "pipelines_batch_item",
    "pipelines_message",
    "track_event",
    "unix_seconds",
]

PERSON_KEYS = ("id", "email", "cio_id")
CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
Timestamp = _dt.datetime | _dt.date | int | float


def mapping(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of the mapping argument ``name`` (None: empty); anything else is refused before sending, naming it
    (``dict()`` of a list said only "cannot convert dictionary update sequence")."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentTypeError(
            f"{name} must be a mapping such as {{'plan': 'pro'}} (or None), not {type(value).__name__}"
        )
    return dict(value)


def optional_mapping(name: str, value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``mapping`` that keeps None as None (a field left out of the body)."""
    return None if value is None else mapping(name, value)


def listed(name: str, value: Iterable[Any] | None) -> list[Any] | None:
    """A list of the sequence argument ``name`` (None stays None). A string or a mapping is refused: ``list()`` of
    ``"a@example.com"`` is its characters, each of which would become a recipient."""
    if value is None:
        return None
    if isinstance(value, (str, bytes, bytearray)):
        raise InvalidArgumentTypeError(
            f"{name} must be a list, not {type(value).__name__}; for one: {name}=[{value!r}]"
        )
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise InvalidArgumentTypeError(f"{name} must be a list (or another sequence), not {type(value).__name__}")
    return list(value)


def identifiers(identifier: str | int | Mapping[str, Any]) -> dict[str, Any]:
    """Track v2 identifiers: ``"u1"`` → ``{"id": "u1"}``; a mapping must name exactly one of id, email or cio_id."""
    if isinstance(identifier, (str, int)) and not isinstance(identifier, bool):
        return {"id": identifier}
    if isinstance(identifier, Mapping) and len(identifier) == 1 and next(iter(identifier)) in PERSON_KEYS:
        return dict(identifier)
    raise InvalidArgumentError(
        f"identifier must be an id or name exactly one of id, email or cio_id (e.g. {{'email': 'a@example.com'}}), "
        f"not {identifier!r}"
    )


def track_event(
    name: str,
    attributes: Mapping[str, Any] | None,
    *,
    id: str | None,
    timestamp: Timestamp | None,
    type: str | None = None,
    anonymous_id: str | None = None,
) -> dict[str, Any]:
    """A Track v1 event body; ``id`` (a ULID unless given) lets Customer.io drop a retried duplicate."""
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"an event needs a name (a non-empty string), not {name!r}")
    body: dict[str, Any] = {"name": name, "data": mapping("attributes", attributes), "id": id or new_ulid()}
    if anonymous_id is not None:
        body["anonymous_id"] = anonymous_id
    if timestamp is not None:
        body["timestamp"] = unix_seconds(timestamp)
    if type is not None:
        body["type"] = type
    return body


def iso_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def pipelines_message(
    kind: str,
    user_id: str | None,
    anonymous_id: str | None,
    fields: Mapping[str, Any],
    timestamp: str | _dt.datetime | _dt.date | None = None,
    message_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    integrations: Mapping[str, Any] | None = None,
    stamp_time: bool = False,
) -> dict[str, Any]:
    """A Pipelines message: ``type``, who, the call's fields, a ``messageId`` (a ULID unless given: Customer.io's own
    libraries set one on every call so a retried call is not counted twice), the timestamp in ISO 8601.

    ``stamp_time`` sets the timestamp to now when none is given (the ingestors: an item may wait in a queue).
    """
    if user_id is None and anonymous_id is None and kind != "alias":
        raise InvalidArgumentError(f"a {kind} message needs user_id or anonymous_id")
    message: dict[str, Any] = {"type": kind}
    if user_id is not None:
        message["userId"] = user_id
    if anonymous_id is not None:
        message["anonymousId"] = anonymous_id
    message.update(fields)
    message["messageId"] = message_id or new_ulid()
    if timestamp is not None:
        message["timestamp"] = iso8601(timestamp) if isinstance(timestamp, _dt.date) else timestamp
    elif stamp_time:
        message["timestamp"] = iso_now()
    if context:
        message["context"] = mapping("context", context)
    if integrations:
        message["integrations"] = mapping("integrations", integrations)
    return message


def pipelines_batch_item(index: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """One message of a Pipelines batch as the caller wrote it (wire names), checked and given a ``messageId``."""
    kind = item.get("type")
    if kind not in CALL_TYPES:
        raise InvalidArgumentError(f"batch[{index}] needs a type: one of {', '.join(CALL_TYPES)}, not {kind!r}")
    fields = {k: v for k, v in item.items() if v is not None and k not in ("type", "userId", "anonymousId")}
    timestamp = fields.pop("timestamp", None)
    message_id = fields.pop("messageId", None)
    return pipelines_message(
        kind, item.get("userId"), item.get("anonymousId"), fields, timestamp=timestamp, message_id=message_id
    )
