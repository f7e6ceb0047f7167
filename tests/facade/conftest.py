"""A CustomerIO client whose wire is an httpx.MockTransport that records every request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, RetryPolicy

SITE_ID, TRACK_KEY, APP_KEY, CDP_KEY = "site-123", "track-secret-abc", "app-secret-def", "cdp-secret-ghi"


@dataclass
class Wire:
    requests: list[httpx.Request] = field(default_factory=list)
    responder: Callable[[httpx.Request], httpx.Response] = lambda r: httpx.Response(200, json={})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responder(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def cio(wire: Wire) -> AsyncIterator[CustomerIO]:
    client = CustomerIO(
        site_id=SITE_ID,
        track_api_key=TRACK_KEY,
        app_api_key=APP_KEY,
        cdp_api_key=CDP_KEY,
        limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(wire.handler),
        env={},
    )
    async with client:
        yield client
