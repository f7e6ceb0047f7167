"""Shared helpers: a scripted inner transport that records the wire, a recorded sleep, and both stacks.

A test module marked ``pytestmark = pytest.mark.usefixtures("both_stacks")`` runs each of its tests twice: through
``httpx.AsyncClient`` + ``CustomerIOTransport`` and through ``httpx.Client`` + ``SyncCustomerIOTransport`` (behind an
adapter with the async client's methods), so the sync twin is held to the same wire tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from aiocustomerio._config import AppAuth, PipelinesAuth, TrackAuth
from aiocustomerio._http import build_http_client, build_sync_http_client
from aiocustomerio._limits import Limits, RateLimiter
from aiocustomerio._retry import RetryPolicy

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Sent:
    """One request as it reached the inner transport."""

    method: str
    url: str
    headers: httpx.Headers
    body: bytes


@dataclass
class Script:
    """Answers requests with the given steps in order (the last one repeats) and records every request."""

    steps: list[Step]
    sent: list[Sent] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(Sent(request.method, str(request.url), request.headers.copy(), request.read()))
        step = self.steps[min(len(self.sent), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            # A fresh Response per attempt: one already handed out has a consumed stream.
            return httpx.Response(step.status_code, headers=step.headers, content=step.content)
        return step(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


@dataclass
class Sleeps:
    """Stands in for asyncio.sleep: records the delays instead of waiting."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)

    def record(self, delay: float) -> None:
        """The sync transport's sleep."""
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


_STACK = {"kind": "async"}


@pytest.fixture(params=["async", "sync"])
def both_stacks(request: pytest.FixtureRequest) -> Iterator[str]:
    _STACK["kind"] = request.param
    yield str(request.param)
    _STACK["kind"] = "async"


class SyncAdapter:
    """An ``httpx.Client`` behind the async client's methods, so one test body drives either stack."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    async def __aenter__(self) -> SyncAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.client.close()

    def build_request(self, *args: Any, **kwargs: Any) -> httpx.Request:
        return self.client.build_request(*args, **kwargs)

    async def send(self, request: httpx.Request) -> httpx.Response:
        return self.client.send(request)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.put(url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.delete(url, **kwargs)


def make_client(
    script: Script,
    *,
    api: str = "app",
    base_url: str = "https://api.customer.io",
    auth: httpx.Auth | None = None,
    limits: Limits | None = None,
    retry: RetryPolicy | None = None,
    sleep: Sleeps | None = None,
) -> httpx.AsyncClient:
    if auth is None:
        auth = {"app": AppAuth("app-key"), "track": TrackAuth("site", "trk"), "pipelines": PipelinesAuth("cdp")}[api]
    sleep = sleep if sleep is not None else Sleeps()
    if _STACK["kind"] == "sync":
        return SyncAdapter(  # type: ignore[return-value]
            build_sync_http_client(
                api,
                base_url=base_url,
                auth=auth,
                limiter=None,  # the sync limiter (acquire_sync) is tested with it
                retry=retry if retry is not None else RetryPolicy(),
                timeout=5.0,
                inner=script.transport,
                sleep=sleep.record,
            )
        )
    return build_http_client(
        api,
        base_url=base_url,
        auth=auth,
        limiter=RateLimiter(api, limits if limits is not None else Limits.disabled()),
        retry=retry if retry is not None else RetryPolicy(),
        timeout=5.0,
        inner=script.transport,
        sleep=sleep,
    )
