from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.support.batch_server import BatchServer

ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def server() -> AsyncIterator[BatchServer]:
    srv = BatchServer()
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def client(server: BatchServer) -> AsyncIterator[ClientFactory]:
    """Plain httpx clients pointed at the local server, as the façade would hand them to an ingestor."""
    made: list[httpx.AsyncClient] = []

    def make(api: str = "track", auth: tuple[str, str] | None = None) -> httpx.AsyncClient:
        port = server.port
        if api == "track":
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=auth or ("site", "key"))
        else:
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1", auth=auth or ("cdp-key", ""))
        made.append(http)
        return http

    yield make
    for http in made:
        await http.aclose()
