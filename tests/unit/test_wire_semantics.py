"""Redirects, unsafe operations, error context for support: decided in the transport, checked on the wire."""

from __future__ import annotations

import logging

import httpx
import pytest

from aiocustomerio._config import TrackAuth
from aiocustomerio._limits import Limits, RateLimiter
from aiocustomerio._retry import RetryPolicy
from aiocustomerio._transport import CustomerIOTransport
from aiocustomerio.errors import (
    APIStatusError,
    APITransportError,
    BadRequestError,
    RateLimitError,
    RedirectError,
    ServerError,
)

from .conftest import Script, Sleeps, make_client

# Every test here runs through the async and the sync transport.
pytestmark = pytest.mark.usefixtures("both_stacks")

OK = httpx.Response(200, json={"ok": True})
CLIENT_OF = {"async": "CustomerIO", "sync": "SyncCustomerIO"}  # the client each transport stack serves
UNSAFE = {"aiocustomerio_unsafe": True}


def redirect(status: int, location: str) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


# -- 3xx is never success ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304, 307, 308])
async def test_every_3xx_raises_redirect_error_naming_location_and_fix(status: int, sleeps: Sleeps) -> None:
    script = Script([redirect(status, "https://proxy.example.com/v1/send/email"), OK])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises(RedirectError) as info:
            await client.post("/v1/send/email", json={"to": "a@example.com"})
    err = info.value
    assert isinstance(err, APIStatusError)
    assert err.status == err.status_code == status
    assert err.location == "https://proxy.example.com/v1/send/email"
    assert "to https://proxy.example.com/v1/send/email" in str(err)
    assert "app_base_url" in str(err) and "https://api-eu.customer.io (EU)" in str(err)
    assert len(script.sent) == 1 and sleeps.delays == []


async def test_redirect_without_location_and_relative_location(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(302), redirect(301, "/elsewhere")])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises(RedirectError, match="no Location header") as first:
            await client.get("/v1/campaigns")
        with pytest.raises(RedirectError) as second:
            await client.get("/v1/campaigns")
    assert first.value.location is None
    assert second.value.location == "https://api.customer.io/elsewhere"
    assert len(script.sent) == 2


async def test_http_to_https_redirect_says_use_https(sleeps: Sleeps) -> None:
    script = Script([redirect(301, "https://track.customer.io/api/v1/customers/1")])
    async with make_client(script, api="track", base_url="http://track.customer.io", sleep=sleeps) as client:
        with pytest.raises(RedirectError, match="use an https:// base URL"):
            await client.put("/api/v1/customers/1", json={})
    assert len(script.sent) == 1


async def test_regional_redirect_is_followed_with_the_same_request_once(
    sleeps: Sleeps, caplog: pytest.LogCaptureFixture, both_stacks: str
) -> None:
    """Track documents that EU traffic sent to the US host is redirected: that one hop is followed, same request."""
    target = "https://track-eu.customer.io/api/v1/customers/42"
    script = Script([redirect(307, target), OK])
    with caplog.at_level(logging.WARNING, logger="aiocustomerio"):
        async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
            response = await client.put("/api/v1/customers/42", content=b'{"plan":"pro"}')
    assert response.status_code == 200
    first, second = script.sent
    assert second.url == target and second.method == "PUT" and second.body == b'{"plan":"pro"}'
    assert second.headers["host"] == "track-eu.customer.io"
    assert second.headers["authorization"] == first.headers["authorization"]
    assert "region='eu'" in caplog.text and "trk" not in caplog.text
    assert f"pass {CLIENT_OF[both_stacks]}(region='eu')" in caplog.text  # the class the user built


