"""Delivery under faults, permanent failures, back-pressure and shutdown."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable

import httpx
import pytest

from aiocustomerio.ingest import Ingestor, IngestorClosed, IngestReport, QueueFull
from tests.support.batch_server import BatchServer, Faults

ClientFactory = Callable[..., httpx.AsyncClient]


def raw_event(key: str) -> dict[str, object]:
    return {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": key}


FAST = {"backoff": (0.001, 0.01)}


def assert_adds_up(report: IngestReport) -> None:
    assert report.accepted == report.delivered + len(report.failed) + len(report.pending)


@pytest.mark.parametrize("api", ["track", "pipelines"])
async def test_every_id_arrives_under_heavy_injected_faults(
    server: BatchServer, client: ClientFactory, api: str
) -> None:
    server.faults = Faults(
        p_429=0.06,
        p_500=0.05,
        p_503=0.05,
        p_500_after_accept=0.05,
        p_reset_headers=0.05,
        p_reset_body=0.05,
        p_slow=0.1,
        slow_seconds=0.01,
        p_item_retriable=0.05,
    )
    assert server.faults.total >= 0.2
    errors: list[tuple[dict[str, object], str]] = []
    sent: set[str] = set()
    bad: set[str] = set()
    http = client(api)
    # The transport's own retries belong to the façade's client; this plain one has none, so the ingestor's
    # batch-level retries do all the work here.
    ing = Ingestor(
        http, api=api, max_batch_items=40, max_wait=0.01, on_error=lambda i, r: errors.append((i, r)), **FAST
    )
    async with ing:
        for i in range(3000):
            key = f"{api}-{i}"
            fault = {"_fault": "permanent"} if i % 97 == 0 else {}
            (bad if fault else sent).add(key)
            if api == "track":
                await ing.event("u1", "purchase", {"n": i, **fault}, id=key)
            else:
                await ing.track("u1", "purchase", {"n": i, **fault}, message_id=key)
    report = ing.report
    assert server.ids == sent
    assert max(server.received.values()) >= 1
    failed_ids = {str(item.get("id") or item.get("messageId")) for item, _ in report.failed}
    assert failed_ids == bad and len(report.failed) == len(bad)
    assert all(reason == "invalid: attributes: bad" for _, reason in report.failed)
    assert errors == report.failed
    assert report.delivered == len(sent) and not report.pending
    assert report.retried > 0 and server.resets > 0 and server.statuses[429] > 0
    assert_adds_up(report)


async def test_bad_request_batch_is_split_to_isolate_the_bad_item(server: BatchServer, client: ClientFactory) -> None:
    async with Ingestor(client(), max_wait=5.0, **FAST) as ing:
        for i in range(64):
            await ing.event("u1", "e", {"_fault": "bad_request"} if i == 41 else {}, id=f"b{i}")
    assert server.ids == {f"b{i}" for i in range(64) if i != 41}
    [(item, reason)] = ing.report.failed
    assert item["id"] == "b41" and reason.startswith("HTTP 400") and "injected bad request" in reason
    assert_adds_up(ing.report)


async def test_wrong_credentials_halt_and_keep_every_item(server: BatchServer, client: ClientFactory) -> None:
    async with Ingestor(client(auth=("site", "wrong")), **FAST) as ing:
        for i in range(5):
            await ing.event("u1", "e", id=f"w{i}")
    assert server.ids == set() and server.statuses[401] >= 1
    assert ing.report.failed == [] and ing.report.halted is not None and ing.report.halted.startswith("HTTP 401")
    assert [item["id"] for item in ing.report.pending] == [f"w{i}" for i in range(5)]
    assert ing.report.retried == 0
    assert_adds_up(ing.report)


class RaisingTransport(httpx.AsyncBaseTransport):
    """Stands in for the façade's client, which raises typed errors after its own retries."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return httpx.Response(200, json={})


class Unavailable(Exception):
    status = 503


class Forbidden(Exception):
    status = 403


class Invalid(Exception):
    status = 422


