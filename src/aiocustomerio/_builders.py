"""Request builders: the one place Track and Pipelines bodies get their shape, timestamps, ids and size checks.

The sugar (``track.py``, ``pipelines.py``) and the ingestors (``ingest/_apis.py``) both build through here, with one
set of names: a person is an ``identifier`` (an id, or identifiers such as ``{"email": ...}``), what describes a
person or an event is ``attributes`` (Track) or ``traits``/``properties`` (Pipelines), as Customer.io calls them.
Timestamps follow ``_encode.unix_seconds`` (Track, App) or ISO 8601 (Pipelines); sizes ``_payload.check_item``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

from ._encode import is_iso_8601, iso_timestamp, unix_seconds
from ._ids import new_ulid
from ._payload import (
    EVENT_NAME_CHARS,
    ID_CHARS,
    ITEM_LIMIT,
    PayloadTooLargeError,
    check_item,
    check_track_entity_limits,
)
from .errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = [
    "CALL_TYPES",
    "ITEM_LIMIT",
    "PERSON_KEYS",
    "TRACK_ENTITY_ACTIONS",
    "PayloadTooLargeError",
    "check_event_name",
    "check_item",
    "check_pipelines_event",
    "check_pipelines_message",
    "check_track_entity",
    "identifiers",
    "iso_now",
    "listed",
    "mapping",
    "optional_mapping",
    "person_id",
    "person_ids",
    "pipelines_batch_item",
    "pipelines_message",
    "track_event",
    "unix_seconds",
]

PERSON_KEYS = ("id", "email", "cio_id")
CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
Timestamp = _dt.datetime | _dt.date | int | float
# Pipelines takes ISO 8601 only: a string as it is, a datetime or date written in ISO form (`iso_timestamp`).
IsoTimestamp = str | _dt.datetime | _dt.date


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


def person_id(name: str, value: Any) -> Any:
    """An identifier that travels in a body (``user_id``, ``anonymous_id``, ``identifiers.id``): the same refusal as
    a path parameter gets, before sending, for an empty or blank string (Customer.io would refuse it later: a 400,
    or a silent drop)."""
    if type(value) is str and not value.strip():
        raise InvalidArgumentError(f"{name} is {value!r}: an identifier cannot be empty or blank; pass the real id")
    return value


def identifiers(identifier: str | int | Mapping[str, Any], name: str = "identifier") -> dict[str, Any]:
    """Track v2 identifiers: ``"u1"`` → ``{"id": "u1"}``; a mapping must name exactly one of id, email or cio_id.
    Empty or blank ids are refused (``person_id``)."""
    if isinstance(identifier, (str, int)) and not isinstance(identifier, bool):
        return {"id": person_id(name, identifier)}
    if isinstance(identifier, Mapping) and len(identifier) == 1:
        ((key, value),) = identifier.items()
        if key in PERSON_KEYS:
            return {key: person_id(f"{name}[{key!r}]", value)}
    raise InvalidArgumentError(
        f"{name} must be an id or name exactly one of id, email or cio_id (e.g. {{'email': 'a@example.com'}}), "
        f"not {identifier!r}"
    )


def check_event_name(name: Any) -> None:
    """A Track event's name: a non-empty string (the façade's event() and the ingestor's event/page/screen)."""
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"an event needs a name (a non-empty string), not {name!r}")