@pytest.mark.parametrize("status", [301, 302, 303])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_a_method_changing_regional_redirect_of_a_write_raises_naming_the_region(
    status: int, method: str, sleeps: Sleeps, both_stacks: str
) -> None:
    """RFC 9110 15.4: 303 means "GET the other resource", and clients turn a POST under 301/302 into a GET too.
    Replaying the body would be a request the server did not ask for; a GET would drop the write: neither is sent."""
    target = "https://track-eu.customer.io/api/v1/customers/42"
    script = Script([redirect(status, target), OK])
    async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
        with pytest.raises(RedirectError) as info:
            await client.request(method, "/api/v1/customers/42", content=b'{"plan":"pro"}')
    assert [(s.method, s.url) for s in script.sent] == [(method, "https://track.customer.io/api/v1/customers/42")]
    message = str(info.value)
    assert info.value.status == status and info.value.location == target
    assert message.startswith(f"{status} ") and f"from {method} " in message
    assert f"pass {CLIENT_OF[both_stacks]}(region='eu')" in message  # not CustomerIO(...) to a SyncCustomerIO user
    assert "307/308" in message  # says why this one was not followed, when a 307 would have been


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_a_read_follows_any_regional_redirect(status: int, method: str, sleeps: Sleeps) -> None:
    target = "https://track-eu.customer.io/api/v1/accounts/region"
    script = Script([redirect(status, target), OK])
    async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
        response = await client.request(method, "/api/v1/accounts/region")
    assert response.status_code == 200
    assert [(s.method, s.url) for s in script.sent] == [
        (method, "https://track.customer.io/api/v1/accounts/region"),
        (method, target),
    ]


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_a_method_preserving_regional_redirect_of_a_write_is_followed(
    status: int, method: str, sleeps: Sleeps
) -> None:
    target = "https://track-eu.customer.io/api/v1/customers/42/events"
    script = Script([redirect(status, target), OK])
    async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
        response = await client.request(method, "/api/v1/customers/42/events", content=b'{"name":"paid"}')
    assert response.status_code == 200
    first, second = script.sent
    assert first.url == "https://track.customer.io/api/v1/customers/42/events"
    assert (second.method, second.url, second.body) == (method, target, b'{"name":"paid"}')


@pytest.mark.parametrize(
    "location",
    [
        "https://api-eu.customer.io/v1/customers",  # another API's host: other credentials belong there
        "http://track-eu.customer.io/api/v1/customers/42",  # not TLS
        "https://track-eu.customer.io.evil.example/api/v1/customers/42",
        "https://track-eu.customer.io:8443/api/v1/customers/42",
        "https://evil.example/api/v1/customers/42",
    ],
)
async def test_redirects_elsewhere_are_refused_and_credentials_stay(location: str, sleeps: Sleeps) -> None:
    script = Script([redirect(307, location), OK])
    async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
        with pytest.raises(RedirectError):
            await client.put("/api/v1/customers/42", json={})
    assert [s.url for s in script.sent] == ["https://track.customer.io/api/v1/customers/42"]


async def test_a_second_regional_redirect_is_not_followed(sleeps: Sleeps) -> None:
    script = Script(
        [
            redirect(308, "https://track-eu.customer.io/api/v1/customers/1"),
            redirect(308, "https://track.customer.io/api/v1/customers/1"),
        ]
    )
    async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
        with pytest.raises(RedirectError, match="region='us'") as info:
            await client.put("/api/v1/customers/1", json={})
    assert len(script.sent) == 2 and info.value.attempts == 2


async def test_redirect_response_returned_when_raising_is_off(sleeps: Sleeps) -> None:
    script = Script([redirect(302, "https://elsewhere.example/")])
    async with make_client(script, sleep=sleeps) as client:
        request = client.build_request("GET", "/v1/campaigns", extensions={"aiocustomerio_raise": False})
        response = await client.send(request)
    assert response.status_code == 302


