"""A spool has one writer; cancelled producers, failing commits and concurrent starts lose nothing and hang nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from aiocustomerio.ingest import (
    Ingestor,
    IngestorClosed,
    SpoolLocked,
    SpoolWriteError,
    _spool,
    _store,
    _writer,
    inspect_spool,
)
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory

ROOT = Path(__file__).resolve().parents[2]


def raw_event(key: str, pad: str = "") -> dict[str, object]:
    item: dict[str, object] = {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "e", "id": key}
    if pad:
        item["attributes"] = {"pad": pad}
    return item


HOLDER = textwrap.dedent(
    """
    import asyncio, sys, httpx
    from aiocustomerio.ingest import Ingestor, SpoolLocked

    async def main(port, spool, count):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=("site", "key")) as http:
            try:
                ing = Ingestor(http, spool=spool, max_wait=0.01)
                await ing.start()
            except SpoolLocked as exc:
                print("locked:", exc, flush=True)
                return
            print("open", flush=True)
            for i in range(count):
                await ing.event("u", "e", id=f"{sys.argv[4]}{i}")
            print("queued", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            report = await ing.close()
            print("done", report.summary(), flush=True)

    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
    """
)


async def spawn(script: Path, server: BatchServer, spool: Path, count: int, prefix: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        str(server.port),
        str(spool),
        str(count),
        prefix,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}"},
    )


async def line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()


async def test_a_second_process_on_the_same_spool_is_refused_naming_the_holder(
    server: BatchServer, tmp_path: Path
) -> None:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    spool = tmp_path / "spool.db"
    server.stall()  # the first run's items stay in the spool while the second one tries
    first = await spawn(script, server, spool, 500, "a")
    assert await line(first) == "open"
    assert await line(first) == "queued"
    second = await spawn(script, server, spool, 500, "b")
    refused = await line(second)
    await second.wait()
    assert refused.startswith(f"locked: spool '{spool}' is in use by another ingestor (pid {first.pid} on ")
    assert inspect_spool(spool).holder is not None and inspect_spool(spool).pending == 500

    # The kernel drops the lock of a killed holder: the next run takes over its 500 items and adds its own.
    first.send_signal(signal.SIGKILL)
    await first.wait()
    server.unstall()
    third = await spawn(script, server, spool, 500, "c")
    assert await line(third) == "open"
    assert await line(third) == "queued"
    assert third.stdin is not None
    third.stdin.write(b"\n")
    done = await line(third)
    await third.wait()
    assert "failed=0 pending=0" in done, done
    assert server.ids == {f"a{i}" for i in range(500)} | {f"c{i}" for i in range(500)}
    assert inspect_spool(spool).pending == 0 and inspect_spool(spool).holder is None


async def test_the_same_spool_twice_in_one_process_is_refused(client: ClientFactory, tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool):
        with pytest.raises(SpoolLocked, match=rf"pid {os.getpid()} on "):
            await Ingestor(client(), spool=spool).start()
    async with Ingestor(client(), spool=spool):  # released by close()
        pass


async def test_cancelling_a_producer_awaiting_the_commit_affects_only_that_producer(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool, max_wait=0.0) as ing:
        # put_many waits for its group commit (a single put is journaled and needs none: test_ingest_journal).
        producers = [asyncio.ensure_future(ing.put_many([raw_event(f"c{i}")])) for i in range(20)]
        await asyncio.sleep(0)  # all staged, waiting on the one shared group commit
        producers[3].cancel()
        results = await asyncio.gather(*producers, return_exceptions=True)
        assert isinstance(results[3], asyncio.CancelledError)
        assert all(r is None for i, r in enumerate(results) if i != 3)  # the others were not cancelled
        await ing.event("u", "e", id="after")  # the commit loop survived
    report = await asyncio.wait_for(ing.close(), 10)  # and close() does not hang
    # The cancelled producer's item was staged, so it was committed and accepted: all or nothing, never half.
    assert report.accepted == report.delivered == 21 and report.ok
    assert server.ids == {f"c{i}" for i in range(20)} | {"after"}


async def test_producers_awaiting_a_commit_whose_task_is_cancelled_do_not_hang(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    # The commit loop is only cancelled when the event loop shuts down; its waiting producers must then end too.
    ing = Ingestor(client(), spool=tmp_path / "spool.db")
    await ing.start()
    producers = [asyncio.ensure_future(ing.put_many([raw_event(f"k{i}")])) for i in range(3)]
    await asyncio.sleep(0)  # staged, the commit loop started
    assert ing._spool is not None and ing._spool._writer._task is not None
    ing._spool._writer._task.cancel()
    results = await asyncio.wait_for(asyncio.gather(*producers, return_exceptions=True), 10)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    # Not accepted, so close() does not wait for them; a later put still gets its own commit.
    await asyncio.wait_for(ing.event("u", "e", id="later"), 10)
    report = await asyncio.wait_for(ing.close(), 10)
    assert report.accepted == report.delivered == 1 and report.ok
    assert server.ids == {"later"}


async def test_a_producer_cancelled_right_after_it_was_given_room_does_not_block_the_next() -> None:
    from aiocustomerio.ingest._queue import Room

    room = Room(1)
    room.take(1)
    first = asyncio.ensure_future(room.acquire())
    second = asyncio.ensure_future(room.acquire())
    await asyncio.sleep(0)
    room.give_back(1)  # room for one: given to `first`...
    first.cancel()  # ...which is cancelled before it could run and take it
    await asyncio.wait_for(second, 5)  # blocked forever before the fix
    assert first.cancelled() and room.used == 1  # `second` holds the one place


async def test_a_producer_arriving_while_room_is_held_for_woken_waiters_is_let_in_at_once() -> None:
    from aiocustomerio.ingest._queue import Room

    room = Room(10)
    room.take(10)
    woken = [asyncio.ensure_future(room.acquire()) for _ in range(3)]
    await asyncio.sleep(0)

    async def give_back_and_put_again() -> None:
        room.give_back(5)  # room for five: three go to the waiters, which have not run yet...
        await room.acquire()  # ...and a producer arrives in the same step

    late = asyncio.ensure_future(give_back_and_put_again())
    for _ in range(3):
        await asyncio.sleep(0)
    assert late.done()  # it used to sleep until the next give_back, with the room unused
    await asyncio.gather(*woken)
    assert room.used == 9 and not room.waiting
    await asyncio.wait_for(room.acquire(), 5)  # the last place
    full = asyncio.ensure_future(room.acquire())
    await asyncio.sleep(0)
    assert not full.done() and room.used == 10  # no room: it waits, holding nothing
    room.give_back(1)
    await asyncio.wait_for(full, 5)
    assert room.used == 10


async def test_many_producers_on_a_full_queue_keep_batches_full() -> None:
    # 50 producers on a queue of 1,000 with 250-item batches: each settled batch must let 250 more items in, not one
    # per waiting producer (then the open batches went out with about 50 items each).
    sizes: list[int] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        sizes.append(len(json.loads(request.content)["batch"]))
        await asyncio.sleep(0.001)
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(answer))
    async with http, Ingestor(http, max_queue=1000, max_batch_items=250, concurrency=1, max_wait=3600) as ing:

        async def produce(p: int) -> None:
            for i in range(100):
                await ing.event(f"user_{p}_{i}", "e")

        await asyncio.wait_for(asyncio.gather(*(produce(p) for p in range(50))), 60)
    assert sum(sizes) == 5000 and ing.report.ok
    assert len(sizes) <= 40, sizes  # 20 full batches, plus some cut early while producers waited


async def test_concurrent_starts_make_one_dispatcher(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    server.stall()
    first = Ingestor(client(), spool=spool)
    await first.start()
    for i in range(100):
        await first.event("u", "e", id=f"s{i}")
    await first.close(timeout=0.05)
    await server.close()
    server.unstall()
    await server.start(port=server.port)
    server.received.clear()  # the stalled request of the first run was read when the server closed

    second = Ingestor(client(), spool=spool, max_batch_items=10)
    await asyncio.gather(*(second.start() for _ in range(5)))
    report = await second.close()
    assert report.recovered == 100 and report.delivered == 100
    assert sum(server.received.values()) == 100  # each leftover sent once: one dispatcher, one recovery


async def test_a_commit_that_fails_briefly_is_retried(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = iter([sqlite3.OperationalError("disk I/O error")] * 2)
    real = _writer.Writer._write

    def flaky(self: _writer.Writer, *args: object) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_writer.Writer, "_write", flaky)
    monkeypatch.setattr(_writer, "COMMIT_RETRY_DELAYS", (0.01, 0.01, 0.01))
    async with Ingestor(client(), spool=tmp_path / "spool.db") as ing:
        await ing.event("u", "e", id="f1")
    assert ing.report.ok and server.ids == {"f1"}


async def test_a_commit_that_keeps_failing_is_surfaced(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.db"
    server.stall()
    ing = Ingestor(client(), spool=spool, max_wait=0.0)
    await ing.start()
    await ing.put_many([raw_event("ok1")])  # committed

    def broken(self: _writer.Writer, *args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(_writer.Writer, "_write", broken)
    monkeypatch.setattr(_writer, "COMMIT_RETRY_DELAYS", (0.01, 0.01))
    await ing.event("u", "e", id="kept1")  # journaled: durable and accepted; its commit is what fails
    with pytest.raises(SpoolWriteError, match=r"could not be written after 3 attempts.*disk is full"):
        await ing.put_many([raw_event("lost1")])
    with pytest.raises(SpoolWriteError):
        await ing.event("u", "e", id="lost2")
    server.unstall()
    monkeypatch.undo()
    report = await asyncio.wait_for(ing.close(timeout=5), 10)
    assert report.accepted == 2 and report.delivered == 1  # the refused items were never accepted
    assert not report.ok and len(report.errors) == 1
    assert "Not in the spool: 1 items offered after its last good commit" in report.errors[0]
    assert "In its journal: 1 items accepted since" in report.errors[0]
    assert "error: spool" in report.summary()
    assert server.ids == {"ok1"}
    async with Ingestor(client(), spool=spool) as again:  # the journaled item is delivered by the next run
        pass
    # ok1 once more too: its delivery could not be recorded in the broken spool (dedup ids make that harmless).
    assert again.report.recovered == 2 and again.report.ok and server.ids == {"ok1", "kept1"}


async def test_a_recovery_error_makes_the_report_not_ok(
    client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.db"
    first = Ingestor(
        httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(_stall)), spool=spool
    )
    await first.start()
    await first.event("u", "e", id="left")
    await first.close(timeout=0.05)

    def damaged(self: _spool.Spool, picked: object) -> object:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(_spool.Spool, "_read", damaged)
    async with Ingestor(client(), spool=spool) as second:
        pass
    assert not second.report.ok
    assert second.report.errors and "database disk image is malformed" in second.report.errors[0]
    assert second.report.spooled == 1  # still there for a later run


async def _stall(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")


async def test_put_after_close_raises(client: ClientFactory) -> None:
    ing = Ingestor(client())
    await ing.start()
    await ing.close()
    with pytest.raises(IngestorClosed):
        await ing.event("u", "e")


def _size(path: str) -> int:
    return os.stat(path).st_size


async def test_the_wal_is_checkpointed_while_items_keep_coming(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's automatic checkpoints are off (a commit may run on the event loop): the spool runs its own, on its
    # thread. Without them the WAL of these 1,600 commits would grow to ~8 MB. With them it stays within what is
    # committed during one checkpoint cycle (its passes run beside the commits and take a few fsyncs): about 1 MB
    # here, and whatever the number of commits.
    monkeypatch.setattr(_writer, "CHECKPOINT_BYTES", 64 * 1024)
    spool = tmp_path / "spool.db"
    server.stall()  # nothing is settled: only checkpoints can keep the WAL small
    ing = Ingestor(client(), spool=spool)
    await ing.start()
    wal = f"{spool}-wal"
    largest = 0
    for i in range(1600):
        await ing.put_many([raw_event(f"w{i}", "x" * 200)])  # one commit each
        largest = max(largest, _size(wal))
    assert largest < 3 * 1024 * 1024, largest
    assert inspect_spool(spool).pending == 1600  # and every item is in the spool, readable by another connection
    server.unstall()
    report = await asyncio.wait_for(ing.close(), 30)
    assert report.ok and report.delivered == 1600


async def test_a_large_group_is_stored_as_bounded_chunks_and_recovered_whole(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_store, "CHUNK_ROWS", 100)
    spool = tmp_path / "spool.db"
    server.stall()
    first = Ingestor(client(), spool=spool, max_queue=1000)
    await first.start()
    for i in range(450):
        first.put_nowait(
            {"type": "person", "identifiers": {"id": f"u{i % 7}"}, "action": "event", "name": "n", "id": f"b{i}"}
        )
    await first.put_many([raw_event("b450")])  # committed, and so is everything staged before it
    with sqlite3.connect(spool) as conn:
        counts = [count for (count,) in conn.execute("SELECT count FROM chunks ORDER BY first")]
    assert sum(counts) == 451 and max(counts) <= 100 and len(counts) >= 5
    await first.close(timeout=0.05)
    await server.close()
    server.unstall()
    await server.start(port=server.port)
    server.received.clear()

    async with Ingestor(client(), spool=spool) as second:
        pass
    assert second.report.recovered == 451 and second.report.delivered == 451 and second.report.ok
    assert server.ids == {f"b{i}" for i in range(451)}
    assert inspect_spool(spool).pending == 0
