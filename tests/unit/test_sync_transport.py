"""What only the sync transport does: blocking limiter calls, and one client shared by threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from aiocustomerio._config import AppAuth
from aiocustomerio._http import build_sync_http_client
from aiocustomerio._limits import Limits, RateLimiter
from aiocustomerio._retry import RetryPolicy
from aiocustomerio._transport import SyncCustomerIOTransport
from aiocustomerio.errors import APITransportError, RedirectError

from .conftest import Script, Sleeps

OK = httpx.Response(200, json={})


class BlockingLimiter(RateLimiter):
    """Records the sync calls a thread-safe limiter receives."""

    def __init__(self) -> None:
        super().__init__("app", Limits())
        self.acquired: list[str] = []
        self.paused: list[float] = []
        self._lock = threading.Lock()

    def acquire_sync(self, request: httpx.Request) -> None:
        with self._lock:
            self.acquired.append(request.url.path)

    def pause_sync(self, request: httpx.Request, seconds: float) -> None:
        self.paused.append(seconds)


def _client(script: Script, limiter: RateLimiter | None, sleeps: Sleeps) -> httpx.Client:
    return build_sync_http_client(
        "app",
        base_url="https://api.customer.io",
        auth=AppAuth("app-key"),
        limiter=limiter,
        retry=RetryPolicy(),
        timeout=5.0,
        inner=script.transport,
        sleep=sleeps.record,
    )


def test_each_attempt_acquires_and_a_429_pauses_the_fleet(sleeps: Sleeps) -> None:
    limiter = BlockingLimiter()
    script = Script([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(503), OK])
    with _client(script, limiter, sleeps) as http:
        assert http.get("/v1/campaigns").status_code == 200
    assert limiter.acquired == ["/v1/campaigns"] * 3
    assert limiter.paused == [2.0] and sleeps.delays[0] == 2.0


def test_a_limiter_that_cannot_block_a_thread_is_refused_up_front() -> None:
    class AsyncOnly(RateLimiter):
        acquire_sync = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match="acquire_sync"):
        SyncCustomerIOTransport(httpx.MockTransport(lambda r: OK), limiter=AsyncOnly("app", Limits()))
    # Disabled limits need no blocking call at all.
    SyncCustomerIOTransport(httpx.MockTransport(lambda r: OK), limiter=RateLimiter("app", Limits.disabled()))


def test_eight_threads_share_one_client(sleeps: Sleeps) -> None:
    limiter = BlockingLimiter()
    script = Script([OK])
    with _client(script, limiter, sleeps) as http, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: http.get(f"/v1/campaigns/{i}").status_code, range(200), timeout=30))
    assert statuses == [200] * 200
    assert len(script.sent) == len(limiter.acquired) == 200


def test_unsafe_send_after_a_read_timeout_is_not_repeated(sleeps: Sleeps) -> None:
    script = Script([httpx.ReadTimeout("read timeout"), OK])
    with _client(script, None, sleeps) as http, pytest.raises(APITransportError) as info:
        http.post("/v1/send/email", json={}, extensions={"aiocustomerio_unsafe": True})
    assert isinstance(info.value.cause, httpx.ReadTimeout) and len(script.sent) == 1


def test_redirects_raise(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(301, headers={"Location": "http://elsewhere.example/"})])
    with _client(script, None, sleeps) as http, pytest.raises(RedirectError):
        http.get("/v1/campaigns")
