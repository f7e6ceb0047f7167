"""A CustomerIO client whose wire is an httpx.MockTransport that records every request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, RetryPolicy, SyncCustomerIO
from tests.support.sync_view import KIND, AwaitView, parametrize_clients

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "generated_names: calls generated operations by name (the rename test deselects these)"
    )
    config.addinivalue_line("markers", "async_only: runs against CustomerIO only (see parametrize_clients)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every test of the façade runs against both clients, unless it is about asyncio itself (async_only).
    parametrize_clients(metafunc, frozenset({"cio", "_client"}))


@pytest.fixture
def client_kind() -> str:
    return "async"  # overridden by the parametrization above


@pytest.fixture(autouse=True)
def _use_client_kind(client_kind: str) -> Iterator[None]:
    KIND["current"] = client_kind
    yield
    KIND["current"] = "async"


@pytest.fixture
async def cio(wire: Wire, client_kind: str) -> AsyncIterator[CustomerIO]:
    options: dict[str, Any] = dict(
        site_id=SITE_ID,
        track_api_key=TRACK_KEY,
        app_api_key=APP_KEY,
        cdp_api_key=CDP_KEY,
        limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(wire.handler),
        env={},
    )
    if client_kind == "sync":
        # The same test body drives SyncCustomerIO: `await` and `async for` are answered from a worker thread.
        sync = SyncCustomerIO(**options)
        yield AwaitView(sync)  # type: ignore[misc]
        sync.close()
        return
    async with CustomerIO(**options) as client:
        yield client
