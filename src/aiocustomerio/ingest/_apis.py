"""The two batch APIs: how their items are built, stamped with dedup ids and encoded."""

from __future__ import annotations

import time
from typing import Any
from zlib import crc32

from aiocustomerio._arguments import typed_calls
from aiocustomerio._builders import (
    IsoTimestamp,
    Timestamp,
    check_event_name,
    check_pipelines_event,
    check_pipelines_message,
    check_track_entity,
    identifiers,
    mapping,
    person_ids,
    pipelines_message,
    unix_seconds,
)
from aiocustomerio._encode import iso_timestamp
from aiocustomerio._ids import new_ulid, stamp_track_event, stamp_track_events
from aiocustomerio._payload import (
    EVENT_NAME_CHARS,
    ID_CHARS,
    SMALLEST_FIELD_LIMIT,
    check_track_attributes,
    check_track_event_name,
    check_track_id,
    track_entities_within_limits,
)
from aiocustomerio.errors import InvalidArgumentTypeError

from ._encode import encode_pipelines, encode_track, encode_track_action, encode_track_many
from ._engine import Engine, _running_loop
from ._queue import person_hash
from ._types import ItemTooLarge, JSONDict


class TrackIngestor(Engine):
    """Batches Track v2 entities into `POST /api/v2/batch`. Events (`event`/`page`/`screen`) get a ULID `id`."""

    _path = "/api/v2/batch"
    _api = "track"

    def _encode(self, item: JSONDict) -> tuple[bytes, int]:
        if _running_loop() is not self._loop:  # the per-item loop check (see Engine._check_loop)
            self._check_loop()
        if type(item) is not dict and not isinstance(item, dict):
            raise InvalidArgumentTypeError(f"an item is a dict (a Track v2 entity), not {type(item).__name__}")
        # Type, action, identifiers, Customer.io's field limits: refused here, not by a 400 for the whole batch.
        # `who`: the person's id, when the identifiers are just that (person_hash's common case, inlined: this is the
        # per-item path).
        who = check_track_entity(item, "item")
        data = encode_track(stamp_track_event(item))
        if len(data) > self._max_item_bytes:
            raise ItemTooLarge(len(data), self._max_item_bytes)
        return data, crc32(who.encode()) if who is not None else person_hash(item.get("identifiers"))

    def _encode_many(self, items: list[JSONDict]) -> tuple[list[bytes], list[int]] | None:
        # `_encode` of each, by C loops, when all are the common case (person entities with a string id); else None.
        who = person_ids(items)
        if who is None:
            return None
        try:
            stamped = stamp_track_events(items)
        except TypeError:  # a mapping that is not a dict: `_encode` explains
            return None
        encoded = encode_track_many(stamped)
        if encoded is None:
            return None
        sizes = list(map(len, encoded))
        if max(sizes) > self._max_item_bytes or not track_entities_within_limits(items, who, sizes):
            return None
        return encoded, list(map(crc32, map(str.encode, who)))

    async def identify(self, identifier: str | JSONDict, attributes: JSONDict | None = None, **more: Any) -> None:
        """Create or update a person; `identifier` is an id, or identifiers such as `{"email": ...}`."""
        if _running_loop() is not self._loop:  # the per-item loop check (see Engine._check_loop)
            self._check_loop()
        # The façade's rules (_builders): a list or a str for the attributes was a bare TypeError, or sent.
        attrs = {**mapping("attributes", attributes), **more} if attributes else more
        ids = identifiers(identifier)
        entity = {"type": "person", "identifiers": ids, "action": "identify", "attributes": attrs}
        data = self._check_size(encode_track(entity))
        if len(data) > SMALLEST_FIELD_LIMIT:  # Customer.io's field limits, as the façade's identify()
            check_track_id(ids.get("id"), "identifier")
            check_track_attributes(attrs, "attributes")
        await self._put_encoded(data, person_hash(identifier))

    async def event(
        self,
        identifier: str | JSONDict,
        name: str,
        attributes: JSONDict | None = None,
        *,
        timestamp: Timestamp | None = None,
        id: str | None = None,
    ) -> None:
        who = crc32(identifier.encode()) if type(identifier) is str else person_hash(identifier)  # person_hash, inlined
        data = self._action(identifier, "event", name, attributes, timestamp, id)
        accepted = self._offer(data, who)  # accepted at once (with a spool: journaled), or the slow path
        if accepted is not True:
            await (accepted or self._put_encoded(data, who))

    async def page(
        self,
        identifier: str | JSONDict,
        name: str,
        attributes: JSONDict | None = None,
        *,
        timestamp: Timestamp | None = None,
        id: str | None = None,
    ) -> None:
        who = crc32(identifier.encode()) if type(identifier) is str else person_hash(identifier)  # person_hash, inlined
        data = self._action(identifier, "page", name, attributes, timestamp, id)
        accepted = self._offer(data, who)  # accepted at once (with a spool: journaled), or the slow path
        if accepted is not True:
            await (accepted or self._put_encoded(data, who))

    async def screen(
        self,
        identifier: str | JSONDict,
        name: str,
        attributes: JSONDict | None = None,
        *,
        timestamp: Timestamp | None = None,
        id: str | None = None,
    ) -> None:
        who = crc32(identifier.encode()) if type(identifier) is str else person_hash(identifier)  # person_hash, inlined
        data = self._action(identifier, "screen", name, attributes, timestamp, id)
        accepted = self._offer(data, who)  # accepted at once (with a spool: journaled), or the slow path
        if accepted is not True:
            await (accepted or self._put_encoded(data, who))

    def _action(
        self,
        identifier: str | JSONDict,
        action: str,
        name: str,
        attributes: JSONDict | None,
        timestamp: Timestamp | None,
        id: str | None,
    ) -> bytes:
        # Per-event path: the common cases (string id, no timestamp or unix seconds) are handled inline.
        if _running_loop() is not self._loop:  # the per-item loop check (see Engine._check_loop)
            self._check_loop()
        if type(name) is not str or not name:
            check_event_name(name)  # the façade's rule: an event without a name was sent, and refused for the batch
        elif len(name) > EVENT_NAME_CHARS and action == "event":  # a page's or screen's name is not an event name
            check_track_event_name(name, "name")
        if attributes is not None and type(attributes) is not dict:
            attributes = mapping("attributes", attributes)  # a list or a str was sent as the entity's attributes
        if timestamp is None:
            timestamp = int(time.time())  # stamped at put time: a delayed event still lands when it happened
        elif type(timestamp) is not int:
            timestamp = unix_seconds(timestamp)  # whose int case is the identity
        # A blank id (first character a space, or "") takes identifiers(), which refuses an all-blank one.
        if type(identifier) is str and identifier[:1].strip():
            people: JSONDict = {"id": identifier}
            if len(identifier) > ID_CHARS:
                check_track_id(identifier, "identifier")
        else:
            people = identifiers(identifier)
            check_track_id(people.get("id"), "identifier")
        data = encode_track_action(
            people,
            action,
            name,
            id or new_ulid(),
            timestamp,
            attributes,
        )
        if len(data) > self._max_item_bytes:
            raise ItemTooLarge(len(data), self._max_item_bytes)
        return data


