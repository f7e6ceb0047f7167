"""An answer the parsers cannot read at all (JSON nested deeper than the stack) is a typed error, never a crash.

Python's JSON decoder raises RecursionError, not ValueError, past about a thousand levels of nesting: a broken or
hostile proxy can send that on any call. A 2xx is then a ResponseValidationError (the raw response is on it), and an
error status keeps its status-typed error with a body excerpt (audit s16 F10).
"""

from __future__ import annotations

import httpx
import pytest

from aiocustomerio import BadRequestError, CustomerIO, ResponseValidationError, ServerError
from aiocustomerio.errors import RegionLookupError
from tests.support.sync_view import facade

from .conftest import SITE_ID, TRACK_KEY, Wire

DEEP = b"[" * 100_000 + b"]" * 100_000


def _client(**options: object) -> CustomerIO:
    return facade(**options)  # type: ignore[no-any-return]


def _deep(status: int) -> httpx.Response:
    return httpx.Response(status, content=DEEP, headers={"content-type": "application/json"})


@pytest.mark.generated_names
async def test_a_deeply_nested_2xx_is_a_response_validation_error(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: _deep(200)
    with pytest.raises(ResponseValidationError, match=r"list_campaigns: the 200 response .*RecursionError") as info:
        await cio.app.campaigns.list_campaigns()
    assert info.value.response.status_code == 200 and info.value.body_excerpt == "[" * 500
    with pytest.raises(ResponseValidationError, match="list_messages: the 200 response"):
        async for _ in cio.app.messages.list_messages.paginate():
            pass
    # The raw view does not parse: the body is the caller's to read.
    response = await cio.app.with_raw_response.campaigns.list_campaigns()
    assert response.content == DEEP


@pytest.mark.generated_names
@pytest.mark.parametrize(("status", "kind"), [(400, BadRequestError), (500, ServerError)])
async def test_a_deeply_nested_error_body_keeps_the_status_typed_error(
    cio: CustomerIO, wire: Wire, status: int, kind: type[Exception]
) -> None:
    wire.responder = lambda r: _deep(status)
    with pytest.raises(kind) as info:
        await cio.app.campaigns.list_campaigns()
    err = info.value
    assert err.status == status and err.errors == [] and err.body_excerpt == "[" * 500  # type: ignore[attr-defined]
    assert str(err).startswith(f"{status} ")


async def test_a_deeply_nested_region_answer_is_a_region_lookup_error(wire: Wire) -> None:
    wire.responder = lambda r: _deep(200)
    cio = _client(
        site_id=SITE_ID, track_api_key=TRACK_KEY, region="auto", env={}, transport=httpx.MockTransport(wire.handler)
    )
    async with cio:
        with pytest.raises(RegionLookupError, match="a body that is not a JSON object"):
            await cio.track.identify("u", {"a": 1})
