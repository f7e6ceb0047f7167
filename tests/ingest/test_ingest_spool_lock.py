"""One writer per spool file: its other names (symlink, hard link, relative, `..`) are refused, naming the holder."""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import sqlite3
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aiocustomerio.ingest import Ingestor, SpoolLocked, inspect_spool, requeue_dead_letters
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory
from .test_ingest_spool_safety import HOLDER, ROOT, line


@pytest.fixture
async def spawned() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Processes a test started; killed if still running at its end (a failed assertion leaves them waiting)."""
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def spawn(
    script: Path, server: BatchServer, spool: str, count: int, prefix: str, cwd: Path | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        str(server.port),
        spool,
        str(count),
        prefix,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}"},
        cwd=cwd,
    )


async def test_every_name_of_a_held_spool_is_refused_naming_the_holder(
    server: BatchServer, tmp_path: Path, spawned: list[asyncio.subprocess.Process]
) -> None:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    home = tmp_path / "home"
    other = tmp_path / "other"
    home.mkdir()
    other.mkdir()
    spool = home / "spool.db"
    server.stall()  # the first run's items stay in the spool while the others try
    first = await spawn(script, server, str(spool), 300, "a")
    spawned.append(first)
    assert await line(first) == "open"
    assert await line(first) == "queued"

    (other / "link.db").symlink_to(spool)
    os.link(spool, other / "hard.db")
    aliases = [
        (str(other / "link.db"), None),  # a symlink
        (str(other / "hard.db"), None),  # a hard link: another name, the same inode
        ("../home/spool.db", other),  # relative, through ..
        (f"{home}/../home/./spool.db", None),
    ]
    host = socket.gethostname()
    for alias, cwd in aliases:
        second = await spawn(script, server, alias, 100, "b", cwd=cwd)
        spawned.append(second)
        refused = await line(second)
        expected = f"locked: spool '{alias}' is in use by another ingestor (pid {first.pid} on {host} "
        assert refused.startswith(expected), (alias, refused)
        assert " since 20" in refused, refused
        await second.wait()
        state = inspect_spool(alias if cwd is None else cwd / alias)
        assert state.holder is not None and state.holder.startswith(f"pid {first.pid} on {host} since "), state
        if not alias.endswith("hard.db"):  # SQLite names the WAL after the path: another link does not see it
            assert state.pending == 300
    with pytest.raises(SpoolLocked, match=rf"pid {first.pid} on "):
        requeue_dead_letters(other / "hard.db")

    # Once the holder has closed, any name opens the spool: nothing of the first run was taken over meanwhile.
    server.unstall()
    assert first.stdin is not None
    first.stdin.write(b"\n")
    assert (await line(first)).startswith("done accepted=300 delivered=300 failed=0 pending=0")
    await first.wait()
    assert server.ids == {f"a{i}" for i in range(300)}
    assert inspect_spool(other / "hard.db").holder is None
    third = await spawn(script, server, "../home/spool.db", 100, "c", cwd=other)
    spawned.append(third)
    assert await line(third) == "open"
    assert await line(third) == "queued"
    assert inspect_spool(other / "link.db").holder == inspect_spool(spool).holder
    assert third.stdin is not None
    third.stdin.write(b"\n")
    assert "failed=0 pending=0" in await line(third)
    await third.wait()
    assert server.ids == {f"a{i}" for i in range(300)} | {f"c{i}" for i in range(100)}


SQLITE_WRITER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
    conn.execute("BEGIN EXCLUSIVE")  # SQLite's own locks: POSIX record locks on the database file
    conn.execute("INSERT INTO t VALUES (1)")
    print("exclusive", flush=True)
    sys.stdin.readline()
    conn.execute("COMMIT")
    print("committed", flush=True)
    """
)


async def test_sqlite_locks_and_the_spool_flock_are_independent(
    tmp_path: Path, spawned: list[asyncio.subprocess.Process]
) -> None:
    # The spool's flock is taken on the database file SQLite locks with fcntl record locks: on Linux the two kinds
    # do not see each other. Both ways, with another process: a flock held here does not stop SQLite there, and
    # SQLite's exclusive lock there does not stop a flock here.
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")  # rollback journal: BEGIN EXCLUSIVE takes the file's exclusive lock
    conn.close()
    script = tmp_path / "writer.py"
    script.write_text(SQLITE_WRITER)
    fd = os.open(db, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        writer = await asyncio.create_subprocess_exec(
            sys.executable, str(script), str(db), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        spawned.append(writer)
        assert await line(writer) == "exclusive"  # timeout=0: it would have raised "database is locked"
        fcntl.flock(fd, fcntl.LOCK_UN)
        other = os.open(db, os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise BlockingIOError if they interfered
        finally:
            os.close(other)
        assert writer.stdin is not None
        writer.stdin.write(b"\n")
        assert await line(writer) == "committed"
        assert await writer.wait() == 0
    finally:
        os.close(fd)


def posix_locks(path: Path) -> list[str]:
    inode = f":{os.stat(path).st_ino} "
    with open("/proc/locks") as locks:
        # Without each entry's ordinal ("4: POSIX ..."): it moves whenever another process takes or drops a lock.
        mine = [entry for entry in locks if inode in entry and "POSIX" in entry and f" {os.getpid()} " in entry]
        return [entry.split(":", 1)[1].strip() for entry in mine]


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs Linux's /proc/locks")
async def test_probing_a_spool_held_in_this_process_keeps_sqlite_s_locks(client: ClientFactory, tmp_path: Path) -> None:
    # POSIX locks belong to the process: closing any descriptor of the file would drop SQLite's (the shared lock a
    # WAL connection holds on the database, which tells others it is in use). Inspecting the held spool, or trying
    # to open it again, in the same process must not open and close a descriptor of it.
    spool = tmp_path / "spool.db"
    (tmp_path / "link.db").symlink_to(spool)
    async with Ingestor(client(), spool=spool) as ing:
        await ing.event("u", "e", id="x")
        held = posix_locks(spool)
        assert held, "a WAL connection holds a POSIX lock on its database"
        assert inspect_spool(tmp_path / "link.db").holder is not None
        with pytest.raises(SpoolLocked):
            await Ingestor(client(), spool=tmp_path / "link.db").start()
        with pytest.raises(SpoolLocked):
            requeue_dead_letters(spool)
        assert posix_locks(spool) == held
    assert inspect_spool(spool).holder is None


async def test_a_spool_with_other_hard_links_is_opened_with_a_warning(
    client: ClientFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool):
        pass
    assert "hard links" not in caplog.text
    os.link(spool, tmp_path / "backup.db")
    async with Ingestor(client(), spool=spool) as ing:
        await ing.event("u", "e", id="x")
    assert ing.report.ok
    assert f"spool {str(spool)!r} has 2 hard links" in caplog.text
