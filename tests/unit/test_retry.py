from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from aiocustomerio._retry import RetryPolicy
from aiocustomerio._transport import CustomerIOTransport
from aiocustomerio.errors import (
    APIStatusError,
    APITransportError,
    BadRequestError,
    RateLimitError,
    ServerError,
)

from .conftest import Script, Sleeps, make_client

# Every test here runs through the async and the sync transport.
pytestmark = pytest.mark.usefixtures("both_stacks")

OK = httpx.Response(200, json={"ok": True})


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_retries_retryable_status_then_succeeds(status: int, sleeps: Sleeps) -> None:
    script = Script([httpx.Response(status), httpx.Response(status), OK])
    async with make_client(script, sleep=sleeps) as client:
        response = await client.post("/v1/send/email", json={"to": "a@example.com"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert len(script.sent) == 3
    assert len(sleeps.delays) == 2
    # Every attempt is the same request: method, URL, auth and body.
    assert {(s.method, s.url, s.headers["authorization"], s.body) for s in script.sent} == {
        ("POST", "https://api.customer.io/v1/send/email", "Bearer app-key", b'{"to":"a@example.com"}')
    }


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("connect timeout"),
        httpx.ReadTimeout("read timeout"),
        httpx.WriteTimeout("write timeout"),
        httpx.PoolTimeout("pool timeout"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
    ],
)
async def test_retries_transport_errors_then_succeeds(exc: Exception, sleeps: Sleeps) -> None:
    script = Script([exc, OK])
    async with make_client(script, sleep=sleeps) as client:
        response = await client.put("/v1/objects", content=b"payload")
    assert response.status_code == 200
    assert [s.body for s in script.sent] == [b"payload", b"payload"]
    assert len(sleeps.delays) == 1


@pytest.mark.parametrize("exc", [httpx.UnsupportedProtocol("ftp"), httpx.LocalProtocolError("bad header")])
async def test_does_not_retry_deterministic_transport_errors(exc: Exception, sleeps: Sleeps) -> None:
    script = Script([exc, OK])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises(APITransportError):
            await client.get("/v1/campaigns")
    assert len(script.sent) == 1 and sleeps.delays == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_no_retry_on_client_errors(status: int, sleeps: Sleeps) -> None:
    script = Script([httpx.Response(status), OK])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises(APIStatusError) as info:
            await client.get("/v1/campaigns")
    assert info.value.status == status
    assert len(script.sent) == 1 and sleeps.delays == []


@pytest.mark.parametrize("max_retries", [0, 1, 5])
async def test_attempts_are_configurable(max_retries: int, sleeps: Sleeps) -> None:
    script = Script([httpx.Response(503, json={"errors": [{"message": "down"}]})])
    retry = RetryPolicy(max_retries=max_retries, base_delay=1.0, max_delay=3.0)
    async with make_client(script, retry=retry, sleep=sleeps) as client:
        with pytest.raises(ServerError) as info:
            await client.get("/v1/campaigns")
    assert len(script.sent) == max_retries + 1
    assert len(sleeps.delays) == max_retries
    # Full jitter: each delay is somewhere in [0, min(max_delay, base * 2**retry)].
    for retry_number, delay in enumerate(sleeps.delays):
        assert 0.0 <= delay <= min(3.0, 2.0**retry_number)
    assert info.value.errors == [{"message": "down"}]


async def test_transport_error_after_last_retry_is_wrapped(sleeps: Sleeps) -> None:
    script = Script([httpx.ReadTimeout("timed out")])
    async with make_client(script, retry=RetryPolicy(max_retries=2), sleep=sleeps) as client:
        with pytest.raises(APITransportError) as info:
            await client.get("/v1/campaigns")
    assert isinstance(info.value.cause, httpx.ReadTimeout)
    assert len(script.sent) == 3


async def test_retry_after_seconds_is_honored(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(429, headers={"Retry-After": "7"}), OK])
    async with make_client(script, sleep=sleeps) as client:
        await client.get("/v1/campaigns")
    assert sleeps.delays == [7.0]


async def test_retry_after_http_date_is_honored(sleeps: Sleeps) -> None:
    # An HTTP-date has one-second resolution: 20 s ahead lands between 19 and 20 s from now.
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    script = Script([httpx.Response(503, headers={"Retry-After": when}), OK])
    async with make_client(script, sleep=sleeps) as client:
        await client.get("/v1/campaigns")
    (delay,) = sleeps.delays
    assert 18.0 <= delay <= 20.0


@pytest.mark.parametrize("header", ["3600", "Fri, 31 Dec 2100 23:59:59 GMT"])
async def test_retry_after_is_capped(header: str, sleeps: Sleeps) -> None:
    script = Script([httpx.Response(429, headers={"Retry-After": header}), OK])
    async with make_client(script, retry=RetryPolicy(max_retry_after=12.5), sleep=sleeps) as client:
        await client.get("/v1/campaigns")
    assert sleeps.delays == [12.5]


async def test_rate_limit_error_after_retries_carries_retry_after(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(429, headers={"Retry-After": "2"}, json={"meta": {"error": "slow down"}})])
    async with make_client(script, retry=RetryPolicy(max_retries=1), sleep=sleeps) as client:
        with pytest.raises(RateLimitError) as info:
            await client.get("/v1/campaigns")
    assert info.value.retry_after == 2.0
    assert info.value.errors == [{"message": "slow down"}]
    assert sleeps.delays == [2.0]


class StreamingWire(httpx.AsyncBaseTransport):
    """Consumes the request body the way a network transport does: by iterating its stream, not ``aread()``."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        self.bodies.append(b"".join([chunk async for chunk in request.stream]))
        return httpx.Response(self.statuses[len(self.bodies) - 1])


async def test_streaming_body_is_buffered_and_resent_identically(sleeps: Sleeps) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"batch":'
        yield b"[1,2,3]}"

    wire = StreamingWire([502, 500, 200])
    transport = CustomerIOTransport(wire, retry=RetryPolicy(), sleep=sleeps)
    async with httpx.AsyncClient(transport=transport, base_url="https://cdp.customer.io/v1") as client:
        response = await client.post("/batch", content=body())
    assert response.status_code == 200
    assert wire.bodies == [b'{"batch":[1,2,3]}'] * 3


async def test_retry_can_be_switched_off_per_request(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(503), OK])
    async with make_client(script, sleep=sleeps) as client:
        request = client.build_request("POST", "/v1/send/email", json={}, extensions={"aiocustomerio_retry": False})
        with pytest.raises(ServerError):
            await client.send(request)
    assert len(script.sent) == 1


async def test_error_after_retries_is_typed_with_last_response(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(500), httpx.Response(400, json={"errors": [{"field": "to", "message": "bad"}]})])
    async with make_client(script, sleep=sleeps) as client:
        with pytest.raises(BadRequestError) as info:
            await client.post("/v1/send/email", json={})
    assert info.value.errors == [{"field": "to", "message": "bad"}]
    assert len(script.sent) == 2


def test_policy_validation_and_backoff_bounds() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="delays"):
        RetryPolicy(base_delay=-1.0)
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    for retry in range(200):
        assert 0.0 <= policy.backoff(retry) <= min(4.0, 0.5 * 2**retry)
    assert RetryPolicy.is_retryable_status(429) and not RetryPolicy.is_retryable_status(501)
