from __future__ import annotations

import asyncio

import httpx
import pytest

from aiocustomerio._limits import LIMIT_CLASSES, Limits, Rate, RateLimiter, rates
from aiocustomerio._transport import CustomerIOTransport

from .conftest import Script, make_client

APP = "https://api.customer.io"


def req(method: str, url: str) -> httpx.Request:
    return httpx.Request(method, url)


@pytest.mark.parametrize(
    ("api", "method", "url", "name", "rate"),
    [
        ("app", "GET", f"{APP}/v1/campaigns", "app", Rate(10, 1)),
        ("app", "POST", f"{APP}/v1/customers/attributes", "app", Rate(10, 1)),
        ("app", "POST", f"{APP}/v1/send/email", "app_send", Rate(100, 1)),
        ("app", "POST", f"{APP}/v1/send/push", "app_send", Rate(100, 1)),
        ("app", "POST", f"{APP}/v1/send/sms", "app_send", Rate(100, 1)),
        ("app", "GET", f"{APP}/v1/send/email", "app", Rate(10, 1)),
        ("app", "POST", f"{APP}/v1/campaigns/12/triggers", "app_broadcast_trigger", Rate(1, 10)),
        ("app", "GET", f"{APP}/v1/campaigns/12/triggers/5", "app", Rate(10, 1)),
        ("app", "GET", f"{APP}/v1/campaigns/12/triggers", "app", Rate(10, 1)),
        ("track", "PUT", "https://track.customer.io/api/v1/customers/1", "track", Rate(3000, 3)),
        ("track", "POST", "https://track-eu.customer.io/api/v2/batch", "track", Rate(3000, 3)),
        ("pipelines", "POST", "https://cdp.customer.io/v1/batch", "pipelines", Rate(3000, 3)),
    ],
)
def test_classes_and_default_rates(api: str, method: str, url: str, name: str, rate: Rate) -> None:
    limiter = RateLimiter(api)
    found = limiter.classify(req(method, url))
    assert found is not None
    found_name, bucket = found
    assert found_name == name
    assert bucket is not None and (bucket.max_rate, bucket.time_period) == rate
    assert limiter.bucket_for(req(method, url)) is bucket


def test_broadcast_triggers_get_one_bucket_per_broadcast() -> None:
    limiter = RateLimiter("app")
    first = limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/12/triggers"))
    again = limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/12/triggers"))
    other = limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/13/triggers"))
    general = limiter.bucket_for(req("GET", f"{APP}/v1/campaigns"))
    assert first is again
    assert other is not first and other is not None
    assert general is not first


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("POST", "/v1/campaigns/12/triggers", "app_broadcast_trigger"),
        ("POST", "/v1/send/email", "app_send"),
        ("GET", "/v1/campaigns", "app"),
    ],
)
def test_a_base_url_with_a_path_keeps_the_classes(method: str, path: str, name: str) -> None:
    # Behind a proxy (app_base_url="https://proxy.internal/customerio") the class is decided on the operation's path:
    # matched against the whole URL path, triggers and sends fell into the App catch-all (10/s, not 1 per 10 s).
    limiter = RateLimiter("app", base_path="/customerio")
    found = limiter.classify(req(method, f"https://proxy.internal/customerio{path}"))
    assert found is not None and found[0] == name


async def test_the_client_gives_its_limiter_the_base_urls_path() -> None:
    from aiocustomerio import CustomerIO, SyncCustomerIO

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1})

    options = dict(app_api_key="k", app_base_url="https://proxy.internal/customerio/", env={})
    limits = Limits(app_broadcast_trigger=Rate(1, 3600))
    async with CustomerIO(limits=limits, transport=httpx.MockTransport(answer), **options) as cio:  # type: ignore[arg-type]
        await cio.app.trigger_broadcast(3, ids=[1])
        with pytest.raises(TimeoutError):  # the second trigger of broadcast 3 waits for its bucket (1 per hour)
            await asyncio.wait_for(cio.app.trigger_broadcast(3, ids=[1]), 0.3)
        await cio.app.trigger_broadcast(4, ids=[1])  # another broadcast has its own bucket
    sync = SyncCustomerIO(limits=limits, transport=httpx.MockTransport(answer), **options)  # type: ignore[arg-type]
    found = sync._limiters["app"].classify(req("POST", "https://proxy.internal/customerio/v1/campaigns/3/triggers"))
    assert found is not None and found[0] == "app_broadcast_trigger"
    sync.close()


