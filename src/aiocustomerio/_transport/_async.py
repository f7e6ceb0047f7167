"""The transport wrapper of ``httpx.AsyncClient``: limits, retries, redirects refused, typed errors, debug logs.

Every decision comes from ``_rules.Rules``; this loop only acquires, sends and sleeps. ``_sync.py`` is derived from
``_async.py`` by ``codegen/unasync.py`` (one loop, two forms): edit ``_async.py`` so that its renamed form is right
in ``_sync.py``; ``_limiting`` and ``_loop`` hold the pairs of functions that differ.

This is the hot path of every call: the common case (2xx, limiter with room, debug logging off) does one loop
check, one limiter check, one send and a few comparisons.
"""

from __future__ import annotations

import logging
import time
from asyncio import sleep as default_sleep

import httpx

from .._limits import RateLimiter
from .._retry import RetryPolicy
from ._limiting import acquire, pause, usable
from ._log import log_response, log_retry, logger
from ._loop import AsyncSleep, LoopGuard
from ._rules import Rules, describe

__all__ = ["CustomerIOTransport"]

_DEBUG = logging.DEBUG
# At most this many regional redirects are followed per request (one is all Customer.io documents).
MAX_REDIRECTS = 1

Sleep = AsyncSleep


class CustomerIOTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner`` with the limiter, the retry policy and status-to-exception mapping.

    ``api`` ("track", "app", "pipelines") names the Customer.io hosts a regional redirect may be followed to.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        api: str | None = None,
        client: str = "CustomerIO",
    ) -> None:
        self.inner = inner
        self.limiter = usable(limiter)
        self.rules = Rules(retry if retry is not None else RetryPolicy(), api, client)
        self.loop_guard = LoopGuard()
        self._sleep: Sleep = sleep if sleep is not None else default_sleep

    @property
    def retry(self) -> RetryPolicy:
        return self.rules.retry

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.loop_guard.check()
        rules = self.rules
        max_retries = rules.max_retries(request)
        try:
            request.content  # noqa: B018 - raises for a streaming body that has not been read yet
        except httpx.RequestNotRead:
            if max_retries:
                # Streaming bodies can be sent only once; buffering makes every retry send identical bytes.
                await request.aread()
        limiter = self.limiter
        debug = logger.isEnabledFor(_DEBUG)
        attempt = sent = redirects = 0
        last_cause: str | None = None
        while True:
            if limiter is not None:
                await acquire(limiter, request)
            started = time.perf_counter() if debug else 0.0
            sent += 1
            answered: int | None = None
            try:
                response = await self.inner.handle_async_request(request)
                if response.status_code < 300:
                    # The body is part of the answer: read here, a 2xx cut short is a transport failure under the
                    # retry rules and the typed errors, not a raw httpx error raised later by the client's read.
                    answered = response.status_code
                    await response.aread()
            except httpx.TransportError as exc:
                delay = rules.exception_delay(request, exc, attempt, max_retries, answered)
                if delay is None:
                    raise rules.transport_error(request, exc, sent, last_cause, answered) from exc
                last_cause = describe(exc)
                if debug:
                    log_retry(request, last_cause, started, attempt, delay)
                await self._sleep(delay)
                attempt += 1
                continue

            status = response.status_code
            if status < 300:
                if debug:
                    log_response(request, status, started, attempt)
                return response
            if status < 400:
                target = rules.follow(request, response) if redirects < MAX_REDIRECTS else None
                if target is not None:
                    await _discard(response)
                    request, redirects = target, redirects + 1
                    continue
            else:
                # A 429's Retry-After holds off every client sharing the limiter's budget (the fleet hook).
                hold = rules.fleet_pause(response) if limiter is not None else None
                if hold is not None and limiter is not None:
                    await pause(limiter, request, hold)
                delay = rules.status_delay(request, response, attempt, max_retries)
                if delay is not None:
                    await _discard(response)
                    last_cause = describe(response)
                    if debug:
                        log_retry(request, str(status), started, attempt, delay)
                    await self._sleep(delay)
                    attempt += 1
                    continue
            if debug:
                log_response(request, status, started, attempt)
            if request.extensions.get("aiocustomerio_raise") is False:
                return response
            response.request = request
            try:
                await response.aread()
            except httpx.TransportError:
                # The status is the news; a body that broke off halfway only shortens the excerpt.
                await response.aclose()
            raise rules.status_error(request, response, sent, last_cause)

    def check_close(self) -> bool:
        """Whether the pools need closing from here: False once their loop has closed (the sockets went with it);
        EventLoopError when another, still running loop owns them (only it can close them)."""
        owner = self.loop_guard.foreign()
        if owner is None:
            return True
        if owner.is_closed():
            return False
        self.loop_guard.check()  # raises
        return True

    async def aclose(self) -> None:
        if self.check_close():
            if self.limiter is not None:
                await self.limiter.aclose()  # the rate-limit store's connections, if it has one
            await self.inner.aclose()


async def _discard(response: httpx.Response) -> None:
    # Reading the (small) error body lets the connection go back to the pool instead of being torn down.
    try:
        await response.aread()
    except httpx.TransportError:
        pass
    finally:
        await response.aclose()
