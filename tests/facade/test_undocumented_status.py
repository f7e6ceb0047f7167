"""A 2xx status the spec does not document, where the operation's type promises a model, is an error, not None.

The generated parsers return None for a status they do not know. For an operation typed to return a model, that None
would reach user code typed as the model (``attrs.customer`` then fails far from the call), and a listing would stop
on it as if it were the last page.
"""

from __future__ import annotations

import httpx
import pytest

from aiocustomerio import CustomerIO, ResponseValidationError

from .conftest import Wire


@pytest.mark.generated_names
@pytest.mark.parametrize("status", [202, 204, 299])
async def test_an_undocumented_2xx_for_a_model_result_raises(cio: CustomerIO, wire: Wire, status: int) -> None:
    wire.responder = lambda r: httpx.Response(status, json={"customer": {"id": "u1"}})
    with pytest.raises(ResponseValidationError, match=f"get_person_attributes: the {status} response") as info:
        await cio.app.customers.get_person_attributes("u1")
    assert info.value.status_code == status
    assert info.value.response.status_code == status


@pytest.mark.generated_names
async def test_an_undocumented_2xx_for_an_operation_without_a_body_still_succeeds(cio: CustomerIO, wire: Wire) -> None:
    # identify documents a 200 without a body: its type is None, so a 202 or 204 is the same success.
    wire.responder = lambda r: httpx.Response(204)
    assert await cio.track.track_customers.identify("u1", body={}) is None
    assert await cio.track.identify("u1", {"plan": "pro"}) is None


@pytest.mark.generated_names
async def test_a_listing_does_not_stop_silently_on_an_undocumented_2xx(cio: CustomerIO, wire: Wire) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("start") == "p2":
            return httpx.Response(204)
        return httpx.Response(200, json={"messages": [{"id": "m1"}], "next": "p2"})

    wire.responder = pages
    seen: list[str] = []
    with pytest.raises(ResponseValidationError, match="list_messages: the 204 response"):
        async for message in cio.app.messages.list_messages.paginate():
            seen.append(message.id)
    assert seen == ["m1"]
    assert [r.url.params.get("start") for r in wire.requests] == [None, "p2"]