# -- unsafe operations: resent only when certainly not processed ----------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timeout"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
        httpx.WriteError("broken pipe"),
        httpx.WriteTimeout("write timeout"),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(503),  # without Retry-After
        httpx.Response(408),
    ],
    ids=lambda f: type(f).__name__ if isinstance(f, Exception) else str(f.status_code),
)
async def test_unsafe_post_is_sent_once_when_it_may_have_been_processed(
    failure: httpx.Response | Exception, sleeps: Sleeps
) -> None:
    script = Script([failure, OK])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises((APIStatusError, APITransportError)) as info:
            await client.post("/v1/send/email", json={"to": "a@example.com"}, extensions=UNSAFE)
    assert len(script.sent) == 1 and sleeps.delays == []
    assert info.value.attempts == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timeout"),
        httpx.PoolTimeout("no free connection"),
        httpx.Response(429),
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503, headers={"Retry-After": "2"}),
    ],
    ids=lambda f: type(f).__name__ if isinstance(f, Exception) else f"{f.status_code}-{f.headers.get('retry-after')}",
)
async def test_unsafe_post_is_resent_when_certainly_not_processed(
    failure: httpx.Response | Exception, sleeps: Sleeps
) -> None:
    script = Script([failure, OK])
    async with make_client(script, sleep=sleeps) as client:
        response = await client.post("/v1/send/email", json={"to": "a@example.com"}, extensions=UNSAFE)
    assert response.status_code == 200
    assert [s.body for s in script.sent] == [b'{"to":"a@example.com"}'] * 2


async def test_unsafe_opt_in_restores_every_retry(sleeps: Sleeps) -> None:
    script = Script([httpx.ReadTimeout("read timeout"), httpx.Response(504), OK])
    extensions = {**UNSAFE, "aiocustomerio_retry_unsafe": True}
    async with make_client(script, sleep=sleeps) as client:
        response = await client.post("/v1/send/email", json={}, extensions=extensions)
    assert response.status_code == 200 and len(script.sent) == 3


async def test_safe_writes_stay_retried(sleeps: Sleeps) -> None:
    """Track and Pipelines writes carry dedup ids: a read timeout or a 504 is retried."""
    script = Script([httpx.ReadTimeout("read timeout"), httpx.Response(504), OK])
    async with make_client(script, api="track", base_url="https://track.customer.io", sleep=sleeps) as client:
        response = await client.post("/api/v2/batch", json={"batch": []})
    assert response.status_code == 200 and len(script.sent) == 3


@pytest.mark.parametrize(("override", "sent"), [(0, 1), (1, 2), (4, 5)])
async def test_max_retries_per_request(override: int, sent: int, sleeps: Sleeps) -> None:
    script = Script([httpx.Response(503)])
    async with make_client(script, retry=RetryPolicy(max_retries=2), sleep=sleeps) as client:
        with pytest.raises(ServerError) as info:
            await client.get("/v1/campaigns", extensions={"aiocustomerio_max_retries": override})
    assert len(script.sent) == sent == info.value.attempts


async def test_max_retries_does_not_lift_the_unsafe_rule(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(504), OK])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises(ServerError):
            await client.post("/v1/send/email", json={}, extensions={**UNSAFE, "aiocustomerio_max_retries": 5})
    assert len(script.sent) == 1


async def test_bad_max_retries_extension_is_refused(sleeps: Sleeps) -> None:
    async with make_client(Script([OK]), sleep=sleeps) as client:
        with pytest.raises(TypeError, match="aiocustomerio_max_retries"):
            await client.get("/v1/campaigns", extensions={"aiocustomerio_max_retries": -1})


# -- Retry-After beyond the backoff cap ----------------------------------------------------------------------------


async def test_retry_after_beyond_the_backoff_cap_is_honoured_up_to_max_retry_after(sleeps: Sleeps) -> None:
    script = Script(
        [httpx.Response(429, headers={"Retry-After": "45"}), httpx.Response(503, headers={"Retry-After": "90"}), OK]
    )
    retry = RetryPolicy(max_delay=5.0, max_retry_after=60.0)
    async with make_client(script, retry=retry, sleep=sleeps) as client:
        await client.get("/v1/campaigns")
    assert sleeps.delays == [45.0, 60.0]


