"""The spool's put journal: a single-item put is durable when it returns, without waiting for a group commit."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest

from aiocustomerio.ingest import Ingestor, SpoolWriteError, _journal, _writer, inspect_spool, requeue_dead_letters
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory
from .test_ingest_spool_safety import spawn

# Puts N events on a spooled ingestor whose group commits never start (a linger of an hour, a huge threshold): what
# it puts is in the journal only, then it waits to be killed.
JOURNALER = textwrap.dedent(
    """
    import asyncio, sys, httpx
    from aiocustomerio.ingest import Ingestor, _writer

    _writer.JOURNAL_LINGER = 3600.0
    _writer.JOURNAL_COMMIT_BYTES = 1 << 40

    async def main(port, spool, count, prefix):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=("site", "key")) as http:
            ing = Ingestor(http, spool=spool, max_wait=0.01)
            await ing.start()
            for i in range(count):
                await ing.event("u" + str(i % 7), "e", {"i": i}, id=f"{prefix}{i}")
            print("queued", ing.report.accepted, flush=True)
            await asyncio.sleep(3600)

    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    """
)


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def _size(name: str) -> int:
    return os.stat(name).st_size


def _read(name: str) -> bytes:
    with open(name, "rb") as file:
        return file.read()


def _write_at(name: str, offset: int, data: bytes) -> None:
    with open(name, "r+b") as file:
        file.seek(offset)
        file.write(data)


def _start_a_frame(spool: Path, seq: int) -> tuple[str, int]:
    """After the active journal file's whole frames, a frame begun and not finished: its header, and 10 of its 100
    bytes. Returns the file and where the frame starts."""
    active = _journal.journal_files(str(spool))[0]
    data = _read(active)
    gen = int.from_bytes(data[_journal.HEADER - 8 : _journal.HEADER], "little")
    end = _journal.HEADER + sum(_journal.FRAME.size + len(row[1]) for row in _journal._parse(active, data, gen))
    _write_at(active, end, _journal.FRAME.pack(seq, 0, 100, gen, 12345) + b'{"type":"p')
    return active, end


async def _journal_then_kill(tmp_path: Path, server: BatchServer, spool: Path, count: int, prefix: str) -> None:
    script = tmp_path / "journaler.py"
    script.write_text(JOURNALER)
    process = await spawn(script, server, spool, count, prefix)
    assert process.stdout is not None
    try:
        said = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        assert said == f"queued {count}", said
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()


async def test_events_whose_put_returned_survive_a_sigkill_before_any_group_commit(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    await _journal_then_kill(tmp_path, server, spool, 3000, "k")
    assert server.ids == set()  # nothing was committed, so nothing was handed to delivery
    with sqlite3.connect(spool) as conn:
        assert conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 0  # in the journal only
    state = inspect_spool(spool)  # read-only, without the lock: the journal's items count as pending
    assert state.pending == 3000 and state.holder is None
    async with Ingestor(client(), spool=spool, max_wait=0.01) as ing:
        pass
    assert ing.report.recovered == 3000 and ing.report.delivered == 3000, ing.report.summary()
    assert server.ids == {f"k{i}" for i in range(3000)}
    # One person's events in the order they were put (the journal keeps seq order).
    sent = [key for key in server.received if int(key[1:]) % 7 == 3]  # first seen first
    assert sent == [f"k{i}" for i in range(3000) if i % 7 == 3]
    assert inspect_spool(spool).pending == 0
    assert not set(_journal.journal_files(str(spool))) & {str(p) for p in _files(tmp_path)}  # one file at rest


async def test_a_put_on_a_spooled_ingestor_returns_without_suspending(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    """Durable at once (journaled): the coroutine finishes on its first step, no task switch per event."""
    async with Ingestor(client(), spool=tmp_path / "spool.db", max_wait=0.01) as ing:

        def entity(id: str) -> dict[str, Any]:
            return {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "e", "id": id}

        for call in (ing.event("u", "e", id="s1"), ing.put(entity("s2"))):
            with pytest.raises(StopIteration):
                call.send(None)
        ing.put_nowait(entity("s3"))  # staged for the next group commit (it cannot give the loop a turn)
        assert ing.report.accepted == 2
        await ing.flush()
        assert ing.report.accepted == 3
    assert server.ids == {"s1", "s2", "s3"}


async def test_a_journal_cut_short_keeps_every_whole_item_and_reports_the_rest(
    server: BatchServer, client: ClientFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "spool.db"
    await _journal_then_kill(tmp_path, server, spool, 500, "t")
    # What a kill in the middle of copying the 501st item leaves: its frame's header, and 10 of its 100 bytes.
    _start_a_frame(spool, 501)
    with caplog.at_level(logging.WARNING, logger="aiocustomerio.ingest"):
        async with Ingestor(client(), spool=spool, max_wait=0.01) as ing:
            pass
    assert ing.report.delivered == 500 and server.ids == {f"t{i}" for i in range(500)}
    assert any("ends with an item cut short" in r.getMessage() for r in caplog.records)


async def test_a_journal_of_another_spool_is_not_replayed_into_a_new_one(
    server: BatchServer, client: ClientFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "spool.db"
    await _journal_then_kill(tmp_path, server, spool, 200, "o")
    for name in (spool, Path(f"{spool}-wal"), Path(f"{spool}-shm")):
        name.unlink(missing_ok=True)  # the operator threw the database away, not its journal
    with caplog.at_level(logging.WARNING, logger="aiocustomerio.ingest"):
        async with Ingestor(client(), spool=spool, max_wait=0.01) as ing:
            await ing.event("u", "e", id="new")
    assert server.ids == {"new"} and ing.report.recovered == 0
    kept = [p.name for p in _files(tmp_path) if ".orphaned-" in p.name]
    assert kept and kept[0].startswith("spool.db-j0.orphaned-")  # renamed aside, not deleted
    assert any("is not this spool's" in r.getMessage() for r in caplog.records)


async def test_a_journal_that_cannot_grow_refuses_that_item_only_and_stays_readable(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.db"
    real_fallocate = os.posix_fallocate
    monkeypatch.setattr(_journal, "JOURNAL_FILE_BYTES", 4096)  # a few items fill a file: it has to grow
    monkeypatch.setattr(_writer, "JOURNAL_LINGER", 3600.0)  # nothing committed: the journal alone is checked
    monkeypatch.setattr(_writer, "JOURNAL_COMMIT_BYTES", 1 << 40)
    ing = Ingestor(client(), spool=spool, max_wait=0.01)
    await ing.start()
    try:
        accepted = 0
        while ing.report.accepted < 10:  # up to the file's first size
            await ing.event("u", "e", {"pad": "x" * 200}, id=f"a{accepted}")
            accepted += 1

        def full(fd: int, offset: int, length: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(_journal.os, "posix_fallocate", full)
        refused = 0
        with pytest.raises(SpoolWriteError, match=r"could not grow to 8,192 bytes.*No space left"):
            for _ in range(20):
                await ing.event("u", "e", {"pad": "x" * 200}, id=f"r{refused}")
                accepted += 1
        monkeypatch.setattr(_journal.os, "posix_fallocate", real_fallocate)
        await ing.event("u", "e", {"pad": "x" * 200}, id="after")  # the disk has room again
        assert ing.report.accepted == accepted + 1
        ident = bytes.fromhex(ing._spool.meta[_journal.META_KEY])  # type: ignore[union-attr]
        rows = _journal.pending_rows(str(spool), ident, 0)
        assert [row[0] for row in rows] == list(
            range(1, accepted + 2)
        )  # every accepted item, a refused one takes no seq
    finally:
        await ing.close()
    assert len(server.ids) == accepted + 1 and "after" in server.ids


async def test_journaled_items_are_kept_when_the_spool_cannot_be_written_and_the_next_run_delivers_them(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.db"

    def broken(self: _writer.Writer, *args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(_writer.Writer, "_write", broken)
        patch.setattr(_writer, "COMMIT_RETRY_DELAYS", (0.01, 0.01))
        ing = Ingestor(client(), spool=spool, max_wait=0.01)
        await ing.start()
        for i in range(50):
            await ing.event("u", "e", id=f"j{i}")
        report = await ing.close()
    assert report.delivered == 0 and report.spooled == 50
    assert any("In its journal: 50 items accepted since" in e for e in report.errors), report.errors
    assert any("Not in the spool: 0 items" in e for e in report.errors), report.errors
    async with Ingestor(client(), spool=spool, max_wait=0.01) as again:
        pass
    assert again.report.recovered == 50 and server.ids == {f"j{i}" for i in range(50)}


async def test_inspecting_beside_a_live_ingestor_does_not_warn_about_the_item_it_is_copying(
    server: BatchServer,
    client: ClientFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # inspect_spool reads the journal without the lock, while the ingestor holding it may be copying an item into
    # it: a frame in progress is not a torn one (only the owner's recovery, after a kill, says "cut short").
    monkeypatch.setattr(_writer, "JOURNAL_LINGER", 3600.0)  # what is put stays in the journal
    monkeypatch.setattr(_writer, "JOURNAL_COMMIT_BYTES", 1 << 40)
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool, max_wait=0.01) as ing:
        for i in range(20):
            await ing.event("u", "e", {"i": i}, id=f"l{i}")
        active, end = _start_a_frame(spool, 21)  # what a reader sees mid-copy of the 21st item
        with caplog.at_level(logging.WARNING, logger="aiocustomerio.ingest"):
            state = inspect_spool(spool)
        assert state.pending == 20 and state.holder is not None
        assert not [r.getMessage() for r in caplog.records if "cut short" in r.getMessage()]
        _write_at(active, end, bytes(_journal.FRAME.size + 10))  # the copy "finished" as nothing: the end again
    assert ing.report.delivered == 20 and server.ids == {f"l{i}" for i in range(20)}


async def test_the_operator_tools_see_what_a_killed_run_journaled(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    await _journal_then_kill(tmp_path, server, spool, 100, "r")
    assert requeue_dead_letters(spool) == 0  # under the lock: takes the journal into the chunks first
    with sqlite3.connect(spool) as conn:
        assert conn.execute("SELECT SUM(count) FROM chunks").fetchone()[0] == 100
    assert inspect_spool(spool).pending == 100
    assert "journal" not in inspect_spool(spool).checkpoints


async def test_without_fallocate_the_journal_writes_its_zeros_itself(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS has no posix_fallocate (and some file systems refuse it): the blocks are allocated by writing zeros."""
    monkeypatch.delattr(_journal.os, "posix_fallocate", raising=False)
    monkeypatch.setattr(_journal, "JOURNAL_FILE_BYTES", 4096)  # so that it grows, too
    monkeypatch.setattr(_writer, "JOURNAL_LINGER", 3600.0)
    monkeypatch.setattr(_writer, "JOURNAL_COMMIT_BYTES", 1 << 40)
    spool = tmp_path / "spool.db"
    ing = Ingestor(client(), spool=spool, max_wait=0.01)
    await ing.start()
    try:
        for i in range(100):
            await ing.event("u", "e", {"pad": "x" * 200}, id=f"z{i}")
        ident = bytes.fromhex(ing._spool.meta[_journal.META_KEY])  # type: ignore[union-attr]
        assert [row[0] for row in _journal.pending_rows(str(spool), ident, 0)] == list(range(1, 101))
        assert _size(_journal.journal_files(str(spool))[0]) >= 100 * 250  # grown, by written zeros
    finally:
        await ing.close()
    assert server.ids == {f"z{i}" for i in range(100)}


