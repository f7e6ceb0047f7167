"""The Pipelines (CDP) API: every operation by tag, plus identify/track/page/screen/group/alias/batch."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import _payload
from ._encode import dumps, iso8601, without_none
from ._ids import new_ulid

if TYPE_CHECKING:
    from .ingest import PipelinesIngestor

CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")


def message(call_type: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A Pipelines message: ``type`` set, ``messageId`` (ULID) added unless given, None fields dropped.

    Customer.io's own server-side libraries set ``messageId`` on every call so a retried call is not counted twice.
    """
    if call_type not in CALL_TYPES:
        raise ValueError(f"type must be one of {', '.join(CALL_TYPES)}, not {call_type!r}")
    out = without_none(fields)
    if call_type != "alias" and "userId" not in out and "anonymousId" not in out:
        raise ValueError(f"{call_type} needs user_id or anonymous_id")
    ts = out.get("timestamp")
    if isinstance(ts, (_dt.datetime, _dt.date)):
        out["timestamp"] = iso8601(ts)
    out["type"] = call_type
    out.setdefault("messageId", new_ulid())
    return out


# The keyword arguments every call accepts, and their wire names.
_CAMEL = {"anonymous_id": "anonymousId", "message_id": "messageId", "context": "context", "timestamp": "timestamp"}


def _check_common(call_type: str, common: Mapping[str, Any]) -> None:
    unknown = sorted(set(common) - set(_CAMEL) - set(_CAMEL.values()))
    if unknown:
        raise TypeError(f"{call_type}() got unexpected keyword argument(s) {unknown}; accepted: {sorted(_CAMEL)}")


if TYPE_CHECKING:
    from aiocustomerio_pipelines._resources import AsyncPipelinesResources as _Resources
else:
    from ._base import AsyncResources as _Resources


class PipelinesAPI(_Resources):
    """``cio.pipelines``: the Data Pipelines API (the Segment-compatible calls).

    Every call takes ``user_id`` or ``anonymous_id``, and optionally ``context``, ``timestamp`` (a datetime is sent
    as ISO 8601) and ``message_id`` (a ULID unless given).
    """

    async def _send(self, call_type: str, fields: Mapping[str, Any], common: Mapping[str, Any]) -> Any:
        _check_common(call_type, common)
        body = message(call_type, {**fields, **{_CAMEL.get(k, k): v for k, v in common.items()}})
        return await self.operation("POST", f"/{call_type}")(body=body)

    async def identify(self, user_id: str | None = None, traits: Mapping[str, Any] | None = None, **common: Any) -> Any:
        return await self._send("identify", {"userId": user_id, "traits": dict(traits or {})}, common)

    async def track(
        self,
        user_id: str | None = None,
        event: str | None = None,
        properties: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> Any:
        if not event:
            raise ValueError("track needs event, the event's name")
        fields = {"userId": user_id, "event": event, "properties": dict(properties or {})}
        return await self._send("track", fields, common)

    async def page(
        self,
        user_id: str | None = None,
        name: str | None = None,
        properties: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> Any:
        return await self._send("page", {"userId": user_id, "name": name, "properties": dict(properties or {})}, common)

    async def screen(
        self,
        user_id: str | None = None,
        name: str | None = None,
        properties: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> Any:
        fields = {"userId": user_id, "name": name, "properties": dict(properties or {})}
        return await self._send("screen", fields, common)

    async def group(
        self,
        user_id: str | None = None,
        group_id: str | None = None,
        traits: Mapping[str, Any] | None = None,
        **common: Any,
    ) -> Any:
        if not group_id:
            raise ValueError("group needs group_id, the object's id")
        return await self._send("group", {"userId": user_id, "groupId": group_id, "traits": dict(traits or {})}, common)

    async def alias(self, user_id: str, previous_id: str, **common: Any) -> Any:
        return await self._send("alias", {"userId": user_id, "previousId": previous_id}, common)

    async def batch(self, messages: Sequence[Mapping[str, Any]]) -> Any:
        """Send up to 500 KB of messages in one request; each needs a ``type`` and may be at most 32 KB."""
        prepared = []
        for i, msg in enumerate(messages):
            call_type = msg.get("type")
            if not isinstance(call_type, str):
                raise ValueError(f"batch[{i}] needs a type: one of {', '.join(CALL_TYPES)}")
            prepared.append(message(call_type, msg))
            _payload.check_item(f"Pipelines batch message [{i}]", dumps(prepared[-1], "iso"))
        return await self.operation("POST", "/batch")(body={"batch": prepared})

    def ingestor(self, **options: Any) -> PipelinesIngestor:
        """A batching, back-pressured ingestor for Pipelines ``/batch`` (see ``aiocustomerio.ingest``)."""
        from .ingest import PipelinesIngestor

        return PipelinesIngestor(self.connect, **options)
