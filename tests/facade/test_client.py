"""Configuration and lifecycle: credentials per API, regions, secrets kept out of every output."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import httpx
import pytest

from aiocustomerio import (
    ClientClosedError,
    CustomerIO,
    CustomerIOError,
    Limits,
    MissingCredentialsError,
    NotFoundError,
    RetryPolicy,
)
from aiocustomerio.errors import RegionLookupError
from tests.support.sync_view import facade

from .conftest import APP_KEY, CDP_KEY, SITE_ID, TRACK_KEY, Wire


def _client(wire: Wire, **kwargs: object) -> CustomerIO:
    options: dict[str, object] = {
        "limits": Limits.disabled(),
        "retry": RetryPolicy(max_retries=0),
        "transport": httpx.MockTransport(wire.handler),
        "env": {},
    }
    options.update(kwargs)
    return facade(**options)  # type: ignore[no-any-return]


async def test_a_track_only_user_needs_no_app_key(wire: Wire) -> None:
    async with _client(wire, site_id=SITE_ID, track_api_key=TRACK_KEY) as cio:
        await cio.track.identify("u", {"plan": "pro"})
        with pytest.raises(MissingCredentialsError) as info:
            await cio.app.list_campaigns()
    message = str(info.value)
    assert "app_api_key" in message and "CUSTOMERIO_APP_API_KEY" in message
    assert len(wire.requests) == 1


async def test_credentials_from_the_environment(wire: Wire) -> None:
    env = {"CUSTOMERIO_SITE_ID": SITE_ID, "CUSTOMERIO_API_KEY": TRACK_KEY, "CUSTOMERIO_CDP_API_KEY": CDP_KEY}
    async with _client(wire, env=env) as cio:
        await cio.track.delete("u")
        await cio.pipelines.alias("u", "a")
    assert wire.requests[0].headers["authorization"].startswith("Basic ")
    assert wire.requests[1].url.host == "cdp.customer.io"


async def test_regions_and_base_urls(wire: Wire) -> None:
    async with _client(wire, region="EU", app_api_key=APP_KEY, cdp_api_key=CDP_KEY) as cio:
        await cio.app.list_segments()
        await cio.pipelines.alias("u", "a")
    assert [str(r.url) for r in wire.requests] == [
        "https://api-eu.customer.io/v1/segments",
        "https://cdp-eu.customer.io/v1/alias",
    ]
    async with _client(wire, app_api_key=APP_KEY, app_base_url="http://127.0.0.1:4010/proxy/") as cio:
        await cio.app.list_segments()
    assert str(wire.last.url) == "http://127.0.0.1:4010/proxy/v1/segments"


def test_unknown_region_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"us.*eu.*auto"):
        CustomerIO(region="asia", env={})


async def test_auto_region_is_resolved_once_with_track_credentials(wire: Wire) -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/accounts/region":
            return httpx.Response(200, json={"url": "https://track-eu.customer.io", "data_center": "eu"})
        return httpx.Response(200, json={})

    wire.responder = responder
    async with _client(wire, region="auto", site_id=SITE_ID, track_api_key=TRACK_KEY) as cio:
        await cio.track.identify("u")
        await cio.track.delete("u")
        assert await cio.region() == "eu"
    assert [str(r.url) for r in wire.requests] == [
        "https://track.customer.io/api/v1/accounts/region",
        "https://track-eu.customer.io/api/v1/customers/u",
        "https://track-eu.customer.io/api/v1/customers/u",
    ]


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ({"text": "<html>captive portal</html>"}, "not a JSON object"),
        ({"json": ["eu"]}, "not a JSON object"),
        ({"json": {"url": "https://track.customer.io"}}, "no data_center"),
        ({"json": {"data_center": "ap"}}, "'ap'"),
    ],
)
async def test_auto_region_answers_it_cannot_use_are_typed(wire: Wire, answer: dict[str, Any], named: str) -> None:
    wire.responder = lambda request: httpx.Response(200, **answer)
    async with _client(wire, region="auto", site_id=SITE_ID, track_api_key=TRACK_KEY, app_api_key=APP_KEY) as cio:
        with pytest.raises(RegionLookupError) as info:
            await cio.app.list_segments()
    message = str(info.value)
    assert named in message and "region='us'" in message and "region='eu'" in message
    assert "GET https://track.customer.io/api/v1/accounts/region" in message and info.value.status == 200
    assert [str(r.url) for r in wire.requests] == ["https://track.customer.io/api/v1/accounts/region"]
    assert TRACK_KEY not in message and TRACK_KEY not in repr(info.value)


async def test_auto_region_without_track_credentials_says_that_auto_needs_them(wire: Wire) -> None:
    async with _client(wire, region="auto", app_api_key=APP_KEY) as cio:
        with pytest.raises(MissingCredentialsError) as info:
            await cio.app.list_segments()
    message = str(info.value)
    assert "region='auto'" in message and "site_id" in message and "track_api_key" in message
    assert "region='us'" in message and "CUSTOMERIO_REGION" in message
    assert wire.requests == []


async def test_a_closed_client_refuses_calls(wire: Wire) -> None:
    cio = _client(wire, site_id=SITE_ID, track_api_key=TRACK_KEY)
    await cio.track.identify("u")
    await cio.aclose()
    # A CustomerIOError (it was a bare RuntimeError), still a RuntimeError for handlers written for that.
    with pytest.raises(ClientClosedError, match="client is closed; create a new one") as info:
        await cio.track.identify("u")
    assert isinstance(info.value, CustomerIOError) and isinstance(info.value, RuntimeError)


async def test_secrets_never_appear_in_logs_reprs_or_errors(wire: Wire, caplog: pytest.LogCaptureFixture) -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"errors": [{"detail": "not found"}]})

    wire.responder = responder
    caplog.set_level(logging.DEBUG)
    texts = []
    cio = _client(wire, site_id=SITE_ID, track_api_key=TRACK_KEY, app_api_key=APP_KEY, cdp_api_key=CDP_KEY)
    texts += [repr(cio), repr(cio.track), repr(cio.app.campaigns), str(vars(cio))]
    async with cio:
        for call in (
            lambda: cio.track.identify("u"),
            lambda: cio.app.list_campaigns(),
            lambda: cio.pipelines.alias("u", "a"),
        ):
            with pytest.raises(NotFoundError) as info:
                await call()
            texts += [str(info.value), repr(info.value), "".join(traceback.format_exception(info.value))]
            texts += [repr(vars(info.value))]
    try:
        CustomerIO(app_api_key=f"{APP_KEY}\n", env={})
    except ValueError as exc:
        texts.append("".join(traceback.format_exception(exc)))
    texts += [r.getMessage() for r in caplog.records]
    blob = "\n".join(texts)
    assert "404" in blob and "/api/v1/customers/u" in blob
    for secret in (TRACK_KEY, APP_KEY, CDP_KEY):
        assert secret not in blob
    import base64

    assert base64.b64encode(f"{SITE_ID}:{TRACK_KEY}".encode()).decode() not in blob


async def test_an_error_body_echoing_the_authorization_header_leaks_no_credential(wire: Wire) -> None:
    # A proxy, WAF or mock that quotes the request's Authorization header in its error body (audit s16 F02).
    import base64

    def echo(request: httpx.Request) -> httpx.Response:
        header = request.headers["authorization"]
        return httpx.Response(401, json={"meta": {"error": f"rejected {header}"}, "got": header})

    wire.responder = echo
    basic = base64.b64encode(f"{SITE_ID}:{TRACK_KEY}".encode()).decode()
    cdp_basic = base64.b64encode(f"{CDP_KEY}:".encode()).decode()
    forbidden = (TRACK_KEY, APP_KEY, CDP_KEY, basic, cdp_basic)
    async with _client(wire, site_id=SITE_ID, track_api_key=TRACK_KEY, app_api_key=APP_KEY, cdp_api_key=CDP_KEY) as cio:
        for call in (
            lambda: cio.app.campaigns.list_campaigns(),
            lambda: cio.track.identify("u", {"a": 1}),
            lambda: cio.pipelines.identify("u"),
        ):
            with pytest.raises(CustomerIOError) as info:
                await call()
            err = info.value
            text = f"{err}\n{err!r}\n{err.body_excerpt}\n{err.errors}\n" + "".join(traceback.format_exception(err))
            assert "rejected Basic ****" in str(err) or "rejected Bearer ****" in str(err), str(err)
            assert not [secret for secret in forbidden if secret in text], text


async def test_concurrent_first_calls_share_one_pool() -> None:
    import asyncio

    seen: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        await asyncio.sleep(0.01)  # a real lookup yields: every task reaches connect() before the pool exists
        if request.url.path == "/api/v1/accounts/region":
            return httpx.Response(200, json={"data_center": "us"})
        return httpx.Response(200, json={})

    cio = CustomerIO(
        region="auto",
        site_id=SITE_ID,
        track_api_key=TRACK_KEY,
        limits=Limits.disabled(),
        transport=httpx.MockTransport(slow),
        env={},
    )
    built = []
    build = cio._build

    def counting_build(api: str, base_url: str) -> httpx.AsyncClient:
        built.append((api, base_url))
        return build(api, base_url)

    cio._build = counting_build  # type: ignore[method-assign]
    async with cio:
        await asyncio.gather(*(cio.track.identify(f"u{i}") for i in range(20)))
        await cio.track.identify("again")
    # One client for the region lookup (closed at once), one pool for every call after it.
    assert built == [("track", "https://track.customer.io"), ("track", "https://track.customer.io")]
    assert seen.count("/api/v1/accounts/region") == 1 and len(seen) == 22