def check_pipelines_event(event: Any) -> None:
    """A Pipelines track message's event: a non-blank string (the façade's track() and the ingestor's)."""
    if type(event) is not str or not event.strip():
        raise InvalidArgumentError(f"track needs event, the event's name (a non-empty string), not {event!r}")


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
    check_event_name(name)
    body: dict[str, Any] = {"name": name, "data": mapping("attributes", attributes), "id": id or new_ulid()}
    if anonymous_id is not None:
        body["anonymous_id"] = person_id("anonymous_id", anonymous_id)
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
    libraries set one on every call so a retried call is not counted twice), the timestamp in ISO 8601
    (``_encode.iso_timestamp``).

    ``stamp_time`` sets the timestamp to now when none is given (the ingestors: an item may wait in a queue).
    """
    if user_id is None and anonymous_id is None and kind != "alias":
        raise InvalidArgumentError(f"a {kind} message needs user_id or anonymous_id")
    message: dict[str, Any] = {"type": kind}
    if user_id is not None:
        message["userId"] = person_id("user_id", user_id)
    if anonymous_id is not None:
        message["anonymousId"] = person_id("anonymous_id", anonymous_id)
    message.update(fields)
    message["messageId"] = message_id or new_ulid()
    if timestamp is not None:
        message["timestamp"] = iso_timestamp(timestamp)
    elif stamp_time:
        message["timestamp"] = iso_now()
    if context:
        message["context"] = mapping("context", context)
    if integrations:
        message["integrations"] = mapping("integrations", integrations)
    return message


def check_pipelines_message(message: Mapping[str, Any], where: str = "message") -> None:
    """Refuse a raw Pipelines message (wire names) that the API cannot take, naming the field and the fix: a `type`
    that is not a call, a message about nobody, a track without its event, a group without its group, an alias
    without both of its ids (the spec's required fields), a blank id, or a `timestamp` that is not one (the rule of
    ``_encode.iso_timestamp``: an ISO-8601 string, a datetime or a date; the encoder writes those two in ISO 8601)."""
    kind = message.get("type")
    if kind not in CALL_TYPES:
        raise InvalidArgumentError(
            f"{where}.type is {kind!r}: a Pipelines message's type is one of {', '.join(CALL_TYPES)}"
        )
    user, anonymous = message.get("userId"), message.get("anonymousId")
    if kind == "alias":
        if user is None or message.get("previousId") is None:
            raise InvalidArgumentError(
                f"{where}: an alias message needs userId (the id to keep) and previousId (the one to merge into it)"
            )
        person_id(f"{where}.previousId", message["previousId"])
    elif user is None and anonymous is None and not (kind == "track" and message.get("groupId") is not None):
        raise InvalidArgumentError(f"{where}: a {kind} message needs userId or anonymousId (who it is about)")
    if kind == "track" and (type(message.get("event")) is not str or not message["event"].strip()):
        raise InvalidArgumentError(f"{where}.event is {message.get('event')!r}: a track message needs the event's name")
    if kind == "group" and message.get("groupId") is None:
        raise InvalidArgumentError(f"{where}: a group message needs groupId, the group's id")
    for key in ("userId", "anonymousId", "groupId"):
        if message.get(key) is not None:
            person_id(f"{where}.{key}", message[key])
    timestamp = message.get("timestamp")
    # The façade's rule (iso_timestamp); a valid string is let through without building the field's name.
    if timestamp is not None and (type(timestamp) is not str or not is_iso_8601(timestamp)):
        iso_timestamp(timestamp, f"{where}.timestamp")


def pipelines_batch_item(index: int, message: Mapping[str, Any]) -> dict[str, Any]:
    """One message of a Pipelines batch as the caller wrote it (wire names), checked and given a ``messageId``."""
    item = mapping(f"batch[{index}]", message)  # a str or a list here failed with AttributeError: 'str' ... 'get'
    check_pipelines_message(item, f"batch[{index}]")
    kind = item["type"]
    fields = {k: v for k, v in item.items() if v is not None and k not in ("type", "userId", "anonymousId")}
    timestamp = fields.pop("timestamp", None)
    message_id = fields.pop("messageId", None)
    return pipelines_message(
        kind, item.get("userId"), item.get("anonymousId"), fields, timestamp=timestamp, message_id=message_id
    )


# Track v2 entity shapes, from journeys-track.json's `/api/v2/batch` items (tests/unit/test_track_entity_shape.py
# compares this table with the pinned spec): each type and the actions it takes. The spec's pageview variant
# describes a `page` action but spells its enum `screen`; the API takes `page` (and the ingestor's page() sends it).
TRACK_ENTITY_ACTIONS: dict[str, frozenset[str]] = {
    "person": frozenset({
        "identify", "delete", "event", "page", "screen", "add_relationships", "delete_relationships",
        "add_device", "delete_device", "merge", "suppress", "unsuppress",
    }),
    "object": frozenset({"identify", "identify_anonymous", "delete", "add_relationships", "delete_relationships"}),
    "delivery": frozenset({"event"}),
}  # fmt: skip
_ENTITY_PAIRS = frozenset((kind, action) for kind, actions in TRACK_ENTITY_ACTIONS.items() for action in actions)
_PERSON_ACTIONS = TRACK_ENTITY_ACTIONS["person"]


def check_track_entity(entity: Mapping[str, Any], where: str = "entity") -> str | None:
    """Refuse a Track v2 entity whose ``type``, ``action`` or ``identifiers`` the API cannot take, naming the field
    and the allowed values, or that is over one of Customer.io's field limits (``_payload``). Returns the person's id
    when the entity is a person identified by a string ``id`` alone (the ingestor hashes it into a lane), else None.
    The common case is a few dict lookups and two length comparisons: the ingestor's put() runs this per item."""
    try:
        kind = entity["type"]
        ids = entity["identifiers"]
        action = entity["action"]
        if kind == "person" and type(ids) is dict and len(ids) == 1 and action in _PERSON_ACTIONS:
            value = ids.get("id")
            if type(value) is str and value and not value.isspace():
                # The per-item case, first and with the fewest steps: a short id and, for an event, a short name
                # are within every limit whatever their characters; anything else is measured.
                if (
                    len(value) > ID_CHARS
                    or action == "identify"
                    or (action == "event" and len(entity["name"]) > EVENT_NAME_CHARS)
                ):
                    check_track_entity_limits(entity, where)
                return value
        if (kind, action) in _ENTITY_PAIRS and type(ids) is dict and ids:
            if kind != "person":
                check_track_entity_limits(entity, where)
                return None
            if len(ids) == 1:
                value = ids.get("id")
                # The one key is id, email or cio_id; an empty value is falsy and explained below.
                value = value or ids.get("email") or ids.get("cio_id")
                if (type(value) is str and not value.isspace()) or (type(value) is not str and value is not None):
                    check_track_entity_limits(entity, where)
                    return None
    except (KeyError, TypeError):  # a field missing, an unhashable type/action, an event's name not a str: see below
        pass
    _explain_entity(entity, where)
    check_track_entity_limits(entity, where)
    return None


