"""Sync tests have no event loop of their own: the batch fault server runs on a loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.batch_server import BatchServer

T = TypeVar("T")


class ThreadedServer:
    """A BatchServer on its own loop thread; ``call`` runs a function on that loop (its state is not thread-safe)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-batch-server", daemon=True)
        self.thread.start()
        self.server = BatchServer()
        self.port = asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)

    def call(self, fn: Callable[[], T]) -> T:
        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    @property
    def ids(self) -> set[str]:
        return self.call(lambda: set(self.server.received))

    def stall(self) -> None:
        self.call(self.server.stall)

    def unstall(self) -> None:
        self.call(self.server.unstall)

    def url(self, api: str = "track") -> str:
        return f"http://127.0.0.1:{self.port}" + ("/v1" if api == "pipelines" else "")

    def http(self, api: str = "track", auth: tuple[str, str] | None = None) -> Callable[[], httpx.AsyncClient]:
        """What a sync ingestor is given: a factory, called on its private loop."""
        default = ("site", "key") if api == "track" else ("cdp-key", "")
        return lambda: httpx.AsyncClient(base_url=self.url(api), auth=auth or default)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer()
    yield srv
    srv.close()


def event(key: str, **attributes: Any) -> dict[str, Any]:
    """A raw Track v2 event entity with dedup id ``key``."""
    return {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": key, **attributes}