async def test_raised_errors_are_retried_failed_or_halt_by_their_status() -> None:
    transport = RaisingTransport([httpx.ConnectError("refused"), Unavailable("down"), Invalid("bad"), Forbidden("no")])
    http = httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=transport)
    async with http, Ingestor(http, max_batch_items=1, concurrency=1, **FAST) as ing:
        await ing.event("u1", "a", id="r1")
        await ing.flush()
        await ing.event("u1", "b", id="r2")
        await ing.flush()
    # r1: refused, then 503, then (its third attempt) a 422 fails it; r2 meets the 403, which halts delivery.
    assert transport.calls == 4
    [(item, reason)] = ing.report.failed
    assert item["id"] == "r1" and reason == "Invalid: bad"
    assert [p["id"] for p in ing.report.pending] == ["r2"] and str(ing.report.halted).startswith("Forbidden: no")
    assert ing.report.delivered == 0 and ing.report.retried == 2


async def test_put_blocks_when_full_and_memory_stays_bounded(server: BatchServer, client: ClientFactory) -> None:
    server.stall()
    server.record = False  # keep the in-process server's bookkeeping out of the measured memory
    bound = 200
    observed: list[int] = []
    tracemalloc.start()
    try:
        async with Ingestor(client(), max_queue=bound, max_batch_items=50, max_wait=0.0, concurrency=2) as ing:
            for i in range(bound):
                ing.put_nowait(raw_event(f"q{i}"))
            with pytest.raises(QueueFull, match="queue is full \\(200 items"):
                ing.put_nowait({"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n"})
            blocked = asyncio.ensure_future(ing.event("u1", "n", {"pad": "p" * 200}, id="late"))
            for _ in range(20):
                await asyncio.sleep(0)
            assert not blocked.done() and ing.qsize() == bound
            tracemalloc.reset_peak()

            async def producer() -> None:
                for i in range(10_000):
                    await ing.event("u1", "n", {"pad": "p" * 200}, id=f"p{i}")
                    observed.append(ing.qsize())

            produce = asyncio.ensure_future(producer())
            for _ in range(50):
                await asyncio.sleep(0)
            assert not produce.done() and observed == []  # still stalled: nothing got in
            server.unstall()
            await produce
            await blocked
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert max(observed) <= bound
    assert ing.report.delivered == bound + 10_001
    # 10,000 events of ~300 bytes would take ~5 MB if buffered; the bound keeps the working set well below that.
    assert peak < 1_500_000
    assert_adds_up(ing.report)


async def test_close_deadline_returns_pending_items_instead_of_dropping_them(
    server: BatchServer, client: ClientFactory
) -> None:
    server.stall()
    ing = Ingestor(client(), max_batch_items=10, concurrency=1)
    await ing.start()
    for i in range(25):
        await ing.event("u1", "e", id=f"d{i}")
    report = await ing.close(timeout=0.2)
    assert report.delivered == 0 and not report.failed
    assert sorted(item["id"] for item in report.pending) == sorted(f"d{i}" for i in range(25))
    assert_adds_up(report)
    with pytest.raises(IngestorClosed):
        await ing.event("u1", "e")
    assert await ing.close() is report


async def test_a_local_error_halts_instead_of_retrying_forever() -> None:
    # e.g. the façade's auth finding no credentials: not the network, not the API, so a retry cannot help, and
    # every later batch would meet it too. The items are kept, not failed.
    transport = RaisingTransport([ValueError("missing credentials for the track API")])
    http = httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=transport)
    async with http, Ingestor(http, **FAST) as ing:
        await ing.event("u1", "a", id="x1")
    assert transport.calls == 1
    assert ing.report.halted == "ValueError: missing credentials for the track API"
    assert [p["id"] for p in ing.report.pending] == ["x1"] and ing.report.failed == [] and ing.report.retried == 0


async def test_through_the_facade_stack_with_its_own_retries(server: BatchServer) -> None:
    from aiocustomerio import CustomerIO
    from aiocustomerio._limits import Limits
    from aiocustomerio._retry import RetryPolicy

    server.faults = Faults(p_503=0.2, p_reset_headers=0.1, p_429=0.1)
    base = f"http://127.0.0.1:{server.port}"
    cio = CustomerIO(
        site_id="site",
        track_api_key="key",
        track_base_url=base,
        limits=Limits(enabled=False),
        retry=RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.01),
    )
    async with cio, Ingestor(cio.track.connect, max_batch_items=20, max_wait=0.01, **FAST) as ing:
        for i in range(400):
            await ing.event("u1", "e", {"_fault": "permanent"} if i == 7 else {}, id=f"fa{i}")
    assert server.ids == {f"fa{i}" for i in range(400) if i != 7}
    assert [item["id"] for item, _ in ing.report.failed] == ["fa7"]
    assert_adds_up(ing.report)
