"""A producer cancelled while it waits for room takes nothing with it: the others go on, and close() ends.

Task.cancel() cancels the future a waiting producer awaits at once, but the producer takes itself out of the FIFO only
when its task next runs. Room given back in between (a batch settling, another producer) used to set a result on that
cancelled future: InvalidStateError in whoever gave room back (other producers, or delivery itself, after which
close() hung). Reproduced with 64 producers calling put_many on a full queue while random ones were cancelled.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from aiocustomerio.ingest import Ingestor
from aiocustomerio.ingest._queue import Room
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory


async def test_room_given_back_past_a_cancelled_waiter_goes_to_the_next_one() -> None:
    room = Room(1)
    room.take(1)
    first = asyncio.ensure_future(room.acquire())
    second = asyncio.ensure_future(room.acquire())
    await asyncio.sleep(0)
    first.cancel()  # its future is cancelled now; its task has not run yet
    room.give_back(1)  # raised InvalidStateError
    await asyncio.wait_for(second, 5)
    with pytest.raises(asyncio.CancelledError):
        await first
    assert room.used == 1 and not room.waiting


async def test_failing_the_room_past_a_cancelled_waiter_fails_the_others() -> None:
    room = Room(1)
    room.take(1)
    first = asyncio.ensure_future(room.acquire())
    second = asyncio.ensure_future(room.acquire())
    await asyncio.sleep(0)
    first.cancel()
    room.fail(RuntimeError("closed"))  # raised InvalidStateError, leaving `second` waiting
    with pytest.raises(RuntimeError, match="closed"):
        await asyncio.wait_for(second, 5)


@pytest.mark.parametrize("spooled", [False, True])
async def test_cancelling_put_many_producers_at_random_touches_no_other_producer(
    server: BatchServer, client: ClientFactory, tmp_path: Path, spooled: bool
) -> None:
    ing = Ingestor(client(), max_queue=200, max_batch_items=50, spool=tmp_path / "spool.db" if spooled else None)
    await ing.start()
    rng = random.Random(7)
    numbers = iter(range(10**9))
    accepted: set[str] = set()
    errors: list[BaseException] = []

    async def producer() -> None:
        while True:
            ids = [f"e{next(numbers)}" for _ in range(rng.randint(1, 30))]
            items = [{"type": "person", "identifiers": {"id": f"u{rng.randint(0, 9)}"}, "action": "event", "name": "e",
                      "id": key} for key in ids]  # fmt: skip
            await ing.put_many(items)
            accepted.update(ids)

    async def watched(task: asyncio.Task[None]) -> None:
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                errors.append(asyncio.CancelledError())
        except Exception as exc:  # any of them is the failure
            errors.append(exc)

    tasks = [asyncio.ensure_future(producer()) for _ in range(32)]
    watchers = [asyncio.ensure_future(watched(task)) for task in tasks]
    for _ in range(300):
        await asyncio.sleep(rng.random() * 0.004)
        victim = tasks.pop(rng.randrange(len(tasks)))
        victim.cancel()
        tasks.append(asyncio.ensure_future(producer()))
        watchers.append(asyncio.ensure_future(watched(tasks[-1])))
    for task in tasks:
        task.cancel()
    await asyncio.wait_for(asyncio.gather(*watchers), 10)
    report = await asyncio.wait_for(ing.close(), 10)  # hung before the fix
    assert errors == []
    assert accepted <= server.ids and report.ok and report.delivered == report.accepted
