"""Shared helpers: a scripted inner transport that records the wire, and a recorded sleep."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from aiocustomerio._config import AppAuth, PipelinesAuth, TrackAuth
from aiocustomerio._http import build_http_client
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


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


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
    return build_http_client(
        api,
        base_url=base_url,
        auth=auth,
        limiter=RateLimiter(api, limits if limits is not None else Limits.disabled()),
        retry=retry if retry is not None else RetryPolicy(),
        timeout=5.0,
        inner=script.transport,
        sleep=sleep if sleep is not None else Sleeps(),
    )
