"""The Track API: every operation by tag, plus sugar for the calls backends make all day."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import _payload
from ._encode import dumps, unix_seconds, without_none
from ._ids import new_ulid, stamp_track_event

if TYPE_CHECKING:
    from .ingest import TrackIngestor

PERSON = "/api/v1/customers/{identifier}"


def _timestamp(value: _dt.datetime | int | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, (_dt.datetime, _dt.date)):
        return unix_seconds(value)
    return int(value)


if TYPE_CHECKING:
    from aiocustomerio_track._resources import AsyncTrackResources as _Resources
else:
    from ._base import AsyncResources as _Resources


class TrackAPI(_Resources):
    """``cio.track``: people, events, devices, segments, and Track v2 entities and batches."""

    async def identify(self, identifier: str | int, attributes: Mapping[str, Any] | None = None, **more: Any) -> Any:
        """Create or update a person; ``identifier`` is an id, an email or ``cio_<id>``."""
        body = {**(attributes or {}), **more}
        return await self.operation("PUT", PERSON)(identifier=identifier, body=body)

    async def event(
        self,
        identifier: str | int,
        name: str,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        timestamp: _dt.datetime | int | None = None,
        type: str | None = None,
    ) -> Any:
        """Track an event for a person. ``id`` (a ULID unless given) lets Customer.io drop a retried duplicate."""
        body = without_none(
            dict(name=name, data=dict(data or {}), id=id or new_ulid(), timestamp=_timestamp(timestamp), type=type)
        )
        return await self.operation("POST", f"{PERSON}/events")(identifier=identifier, body=body)

    async def anonymous_event(
        self,
        anonymous_id: str,
        name: str,
        data: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        timestamp: _dt.datetime | int | None = None,
    ) -> Any:
        """Track an event for someone not yet identified; it merges into the person once they are."""
        body = without_none(
            dict(
                anonymous_id=anonymous_id,
                name=name,
                data=dict(data or {}),
                id=id or new_ulid(),
                timestamp=_timestamp(timestamp),
            )
        )
        return await self.operation("POST", "/api/v1/events")(body=body)

    async def delete(self, identifier: str | int) -> Any:
        return await self.operation("DELETE", PERSON)(identifier=identifier)

    async def suppress(self, identifier: str | int) -> Any:
        return await self.operation("POST", f"{PERSON}/suppress")(identifier=identifier)

    async def unsuppress(self, identifier: str | int) -> Any:
        return await self.operation("POST", f"{PERSON}/unsuppress")(identifier=identifier)

    async def add_device(
        self,
        identifier: str | int,
        device_id: str,
        platform: str,
        *,
        last_used: _dt.datetime | int | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Any:
        if platform not in {"ios", "android"}:
            raise ValueError(f"platform must be 'ios' or 'android', not {platform!r}")
        device = without_none(
            dict(
                id=device_id,
                platform=platform,
                last_used=_timestamp(last_used),
                attributes=dict(attributes) if attributes else None,
            )
        )
        return await self.operation("PUT", f"{PERSON}/devices")(identifier=identifier, body={"device": device})

    async def delete_device(self, identifier: str | int, device_id: str) -> Any:
        return await self.operation("DELETE", f"{PERSON}/devices/{{device_id}}")(
            identifier=identifier, device_id=device_id
        )

    async def merge(self, primary: Mapping[str, Any], secondary: Mapping[str, Any]) -> Any:
        """Merge ``secondary`` into ``primary``; each is one identifier, e.g. ``{"email": "a@example.com"}``."""
        for label, who in (("primary", primary), ("secondary", secondary)):
            if len(who) != 1 or next(iter(who)) not in {"id", "email", "cio_id"}:
                raise ValueError(f"{label} must name exactly one of id, email or cio_id, e.g. {{'id': 'user_1'}}")
        return await self.operation("POST", "/api/v1/merge_customers")(
            body={"primary": dict(primary), "secondary": dict(secondary)}
        )

    async def add_to_segment(self, segment_id: int, ids: Iterable[str | int], *, id_type: str | None = None) -> Any:
        """Add people to a manual segment (``id_type``: ``id``, ``email`` or ``cio_id``)."""
        return await self._segment("add_customers", segment_id, ids, id_type)

    async def remove_from_segment(
        self, segment_id: int, ids: Iterable[str | int], *, id_type: str | None = None
    ) -> Any:
        return await self._segment("remove_customers", segment_id, ids, id_type)

    async def _segment(self, action: str, segment_id: int, ids: Iterable[str | int], id_type: str | None) -> Any:
        op = self.operation("POST", f"/api/v1/segments/{{segment_id}}/{action}")
        kwargs: dict[str, Any] = {"segment_id": segment_id, "body": {"ids": list(ids)}}
        if id_type is not None:
            kwargs["id_type"] = id_type
        return await op(**kwargs)

    async def entity(self, entity: Mapping[str, Any]) -> Any:
        """Send one Track v2 entity (person or object, any action); events get a dedup ``id`` when they lack one."""
        return await self.operation("POST", "/api/v2/entity")(body=with_event_id(entity))

    async def batch(self, entities: Sequence[Mapping[str, Any]]) -> Any:
        """Send up to 500 KB of Track v2 entities in one request; each entity may be at most 32 KB."""
        prepared = [with_event_id(e) for e in entities]
        for i, entity in enumerate(prepared):
            _payload.check_item(f"Track v2 batch entity [{i}]", dumps(entity))
        return await self.operation("POST", "/api/v2/batch")(body={"batch": prepared})

    def ingestor(self, **options: Any) -> TrackIngestor:
        """A batching, back-pressured ingestor for Track v2 ``/api/v2/batch`` (see ``aiocustomerio.ingest``)."""
        from .ingest import TrackIngestor

        return TrackIngestor(self.connect, **options)


def with_event_id(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a v2 entity with a ULID ``id`` on event actions that lack one (Customer.io dedups on it)."""
    return stamp_track_event(dict(entity))