def test_overrides_and_disabling() -> None:
    limits = Limits(app=Rate(20, 2), app_send=50, app_broadcast_trigger=None)
    limiter = RateLimiter("app", limits)
    app = limiter.bucket_for(req("GET", f"{APP}/v1/campaigns"))
    send = limiter.bucket_for(req("POST", f"{APP}/v1/send/email"))
    assert app is not None and (app.max_rate, app.time_period) == (20, 2)
    assert send is not None and (send.max_rate, send.time_period) == (50, 1)
    # A disabled class means no limit at all, not a fall-through to the App catch-all.
    assert limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/12/triggers")) is None
    assert rates(limits)["app_broadcast_trigger"] is None and rates()["track"] == Rate(3000, 3)


def test_disabled_limits_leave_the_transport_without_a_limiter() -> None:
    for api in ("track", "app", "pipelines"):
        limiter = RateLimiter(api, Limits.disabled())
        assert not limiter.active
        assert limiter.bucket_for(req("GET", f"{APP}/x")) is None
        assert CustomerIOTransport(httpx.MockTransport(lambda r: httpx.Response(200)), limiter=limiter).limiter is None
    assert RateLimiter("track", Limits(track=None)).active is False
    assert RateLimiter("app", Limits(app=None)).active is True


def test_limits_validation() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit class"):
        Limits(apps=Rate(1, 1))
    with pytest.raises(ValueError, match="positive"):
        Limits(track=Rate(0, 1))
    assert {limit.name for limit in LIMIT_CLASSES} == {"app", "app_send", "app_broadcast_trigger", "track", "pipelines"}
    assert repr(Limits.disabled()) == "Limits.disabled()"


async def test_requests_take_from_their_own_bucket() -> None:
    script = Script([httpx.Response(200)])
    client = make_client(script, api="app", limits=Limits())
    transport = client._transport
    assert isinstance(transport, CustomerIOTransport) and transport.limiter is not None
    limiter = transport.limiter
    async with client:
        await client.post("/v1/campaigns/12/triggers", json={})
    trigger = limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/12/triggers"))
    other_trigger = limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/13/triggers"))
    general = limiter.bucket_for(req("GET", f"{APP}/v1/campaigns"))
    assert trigger is not None and other_trigger is not None and general is not None
    assert not trigger.has_capacity()
    assert other_trigger.has_capacity()
    assert general.has_capacity(10)
    assert [s.url for s in script.sent] == [f"{APP}/v1/campaigns/12/triggers"]


async def test_cancelled_while_waiting_takes_nothing_and_sends_nothing() -> None:
    script = Script([httpx.Response(200)])
    # Two requests per hour for this broadcast: the third waits for the whole test.
    client = make_client(script, api="app", limits=Limits(app_broadcast_trigger=Rate(2, 3600)))
    transport = client._transport
    assert isinstance(transport, CustomerIOTransport) and transport.limiter is not None
    bucket = transport.limiter.bucket_for(req("POST", f"{APP}/v1/campaigns/7/triggers"))
    assert bucket is not None
    async with client:
        await client.post("/v1/campaigns/7/triggers", json={"n": 1})
        await client.post("/v1/campaigns/7/triggers", json={"n": 2})
        waiting = asyncio.create_task(client.post("/v1/campaigns/7/triggers", json={"n": 3}))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(0)
        # Still full (the cancelled waiter released nothing) and no stale waiter is left queued.
        assert not bucket.has_capacity(0.5)
        assert not bucket._waiters
        # Other classes are unaffected.
        await client.get("/v1/campaigns")
    assert [s.body for s in script.sent if s.method == "POST"] == [b'{"n":1}', b'{"n":2}']
    assert script.sent[-1].url == f"{APP}/v1/campaigns"


async def test_limiter_is_acquired_per_attempt() -> None:
    script = Script([httpx.Response(503), httpx.Response(200)])
    client = make_client(script, api="pipelines", base_url="https://cdp.customer.io/v1", limits=Limits(pipelines=3))
    transport = client._transport
    assert isinstance(transport, CustomerIOTransport) and transport.limiter is not None
    bucket = transport.limiter.bucket_for(req("POST", "https://cdp.customer.io/v1/track"))
    assert bucket is not None
    async with client:
        await client.post("/track", json={})
    assert len(script.sent) == 2
    # Two of the three tokens were taken, one per attempt.
    assert bucket.has_capacity(0.9) and not bucket.has_capacity(1.1)
