"""start() with a spool, raced: a start that is cancelled, or a close() while it opens the spool, never leaves the
spool locked or a dispatcher running after close."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiocustomerio.ingest import Ingestor, IngestorClosed, _spool
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory


class Gate:
    """Holds every spool open on its thread until released, and says when one is waiting there."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    real = _spool.Spool._open

    def slow_open(self: _spool.Spool, requeue: bool) -> tuple[int, int]:
        held.entered.set()
        assert held.release.wait(10)
        return real(self, requeue)

    monkeypatch.setattr(_spool.Spool, "_open", slow_open)
    yield held
    held.release.set()


async def entered(gate: Gate) -> None:
    assert await asyncio.to_thread(gate.entered.wait, 10)


async def opens_again(client: ClientFactory, spool: Path) -> None:
    """Another ingestor can take the spool (within a bounded time: the first lets go on the spool's thread)."""
    for _ in range(100):
        other = Ingestor(client(), spool=spool, max_wait=0.01)
        try:
            await other.start()
        except Exception:
            await asyncio.sleep(0.05)
            continue
        await other.put({"type": "person", "identifiers": {"id": "u1"}, "action": "identify"})
        report = await other.close()
        assert report.delivered == 1
        return
    raise AssertionError("the spool stayed locked")


async def test_a_start_cancelled_while_the_spool_opens_lets_go_of_the_spool(
    server: BatchServer, client: ClientFactory, tmp_path: Path, gate: Gate
) -> None:
    spool = tmp_path / "s.db"
    ing = Ingestor(client(), spool=spool)
    task = asyncio.create_task(ing.start())
    await entered(gate)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.release.set()
    await ing.close()
    await opens_again(client, spool)


async def test_close_while_start_opens_the_spool_waits_for_it_and_closes_it(
    server: BatchServer, client: ClientFactory, tmp_path: Path, gate: Gate
) -> None:
    spool = tmp_path / "s.db"
    ing = Ingestor(client(), spool=spool)
    starting = asyncio.create_task(ing.start())
    await entered(gate)
    closing = asyncio.create_task(ing.close())
    await asyncio.sleep(0.05)
    gate.release.set()
    await asyncio.wait_for(asyncio.gather(starting, closing, return_exceptions=True), 10)
    with pytest.raises(IngestorClosed):
        await ing.put({"type": "person", "identifiers": {"id": "u1"}, "action": "identify"})
    running = [t for t in asyncio.all_tasks() if "Sender.run" in repr(t.get_coro())]
    assert running == []  # no dispatcher outlives close()
    await opens_again(client, spool)
