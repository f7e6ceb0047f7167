"""Leaving `async with ingestor` by cancellation (an app shutting down, asyncio.timeout, a failing TaskGroup sibling)
stops at once: the cancellation goes on, nothing waits for a stalled API, and what is unsettled is kept.

Before, __aexit__ drained with no bound: `task.cancel(); await task` waited for as long as the API stalled.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aiocustomerio.ingest import Ingestor, TrackIngestor
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory


async def _cancel_inside(ing: TrackIngestor, server: BatchServer, ids: list[str]) -> None:
    async def worker() -> None:
        async with ing:
            for key in ids:
                await ing.event("u1", "viewed", id=key)
            await asyncio.sleep(100)

    task = asyncio.create_task(worker())
    for _ in range(1000):  # until the first batch is on the wire, held by the stalled server
        if server.requests:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    # A bound, so that the old behaviour fails here instead of hanging the suite.
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(task), 10)
    assert task.cancelled()


async def test_a_cancelled_block_stops_at_once_and_keeps_the_items_pending(
    server: BatchServer, client: ClientFactory
) -> None:
    server.stall()
    ing = Ingestor(client("track"), max_wait=0.0, max_batch_items=2)
    ids = [f"e{i}" for i in range(5)]
    await _cancel_inside(ing, server, ids)
    assert sorted(p["id"] for p in ing.report.pending) == ids
    assert ing.report.delivered == 0 and not ing.report.ok
    server.unstall()


async def test_a_cancelled_spooled_block_keeps_the_items_in_the_spool_for_the_next_run(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    server.stall()
    ing = Ingestor(client("track"), spool=spool, max_wait=0.0, max_batch_items=2)
    ids = [f"e{i}" for i in range(5)]
    await _cancel_inside(ing, server, ids)
    assert sorted(p["id"] for p in ing.report.pending) == ids and ing.report.spooled == 5
    server.unstall()
    async with Ingestor(client("track"), spool=spool) as second:
        pass
    assert second.report.recovered == 5 and second.report.ok
    assert server.ids >= set(ids)


async def test_an_ordinary_exception_still_delivers_what_was_put(server: BatchServer, client: ClientFactory) -> None:
    # Only a cancellation (or KeyboardInterrupt) cuts the drain short; a bug in the block must not lose events.
    ing = Ingestor(client("track"), max_wait=10.0)
    with pytest.raises(ZeroDivisionError):
        async with ing:
            await ing.event("u1", "viewed", id="e1")
            _ = 1 / 0
    assert server.ids == {"e1"} and ing.report.ok
