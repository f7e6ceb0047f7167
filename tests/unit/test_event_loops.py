"""One client per event loop: another loop or thread gets EventLoopError at once, never a hang.

Every test runs its calls under a deadline (futures with timeouts), so a regression fails instead of hanging the run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aiocustomerio import CustomerIO, CustomerIOError, Limits, RetryPolicy
from aiocustomerio.errors import EventLoopError

DEADLINE = 20.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: pooled connections stay open between calls

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _client(url: str, transport: str) -> CustomerIO:
    return CustomerIO(
        site_id="site",
        track_api_key="key",
        track_base_url=url,
        limits=Limits.disabled(),
        retry=RetryPolicy.disabled(),
        timeout=5.0,
        transport=transport,  # type: ignore[arg-type]
        env={},
    )


def _run_in_thread(coro_factory: object) -> concurrent.futures.Future[object]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(asyncio.run, coro_factory())  # type: ignore[operator]
    pool.shutdown(wait=False)
    return future


def test_reuse_across_asyncio_run_raises_at_once(server_url: str, transport: str) -> None:
    cio = _client(server_url, transport)
    asyncio.run(cio.track.identify("u1", {"plan": "pro"}))
    with pytest.raises(EventLoopError) as info:
        _run_in_thread(lambda: cio.track.identify("u2", {})).result(timeout=DEADLINE)
    err = info.value
    assert isinstance(err, CustomerIOError) and isinstance(err, RuntimeError)
    assert "one client per event loop" in str(err) and "has since closed" in str(err)
    assert "SyncCustomerIO" in str(err) and "lifespan" in str(err)
    # Closing from a new loop after the owner is gone does not raise: its sockets went with it.
    _run_in_thread(cio.aclose).result(timeout=DEADLINE)


def test_use_from_another_thread_while_the_owner_runs(server_url: str, transport: str) -> None:
    """The owner's loop keeps running in its thread; a second thread's loop gets the error, the owner goes on."""
    cio = _client(server_url, transport)
    loop = asyncio.new_event_loop()
    owner = threading.Thread(target=loop.run_forever, name="owner-loop", daemon=True)
    owner.start()
    try:
        first = asyncio.run_coroutine_threadsafe(cio.track.identify("u1", {}), loop)
        first.result(timeout=DEADLINE)
        with pytest.raises(EventLoopError, match="thread 'owner-loop'"):
            _run_in_thread(lambda: cio.track.identify("u2", {})).result(timeout=DEADLINE)
        # Closing from the wrong loop while the owner lives is refused too; the owner still works and closes.
        with pytest.raises(EventLoopError):
            _run_in_thread(cio.aclose).result(timeout=DEADLINE)
        asyncio.run_coroutine_threadsafe(cio.track.identify("u3", {}), loop).result(timeout=DEADLINE)
        asyncio.run_coroutine_threadsafe(cio.aclose(), loop).result(timeout=DEADLINE)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        owner.join(timeout=DEADLINE)
        loop.close()


def test_an_api_not_yet_used_is_refused_from_another_loop_too(server_url: str, transport: str) -> None:
    """The client belongs to one loop, not each API's pool to its own: after a Track call on the owner's loop, a
    first App (or Pipelines) call from another loop raises at once, before anything is sent, instead of opening that
    API's pool on the second loop (the error then came later, on whichever loop used the other API next)."""
    cio = CustomerIO(
        site_id="site",
        track_api_key="key",
        app_api_key="app-key",
        cdp_api_key="cdp-key",
        track_base_url=server_url,
        app_base_url=server_url,
        pipelines_base_url=server_url,
        limits=Limits.disabled(),
        retry=RetryPolicy.disabled(),
        timeout=5.0,
        transport=transport,  # type: ignore[arg-type]
        env={},
    )
    loop = asyncio.new_event_loop()
    owner = threading.Thread(target=loop.run_forever, name="owner-loop", daemon=True)
    owner.start()
    try:
        asyncio.run_coroutine_threadsafe(cio.track.identify("u1", {}), loop).result(timeout=DEADLINE)
        with pytest.raises(EventLoopError, match="thread 'owner-loop'"):
            _run_in_thread(lambda: cio.app.campaigns.list_campaigns()).result(timeout=DEADLINE)
        with pytest.raises(EventLoopError, match="thread 'owner-loop'"):
            _run_in_thread(lambda: cio.with_options(timeout=3).pipelines.track(user_id="u", event="e")).result(
                timeout=DEADLINE
            )
        assert cio.app.http is None and cio.pipelines.http is None  # no pool was opened on the other loop
        asyncio.run_coroutine_threadsafe(cio.aclose(), loop).result(timeout=DEADLINE)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        owner.join(timeout=DEADLINE)
        loop.close()


def test_many_threads_at_once_one_owner_the_rest_refused(server_url: str, transport: str) -> None:
    """Threads racing to make the first call: exactly one claims the client, every other one is refused."""
    cio = _client(server_url, transport)
    barrier = threading.Barrier(6)

    async def call(i: int) -> str:
        barrier.wait(timeout=DEADLINE)
        try:
            await cio.track.identify(f"u{i}", {})
        except EventLoopError:
            return "refused"
        await cio.aclose()  # the owner closes its own pools on its own loop
        return "ok"

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(asyncio.run, call(i)) for i in range(6)]
        outcomes = sorted(f.result(timeout=DEADLINE) for f in futures)
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 5


async def test_the_owning_loop_keeps_working(server_url: str, transport: str) -> None:
    async with _client(server_url, transport) as cio:
        for i in range(3):
            await cio.track.identify(f"u{i}", {})


def test_an_ingestor_from_another_loop_is_refused_at_start_not_at_its_first_batch(
    server_url: str, transport: str
) -> None:
    cio = _client(server_url, transport)
    asyncio.run(cio.track.identify("u1", {"plan": "pro"}))  # the pools now belong to that (closed) loop

    async def ingest() -> object:
        ing = cio.track.ingestor()
        with pytest.raises(EventLoopError, match="one client per event loop"):
            await ing.start()
        with pytest.raises(CustomerIOError, match="start the ingestor first"):
            ing.put_nowait({"type": "person", "identifiers": {"id": "u1"}, "action": "identify"})
        return ing.report.accepted

    assert asyncio.run(ingest()) == 0  # refused before anything was accepted
    _run_in_thread(cio.aclose).result(timeout=DEADLINE)
