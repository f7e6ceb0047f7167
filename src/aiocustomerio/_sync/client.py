"""``SyncCustomerIO``: the client for code without an event loop (Django views, Celery tasks, scripts).

The namespaces are the sync twins of the async sugar (``_sync/track.py``, ... derived by codegen/unasync.py) over
the generated sync resources, so every operation, sugar call, paginator and raw-response view of ``CustomerIO`` is
here with the same arguments, returning instead of awaiting. Configuration is the async client's own: a
``CustomerIO`` that never opens a connection holds and validates it, so the two constructors cannot mean different
things. Requests go through ``httpx.Client`` and the sync transport stack, which takes its decisions (retries,
redirects, typed errors) from the same rules object as the async one.

Thread-safe: share one client between threads. Each API has one ``httpx.Client`` pool, opened by the first call
under a lock, and one set of rate limits used by every thread and by the client's ingestors.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from .._base import check_options
from .._binding import ApiBinding
from .._config import HOSTS, _HeaderAuth, auth_for
from .._http import build_http_client, build_inner_transport, build_sync_http_client
from .._limits import Limits, RateLimiter
from .._missing import NamesOnMiss
from .._retry import RetryPolicy
from ..client import (
    REGION_PATH,
    STRICT_MODE_HEADERS,
    CustomerIO,
    Transport,
    check_arguments,
    check_region_credentials,
    check_transport,
    region_of,
)
from ..errors import ClientClosedError, InvalidArgumentError, InvalidArgumentTypeError
from ._limits import LoopLimiter
from .app import SyncAppAPI
from .pipelines import SyncPipelinesAPI
from .track import SyncTrackAPI

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._base import RequestOptions

__all__ = ["SyncCustomerIO"]

_APIS = ("track", "app", "pipelines")


class SyncCustomerIO(NamesOnMiss):
    """One blocking client for Customer.io's Track, App and Pipelines APIs; the constructor is ``CustomerIO``'s.

    ``transport`` is ``"httpx"`` or an ``httpx.BaseTransport`` (the aiohttp transport is async-only). Close it with
    ``close()`` or a ``with`` block; an unclosed client's pools are released when the process ends.
    """

    def __init__(
        self,
        *,
        site_id: str | None = None,
        track_api_key: str | None = None,
        app_api_key: str | None = None,
        cdp_api_key: str | None = None,
        region: str | None = None,
        track_base_url: str | None = None,
        app_base_url: str | None = None,
        pipelines_base_url: str | None = None,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = 30.0,
        transport: Transport | httpx.BaseTransport = "httpx",
        max_connections: int = 100,
        pipelines_strict: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if transport == "aiohttp":
            raise InvalidArgumentError(
                'SyncCustomerIO sends with httpx: transport="aiohttp" is for the async client only; pass "httpx" '
                "or an httpx.BaseTransport"
            )
        check_transport("SyncCustomerIO", transport, ("httpx",), httpx.BaseTransport)
        # Checked here first, so that a bad argument is named as SyncCustomerIO's, not as the CustomerIO's below.
        check_arguments(
            "SyncCustomerIO",
            base_urls={"track": track_base_url, "app": app_base_url, "pipelines": pipelines_base_url},
            limits=limits,
            retry=retry,
            timeout=timeout,
            max_connections=max_connections,
            pipelines_strict=pipelines_strict,
            env=env,
        )
        self._config = CustomerIO(
            site_id=site_id,
            track_api_key=track_api_key,
            app_api_key=app_api_key,
            cdp_api_key=cdp_api_key,
            region=region,
            track_base_url=track_base_url,
            app_base_url=app_base_url,
            pipelines_base_url=pipelines_base_url,
            limits=limits,
            retry=retry,
            timeout=timeout,
            transport="httpx",
            max_connections=max_connections,
            pipelines_strict=pipelines_strict,
            env=env,
        )
        self._transport = transport
        # One set of buckets per API for the life of the client: every thread, and every ingestor, draws on it.
        self._limiters = {
            api: RateLimiter(api, self._config._limits, base_path=httpx.URL(self._root(api)).path) for api in _APIS
        }
        self._region: str | None = self._config._region
        self._region_lock = threading.Lock()
        self._closed = False
        self.track = SyncTrackAPI(self._binding("track", "aiocustomerio_track", "unix"))
        self.app = SyncAppAPI(self._binding("app", "aiocustomerio_app", "unix"))
        self.pipelines = SyncPipelinesAPI(self._binding("pipelines", "aiocustomerio_pipelines", "iso"))

    def _binding(self, api: str, package: str, style: Any) -> ApiBinding:
        return ApiBinding(
            api,
            package,
            style,
            lambda: self._open_async(api),
            connect_sync=lambda: self._open(api),
            retry=self._config._retry,
            check_ingestor=self._check_ingestor_transport,
        )

    def _check_ingestor_transport(self) -> None:
        inner = self._transport
        if not isinstance(inner, str) and not isinstance(inner, httpx.AsyncBaseTransport):
            raise InvalidArgumentTypeError(
                f"ingestors send from an event loop, and SyncCustomerIO(transport={type(inner).__name__}(...)) is "
                "sync-only: pass a transport that is also an httpx.AsyncBaseTransport (as httpx.MockTransport is), "
                'or use the default transport="httpx"'
            )

    def __repr__(self) -> str:
        region = self._region or self._config._region_choice
        transport = self._transport if isinstance(self._transport, str) else type(self._transport).__name__
        return f"<SyncCustomerIO region={region!r} transport={transport!r}>"

    # -- connections -----------------------------------------------------------------------------------------------

    def _headers(self, api: str) -> dict[str, str] | None:
        return STRICT_MODE_HEADERS if api == "pipelines" and self._config._pipelines_strict else None

    def _build(self, api: str, base_url: str) -> httpx.Client:
        config = self._config
        return build_sync_http_client(
            api,
            base_url=base_url,
            auth=auth_for(api, config._credentials, "SyncCustomerIO"),
            limiter=self._limiters[api],
            retry=config._retry,
            timeout=config._timeout,
            max_connections=config._max_connections,
            headers=self._headers(api),
            inner=None if isinstance(self._transport, str) else self._transport,
        )

    def _root(self, api: str) -> str:
        """The API's base URL as configured (a region's host has the same path in every region)."""
        return self._config._base_urls[api] or HOSTS[api]["us"]

    def _base_url(self, api: str) -> str:
        if self._closed:
            raise ClientClosedError(
                "this SyncCustomerIO client is closed; create a new one (or keep one open for the app's life)"
            )
        base_url = self._config._base_urls[api]
        return (base_url if base_url is not None else HOSTS[api][self.region()]).rstrip("/")

    def _open(self, api: str) -> httpx.Client:
        # Called under the API's lock (ApiBinding.sync_client): threads making their first call at once share a pool.
        return self._build(api, self._base_url(api))

    async def _open_async(self, api: str) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` for an ingestor's private loop, with this client's auth, retries and limits."""
        # Off the loop: the region lookup (region="auto") blocks.
        base_url = await asyncio.to_thread(self._base_url, api)
        config = self._config
        self._check_ingestor_transport()  # already at ingestor(); again for an ingestor built on this factory
        inner = self._transport
        assert isinstance(inner, (str, httpx.AsyncBaseTransport))
        return build_http_client(
            api,
            base_url=base_url,
            auth=auth_for(api, config._credentials, "SyncCustomerIO"),
            limiter=LoopLimiter(self._limiters[api]),
            retry=config._retry,
            timeout=config._timeout,
            inner=inner if not isinstance(inner, str) else build_inner_transport("httpx"),
            max_connections=config._max_connections,
            headers=self._headers(api),
            client="SyncCustomerIO",
        )

    def require_credentials(self, api: str) -> None:
        """Raise ``MissingCredentialsError`` now if ``api`` lacks a credential (calls would raise it at first use)."""
        auth = auth_for(api, self._config._credentials, "SyncCustomerIO")
        if isinstance(auth, _HeaderAuth):
            auth.require()

    def region(self) -> str:
        """``"us"`` or ``"eu"``; with ``region="auto"``, asked once of Customer.io with the Track credentials."""
        if self._region is not None:
            return self._region
        with self._region_lock:
            if self._region is None:
                check_region_credentials(self._config._credentials)
                base = self._config._base_urls["track"] or HOSTS["track"]["us"]
                with self._build("track", base) as http:
                    self._region = region_of(http.get(REGION_PATH))
        return self._region

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection pool; later calls raise. Ingestors opened from this client close on their own."""
        self._closed = True
        for api in (self.track, self.app, self.pipelines):
            api._api.close_sync()
        for limiter in self._limiters.values():
            limiter.close()  # a rate-limit store's connections, if there is one

    def __enter__(self) -> SyncCustomerIO:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def with_options(self, **options: Unpack[RequestOptions]) -> SyncCustomerIO:
        """The same client with default per-call options, e.g. ``cio.with_options(timeout=5, max_retries=0)``.

        A view: it shares the connection pools, limits and credentials (closing either closes both); a per-call
        option still overrides the view's.
        """
        check_options("SyncCustomerIO.with_options", options)
        view = copy.copy(self)
        view.track = self.track.with_options(**options)
        view.app = self.app.with_options(**options)
        view.pipelines = self.pipelines.with_options(**options)
        return view

    def apis(self) -> dict[str, Any]:
        return {"track": self.track, "app": self.app, "pipelines": self.pipelines}
