"""httpx's transport interface over an aiohttp connection pool: the default network transport.

Why aiohttp: with many concurrent single calls, httpcore's pool costs ~2.6 ms of CPU per call at 64 in flight and
the default client stayed below Track's own 1,000 requests/s; aiohttp's pool does not collapse (see README,
Benchmarks). Why not httpx-aiohttp's ``AiohttpTransport`` itself: it maps every ``aiohttp.ClientConnectionError``,
including a server disconnect or a reset after the request was written, to ``httpx.ConnectTimeout``, which says
"never sent" and would let an unsafe operation (a transactional send) be resent; and it streams each answer through
an async generator where the APIs answer small JSON documents. This transport keeps the distinction the retry rules
need (``_rules``: only ConnectError, ConnectTimeout and PoolTimeout prove a request never left) and reads each answer
whole.

aiohttp resends GET, HEAD, OPTIONS, TRACE, PUT and DELETE once by itself when the server disconnects or resets
(``ClientSession._request``, "retry_persistent_connection", since 3.9), whether or not the connection was a reused
one. Under our retry stack that is a request the policy never counted: ``max_retries=0`` sends twice and
``attempts`` is wrong. aiohttp has no public switch (aio-libs/aiohttp#10790); ``_retry_connection`` is the session
attribute its own ``test_utils.TestClient`` clears for the same reason (listed in ``ClientSession.ATTRS``, so setting it
is not the discouraged custom attribute). tests/unit/test_real_server.py counts the requests on a real socket and
tests/unit/test_http.py checks that aiohttp still has the switch, so an aiohttp release that moves it fails there.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from yarl import URL

__all__ = ["AiohttpTransport", "map_exception"]

_HTTP11 = {"http_version": b"HTTP/1.1"}


def map_exception(exc: BaseException) -> httpx.TransportError | None:
    """The httpx error for an aiohttp failure, most specific first; None for anything that is not one."""
    # Never sent: no connection was made, or none became free in time.
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return httpx.ProxyError(str(exc))
    if isinstance(exc, aiohttp.ClientConnectorError):  # DNS, refused, TLS handshake and certificate failures
        return httpx.ConnectError(str(exc) or type(exc).__name__)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # connect, or the wait for a pooled connection
        return httpx.ConnectTimeout(str(exc) or "timed out connecting")
    # Possibly sent, possibly processed.
    if isinstance(exc, (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return httpx.ReadTimeout(str(exc) or "timed out waiting for the answer")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(str(exc) or "server disconnected without sending a complete answer")
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientOSError)):
        return httpx.ReadError(str(exc) or type(exc).__name__)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(str(exc))
    if isinstance(exc, aiohttp.ClientResponseError):  # a malformed answer
        return httpx.RemoteProtocolError(str(exc))
    if isinstance(exc, aiohttp.ClientError):
        return httpx.ReadError(f"{type(exc).__name__}: {exc}")
    return None


class _BrokenBody(httpx.AsyncByteStream):
    """The body of an answer that broke off while it was read: reading it raises the mapped httpx error."""

    def __init__(self, error: httpx.TransportError, cause: BaseException) -> None:
        self.error, self.cause = error, cause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        raise self.error from self.cause
        yield b""  # pragma: no cover - makes this an async generator


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp ``ClientSession`` (opened on the first request, in the loop that makes it) per transport.

    Redirects are never followed here (the stack above decides), bodies are not decompressed here (httpx decodes
    them), cookies are not kept, and httpx's connect/read/pool timeouts map to aiohttp's.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        verify: ssl.SSLContext | str | bool = True,
        trust_env: bool = True,
    ) -> None:
        self._limits = (
            limits if limits is not None else httpx.Limits(max_connections=100, max_keepalive_connections=100)
        )
        self._ssl = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=limits.keepalive_expiry if limits.keepalive_expiry is not None else 15.0,
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )
        self._session._retry_connection = False  # our retry stack is the only one (see the module docstring)
        return self._session

    def _timeout(self, timeout: dict[str, float | None]) -> aiohttp.ClientTimeout:
        key = (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))
        found = self._timeouts.get(key)
        if found is None:
            connect, read, pool = key
            # aiohttp's `connect` covers the wait for a pooled connection plus connecting: httpx's pool timeout.
            found = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=pool, sock_connect=connect, sock_read=read
            )
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session if self._session is not None else self._open()
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = await request.aread()  # JSON bodies: buffering keeps one code path
        extensions = request.extensions
        try:
            async with session.request(
                request.method,
                URL(str(request.url), encoded=True),  # exactly httpx's bytes: a %2F in a path segment stays one
                # Names as given (multi_items() lowercases them), as httpx's own transport sends them.
                headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw],
                data=content or None,
                allow_redirects=False,
                compress=None,
                timeout=self._timeout(extensions.get("timeout", {})),
                server_hostname=extensions.get("sni_hostname"),
            ) as response:
                status, headers, reason = response.status, response.raw_headers, response.reason
                try:
                    body: bytes | _BrokenBody = await response.read()
                except Exception as exc:
                    # The answer came and its body broke off: the stack above reads it and decides with the status
                    # in hand (a send answered 2xx was processed; a GET may be resent).
                    broken = map_exception(exc)
                    if broken is None:
                        raise
                    body = _BrokenBody(broken, exc)
        except Exception as exc:
            mapped = map_exception(exc)
            if mapped is None:
                raise
            raise mapped from exc
        extensions = {**_HTTP11, "reason_phrase": reason.encode()} if reason else _HTTP11
        if isinstance(body, _BrokenBody):
            return httpx.Response(status, headers=headers, stream=body, request=request, extensions=extensions)
        return httpx.Response(status, headers=headers, content=body, request=request, extensions=extensions)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
