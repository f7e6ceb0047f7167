"""``CustomerIO``: configuration, lifecycle and the three API namespaces."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

from ._base import check_options
from ._binding import ApiBinding
from ._config import HOSTS, Credentials, _HeaderAuth, auth_for, check_timeout, resolve_region
from ._http import PooledClient, build_http_client
from ._limits import Limits, RateLimiter
from ._missing import NamesOnMiss
from ._retry import RetryPolicy
from ._transport._loop import LoopGuard
from .app import AppAPI
from .errors import (
    ClientClosedError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    MissingCredentialsError,
    RegionLookupError,
)
from .pipelines import PipelinesAPI
from .track import TrackAPI

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._base import RequestOptions

Transport = Literal["httpx", "aiohttp"]
REGION_PATH = "/api/v1/accounts/region"
# pipelines.json documents this header on every operation: "When set to `1`, enables strict validation that returns
# proper HTTP error codes (400/401) for validation failures"; without it the API answers 200 and drops the message.
STRICT_MODE_HEADERS = {"X-Strict-Mode": "1"}


def check_base_url(label: str, api: str, url: object, *, proxy_fix: str = " (extra_headers=...)") -> None:
    """A base URL httpx and aiohttp will both send to as given; ``label`` is how messages name the argument
    (``CustomerIO(app_base_url=...)``, the CLI's ``--base-url``), ``proxy_fix`` how a proxy's own credentials go
    instead. The URL is never echoed: it may carry a proxy's credentials."""
    if not isinstance(url, str):
        raise InvalidArgumentTypeError(f"{label} must be a str URL, not {type(url).__name__}")
    # Parsed as httpx will at the first request (which refuses what urlsplit lets through: a control character such
    # as a pasted URL's trailing newline).
    problem = ""
    try:
        parts = urlsplit(url)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        parts, problem = None, f" ({str(exc).split(',')[0].rstrip('.')})"
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidArgumentError(
            f"{label} must be an http:// or https:// URL with a host, such as {HOSTS[api]['us']}" + problem
        )
    if "@" in parts.netloc:
        # The API's credential is the Authorization header, so a URL's user:password has nowhere to go: httpx drops
        # it without a word when an auth is set, aiohttp refuses the request with a bare ValueError.
        raise InvalidArgumentError(
            f"{label} must not carry a user name or password (user:password@host): the {api} API's credential "
            f"travels in the Authorization header, so they would never be sent; remove them, and give a proxy in "
            f"front its own credentials as a header it accepts{proxy_fix}"
        )


def check_arguments(
    client: str,
    *,
    base_urls: Mapping[str, object],
    limits: object,
    retry: object,
    timeout: object,
    max_connections: object,
    pipelines_strict: object,
    env: object,
) -> None:
    """The constructor's arguments, checked before anything is built (credentials and region check themselves)."""
    if env is not None and not isinstance(env, Mapping):
        raise InvalidArgumentTypeError(
            f"{client}(env=...) must be a mapping of environment variables (os.environ, a dict) or None, "
            f"not {type(env).__name__}"
        )
    for api, url in base_urls.items():
        if url is not None:
            check_base_url(f"{client}({api}_base_url=...)", api, url)
    if limits is not None and not isinstance(limits, Limits):
        raise InvalidArgumentTypeError(
            f"{client}(limits=...) must be a Limits, e.g. Limits(app=20) or Limits.disabled(), not "
            f"{type(limits).__name__}"
        )
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise InvalidArgumentTypeError(
            f"{client}(retry=...) must be a RetryPolicy, e.g. RetryPolicy(max_retries=5), not {type(retry).__name__}"
        )
    check_timeout(f"{client}(timeout=...)", timeout)
    if isinstance(max_connections, bool) or not isinstance(max_connections, int):
        raise InvalidArgumentTypeError(
            f"{client}(max_connections=...) must be an int >= 1, not {type(max_connections).__name__}"
        )
    if max_connections < 1:
        raise InvalidArgumentError(f"{client}(max_connections=...) must be >= 1, not {max_connections!r}")
    if not isinstance(pipelines_strict, bool):
        raise InvalidArgumentTypeError(
            f"{client}(pipelines_strict=...) must be a bool, not {type(pipelines_strict).__name__}"
        )


def check_transport(client: str, transport: object, names: tuple[str, ...], kind: type) -> None:
    """``transport`` is one of ``names`` or an instance of ``kind`` (an httpx transport class)."""
    expected = " or ".join(f'"{name}"' for name in names)
    if isinstance(transport, str):
        if transport not in names:
            raise InvalidArgumentError(
                f"{client}(transport=...) must be {expected} or an {kind.__module__}.{kind.__name__}, not {transport!r}"
            )
    elif not isinstance(transport, kind):
        raise InvalidArgumentTypeError(
            f"{client}(transport=...) must be {expected} or an {kind.__module__}.{kind.__name__}, "
            f"not {type(transport).__name__}"
        )


_REGION_FIX = "pass region='us' or region='eu' (or set CUSTOMERIO_REGION) to skip the lookup"


def check_region_credentials(credentials: Credentials) -> None:
    """region="auto" asks Track's region endpoint, which only the Track credentials open: say so when they lack."""
    needs = ("site_id", "track_api_key")
    missing = [name for name in needs if getattr(credentials, name) is None]
    if missing:
        raise MissingCredentialsError(
            "region='auto' asks Customer.io for the workspace's region with the Track credentials, site_id and "
            f"track_api_key (missing: {', '.join(missing)}): pass them (or set CUSTOMERIO_SITE_ID and "
            f"CUSTOMERIO_TRACK_API_KEY), or {_REGION_FIX}",
            needs=needs,
            missing=tuple(missing),
        )


def region_of(response: httpx.Response) -> str:
    """The region in the answer of ``REGION_PATH``; RegionLookupError for an answer without a known one."""
    try:
        payload = response.json()
    except (ValueError, RecursionError):  # HTML from a proxy or captive portal, an empty body, a too deep one
        payload = None
    if not isinstance(payload, dict):
        problem = "a body that is not a JSON object"
    elif payload.get("data_center") is None:
        problem = "no data_center"
    else:
        center = payload["data_center"]
        if isinstance(center, str) and center.lower() in HOSTS["track"]:
            return center.lower()
        problem = f"data_center {center!r}, which is neither 'us' nor 'eu'"
    raise RegionLookupError.from_response(response, problem, _REGION_FIX)


class CustomerIO(NamesOnMiss):
    """One client for Customer.io's Track, App and Pipelines APIs.

    Credentials come from the arguments or the environment (``CUSTOMERIO_SITE_ID``, ``CUSTOMERIO_TRACK_API_KEY``,
    ``CUSTOMERIO_APP_API_KEY``, ``CUSTOMERIO_CDP_API_KEY``, ``CUSTOMERIO_REGION``); each is needed only by the API that
    uses it, and its absence is reported at the first call to that API. Share one instance across tasks: each API has
    one pooled connection pool and one set of rate limits, opened on first use and closed by ``aclose()``.

    One client per event loop: the pools belong to the loop of the first call, and a call from another loop (a
    second ``asyncio.run()``, another thread) raises ``EventLoopError`` at once. Pipelines requests carry
    ``X-Strict-Mode: 1``, so a message the API rejects raises ``BadRequestError`` instead of being dropped behind a
    200; ``pipelines_strict=False`` restores the API's permissive mode.
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
        transport: Transport | httpx.AsyncBaseTransport = "aiohttp",
        max_connections: int = 100,
        pipelines_strict: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> None:
        base_urls = {"track": track_base_url, "app": app_base_url, "pipelines": pipelines_base_url}
        check_arguments(
            "CustomerIO",
            base_urls=base_urls,
            limits=limits,
            retry=retry,
            timeout=timeout,
            max_connections=max_connections,
            pipelines_strict=pipelines_strict,
            env=env,
        )
        check_transport("CustomerIO", transport, ("aiohttp", "httpx"), httpx.AsyncBaseTransport)
        self._credentials = Credentials.from_env(
            env,
            site_id=site_id,
            track_api_key=track_api_key,
            app_api_key=app_api_key,
            cdp_api_key=cdp_api_key,
        )
        self._region_choice = resolve_region(region, env)
        self._region: str | None = None if self._region_choice == "auto" else self._region_choice
        self._region_lock: asyncio.Lock | None = None
        self._base_urls = base_urls
        self._limits = limits if limits is not None else Limits()
        self._retry = retry if retry is not None else RetryPolicy()
        self._timeout = timeout
        # A transport instance replaces the network under the retry/limit stack (tests, custom proxies).
        self._transport = transport
        self._max_connections = max_connections
        self._pipelines_strict = pipelines_strict
        self._closed = False
        # The client as a whole belongs to the loop of its first call, not each API's pool to its own: an App call
        # on one loop and a first Track call on another would give one client pools on two loops, and the mistake
        # would surface only later, on whichever API is used next. Views (with_options) share this guard.
        self._loop_guard = LoopGuard()
        # How error hints name the fix: this class's arguments, or the command line's flags (cli._common sets it).
        self._client_name = "CustomerIO"
        retry_policy = self._retry
        self.track = TrackAPI(
            ApiBinding("track", "aiocustomerio_track", "unix", lambda: self._open("track"), retry=retry_policy)
        )
        self.app = AppAPI(ApiBinding("app", "aiocustomerio_app", "unix", lambda: self._open("app"), retry=retry_policy))
        self.pipelines = PipelinesAPI(
            ApiBinding(
                "pipelines", "aiocustomerio_pipelines", "iso", lambda: self._open("pipelines"), retry=retry_policy
            )
        )

    def __repr__(self) -> str:
        region = self._region or self._region_choice
        transport = self._transport if isinstance(self._transport, str) else type(self._transport).__name__
        return f"<CustomerIO region={region!r} transport={transport!r}>"

    def _build(self, api: str, base_url: str) -> httpx.AsyncClient:
        return build_http_client(
            api,
            base_url=base_url,
            auth=auth_for(api, self._credentials),
            limiter=RateLimiter(api, self._limits, base_path=httpx.URL(base_url).path),
            retry=self._retry,
            timeout=self._timeout,
            transport=self._transport if isinstance(self._transport, str) else "aiohttp",
            inner=None if isinstance(self._transport, str) else self._transport,
            max_connections=self._max_connections,
            headers=STRICT_MODE_HEADERS if api == "pipelines" and self._pipelines_strict else None,
            client=self._client_name,
        )

    async def _open(self, api: str) -> httpx.AsyncClient:
        if self._closed:
            raise ClientClosedError(
                "this CustomerIO client is closed; create a new one (or keep one open for the app's life)"
            )
        self._loop_guard.check()
        base_url = self._base_urls[api]
        if base_url is None:
            base_url = HOSTS[api][await self.region()]
        return self._build(api, base_url.rstrip("/"))

    def require_credentials(self, api: str) -> None:
        """Raise ``MissingCredentialsError`` now if ``api`` lacks a credential (calls would raise it at first use)."""
        auth = auth_for(api, self._credentials)
        if isinstance(auth, _HeaderAuth):
            auth.require()

    async def region(self) -> str:
        """``"us"`` or ``"eu"``; with ``region="auto"``, asked once of Customer.io with the Track credentials."""
        if self._region is not None:
            return self._region
        if self._region_lock is None:
            self._region_lock = asyncio.Lock()
        async with self._region_lock:
            if self._region is None:
                check_region_credentials(self._credentials)
                base = self._base_urls["track"] or HOSTS["track"]["us"]
                async with self._build("track", base) as http:
                    self._region = region_of(await http.get(REGION_PATH))
        return self._region

    async def aclose(self) -> None:
        """Close every connection pool; in-flight calls on other tasks fail, later calls raise.

        Only the event loop that owns the pools can close them (EventLoopError elsewhere, with nothing closed).
        """
        for api in (self.track, self.app, self.pipelines):
            if isinstance(api.http, PooledClient):
                api.http.check_close()
        self._closed = True
        for api in (self.track, self.app, self.pipelines):
            if api.http is not None:
                http, api.http = api.http, None
                await http.aclose()

    async def __aenter__(self) -> CustomerIO:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def with_options(self, **options: Unpack[RequestOptions]) -> CustomerIO:
        """The same client with default per-call options, e.g. ``cio.with_options(timeout=5, max_retries=0)``.

        A view: it shares the connection pools, limits and credentials (closing either closes both); a per-call
        option still overrides the view's.
        """
        check_options("CustomerIO.with_options", options)
        view = copy.copy(self)
        view.track = self.track.with_options(**options)
        view.app = self.app.with_options(**options)
        view.pipelines = self.pipelines.with_options(**options)
        return view

    def apis(self) -> dict[str, Any]:
        return {"track": self.track, "app": self.app, "pipelines": self.pipelines}
