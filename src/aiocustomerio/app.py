"""The App API: every operation by tag, plus sugar for transactional sends, broadcasts and people lookups."""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._base import AsyncResources, extend_tag

if TYPE_CHECKING:
    from ._pagination import AsyncPaginator
from ._encode import without_none

AUDIENCES = ("ids", "emails", "recipients", "per_user_data", "data_file_url")


def search_people(
    api: AsyncResources, filter: Mapping[str, Any], *, limit: int | None, max_items: int | None
) -> AsyncIterator[Any]:
    if not isinstance(filter, Mapping) or not filter:
        raise ValueError('filter must be a non-empty mapping, e.g. {"and": [{"segment": {"id": 3}}]}')
    kwargs: dict[str, Any] = {"body": {"filter": dict(filter)}}
    if limit is not None:
        kwargs["limit"] = limit
    paginator: AsyncPaginator[Any, Any] = api.operation("POST", "/v1/customers").paginate(max_items=max_items, **kwargs)
    return paginator.__aiter__()


class CustomersSearch:
    """``cio.app.customers``: the generated operations, plus ``search``."""

    _api: Any

    def search(
        self, filter: Mapping[str, Any], *, limit: int | None = None, max_items: int | None = None
    ) -> AsyncIterator[Any]:
        """People matching a filter (``{"and": [{"segment": {"id": 3}}]}``), across every page."""
        return search_people(AsyncResources(self._api), filter, limit=limit, max_items=max_items)


if TYPE_CHECKING:
    from aiocustomerio_app._resources import AsyncAppResources as _Resources
    from aiocustomerio_app._resources import AsyncCustomersResource

    class CustomersTag(CustomersSearch, AsyncCustomersResource):
        """For type checkers: the generated customer operations plus the handwritten ``search``."""

else:
    _Resources = AsyncResources


class AppAPI(_Resources):
    """``cio.app``: reads, campaigns, broadcasts, transactional messages, exports."""

    if TYPE_CHECKING:
        customers: CustomersTag
    else:
        customers = extend_tag(CustomersSearch)

    async def get_person_attributes(self, customer_id: str | int, *, id_type: str | None = None) -> Any:
        kwargs: dict[str, Any] = {"customer_id": customer_id}
        if id_type is not None:
            kwargs["id_type"] = id_type
        return await self.operation("GET", "/v1/customers/{customer_id}/attributes")(**kwargs)

    def search_people(
        self, filter: Mapping[str, Any], *, limit: int | None = None, max_items: int | None = None
    ) -> AsyncIterator[Any]:
        """People matching a filter, across every page (the same as ``cio.app.customers.search``)."""
        return search_people(self, filter, limit=limit, max_items=max_items)

    async def list_campaigns(self) -> Any:
        return await self.operation("GET", "/v1/campaigns")()

    async def campaign_metrics(self, campaign_id: int, *, version: str = "2", **params: Any) -> Any:
        """Metrics of a campaign; ``version="2"`` is Customer.io's current metrics format."""
        op = self.operation("GET", "/v1/campaigns/{campaign_id}/metrics")
        return await op(campaign_id=campaign_id, version=version, **params)

    async def list_segments(self) -> Any:
        return await self.operation("GET", "/v1/segments")()

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
        **options: Any,
    ) -> Any:
        """Trigger an API-triggered broadcast for exactly one audience (or none: the broadcast's own segment).

        Customer.io allows one audience per trigger; giving several is refused here, before anything is sent.
        """
        given = {
            k: v
            for k, v in {
                "ids": ids,
                "emails": emails,
                "recipients": recipients,
                "per_user_data": per_user_data,
                "data_file_url": data_file_url,
            }.items()
            if v is not None
        }
        if len(given) != 1:
            listed = ", ".join(AUDIENCES)
            named = ", ".join(given) or "none"
            raise ValueError(f"trigger_broadcast takes exactly one audience of {listed}; given: {named}")
        body = without_none({**given, "data": dict(data) if data is not None else None, **options})
        for key in ("ids", "emails", "per_user_data"):
            if key in body:
                body[key] = list(body[key])
        return await self.operation("POST", "/v1/campaigns/{broadcast_id}/triggers")(
            broadcast_id=broadcast_id, body=body
        )

    async def _send(self, channel: str, fields: Mapping[str, Any]) -> Any:
        identifiers = fields.get("identifiers")
        if not isinstance(identifiers, Mapping) or len(identifiers) != 1:
            raise ValueError("identifiers must name exactly one of id, email or cio_id, e.g. {'id': 'user_1'}")
        return await self.operation("POST", f"/v1/send/{channel}")(body=without_none(fields))

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
        send_at: _dt.datetime | int | None = None,
        **options: Any,
    ) -> Any:
        """Send a transactional email, from a template (``transactional_message_id``) or from ``subject``/``body``.

        ``from_`` is sent as ``from`` (a Python keyword).
        """
        if transactional_message_id is None and not (subject and body and from_):
            raise ValueError("send_email needs transactional_message_id, or all of subject, body and from_")
        fields = {
            "transactional_message_id": transactional_message_id,
            "to": to,
            "identifiers": dict(identifiers),
            "message_data": dict(message_data) if message_data is not None else None,
            "from": from_,
            "subject": subject,
            "body": body,
            "send_at": send_at,
            **options,
        }
        return await self._send("email", fields)

    async def send_push(
        self,
        *,
        transactional_message_id: str | int,
        identifiers: Mapping[str, Any],
        message_data: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Any:
        fields = {
            "transactional_message_id": transactional_message_id,
            "identifiers": dict(identifiers),
            "message_data": dict(message_data) if message_data is not None else None,
            **options,
        }
        return await self._send("push", fields)

    async def send_sms(
        self,
        *,
        transactional_message_id: str | int,
        identifiers: Mapping[str, Any],
        to: str | None = None,
        message_data: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Any:
        fields = {
            "transactional_message_id": transactional_message_id,
            "identifiers": dict(identifiers),
            "to": to,
            "message_data": dict(message_data) if message_data is not None else None,
            **options,
        }
        return await self._send("sms", fields)
