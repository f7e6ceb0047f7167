"""The transport wrapper that gives every request rate limiting, retries, typed errors and debug logging.

It sits between ``httpx.AsyncClient`` and the real transport, so generated operations get all of it without
knowing about it. Per-request switches, set through ``request.extensions``:

- ``aiocustomerio_raise``: ``False`` returns error responses instead of raising (the generated ``*_detailed``
  functions can then parse documented error bodies);
- ``aiocustomerio_retry``: ``False`` sends the request once (e.g. a non-idempotent call the caller retries itself).

This is the hot path of every call: the common case (2xx, limiter with room, debug logging off) does one limiter
check, one send and a few comparisons.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx

from ._limits import RateLimiter
from ._retry import RetryPolicy
from .errors import APITransportError, error_for_response

__all__ = ["CustomerIOTransport", "logger"]

logger = logging.getLogger("aiocustomerio")
_DEBUG = logging.DEBUG

Sleep = Callable[[float], Awaitable[object]]


class CustomerIOTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner`` with the limiter, the retry policy and status-to-exception mapping."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.inner = inner
        self.limiter = limiter if limiter is not None and limiter.active else None
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        extensions = request.extensions
        max_retries = self.retry.max_retries if extensions.get("aiocustomerio_retry") is not False else 0
        if max_retries:
            try:
                request.content  # noqa: B018 - raises for a streaming body that has not been read yet
            except httpx.RequestNotRead:
                # Streaming bodies can be sent only once; buffering makes every retry send identical bytes.
                await request.aread()
        limiter = self.limiter
        debug = logger.isEnabledFor(_DEBUG)
        attempt = 0
        while True:
            if limiter is not None:
                await limiter.acquire(request)
            started = time.perf_counter() if debug else 0.0
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError as exc:
                if attempt < max_retries and self.retry.is_retryable_exception(exc):
                    delay = self.retry.backoff(attempt)
                    if debug:
                        _log_retry(request, type(exc).__name__, started, attempt, delay)
                    await self._sleep(delay)
                    attempt += 1
                    continue
                raise APITransportError.from_exception(exc, request) from exc

            status = response.status_code
            if status < 400:
                if debug:
                    _log_response(request, status, started, attempt)
                return response
            if attempt < max_retries and self.retry.is_retryable_status(status):
                delay = self.retry.delay(attempt, response)
                await _discard(response)
                if debug:
                    _log_retry(request, str(status), started, attempt, delay)
                await self._sleep(delay)
                attempt += 1
                continue
            if debug:
                _log_response(request, status, started, attempt)
            if extensions.get("aiocustomerio_raise") is False:
                return response
            response.request = request
            try:
                await response.aread()
            except httpx.TransportError:
                # The status is the news; a body that broke off halfway only shortens the excerpt.
                await response.aclose()
            raise error_for_response(response, request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _discard(response: httpx.Response) -> None:
    # Reading the (small) error body lets the connection go back to the pool instead of being torn down.
    try:
        await response.aread()
    except httpx.TransportError:
        pass
    finally:
        await response.aclose()


def _log_response(request: httpx.Request, status: int, started: float, attempt: int) -> None:
    logger.debug(
        "%s %s -> %d in %.1f ms (attempt %d)",
        request.method,
        request.url.path,
        status,
        (time.perf_counter() - started) * 1000.0,
        attempt + 1,
    )


def _log_retry(request: httpx.Request, outcome: str, started: float, attempt: int, delay: float) -> None:
    logger.debug(
        "%s %s -> %s in %.1f ms (attempt %d), retrying in %.2f s",
        request.method,
        request.url.path,
        outcome,
        (time.perf_counter() - started) * 1000.0,
        attempt + 1,
        delay,
    )
