"""The App API: every operation by tag, plus sugar for transactional sends, broadcasts and people lookups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from . import _builders
from . import _routes as routes
from ._base import AsyncResources, check_sugar, extend_tag
from ._builders import PERSON_KEYS, Timestamp
from ._encode import without_none
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    # Types by route, not by generated class name: an operationId or tag rename in a regenerated spec changes the
    # generated names, and these aliases follow it (codegen/emit_resources.py).
    from aiocustomerio_app._resources import (
        AsyncAppRawResources,
        GetV1CampaignsCampaignIdMetricsResult,
        GetV1CampaignsResult,
        GetV1CustomersCustomerIdAttributesResult,
        GetV1SegmentsResult,
        PostV1CampaignsBroadcastIdTriggersResult,
        PostV1CustomersItem,
        PostV1CustomersResult,
        PostV1CustomersTag,
        PostV1SendEmailResult,
        PostV1SendPushResult,
        PostV1SendSmsResult,
    )
    from aiocustomerio_app._resources import AsyncAppResources as _Resources
    from typing_extensions import Unpack

    from ._base import AsyncRawCall, RequestOptions
    from ._pagination import AsyncPaginator

    People = AsyncPaginator[PostV1CustomersItem, PostV1CustomersResult]
else:
    _Resources = AsyncResources

AUDIENCES = ("ids", "emails", "recipients", "per_user_data", "data_file_url")
IdType = Literal["id", "email", "cio_id"]
Period = Literal["days", "hours", "months", "weeks"]
Resolution = Literal["daily", "days", "hourly", "hours", "monthly", "months", "weekly", "weeks"]
Channel = Literal["email", "in_app", "push", "slack", "twilio", "webhook"]


def search_people(
    api: AsyncResources,
    filter: Mapping[str, Any],
    *,
    limit: int | None,
    max_items: int | None,
    options: RequestOptions,
) -> People:
    if not isinstance(filter, Mapping) or not filter:
        raise InvalidArgumentError('filter must be a non-empty mapping, e.g. {"and": [{"segment": {"id": 3}}]}')
    op = api.route(routes.SEARCH_PEOPLE)
    body = {"filter": dict(filter)}
    if limit is None:
        return op.paginate(body=body, max_items=max_items, **options)  # type: ignore[no-any-return]
    return op.paginate(body=body, limit=limit, max_items=max_items, **options)  # type: ignore[no-any-return]


class CustomersSearch:
    """``cio.app.customers``: the generated operations, plus ``search``."""

    _api: Any

    def search(
        self,
        filter: Mapping[str, Any],
        *,
        limit: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> People:
        """People matching a filter (``{"and": [{"segment": {"id": 3}}]}``), across every page."""
        return search_people(AsyncResources(self._api), filter, limit=limit, max_items=max_items, options=options)


if TYPE_CHECKING:

    class CustomersTag(CustomersSearch, PostV1CustomersTag):
        """For type checkers: the generated customer operations plus the handwritten ``search``."""


def _one_person(identifiers: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(identifiers, Mapping) or len(identifiers) != 1 or next(iter(identifiers)) not in PERSON_KEYS:
        raise InvalidArgumentError("identifiers must name exactly one of id, email or cio_id, e.g. {'id': 'user_1'}")
    return dict(identifiers)


def _listed(name: str, value: Sequence[Any] | None) -> list[Any] | None:
    return _builders.listed(name, value)


class AppAPI(_Resources):
    """``cio.app``: reads, campaigns, broadcasts, transactional messages, exports.

    Every method also takes the per-call options ``timeout``, ``extra_headers``, ``extra_query``, ``max_retries``
    and ``retry_unsafe``; anything else is refused with the closest valid name, before anything is sent.
    """

    if TYPE_CHECKING:

        @property
        def with_raw_response(self) -> AppRawAPI:
            """The same API whose calls, sugar included, return the ``httpx.Response`` instead of the parsed model."""
            raise NotImplementedError

    if TYPE_CHECKING:
        customers: CustomersTag
    else:
        customers = extend_tag(CustomersSearch, route=routes.SEARCH_PEOPLE)

    async def get_person_attributes(
        self, customer_id: str | int, *, id_type: IdType | None = None, **options: Unpack[RequestOptions]
    ) -> GetV1CustomersCustomerIdAttributesResult:
        """A person's attributes; ``id_type`` says what ``customer_id`` is (``id``, ``email`` or ``cio_id``)."""
        op = self.route(routes.PERSON_ATTRIBUTES)
        if id_type is None:
            return await op(customer_id, **options)
        return await op(customer_id, id_type=id_type, **options)

    def search_people(
        self,
        filter: Mapping[str, Any],
        *,
        limit: int | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> People:
        """People matching a filter, across every page (the same as ``cio.app.customers.search``)."""
        return search_people(self, filter, limit=limit, max_items=max_items, options=options)

    async def list_campaigns(self, **options: Unpack[RequestOptions]) -> GetV1CampaignsResult:
        return await self.route(routes.LIST_CAMPAIGNS)(**options)

    async def campaign_metrics(
        self,
        campaign_id: int,
        *,
        version: Literal["1", "2"] = "2",
        period: Period | None = None,
        steps: int | None = None,
        res: Resolution | None = None,
        type: Channel | None = None,
        **options: Unpack[RequestOptions],
    ) -> GetV1CampaignsCampaignIdMetricsResult:
        """Metrics of a campaign; ``version="2"`` is Customer.io's current metrics format."""
        if options:
            check_sugar("app", AppAPI.campaign_metrics, options)
        query = without_none({"period": period, "steps": steps, "res": res, "type_": type})
        return await self.route(routes.CAMPAIGN_METRICS)(campaign_id, version=version, **query, **options)

    async def list_segments(self, **options: Unpack[RequestOptions]) -> GetV1SegmentsResult:
        return await self.route(routes.LIST_SEGMENTS)(**options)

    async def trigger_broadcast(
        self,
        broadcast_id: int,
        *,
        data: Mapping[str, Any] | None = None,
        ids: Sequence[str | int] | None = None,
        emails: Sequence[str] | None = None,
        recipients: Mapping[str, Any] | None = None,
        per_user_data: Sequence[Mapping[str, Any]] | None = None,
        data_file_url: str | None = None,
        id_ignore_missing: bool | None = None,
        email_ignore_missing: bool | None = None,
        email_add_duplicates: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> PostV1CampaignsBroadcastIdTriggersResult:
        """Trigger an API-triggered broadcast for exactly one audience (or none: the broadcast's own segment).

        Customer.io allows one audience per trigger; giving several is refused here, before anything is sent.
        Unsafe: not resent once it may have reached Customer.io (``retry_unsafe=True`` opts in).
        """
        if options:
            check_sugar("app", AppAPI.trigger_broadcast, options)
        given = without_none(
            {
                "ids": _listed("ids", ids),
                "emails": _listed("emails", emails),
                "recipients": recipients,
                "per_user_data": _listed("per_user_data", per_user_data),
                "data_file_url": data_file_url,
            }
        )
        if len(given) > 1:
            listed = ", ".join(AUDIENCES)
            named = ", ".join(given) or "none"
            raise InvalidArgumentError(
                f"trigger_broadcast takes at most one audience of {listed} (none: the broadcast's own segment); "
                f"given: {named}"
            )
        flags = {
            "id_ignore_missing": id_ignore_missing,
            "email_ignore_missing": email_ignore_missing,
            "email_add_duplicates": email_add_duplicates,
        }
        body = without_none({**given, "data": _builders.optional_mapping("data", data), **flags})
        return await self.route(routes.TRIGGER_BROADCAST)(broadcast_id, body=body, **options)

    async def send_email(
        self,
        *,
        to: str,
        identifiers: Mapping[str, Any],
        transactional_message_id: str | int | None = None,
        message_data: Mapping[str, Any] | None = None,
        from_: str | None = None,
        subject: str | None = None,
        body: str | None = None,
        body_amp: str | None = None,
        body_plain: str | None = None,
        preheader: str | None = None,
        reply_to: str | None = None,
        bcc: str | None = None,
        fake_bcc: bool | None = None,
        headers: str | None = None,
        attachments: Mapping[str, str] | None = None,
        language: str | None = None,
        send_at: Timestamp | None = None,
        disable_message_retention: bool | None = None,
        send_to_unsubscribed: bool | None = None,
        queue_draft: bool | None = None,
        disable_css_preprocessing: bool | None = None,
        tracked: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> PostV1SendEmailResult:
        """Send a transactional email, from a template (``transactional_message_id``) or from ``subject``/``body``.

        ``from_`` is sent as ``from`` (a Python keyword). Unsafe: not resent once it may have reached Customer.io
        (``retry_unsafe=True`` opts in).
        """
        if options:
            check_sugar("app", AppAPI.send_email, options)
        if transactional_message_id is None and not (subject and body and from_):
            raise InvalidArgumentError("send_email needs transactional_message_id, or all of subject, body and from_")
        fields = {
            "transactional_message_id": transactional_message_id,
            "to": to,
            "identifiers": _one_person(identifiers),
            "message_data": _builders.optional_mapping("message_data", message_data),
            "from": from_,
            "subject": subject,
            "body": body,
            "body_amp": body_amp,
            "body_plain": body_plain,
            "preheader": preheader,
            "reply_to": reply_to,
            "bcc": bcc,
            "fake_bcc": fake_bcc,
            "headers": headers,
            "attachments": _builders.optional_mapping("attachments", attachments),
            "language": language,
            "send_at": send_at,
            "disable_message_retention": disable_message_retention,
            "send_to_unsubscribed": send_to_unsubscribed,
            "queue_draft": queue_draft,
            "disable_css_preprocessing": disable_css_preprocessing,
            "tracked": tracked,
        }
        return await self.route(routes.SEND_EMAIL)(body=without_none(fields), **options)

    async def send_push(
        self,
        *,
        transactional_message_id: str | int,
        identifiers: Mapping[str, Any],
        to: str | None = None,
        title: str | None = None,
        message: str | None = None,
        image_url: str | None = None,
        link: str | None = None,
        sound: str | None = None,
        custom_data: Mapping[str, Any] | None = None,
        custom_device: Mapping[str, Any] | None = None,
        custom_payload: Mapping[str, Any] | None = None,
        message_data: Mapping[str, Any] | None = None,
        language: str | None = None,
        send_at: Timestamp | None = None,
        disable_message_retention: bool | None = None,
        send_to_unsubscribed: bool | None = None,
        queue_draft: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> PostV1SendPushResult:
        """Send a transactional push notification. Unsafe: not resent once it may have reached Customer.io."""
        if options:
            check_sugar("app", AppAPI.send_push, options)
        fields = {
            "transactional_message_id": transactional_message_id,
            "identifiers": _one_person(identifiers),
            "to": to,
            "title": title,
            "message": message,
            "image_url": image_url,
            "link": link,
            "sound": sound,
            "custom_data": custom_data,
            "custom_device": custom_device,
            "custom_payload": custom_payload,
            "message_data": _builders.optional_mapping("message_data", message_data),
            "language": language,
            "send_at": send_at,
            "disable_message_retention": disable_message_retention,
            "send_to_unsubscribed": send_to_unsubscribed,
            "queue_draft": queue_draft,
        }
        return await self.route(routes.SEND_PUSH)(body=without_none(fields), **options)

    async def send_sms(
        self,
        *,
        transactional_message_id: str | int,
        identifiers: Mapping[str, Any],
        to: str | None = None,
        from_: str | None = None,
        message_data: Mapping[str, Any] | None = None,
        language: str | None = None,
        send_at: Timestamp | None = None,
        disable_message_retention: bool | None = None,
        send_to_unsubscribed: bool | None = None,
        queue_draft: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> PostV1SendSmsResult:
        """Send a transactional SMS. Unsafe: not resent once it may have reached Customer.io."""
        if options:
            check_sugar("app", AppAPI.send_sms, options)
        fields = {
            "transactional_message_id": transactional_message_id,
            "identifiers": _one_person(identifiers),
            "to": to,
            "from": from_,
            "message_data": _builders.optional_mapping("message_data", message_data),
            "language": language,
            "send_at": send_at,
            "disable_message_retention": disable_message_retention,
            "send_to_unsubscribed": send_to_unsubscribed,
            "queue_draft": queue_draft,
        }
        return await self.route(routes.SEND_SMS)(body=without_none(fields), **options)


if TYPE_CHECKING:

    class AppRawAPI(AsyncAppRawResources):
        """``cio.app.with_raw_response`` for type checkers: the operations and the sugar, each returning the
        ``httpx.Response`` (``search_people`` and ``customers.search`` page through parsed answers: not here)."""

        get_person_attributes = AsyncRawCall(AppAPI.get_person_attributes)
        list_campaigns = AsyncRawCall(AppAPI.list_campaigns)
        campaign_metrics = AsyncRawCall(AppAPI.campaign_metrics)
        list_segments = AsyncRawCall(AppAPI.list_segments)
        trigger_broadcast = AsyncRawCall(AppAPI.trigger_broadcast)
        send_email = AsyncRawCall(AppAPI.send_email)
        send_push = AsyncRawCall(AppAPI.send_push)
        send_sms = AsyncRawCall(AppAPI.send_sms)
