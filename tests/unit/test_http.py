from __future__ import annotations

import sys

import httpx
import pytest

from aiocustomerio._config import AppAuth
from aiocustomerio._http import build_http_client, build_inner_transport
from aiocustomerio._limits import RateLimiter
from aiocustomerio._retry import RetryPolicy
from aiocustomerio._transport import CustomerIOTransport

from .conftest import Script


def test_default_inner_transport_is_httpx_with_a_full_keepalive_pool() -> None:
    inner = build_inner_transport(max_connections=7)
    assert isinstance(inner, httpx.AsyncHTTPTransport)
    pool = inner._pool
    assert pool._max_connections == 7 and pool._max_keepalive_connections == 7


def test_aiohttp_transport() -> None:
    from httpx_aiohttp import AiohttpTransport

    assert isinstance(build_inner_transport("aiohttp"), AiohttpTransport)


def test_aiohttp_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)
    with pytest.raises(ImportError, match=r'pip install "aiocustomerio\[aiohttp\]"'):
        build_inner_transport("aiohttp")


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