def _fields(name: str, value: JSONDict | None) -> JSONDict:
    # A message's traits or properties: the façade's rule (_builders.mapping); a dict passes as it is.
    return value if type(value) is dict else mapping(name, value)


class PipelinesIngestor(Engine):
    """Batches Data Pipelines messages into `POST /batch`; every message gets a ULID `messageId` if it has none.

    The typed methods take what the façade's do (`cio.pipelines.track(...)`): `timestamp`, `message_id`, `context`
    and `integrations` (which destinations get the message, e.g. `{"All": False, "Salesforce": True}`)."""

    _path = "/batch"
    _api = "pipelines"

    def _encode(self, item: JSONDict) -> tuple[bytes, int]:
        if _running_loop() is not self._loop:  # the per-item loop check (see Engine._check_loop)
            self._check_loop()
        if not isinstance(item, dict):
            raise InvalidArgumentTypeError(f"an item is a dict (a Pipelines message), not {type(item).__name__}")
        check_pipelines_message(item, "item")  # refused here, not by a 400 for the whole batch
        if "messageId" not in item:
            item = {**item, "messageId": new_ulid()}
        timestamp = item.get("timestamp")
        if timestamp is not None and type(timestamp) is not str:
            # A datetime or a date (the check let only those through) written as the façade writes it: the encoder
            # would write a date alone ("2024-01-02"), which is not the spec's date-time.
            item = {**item, "timestamp": iso_timestamp(timestamp)}
        who = item.get("userId")
        return self._check_size(encode_pipelines(item)), person_hash(
            who if who is not None else item.get("anonymousId")
        )

    def _message(
        self,
        kind: str,
        user_id: str | None,
        anonymous_id: str | None,
        fields: JSONDict,
        timestamp: IsoTimestamp | None,
        message_id: str | None,
        context: JSONDict | None,
        integrations: JSONDict | None,
    ) -> tuple[bytes, int]:
        if _running_loop() is not self._loop:  # the per-item loop check (see Engine._check_loop)
            self._check_loop()
        # Stamped at put time: a message delayed by queueing or retries still says when it happened. `context` and
        # `integrations` are checked and left out when empty by the façade's rule. Positional: the per-message path.
        message = pipelines_message(
            kind, user_id, anonymous_id, fields, timestamp, message_id, context, integrations, True
        )
        who = user_id if user_id is not None else anonymous_id
        return self._check_size(encode_pipelines(message)), person_hash(who)

    async def identify(
        self,
        user_id: str | None,
        traits: JSONDict | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
        **more_traits: Any,
    ) -> None:
        fields = {"traits": {**mapping("traits", traits), **more_traits} if traits else more_traits}
        await self._put_encoded(
            *self._message("identify", user_id, anonymous_id, fields, timestamp, message_id, context, integrations)
        )

    async def track(
        self,
        user_id: str | None,
        event: str,
        properties: JSONDict | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
    ) -> None:
        check_pipelines_event(event)
        fields: JSONDict = {"event": event, "properties": _fields("properties", properties)}
        await self._put_encoded(
            *self._message("track", user_id, anonymous_id, fields, timestamp, message_id, context, integrations)
        )

    async def page(
        self,
        user_id: str | None,
        name: str | None = None,
        properties: JSONDict | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
    ) -> None:
        fields: JSONDict = {"properties": _fields("properties", properties)}
        if name is not None:
            fields["name"] = name
        await self._put_encoded(
            *self._message("page", user_id, anonymous_id, fields, timestamp, message_id, context, integrations)
        )

    async def screen(
        self,
        user_id: str | None,
        name: str,
        properties: JSONDict | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
    ) -> None:
        fields: JSONDict = {"name": name, "properties": _fields("properties", properties)}
        await self._put_encoded(
            *self._message("screen", user_id, anonymous_id, fields, timestamp, message_id, context, integrations)
        )

    async def group(
        self,
        user_id: str | None,
        group_id: str,
        traits: JSONDict | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
    ) -> None:
        fields: JSONDict = {"groupId": group_id, "traits": _fields("traits", traits)}
        await self._put_encoded(
            *self._message("group", user_id, anonymous_id, fields, timestamp, message_id, context, integrations)
        )

    async def alias(
        self,
        user_id: str,
        previous_id: str,
        *,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
    ) -> None:
        fields: JSONDict = {"previousId": previous_id}
        await self._put_encoded(
            *self._message("alias", user_id, None, fields, timestamp, message_id, context, integrations)
        )


def _label(ingestor: Engine, method: str) -> str:
    return f"{type(ingestor).__name__}.{method}"


# A call that does not bind (a misspelt keyword, a missing name) is a typed error naming the closest valid name, as
# the façade's calls are (issue 9 item 3), not Python's bare TypeError: the typed methods here and the engine's put
# family. Wrapped where the classes are complete, so the engine module keeps no knowledge of it.
_ENGINE_CALLS = ("put", "put_nowait", "put_many", "flush", "close", "start", "checkpoint")
for _class in (TrackIngestor, PipelinesIngestor):
    typed_calls(_class, _label, eager=True)
typed_calls(Engine, _label, [name for name in _ENGINE_CALLS if name in vars(Engine)], eager=True)