_type_of, _action_of = itemgetter("type"), itemgetter("action")
_identifiers_of, _id_of = itemgetter("identifiers"), itemgetter("id")
_PERSON = frozenset({"person"})


def person_ids(entities: list[Any]) -> list[str] | None:
    """`check_track_entity`'s common case for many entities at once, by C loops (a bulk put's per-item cost): the
    person ids, when every entity is a person with a person action, identified by one non-blank string `id` (what
    `check_track_entity` returns for each); None when any is not, or there are none: then check them one by one."""
    try:
        # Two passes of one key each: half the time of one pass over (type, action) pairs, which builds, hashes
        # and compares a tuple per entity (measured 110 against 200 ns per entity).
        if (
            not entities
            or not _PERSON.issuperset(map(_type_of, entities))
            or not _PERSON_ACTIONS.issuperset(map(_action_of, entities))
        ):
            return None
        ids = list(map(_identifiers_of, entities))
        who = list(map(_id_of, ids))  # TypeError for identifiers that are not a mapping
        # Each has its `id`, so each has one key exactly when the keys add up to one per entity.
        if sum(map(len, ids)) != len(ids) or not all(who) or any(map(str.isspace, who)):  # TypeError: not a str
            return None
    except (KeyError, TypeError):  # a field missing, an unhashable type or action, identifiers without `id`
        return None
    return who


def _explain_entity(entity: Mapping[str, Any], where: str) -> None:
    """The slow path of ``check_track_entity``: raise the first problem found (or return: a person's identifiers
    were fine)."""
    import difflib

    kind = entity.get("type")
    actions = TRACK_ENTITY_ACTIONS.get(kind) if isinstance(kind, str) else None
    if actions is None:
        raise InvalidArgumentError(
            f"{where}.type is {kind!r}: a Track v2 entity's type is one of {', '.join(TRACK_ENTITY_ACTIONS)}"
        )
    a_kind = f"an {kind}" if kind == "object" else f"a {kind}"
    action = entity.get("action")
    if not isinstance(action, str) or action not in actions:
        close = difflib.get_close_matches(action, sorted(actions), n=1) if isinstance(action, str) else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidArgumentError(
            f"{where}.action is {action!r}: {a_kind} entity's action is one of {', '.join(sorted(actions))}{hint}"
        )
    ids = entity.get("identifiers")
    if kind == "person":
        # The spec says one of id, email or cio_id; several (an id with the email) are let through, as before.
        if not isinstance(ids, Mapping) or not ids or any(key not in PERSON_KEYS for key in ids):
            raise InvalidArgumentError(
                f"{where}.identifiers is {ids!r}: a person entity's identifiers name one of id, email or cio_id, "
                "e.g. {'id': 'user_1'}"
            )
        for key, value in ids.items():
            person_id(f"{where}.identifiers.{key}", value)
    elif not isinstance(ids, Mapping) or not ids:
        example = "{'id': 'delivery_id'}" if kind == "delivery" else "{'object_type_id': '1', 'object_id': 'acme'}"
        raise InvalidArgumentError(f"{where}.identifiers is {ids!r}: {a_kind} entity needs identifiers, e.g. {example}")