def _resident_kb(name: str) -> int:
    """This process's resident KB of its mappings of file `name` (Linux's /proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if fields and "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                inside = fields[-1] == name
            elif inside and fields[:1] == ["Rss:"]:
                total += int(fields[1])
    return total


@pytest.mark.skipif(
    not os.path.exists("/proc/self/smaps") or _journal._DONTNEED is None, reason="reads Linux's /proc/self/smaps"
)
def test_a_cleared_journal_file_keeps_its_first_size_mapped_and_gives_back_what_it_grew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first size is written again at once (giving it back costs a page fault per page); what a commit far
    # behind made the file grow to leaves this process's RSS once the file is emptied.
    monkeypatch.setattr(_journal, "JOURNAL_FILE_BYTES", 64 * 1024)
    spool = str(tmp_path / "spool.db")
    journal = _journal.Journal(spool, os.urandom(16))
    name = _journal.journal_files(spool)[0]
    seq = 0

    def fill(end: int) -> None:
        nonlocal seq
        while journal.end < end:
            seq += 1
            journal.append((seq, b"x" * 4000, 7))

    try:
        fill(1024 * 1024)  # it grows to 2 MB
        fill(len(journal._map) - 8192)  # the pages written through its latest mapping are resident
        grown = _resident_kb(name)
        assert grown >= 900, grown
        journal.clear(journal.rotate())
        assert _resident_kb(name) <= 64  # what it grew to is given back
        journal.rotate()  # back to the emptied file (the other one is empty too)
        fill(60 * 1024)
        written = _resident_kb(name)
        assert written >= 56, written
        journal.clear(journal.rotate())
        assert _resident_kb(name) == written  # its first size stays mapped, to be written again
        journal.rotate()
        fill(journal.end + 1)
        ident = journal._prefix[len(_journal.MAGIC) :]
        assert [row[0] for row in _journal.pending_rows(spool, ident, 0)] == [seq]  # the new generation only
    finally:
        journal.close(delete=True)
