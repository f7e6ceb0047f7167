"""Cancelled calls give their connections back: a pool of 4 survives 4 calls cancelled mid-request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, RetryPolicy

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class StallingServer:
    """Answers nothing until ``release`` is set, then ``200 {}`` to every request (keep-alive)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = 0
        self.arrived = asyncio.Condition()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                async with self.arrived:
                    self.waiting += 1
                    self.arrived.notify_all()
                await self.release.wait()
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def stalling() -> AsyncIterator[tuple[StallingServer, str]]:
    state = StallingServer()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield state, f"http://127.0.0.1:{port}"
        state.release.set()


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_cancelled_calls_release_their_connections(stalling: tuple[StallingServer, str], transport: str) -> None:
    state, url = stalling
    async with CustomerIO(
        site_id="s",
        track_api_key="k",
        track_base_url=url,
        limits=Limits.disabled(),
        retry=RetryPolicy.disabled(),
        timeout=httpx.Timeout(10.0, pool=2.0),
        max_connections=4,
        transport=transport,  # type: ignore[arg-type]
        env={},
    ) as cio:
        calls = [asyncio.create_task(cio.track.identify(f"u{i}", {"plan": "pro"})) for i in range(4)]
        async with state.arrived:
            await asyncio.wait_for(state.arrived.wait_for(lambda: state.waiting >= 4), 5)
        for call in calls:
            call.cancel()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        state.release.set()
        # With the 4 connections still held, these would wait for the pool and time out after 2 s.
        await asyncio.wait_for(asyncio.gather(*(cio.track.identify(f"v{i}") for i in range(8))), 10)
