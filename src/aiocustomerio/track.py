"""The Track API: every operation by tag, plus sugar for the calls backends make all day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from . import _builders
from . import _routes as routes
from ._base import check_sugar
from ._ids import stamp_track_event
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from aiocustomerio_track._resources import AsyncTrackRawResources, PostApiV2BatchResult
    from aiocustomerio_track._resources import AsyncTrackResources as _Resources
    from typing_extensions import Unpack

    from ._base import AsyncRawCall, RequestOptions
    from ._ingest_options import IngestorOptions
    from .ingest import TrackIngestor
else:
    from ._base import AsyncResources as _Resources

_ATTRIBUTES_HINT = "attributes go in the mapping: identify('u1', {'plan': 'pro'}) or attributes={...}"
IdType = Literal["id", "email", "cio_id"]
Platform = Literal["ios", "android"]


class TrackAPI(_Resources):
    """``cio.track``: people, events, devices, segments, and Track v2 entities and batches.

    Every method also takes the per-call options ``timeout``, ``extra_headers``, ``extra_query``, ``max_retries``
    and ``retry_unsafe``; anything else is refused with the closest valid name, before anything is sent.
    """

    if TYPE_CHECKING:

        @property
        def with_raw_response(self) -> TrackRawAPI:
            """The same API whose calls, sugar included, return the ``httpx.Response`` instead of the parsed model."""
            raise NotImplementedError

    async def identify(
        self,
        identifier: str | int,
        attributes: Mapping[str, Any] | None = None,
        *,
        email: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Create or update a person; ``identifier`` is an id, an email or ``cio_<id>``.

        ``attributes`` are the person's attributes (``{"plan": "pro"}``), sent as they are.
        """
        if options:
            check_sugar("track", TrackAPI.identify, options, _ATTRIBUTES_HINT)
        body = _builders.mapping("attributes", attributes)
        if email is not None:
            body["email"] = email
        return await self.route(routes.IDENTIFY)(identifier, body=body, **options)

    async def event(
        self,
        identifier: str | int,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        timestamp: _builders.Timestamp | None = None,
        type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Track an event for a person. ``id`` (a ULID unless given) lets Customer.io drop a retried duplicate."""
        if options:
            check_sugar("track", TrackAPI.event, options, _ATTRIBUTES_HINT)
        body = _builders.track_event(name, attributes, id=id, timestamp=timestamp, type=type)
        return await self.route(routes.EVENT)(identifier, body=body, **options)

    async def anonymous_event(
        self,
        anonymous_id: str,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        timestamp: _builders.Timestamp | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Track an event for someone not yet identified; it merges into the person once they are."""
        if options:
            check_sugar("track", TrackAPI.anonymous_event, options)
        body = _builders.track_event(name, attributes, id=id, timestamp=timestamp, anonymous_id=anonymous_id)
        return await self.route(routes.ANONYMOUS_EVENT)(body=body, **options)

    async def delete(self, identifier: str | int, **options: Unpack[RequestOptions]) -> None:
        """Delete a person."""
        return await self.route(routes.DELETE_PERSON)(identifier, **options)

    async def suppress(self, identifier: str | int, **options: Unpack[RequestOptions]) -> None:
        """Suppress a person: delete them and ignore further data for their identifier."""
        return await self.route(routes.SUPPRESS)(identifier, **options)

    async def unsuppress(self, identifier: str | int, **options: Unpack[RequestOptions]) -> None:
        return await self.route(routes.UNSUPPRESS)(identifier, **options)

    async def add_device(
        self,
        identifier: str | int,
        device_id: str,
        platform: Platform,
        *,
        last_used: _builders.Timestamp | None = None,
        attributes: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Add or update a person's mobile device (``platform``: ``"ios"`` or ``"android"``)."""
        if platform not in ("ios", "android"):
            raise InvalidArgumentError(f"platform must be 'ios' or 'android', not {platform!r}")
        device: dict[str, Any] = {"id": device_id, "platform": platform}
        if last_used is not None:
            device["last_used"] = _builders.unix_seconds(last_used)
        if attributes:
            device["attributes"] = _builders.mapping("attributes", attributes)
        return await self.route(routes.ADD_DEVICE)(identifier, body={"device": device}, **options)

    async def delete_device(self, identifier: str | int, device_id: str, **options: Unpack[RequestOptions]) -> None:
        return await self.route(routes.DELETE_DEVICE)(identifier, device_id, **options)

    async def merge(
        self, primary: Mapping[str, Any], secondary: Mapping[str, Any], **options: Unpack[RequestOptions]
    ) -> None:
        """Merge ``secondary`` into ``primary``; each is one identifier, e.g. ``{"email": "a@example.com"}``."""
        for label, who in (("primary", primary), ("secondary", secondary)):
            if not isinstance(who, Mapping) or len(who) != 1 or next(iter(who)) not in _builders.PERSON_KEYS:
                raise InvalidArgumentError(
                    f"{label} must name exactly one of id, email or cio_id, e.g. {{'id': 'user_1'}}"
                )
        return await self.route(routes.MERGE)(body={"primary": dict(primary), "secondary": dict(secondary)}, **options)

    async def add_to_segment(
        self,
        segment_id: int,
        ids: Iterable[str | int],
        *,
        id_type: IdType | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Add people to a manual segment (``id_type``: ``id``, ``email`` or ``cio_id``)."""
        op = self.route(routes.ADD_TO_SEGMENT)
        if id_type is None:
            return await op(segment_id, body={"ids": _builders.listed("ids", ids)}, **options)
        else:
            return await op(segment_id, body={"ids": _builders.listed("ids", ids)}, id_type=id_type, **options)

    async def remove_from_segment(
        self,
        segment_id: int,
        ids: Iterable[str | int],
        *,
        id_type: IdType | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        op = self.route(routes.REMOVE_FROM_SEGMENT)
        if id_type is None:
            return await op(segment_id, body={"ids": _builders.listed("ids", ids)}, **options)
        else:
            return await op(segment_id, body={"ids": _builders.listed("ids", ids)}, id_type=id_type, **options)

    async def entity(self, entity: Mapping[str, Any], **options: Unpack[RequestOptions]) -> None:
        """Send one Track v2 entity (person or object, any action); events get a dedup ``id`` when they lack one."""
        body = _builders.mapping("entity", entity)
        _builders.check_track_entity(body)
        return await self.route(routes.ENTITY)(body=stamp_track_event(body), **options)

    async def batch(
        self, entities: Sequence[Mapping[str, Any]], **options: Unpack[RequestOptions]
    ) -> PostApiV2BatchResult:
        """Send up to 500 KB of Track v2 entities in one request; each entity may be at most 32 KB.

        The answer is ``None`` when every entity was accepted, else the 207 listing the ones refused.
        """
        listed = _builders.listed("entities", entities) or []
        prepared = [_builders.mapping(f"batch[{i}]", e) for i, e in enumerate(listed)]
        for i, entity in enumerate(prepared):
            _builders.check_track_entity(entity, f"batch[{i}]")
        # Each entity's 32 KB and the batch's 500 KB are checked with every body (_payload.check).
        return await self.route(routes.TRACK_BATCH)(body={"batch": [stamp_track_event(e) for e in prepared]}, **options)

    def ingestor(self, **options: Unpack[IngestorOptions]) -> TrackIngestor:
        """A batching, back-pressured ingestor for Track v2 ``/api/v2/batch`` (see ``aiocustomerio.ingest``); batches
        are retried by the client's ``RetryPolicy`` unless ``retry`` or ``backoff`` is given."""
        from .ingest import TrackIngestor

        return TrackIngestor(self.connect, **self._api.ingestor_options(options))


if TYPE_CHECKING:

    class TrackRawAPI(AsyncTrackRawResources):
        """``cio.track.with_raw_response`` for type checkers: the operations and the sugar, each returning the
        ``httpx.Response``."""

        identify = AsyncRawCall(TrackAPI.identify)
        event = AsyncRawCall(TrackAPI.event)
        anonymous_event = AsyncRawCall(TrackAPI.anonymous_event)
        delete = AsyncRawCall(TrackAPI.delete)
        suppress = AsyncRawCall(TrackAPI.suppress)
        unsuppress = AsyncRawCall(TrackAPI.unsuppress)
        add_device = AsyncRawCall(TrackAPI.add_device)
        delete_device = AsyncRawCall(TrackAPI.delete_device)
        merge = AsyncRawCall(TrackAPI.merge)
        add_to_segment = AsyncRawCall(TrackAPI.add_to_segment)
        remove_from_segment = AsyncRawCall(TrackAPI.remove_from_segment)
        entity = AsyncRawCall(TrackAPI.entity)
        batch = AsyncRawCall(TrackAPI.batch)
