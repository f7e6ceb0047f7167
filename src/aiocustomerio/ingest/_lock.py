"""The spool's one-writer lock: an exclusive `flock` on the database file itself, held for the ingestor's life.

On the file, not on a name of it: a lock on `<path>.lock` let the same database opened through a symlink or a hard
link get a second writer. `flock` locks the inode, so every name (a symlink, a hard link, a relative path, one with
`..`) collides, and the kernel drops it when the process dies: a SIGKILLed run leaves no stale lock. The holder
(pid, host, since) is written into the spool itself (its `holder` table), which every name reads alike, so the
refusal names it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

from ._types import SpoolLocked

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; the single-writer rule is then not enforced
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("aiocustomerio.ingest")
# The spools this process holds, by file identity (st_dev, st_ino): see `Lock`. Spools open on their own threads.
_HELD: dict[tuple[int, int], Lock] = {}
_HELD_GUARD = threading.Lock()
# Tries of a non-blocking flock before the spool counts as held: an `inspect_spool` elsewhere holds a shared one
# for a few microseconds, which must not refuse an ingestor starting at that moment.
_LOCK_RETRY_DELAYS = (0.01, 0.02, 0.05)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _held_here(path: str) -> Lock | None:
    try:
        return _HELD.get(_identity(os.stat(path)))
    except FileNotFoundError:
        return None


def _flock(fd: int, operation: int, delays: tuple[float, ...] = ()) -> bool:
    for delay in (*delays, None):
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if delay is None:
                return False
            time.sleep(delay)
    raise AssertionError("unreachable")


def ro_uri(path: str, mode: str = "mode=ro") -> str:
    return f"{Path(os.path.abspath(path)).as_uri()}?{mode}"


def _stored_holder(path: str) -> str:
    """The holder the spool's `holder` table names ("" if none can be read).

    Read from the main database file only (`immutable`: no lock, no WAL): SQLite names the WAL after the path, so
    through a hard link the holder's WAL is not seen (and a normal connection would create a WAL of its own there).
    `claim` checkpoints the holder's row into the main file for that reason."""
    try:
        conn = sqlite3.connect(ro_uri(path, "immutable=1"), uri=True, timeout=1)
        try:
            row = conn.execute("SELECT text FROM holder").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:  # no such table (an earlier version's spool, or one being created), or unreadable
        return ""
    return str(row[0]) if row else ""


class Lock:
    """An exclusive `flock` on the database file itself, so on its inode: every name of the file (a symlink, a hard
    link, a relative path, one with `..`) collides. The holder (pid, host, since) is written into the spool's `holder`
    table, which every name reads alike, for the error message of the next one.

    SQLite's own locks are POSIX record locks, independent of `flock` on Linux (tested). But POSIX locks belong to
    the process: closing ANY descriptor of the file drops all the process's locks on it, SQLite's included, behind
    its back. So no descriptor of a held spool is closed while its connections are open: the holder's own is closed
    after them, and a second try in this process is answered from `_HELD` without opening the file (one opened in a
    race is kept until the holder lets go)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.holder = ""
        self._fd: int | None = None
        self._key = (0, 0)
        self._kept: list[int] = []

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        with _HELD_GUARD:
            held = _held_here(self.path)
            if held is not None:
                raise SpoolLocked(self.path, held.holder)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            key = _identity(os.fstat(fd))
            held = _HELD.get(key)
            if held is not None:
                held._kept.append(fd)
                raise SpoolLocked(self.path, held.holder)
            if not _flock(fd, fcntl.LOCK_EX, _LOCK_RETRY_DELAYS):
                holder = _stored_holder(self.path)
                os.close(fd)  # this process has no connection to the file: no SQLite lock to drop
                raise SpoolLocked(self.path, holder)
            links = os.fstat(fd).st_nlink
            if links > 1:  # not refused: hard-link backups (rsnapshot, cp -al) give a live spool other names
                log.warning(
                    "spool %r has %d hard links: SQLite keeps the write-ahead log under the name a spool is opened by,"
                    " so always open it by one name (through another, what a crashed run committed is not seen)",
                    self.path,
                    links,
                )
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.holder = f"pid {os.getpid()} on {socket.gethostname()} since {stamp}"
            self._fd, self._key = fd, key
            _HELD[key] = self

    def claim(self, conn: sqlite3.Connection) -> None:
        """Name the holder in the spool, for the next one's error message (and `inspect_spool`)."""
        conn.execute("INSERT OR REPLACE INTO holder VALUES (1, ?)", (self.holder,))
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # into the main file (see `_stored_holder`)

    def release(self) -> None:
        """Unlock; only once the spool's connections are closed (see the class docstring)."""
        if self._fd is None:
            return
        with _HELD_GUARD:
            _HELD.pop(self._key, None)
            for fd in (*self._kept, self._fd):  # closing the locked one drops the flock
                os.close(fd)
            self._fd, self._kept = None, []


def unclaim(conn: sqlite3.Connection) -> None:
    # A holder left named in an unlocked spool is only read when someone holds the lock again, and replaced by them.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("DELETE FROM holder")


def current_holder(path: str) -> str | None:
    """Who holds the spool's lock now (None: nobody), probed with a shared `flock` (see `Lock` on descriptors)."""
    if fcntl is None:  # pragma: no cover
        return None
    with _HELD_GUARD:
        held = _held_here(path)
        if held is not None:
            return held.holder
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        held = _HELD.get(_identity(os.fstat(fd)))
        if held is not None:
            held._kept.append(fd)
            return held.holder
        try:
            return None if _flock(fd, fcntl.LOCK_SH) else _stored_holder(path) or "holder unknown"
        finally:
            os.close(fd)
