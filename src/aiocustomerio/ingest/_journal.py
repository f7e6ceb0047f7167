"""The spool's put journal: a single-item `put` is durable once its bytes are in the OS page cache.

A SQLite transaction per item costs 20-35 µs and a task switch per `put` (it waits for its commit); a copy into a
shared file mapping costs well under a microsecond and no wait at all (`Journal`). So `put`, `event`, `identify`,
... append their item here and return; the group commit copies what was journaled into the spool's chunks a little
later (`JOURNAL_LINGER`, or sooner once `JOURNAL_COMMIT_BYTES` are waiting), on the spool's thread, and only then are
the items handed to delivery. The guarantee is the spool's own (WAL, synchronous=NORMAL): what `put` returned for
survives the process being killed (the bytes are in the OS page cache), not a power loss.

**Two files, alternating.** Appends go to the active file. When a group commit takes the staged rows, the other file
becomes the active one; once the commit is in SQLite, the file it came from is emptied. So a file only ever holds
rows not yet committed, or rows of the commit under way (a crash between the commit and the emptying: those rows are
in a chunk already, and are skipped by their seq).

**Recovery** (`_store.replay_journal`, under the spool's lock, before anything else reads it): every whole frame
with a seq above the spool's highest one goes into the chunks, in one transaction, then the files are started over.
Rows committed before are never above that seq: a group commit takes every row staged before it, so what is
committed is always everything up to some seq. A frame cut short (killed mid-copy, or a power loss) ends the file,
with a warning: its put never returned.

**Whose journal.** Each file starts with the spool's journal id (kept in its `meta`). A journal whose id is not the
spool's (the database was deleted and made anew beside it) is not replayed into the wrong spool: it is renamed aside
and named in a warning.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import mmap
import os
import sqlite3
import struct
import time
from collections.abc import Iterator
from zlib import adler32

from ._queue import Row
from ._types import SpoolWriteError

log = logging.getLogger("aiocustomerio.ingest")

MAGIC = b"aiocustomerio-j2"  # 16 bytes, then the 16-byte journal id and the file's 8-byte generation
_GEN = struct.Struct("<Q")
HEADER = len(MAGIC) + 16 + _GEN.size
# seq, person, length, generation, checksum (Adler-32 of the item mixed with the seq and the generation: it only has
# to catch a frame cut short by a kill mid-copy or a power loss, and costs half a CRC-32)
FRAME = struct.Struct("<QIIII")
FRAME_SIZE = FRAME.size
# How long journaled items wait for their group commit, at most, and how many bytes make it start at once.
JOURNAL_LINGER = 0.01
JOURNAL_COMMIT_BYTES = 256 * 1024
# Each file's first size; it doubles when the staged items need more (a commit far behind).
JOURNAL_FILE_BYTES = 2 * 1024 * 1024
META_KEY = "journal"


_DONTNEED: int | None = getattr(mmap, "MADV_DONTNEED", None) if hasattr(mmap.mmap, "madvise") else None
# fallocate errors that mean "not here" (the OS or the file system has none), not "no room"
_NO_FALLOCATE = frozenset({errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})


def _allocate(fd: int, size: int) -> None:
    """Make the first `size` bytes of the file real blocks (zeros), so a copy into its mapping never needs room."""
    fallocate = getattr(os, "posix_fallocate", None)  # not on macOS
    if fallocate is not None:
        try:
            fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno not in _NO_FALLOCATE:
                raise
    done = os.fstat(fd).st_size
    zeros = bytes(64 * 1024)
    while done < size:  # writing the zeros allocates them, wherever fallocate is missing
        done += os.pwrite(fd, zeros[: size - done], done)


def journal_files(path: str) -> tuple[str, str]:
    return path + "-j0", path + "-j1"


def _check(data: bytes, seq: int, gen: int) -> int:
    return adler32(data) ^ (seq & 0xFFFFFFFF) ^ gen


class Journal:
    """The two files of one spool, mapped into memory (used on the event loop's thread only).

    **An append is a copy into a shared file mapping**, not a `write()`: the pages are the OS page cache's, so what is
    copied survives the process being killed like a written byte does, at a tenth of the cost (no system call; about
    0.5 against 2.5-5 us per item here). The files' blocks are allocated up front (`_allocate`), so a copy never needs
    the disk to find room (a full disk would kill the process with SIGBUS): running out of room is a `SpoolWriteError`
    when a file has to grow, for that item only.

    **Emptying a file** is a new generation in its header: frames of an older one are not read, so nothing has to be
    zeroed or truncated, and the end of the items is the first frame that is not whole, of this generation and after
    the one before it."""

    def __init__(self, path: str, ident: bytes) -> None:
        self.path = path
        self._prefix = MAGIC + ident
        self._fds: list[int] = []
        self._maps: list[mmap.mmap] = []
        self._gens = [int.from_bytes(os.urandom(4), "little") for _ in range(2)]
        try:
            for index, name in enumerate(journal_files(path)):
                fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._fds.append(fd)
                os.ftruncate(fd, 0)  # replayed already (`_store.replay_journal`): start over
                _allocate(fd, JOURNAL_FILE_BYTES)
                self._maps.append(mmap.mmap(fd, JOURNAL_FILE_BYTES))
                self._maps[index][:HEADER] = self._prefix + _GEN.pack(self._gens[index])
        except BaseException:
            self.close(delete=False)
            raise
        self._ends = [HEADER, HEADER]  # of the file not active (the active one's is `end`)
        self._active = 0
        # The active file's state as plain attributes, for the per-item path: its end, map, size and generation.
        self.end = HEADER
        self._rotated_at = HEADER  # `end` at the last rotation
        self._activate(0)

    def _activate(self, index: int) -> None:
        self._ends[self._active] = self.end
        self._active = index
        self.end = self._rotated_at = self._ends[index]
        self._map = self._maps[index]
        self._size = len(self._map)
        self._gen = self._gens[index]

    @property
    def staged_bytes(self) -> int:
        """Appended since the last rotation."""
        return self.end - self._rotated_at

    def append(self, row: Row) -> None:
        """Append one row, whole or not at all (a file that cannot grow refuses it: `SpoolWriteError`)."""
        seq, data, person = row
        start = self.end
        body = start + FRAME_SIZE
        end = body + len(data)
        if end > self._size:
            self._grow(self._active, end)
        gen = self._gen
        # `_check`, inlined: this is the per-item path.
        FRAME.pack_into(self._map, start, seq, person, len(data), gen, adler32(data) ^ (seq & 0xFFFFFFFF) ^ gen)
        self._map[body:end] = data
        self.end = end

    def _grow(self, index: int, end: int) -> mmap.mmap:
        size = len(self._maps[index])
        while size < end:
            size *= 2
        name = journal_files(self.path)[index]
        try:
            _allocate(self._fds[index], size)
            bigger = mmap.mmap(self._fds[index], size)
        except OSError as exc:
            raise SpoolWriteError(f"spool journal {name!r} could not grow to {size:,} bytes ({exc})") from None
        self._maps[index].close()
        self._maps[index] = bigger
        if index == self._active:
            self._map, self._size = bigger, size
        return bigger

    def rotate(self) -> int:
        """New appends go to the other file (empty: its rows were committed); returns the one to clear after the
        commit that takes the rows staged so far."""
        done = self._active
        self._activate(done ^ 1)
        return done

    def clear(self, index: int) -> None:
        """The rows of this file are committed: a new generation empties it for its next turn."""
        gen = self._gens[index] = (self._gens[index] + 1) & 0xFFFFFFFF
        _GEN.pack_into(self._maps[index], HEADER - _GEN.size, gen)
        self._ends[index] = HEADER
        if index == self._active:
            self.end = self._rotated_at = HEADER
            self._gen = gen
        # A file that grew (a commit far behind) gives back what is past its first size: the pages stay in the file
        # (and the page cache) and this process stops counting them in its RSS (a shared mapping loses nothing this
        # way). The first `JOURNAL_FILE_BYTES` stay mapped: they are written again at once, and each page given back
        # costs a page fault when it is (measured: 0.4 us per item of a spooled `event`, a fifth of its journaling).
        size = len(self._maps[index])
        if _DONTNEED is not None and size > JOURNAL_FILE_BYTES:
            self._maps[index].madvise(_DONTNEED, JOURNAL_FILE_BYTES, size - JOURNAL_FILE_BYTES)

    def empty(self) -> bool:
        return self.end == HEADER and self._ends[self._active ^ 1] == HEADER

    def close(self, delete: bool) -> None:
        """Close the files; `delete` removes them (only once every row in them is committed)."""
        for mapped in self._maps:
            mapped.close()
        for fd in self._fds:
            os.close(fd)
        self._maps, self._fds = [], []
        if delete:
            for name in journal_files(self.path):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)


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
    if len(data) < HEADER + FRAME.size or data[:HEADER] == bytes(HEADER):
        return iter(())  # no item in it, whichever spool's it is (created, not yet written)
    gen = _GEN.unpack_from(data, HEADER - _GEN.size)[0]
    if data[: len(MAGIC) + 16] != MAGIC + ident:
        if data[: len(MAGIC)] == MAGIC and next(_parse(name, data, gen), None) is None:
            return iter(())  # another spool's, but with no item in it: nothing to keep
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
    return _parse(name, data, gen, owner)


def _parse(name: str, data: bytes, gen: int, owner: bool = False) -> Iterator[Row]:
    """The whole frames of this generation. One not whole ends them; only the `owner` (its recovery, after a kill)
    warns about it: a reader without the lock may be reading a frame the live ingestor is copying in."""
    offset, end, size, last = HEADER, len(data), FRAME.size, 0
    while offset + size <= end:
        seq, person, length, frame_gen, check = FRAME.unpack_from(data, offset)
        if frame_gen != gen or seq <= last or not length:
            return  # the end: what follows is of an earlier generation, or never written
        body = data[offset + size : offset + size + length]
        if len(body) != length or _check(body, seq, gen) != check:
            if not owner:
                return
            log.warning(
                "spool journal %r ends with an item cut short (the process was killed while copying it, or a power "
                "loss: its put did not return); it is left out",
                name,
            )
            return
        yield seq, body, person
        offset += size + length
        last = seq


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
