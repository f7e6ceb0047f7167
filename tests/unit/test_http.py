from __future__ import annotations

import asyncio
import inspect

import aiohttp
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey

from aiocustomerio._config import AppAuth
from aiocustomerio._http import build_http_client, build_inner_transport
from aiocustomerio._limits import RateLimiter
from aiocustomerio._retry import NOT_SENT_EXCEPTIONS, RetryPolicy
from aiocustomerio._transport import CustomerIOTransport
from aiocustomerio._transport._aiohttp import AiohttpTransport, map_exception

from .conftest import Script


def test_default_inner_transport_is_aiohttp_and_httpx_keeps_a_full_keepalive_pool() -> None:
    assert isinstance(build_inner_transport(), AiohttpTransport)
    inner = build_inner_transport("httpx", max_connections=7)
    assert isinstance(inner, httpx.AsyncHTTPTransport)
    pool = inner._pool
    assert pool._max_connections == 7 and pool._max_keepalive_connections == 7


async def test_aiohttp_pool_size_follows_max_connections() -> None:
    inner = build_inner_transport("aiohttp", max_connections=7)
    assert isinstance(inner, AiohttpTransport)
    session = inner._open()
    try:
        assert session.connector is not None and session.connector.limit == 7
    finally:
        await inner.aclose()


async def test_aiohttp_does_not_resend_by_itself() -> None:
    """aiohttp's own resend of idempotent methods is off: still the attribute its ``_request`` reads (an aiohttp that
    renames it fails here; the socket test in test_real_server.py counts the requests)."""
    assert "_retry_connection" in aiohttp.ClientSession.ATTRS
    source = inspect.getsource(aiohttp.ClientSession._request)
    assert "self._retry_connection and method in IDEMPOTENT_METHODS" in source
    inner = AiohttpTransport()
    session = inner._open()
    try:
        assert session._retry_connection is False
    finally:
        await inner.aclose()


def _connector_error() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(ConnectionKey("h", 443, True, True, None, None, None), OSError(111, "refused"))


@pytest.mark.parametrize(
    ("failure", "expected", "never_sent"),
    [
        (_connector_error(), httpx.ConnectError, True),
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout, True),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout, False),
        (aiohttp.ServerTimeoutError("read"), httpx.ReadTimeout, False),
        (asyncio.TimeoutError(), httpx.ReadTimeout, False),
        # httpx-aiohttp maps these two to ConnectTimeout ("never sent"): a send would then be repeated.
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError, False),
        (aiohttp.ClientOSError(104, "connection reset by peer"), httpx.ReadError, False),
        (aiohttp.ClientPayloadError("truncated"), httpx.ReadError, False),
        (aiohttp.ClientConnectionError("other"), httpx.ReadError, False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_aiohttp_failures_keep_sent_and_never_sent_apart(
    failure: BaseException, expected: type[httpx.TransportError], never_sent: bool
) -> None:
    mapped = map_exception(failure)
    assert type(mapped) is expected
    assert isinstance(mapped, NOT_SENT_EXCEPTIONS) is never_sent


def test_non_aiohttp_errors_are_not_mapped() -> None:
    assert map_exception(ValueError("bug")) is None


def test_unknown_transport() -> None:
    with pytest.raises(ValueError, match='expected "httpx" or "aiohttp"'):
        build_inner_transport("requests")


def test_limiter_must_belong_to_the_api() -> None:
    with pytest.raises(ValueError, match="limiter is for the track API, not app"):
        build_http_client(
            "app",
            base_url="https://api.customer.io",
            auth=AppAuth("k"),
            limiter=RateLimiter("track"),
            retry=RetryPolicy(),
            timeout=1.0,
        )


async def test_client_wiring_and_default_headers() -> None:
    script = Script([httpx.Response(200)])
    http = build_http_client(
        "app",
        base_url="https://api-eu.customer.io",
        auth=AppAuth("k"),
        limiter=None,
        retry=RetryPolicy(max_retries=1),
        timeout=httpx.Timeout(3.0, connect=1.0),
        headers={"X-Extra": "1"},
        inner=script.transport,
    )
    assert isinstance(http._transport, CustomerIOTransport)
    assert http._transport.retry.max_retries == 1
    assert http.timeout == httpx.Timeout(3.0, connect=1.0)
    async with http:
        await http.get("/v1/campaigns")
    (sent,) = script.sent
    assert sent.url == "https://api-eu.customer.io/v1/campaigns"
    assert sent.headers["user-agent"].startswith("aiocustomerio/")
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["x-extra"] == "1"
    assert sent.headers["authorization"] == "Bearer k"
