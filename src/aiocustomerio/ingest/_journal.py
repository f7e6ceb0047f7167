"""The spool's put journal: a single-item `put` is durable once one `write()` has put its bytes in the OS.

A SQLite transaction per item costs 20-35 µs and a task switch per `put` (it waits for its commit); one append to a
file costs about 2.5 µs and no wait at all. So `put`, `put_nowait`, `event`, ... append their item here and return;
the group commit copies what was journaled into the spool's chunks a little later (`JOURNAL_LINGER`, or sooner once
`JOURNAL_COMMIT_BYTES` are waiting), on the spool's thread, and only then are the items handed to delivery. The
guarantee is the spool's own (WAL, synchronous=NORMAL): what `put` returned for survives the process being killed
(the bytes are in the OS page cache), not a power loss.

**Two files, alternating.** Appends go to the active file. When a group commit takes the staged rows, the other file
becomes the active one; once the commit is in SQLite, the file it came from is emptied. So a file only ever holds
rows not yet committed, or rows of the commit under way (a crash between the commit and the emptying: those rows are
in a chunk already, and are skipped by their seq).

**Recovery** (`replay`, under the spool's lock, before anything else reads it): every whole frame with a seq above
the spool's highest one goes into the chunks, in one transaction, then the files are started over. Rows committed
before are never above that seq: a group commit takes every row staged before it, so what is committed is always
everything up to some seq. A frame cut short (a power loss; a failed write is cut back at once) ends the file: the
bytes after it are reported, not guessed at.

**Whose journal.** Each file starts with the spool's journal id (kept in its `meta`). A journal whose id is not the
spool's (the database was deleted and made anew beside it) is not replayed into the wrong spool: it is renamed aside
and named in a warning.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
import time
from collections.abc import Callable, Iterator
from zlib import adler32

from ._queue import Row
from ._types import SpoolWriteError

log = logging.getLogger("aiocustomerio.ingest")

MAGIC = b"aiocustomerio-j1"  # 16 bytes, then the 16-byte journal id
HEADER = len(MAGIC) + 16
# seq, person, length, checksum (Adler-32 of the item mixed with the seq: it only has to catch a frame a power loss
# cut short, and costs half a CRC-32)
_FRAME = struct.Struct("<QIII")
# How long journaled items wait for their group commit, at most, and how many bytes make it start at once.
JOURNAL_LINGER = 0.01
JOURNAL_COMMIT_BYTES = 256 * 1024
META_KEY = "journal"


def journal_files(path: str) -> tuple[str, str]:
    return path + "-j0", path + "-j1"


class Journal:
    """The two open files of one spool (used on the event loop's thread only)."""

    def __init__(self, path: str, ident: bytes) -> None:
        self.path = path
        self._header = MAGIC + ident
        self._fds: list[int] = []
        try:
            for name in journal_files(path):
                fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
                self._fds.append(fd)
                os.ftruncate(fd, 0)  # replayed already (see `replay`): start over
                _write_all(fd, self._header)
        except BaseException:
            self.close(delete=False)
            raise
        self._sizes = [HEADER, HEADER]
        self._active = 0
        self.error: SpoolWriteError | None = None
        self.staged_bytes = 0  # appended since the last rotation

    def append(self, row: Row) -> None:
        """Append one row, whole or not at all: a short or failed write is cut back off the file."""
        if self.error is not None:
            raise self.error
        seq, data, person = row
        frame = _FRAME.pack(seq, person, len(data), adler32(data) ^ (seq & 0xFFFFFFFF)) + data
        active = self._active
        fd = self._fds[active]
        try:
            written = os.write(fd, frame)
        except OSError as exc:
            raise self._failed(active, exc) from None
        if written != len(frame):
            raise self._failed(active, OSError(f"short write ({written} of {len(frame)} bytes)"))
        self._sizes[active] += written
        self.staged_bytes += written

    def _failed(self, index: int, exc: OSError) -> SpoolWriteError:
        try:
            os.ftruncate(self._fds[index], self._sizes[index])
        except OSError as cut:
            # A partial frame may stay at the end: later appends would follow it unreadably, so none are taken.
            self.error = SpoolWriteError(
                f"spool journal {journal_files(self.path)[index]!r} could not be written ({exc}) nor cut back "
                f"({cut}); new items are refused"
            )
            return self.error
        return SpoolWriteError(f"spool journal {journal_files(self.path)[index]!r} could not be written ({exc})")

    def rotate(self) -> int:
        """New appends go to the other file (empty: its rows were committed); returns the one to clear after the
        commit that takes the rows staged so far."""
        done = self._active
        self._active = done ^ 1
        self.staged_bytes = 0
        return done

    def clear(self, index: int) -> None:
        """The rows of this file are committed: empty it for its next turn."""
        try:
            os.ftruncate(self._fds[index], HEADER)
        except OSError as exc:
            # Its rows are committed, so nothing is lost; but rows appended to it next time would sit after them and
            # those committed rows could be replayed after being delivered: refuse new items instead.
            name = journal_files(self.path)[index]
            self.error = SpoolWriteError(f"spool journal {name!r} could not be emptied ({exc}); new items are refused")
            log.error("%s", self.error)
            return
        self._sizes[index] = HEADER

    def empty(self) -> bool:
        return self._sizes == [HEADER, HEADER]

    def close(self, delete: bool) -> None:
        """Close the files; `delete` removes them (only once every row in them is committed)."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        if delete:
            for name in journal_files(self.path):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def journal_id(conn: sqlite3.Connection, upsert: str) -> bytes:
    """The spool's journal id, made on first use."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is not None:
        return bytes.fromhex(str(row[0]))
    ident = os.urandom(16)
    conn.execute(upsert, (META_KEY, ident.hex()))
    return ident


def _frames(name: str, ident: bytes, owner: bool) -> Iterator[Row] | None:
    """The whole frames of one journal file, or None when it is not this spool's (renamed aside, with a warning, by
    the spool's `owner`: the holder of its lock)."""
    try:
        with open(name, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return iter(())
    if len(data) <= HEADER:
        return iter(())  # no item in it, whichever spool's it is (a header, or a file created and not yet written)
    if data[:HEADER] != MAGIC + ident:
        if not owner:
            return None
        aside = f"{name}.orphaned-{int(time.time())}"
        os.replace(name, aside)
        log.warning(
            "spool journal %r is not this spool's (the database was made anew beside it?): not replayed, kept as %r",
            name,
            aside,
        )
        return None
    return _parse(name, data)


def _parse(name: str, data: bytes) -> Iterator[Row]:
    offset, end, size = HEADER, len(data), _FRAME.size
    while offset + size <= end:
        seq, person, length, check = _FRAME.unpack_from(data, offset)
        body = data[offset + size : offset + size + length]
        if len(body) != length or adler32(body) ^ (seq & 0xFFFFFFFF) != check:
            break
        yield seq, body, person
        offset += size + length
    if offset < end:
        log.warning(
            "spool journal %r ends with %d bytes that are not a whole item (a write cut short by a power loss or a "
            "full disk: the put that wrote them did not return); they are left out",
            name,
            end - offset,
        )


def pending_rows(path: str, ident: bytes | None, top: int, owner: bool = False) -> list[Row]:
    """Rows journaled and not committed: whole frames above `top`, in seq order, each once."""
    if ident is None:
        return []
    found: dict[int, Row] = {}
    for name in journal_files(path):
        frames = _frames(name, ident, owner)
        for row in frames or ():
            if row[0] > top:
                found[row[0]] = row
    return [found[seq] for seq in sorted(found)]


def replay(conn: sqlite3.Connection, path: str, ident: bytes, top: int, insert: Callable[[list[Row]], object]) -> int:
    """Commit what the journals hold above `top` into the spool (before anything else reads it); returns how many."""
    rows = pending_rows(path, ident, top, owner=True)
    if rows:
        conn.execute("BEGIN")
        try:
            insert(rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.warning("spool %r: %d items of an earlier run taken from its journal", path, len(rows))
    return len(rows)
