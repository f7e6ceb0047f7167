"""Builds the pooled ``httpx.AsyncClient`` of one API: auth, then the CustomerIOTransport wrapper, then the wire."""

from __future__ import annotations

from importlib import metadata
from typing import Literal

import httpx

# httpcore asks sniffio which async library runs on every pooled request; when sniffio is missing it retries the
# failing import each time, a full sys.path scan per request. Importing it here makes a missing install fail at
# import time instead of silently slowing every call.
import sniffio  # noqa: F401

from ._limits import RateLimiter
from ._retry import RetryPolicy
from ._transport import CustomerIOTransport, Sleep, SyncCustomerIOTransport
from ._transport._loop import SyncSleep

__all__ = [
    "PooledClient",
    "TransportName",
    "build_http_client",
    "build_inner_transport",
    "build_sync_http_client",
    "user_agent",
]

TransportName = Literal["httpx", "aiohttp"]


def user_agent() -> str:
    try:
        version = metadata.version("aiocustomerio")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"aiocustomerio/{version} httpx/{httpx.__version__}"


def build_inner_transport(transport: str = "aiohttp", *, max_connections: int = 100) -> httpx.AsyncBaseTransport:
    """The transport that talks to the network: aiohttp's pool (the default: it keeps up with many concurrent
    calls, see ``_transport._aiohttp``), or httpx's own."""
    # Keeping as many idle connections as may be open avoids closing and reopening connections under load
    # (httpx keeps only 20 idle by default).
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    if transport == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    if transport == "aiohttp":
        from ._transport._aiohttp import AiohttpTransport

        return AiohttpTransport(limits=limits)
    raise ValueError(f'unknown transport {transport!r}: expected "httpx" or "aiohttp"')


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: the APIs authenticate every request and set no cookies we need.

    httpx reads every answer into its cookie jar through ``http.cookiejar`` (a ``urllib.request.Request`` and an
    ``email.message`` per call): about a fifth of the façade's CPU per call without the network. A ``Set-Cookie``
    from a load balancer would also be sent back on later calls; with this jar it is not.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


def _without_cookies(client: httpx.AsyncClient | httpx.Client) -> None:
    # httpx has no switch for this; `client.cookies = ...` would wrap the jar in a plain Cookies again.
    client._cookies = _NoCookies()


class PooledClient(httpx.AsyncClient):
    """The ``httpx.AsyncClient`` of one API; ``aclose()`` from a loop that does not own the pools raises
    EventLoopError before anything is closed (httpx marks a client closed first, leaving it unusable)."""

    stack: CustomerIOTransport

    def check_close(self) -> None:
        self.stack.check_close()

    async def aclose(self) -> None:
        self.stack.check_close()
        await super().aclose()


def build_http_client(
    api: str,
    *,
    base_url: str,
    auth: httpx.Auth,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    timeout: httpx.Timeout | float,
    transport: str = "aiohttp",
    max_connections: int = 100,
    headers: dict[str, str] | None = None,
    inner: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep | None = None,
    client: str = "CustomerIO",
) -> PooledClient:
    """One pooled client for ``api``; ``inner`` replaces the network transport (tests, custom proxies); ``client``
    is the class the user built (SyncCustomerIO's ingestors send through this async stack too)."""
    if limiter is not None and limiter.api != api:
        raise ValueError(f"limiter is for the {limiter.api} API, not {api}")
    wire = inner if inner is not None else build_inner_transport(transport, max_connections=max_connections)
    all_headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    if headers:
        all_headers.update(headers)
    stack = CustomerIOTransport(wire, limiter=limiter, retry=retry, sleep=sleep, api=api, client=client)
    pooled = PooledClient(
        base_url=base_url,
        auth=auth,
        headers=all_headers,
        timeout=timeout,
        transport=stack,
        # httpx would resend credentials to wherever a redirect points; the transport refuses 3xx (or follows one
        # between the same API's Customer.io regional hosts).
        follow_redirects=False,
    )
    pooled.stack = stack
    _without_cookies(pooled)
    return pooled


def build_sync_http_client(
    api: str,
    *,
    base_url: str,
    auth: httpx.Auth,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    timeout: httpx.Timeout | float,
    max_connections: int = 100,
    headers: dict[str, str] | None = None,
    inner: httpx.BaseTransport | None = None,
    sleep: SyncSleep | None = None,
) -> httpx.Client:
    """The sync twin of ``build_http_client``: one thread-safe pooled ``httpx.Client`` for ``api``, the same stack.

    ``limiter`` must block threads (``acquire_sync``), else TypeError here; None means no client-side limits.
    """
    if limiter is not None and limiter.api != api:
        raise ValueError(f"limiter is for the {limiter.api} API, not {api}")
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    wire = inner if inner is not None else httpx.HTTPTransport(limits=limits)
    all_headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    if headers:
        all_headers.update(headers)
    client = httpx.Client(
        base_url=base_url,
        auth=auth,
        headers=all_headers,
        timeout=timeout,
        transport=SyncCustomerIOTransport(wire, limiter=limiter, retry=retry, sleep=sleep, api=api),
        follow_redirects=False,  # as the async client: the transport decides
    )
    _without_cookies(client)
    return client
