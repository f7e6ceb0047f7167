"""The Pipelines (CDP) API: every operation by tag, plus identify/track/page/screen/group/alias/batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import _builders
from . import _routes as routes
from ._base import check_sugar
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from aiocustomerio_pipelines._resources import AsyncPipelinesRawResources
    from aiocustomerio_pipelines._resources import AsyncPipelinesResources as _Resources
    from typing_extensions import Unpack

    from ._base import AsyncRawCall, RequestOptions
    from ._ingest_options import IngestorOptions
    from .ingest import PipelinesIngestor
else:
    from ._base import AsyncResources as _Resources

CALL_TYPES = _builders.CALL_TYPES
When = _builders.IsoTimestamp


class PipelinesAPI(_Resources):
    """``cio.pipelines``: the Data Pipelines API (the Segment-compatible calls).

    Every call takes ``user_id`` or ``anonymous_id``, and optionally ``context``, ``integrations``, ``timestamp`` (a
    datetime is sent as ISO 8601) and ``message_id`` (a ULID unless given), plus the per-call options ``timeout``,
    ``extra_headers``, ``extra_query``, ``max_retries`` and ``retry_unsafe``.
    """

    if TYPE_CHECKING:

        @property
        def with_raw_response(self) -> PipelinesRawAPI:
            """The same API whose calls, sugar included, return the ``httpx.Response`` instead of the parsed model."""
            raise NotImplementedError

    async def identify(
        self,
        user_id: str | None = None,
        traits: Mapping[str, Any] | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: When | None = None,
        message_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        integrations: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Identify a person and set their traits."""
        if options:
            check_sugar("pipelines", PipelinesAPI.identify, options)
        body = _builders.pipelines_message(
            "identify", user_id, anonymous_id, {"traits": _builders.mapping("traits", traits)},
            timestamp=timestamp, message_id=message_id, context=context, integrations=integrations,
        )  # fmt: skip
        return await self.route(routes.PIPELINES_IDENTIFY)(body=body, **options)

    async def track(
        self,
        user_id: str | None = None,
        event: str | None = None,
        properties: Mapping[str, Any] | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: When | None = None,
        message_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        integrations: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Record an event a person performed."""
        if options:
            check_sugar("pipelines", PipelinesAPI.track, options)
        _builders.check_pipelines_event(event)
        body = _builders.pipelines_message(
            "track", user_id, anonymous_id, {"event": event, "properties": _builders.mapping("properties", properties)},
            timestamp=timestamp, message_id=message_id, context=context, integrations=integrations,
        )  # fmt: skip
        return await self.route(routes.PIPELINES_TRACK)(body=body, **options)

    async def page(
        self,
        user_id: str | None = None,
        name: str | None = None,
        properties: Mapping[str, Any] | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: When | None = None,
        message_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        integrations: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Record a page view."""
        if options:
            check_sugar("pipelines", PipelinesAPI.page, options)
        fields: dict[str, Any] = {"properties": _builders.mapping("properties", properties)}
        if name is not None:
            fields["name"] = name
        body = _builders.pipelines_message(
            "page", user_id, anonymous_id, fields,
            timestamp=timestamp, message_id=message_id, context=context, integrations=integrations,
        )  # fmt: skip
        return await self.route(routes.PIPELINES_PAGE)(body=body, **options)

    async def screen(
        self,
        user_id: str | None = None,
        name: str | None = None,
        properties: Mapping[str, Any] | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: When | None = None,
        message_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        integrations: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Record a mobile screen view."""
        if options:
            check_sugar("pipelines", PipelinesAPI.screen, options)
        fields: dict[str, Any] = {"properties": _builders.mapping("properties", properties)}
        if name is not None:
            fields["name"] = name
        body = _builders.pipelines_message(
            "screen", user_id, anonymous_id, fields,
            timestamp=timestamp, message_id=message_id, context=context, integrations=integrations,
        )  # fmt: skip
        return await self.route(routes.PIPELINES_SCREEN)(body=body, **options)

    async def group(
        self,
        user_id: str | None = None,
        group_id: str | None = None,
        traits: Mapping[str, Any] | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: When | None = None,
        message_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        integrations: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Associate a person with a group (an object) and set the group's traits."""
        if options:
            check_sugar("pipelines", PipelinesAPI.group, options)
        if not group_id:
            raise InvalidArgumentError("group needs group_id, the object's id")
        body = _builders.pipelines_message(
            "group", user_id, anonymous_id, {"groupId": group_id, "traits": _builders.mapping("traits", traits)},
            timestamp=timestamp, message_id=message_id, context=context, integrations=integrations,
        )  # fmt: skip
        return await self.route(routes.PIPELINES_GROUP)(body=body, **options)

    async def alias(
        self,
        user_id: str,
        previous_id: str,
        *,
        timestamp: When | None = None,
        message_id: str | None = None,
        context: Mapping[str, Any] | None = None,
        integrations: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Merge ``previous_id`` (an earlier id or anonymous id) into ``user_id``."""
        if options:
            check_sugar("pipelines", PipelinesAPI.alias, options)
        body = _builders.pipelines_message(
            "alias", user_id, None, {"previousId": previous_id},
            timestamp=timestamp, message_id=message_id, context=context, integrations=integrations,
        )  # fmt: skip
        return await self.route(routes.PIPELINES_ALIAS)(body=body, **options)

    async def batch(self, messages: Sequence[Mapping[str, Any]], **options: Unpack[RequestOptions]) -> None:
        """Send up to 500 KB of messages in one request; each needs a ``type`` and may be at most 32 KB."""
        listed = _builders.listed("messages", messages) or []
        prepared = [_builders.pipelines_batch_item(i, m) for i, m in enumerate(listed)]
        # Each message's 32 KB and the batch's 500 KB are checked with every body (_payload.check).
        return await self.route(routes.PIPELINES_BATCH)(body={"batch": prepared}, **options)

    def ingestor(self, **options: Unpack[IngestorOptions]) -> PipelinesIngestor:
        """A batching, back-pressured ingestor for Pipelines ``/batch`` (see ``aiocustomerio.ingest``); batches
        are retried by the client's ``RetryPolicy`` unless ``retry`` or ``backoff`` is given."""
        from .ingest import PipelinesIngestor

        return PipelinesIngestor(self.connect, **self._api.ingestor_options(options))


if TYPE_CHECKING:

    class PipelinesRawAPI(AsyncPipelinesRawResources):
        """``cio.pipelines.with_raw_response`` for type checkers: the operations and the sugar, each returning the
        ``httpx.Response``."""

        identify = AsyncRawCall(PipelinesAPI.identify)
        track = AsyncRawCall(PipelinesAPI.track)
        page = AsyncRawCall(PipelinesAPI.page)
        screen = AsyncRawCall(PipelinesAPI.screen)
        group = AsyncRawCall(PipelinesAPI.group)
        alias = AsyncRawCall(PipelinesAPI.alias)
        batch = AsyncRawCall(PipelinesAPI.batch)