def test_wait_is_the_one_retry_after_rule() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=2.0, max_retry_after=30.0)
    assert policy.wait(0, 25.0) == 25.0
    assert policy.wait(0, 99.0) == 30.0
    assert 0.0 <= policy.wait(3, None) <= 2.0


# -- what support needs ---------------------------------------------------------------------------------------------


async def test_error_carries_attempts_request_id_and_last_cause(sleeps: Sleeps) -> None:
    script = Script(
        [
            httpx.ReadTimeout("read timeout"),
            httpx.Response(503),
            httpx.Response(400, headers={"X-Request-Id": "req-7f3a"}, json={"meta": {"error": "email is invalid"}}),
        ]
    )
    async with make_client(
        script, api="track", base_url="https://track.customer.io", auth=TrackAuth("s", "secret-k"), sleep=sleeps
    ) as client:
        with pytest.raises(BadRequestError) as info:
            await client.put("/api/v1/customers/1", json={"email": "x"})
    err = info.value
    assert (err.attempts, err.request_id, err.last_cause) == (3, "req-7f3a", "503 Service Unavailable")
    assert err.status_code == 400
    assert "after 3 attempts, last retried on 503 Service Unavailable; request id req-7f3a" in str(err)
    assert "secret-k" not in str(err)


async def test_transport_error_carries_attempts_and_last_cause(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(502), httpx.ConnectError("refused")])
    async with make_client(script, retry=RetryPolicy(max_retries=2), sleep=sleeps) as client:
        with pytest.raises(APITransportError) as info:
            await client.get("/v1/campaigns")
    assert (info.value.attempts, info.value.last_cause) == (3, "ConnectError")
    assert info.value.status_code is None


async def test_single_attempt_error_has_no_retry_context(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(429, headers={"Retry-After": "1"})])
    async with make_client(script, retry=RetryPolicy.disabled(), sleep=sleeps) as client:
        with pytest.raises(RateLimitError) as info:
            await client.get("/v1/campaigns")
    assert (info.value.attempts, info.value.last_cause, info.value.request_id) == (1, None, None)
    assert "attempts" not in str(info.value)


# -- the fleet-wide pause hook ---------------------------------------------------------------------------------------


class PausingLimiter(RateLimiter):
    """A limiter with the fleet hook: a shared store would pause every process for the 429's Retry-After."""

    def __init__(self) -> None:
        super().__init__("app", Limits())
        self.pauses: list[tuple[str, float]] = []

    async def pause(self, request: httpx.Request, seconds: float) -> None:
        self.pauses.append((request.url.path, seconds))


async def test_429_with_retry_after_calls_the_limiters_pause_hook(sleeps: Sleeps) -> None:
    limiter = PausingLimiter()
    script = Script(
        [
            httpx.Response(429, headers={"Retry-After": "4"}),
            httpx.Response(429),
            httpx.Response(503, headers={"Retry-After": "1"}),
            OK,
        ]
    )
    transport = CustomerIOTransport(script.transport, limiter=limiter, retry=RetryPolicy(), sleep=sleeps, api="app")
    async with httpx.AsyncClient(transport=transport, base_url="https://api.customer.io") as client:
        await client.get("/v1/campaigns")
    assert limiter.pauses == [("/v1/campaigns", 4.0)]  # only a 429 that says how long
    assert sleeps.delays[0] == 4.0 and sleeps.delays[2] == 1.0


async def test_cookies_are_neither_kept_nor_sent_back(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(200, headers={"Set-Cookie": "lb=node-7; Path=/"}), OK])
    async with make_client(script, sleep=sleeps) as client:
        await client.get("/v1/campaigns")
        await client.get("/v1/campaigns")
    assert "cookie" not in script.sent[1].headers
