"""Durable spool: accepted items are on disk before `put` returns, failed ones stay in its dead-letter table.

The live spool of one ingestor, composed of the file (`_store`: schema, connections, chunk rows), its journal
(`_journal`: single items, durable in one append), its group commits (`_writer`: staging, the commit loop, retries,
checkpoints, the spool's thread) and the operators' tools (`_tools`, `_repair`) that read and re-drive a spool at rest.

**One writer.** An OS lock (`flock`) on the database file itself, so on its inode whatever name it is opened by
(a symlink, a hard link, a relative path), is held from `open()` to `close()`; the spool names its holder (pid, host,
since), and a second ingestor on the same file gets `SpoolLocked` naming both. The kernel drops the lock when the
process dies, so a SIGKILLed run never leaves a stale lock behind.

**Deleting in order.** A chunk is deleted once it *and every older chunk* are settled (delivered or dead-lettered).
After a crash the next run therefore re-sends everything from the oldest unsettled item on, in order: items already
delivered are sent again (dedup ids make that harmless), and one person's updates never go back in time. A leftover
chunk that cannot be read (damaged, or the file failing) is never deleted, nor is anything after it: the recovery
stops there (`SpoolReadError`, in the report), and the next run, once the spool is repaired, sends them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import sqlite3
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable

from ..errors import CustomerIOError
from . import _store
from ._checks import check_spool_file
from ._commit import GroupCommit
from ._journal import Journal
from ._lock import Lock, unclaim
from ._queue import Row
from ._store import _DEAD_IN_CHUNKS, _connect, _top_seq, _unpack, replay_journal
from ._tools import _counts, _requeue_dead
from ._types import SpoolWriteError
from ._writer import SpoolThread, Writer

log = logging.getLogger("aiocustomerio.ingest")


class SpoolReadError(CustomerIOError, RuntimeError):
    """Leftovers of an earlier run could not be read (a damaged chunk, a failing file): they stay in the spool."""


class _Chunk:
    """The items of seqs `first` to `last` (a group commit's part, or a leftover chunk), `left` of them unsettled.

    A settlement counts the seqs it names inside that range (`Spool.settle`): no per-item record. Each item is settled
    once (delivered, or dead-lettered) by construction: a batch's outcome partitions its rows into delivered, failed
    and retried ones, and only the retried ones are sent again. The room (`Room.give_back`) relies on the same."""

    __slots__ = ("first", "last", "left")

    def __init__(self, first: int, last: int, left: int) -> None:
        self.first = first
        self.last = last
        self.left = left  # items not yet settled


class Spool:
    """The engine's durable store. `on_durable(rows, journaled)` is called (on the loop) with every committed group of
    new rows (and how many of them were journaled); `on_lost(rows)` with the rows of a group that could not be
    committed (not accepted, unless journaled: those stay in the journal for the next run).

    `add(rows, meta)` stages rows for the next group commit and returns the `GroupCommit` every producer staged for
    it awaits (see `_writer`); single items are journaled in the `writer` (`Writer.journal_one`). They are the
    writer's own methods, so the per-item path goes through no call of the spool's. `error` is set once the commits
    keep failing (`SpoolWriteError`)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        api: str,
        on_durable: Callable[[list[Row], int], None],
        on_lost: Callable[[list[Row]], None],
    ) -> None:
        self.path = os.fspath(path)
        self._api = api
        self._on_durable = on_durable
        self._lock = Lock(self.path)
        self._thread = SpoolThread()
        self._writer = Writer(self.path, self._thread, self._committed, on_lost, self._broken)
        self.add: Callable[[list[Row], dict[str, str] | None], GroupCommit] = self._writer.add
        self.add_one: Callable[[Row], GroupCommit] = self._writer.add_one
        # The engine journals single items in the writer itself: inlined on its per-item path (`Engine._offer`),
        # `Writer.journal_one` on its slow path.
        self.writer = self._writer
        self.hurry: Callable[[bool], None] = self._writer.hurry
        self._journal: Journal | None = None
        self._conn: sqlite3.Connection | None = None
        self.meta: dict[str, str] = {}
        # Set once, by the writer (`_broken`); a plain attribute, not a property, as the engine reads it per item on
        # its slow path.
        self.error: SpoolWriteError | None = None
        # Settlement bookkeeping, for deleting chunks in order.
        self._live: deque[_Chunk] = deque()
        self._unread: list[tuple[int, int]] = []  # leftover chunks (first, count) not yet handed out
        self._dead_seqs: set[int] = set()
        self._committed_top = 0  # highest seq committed so far
        self.unsettled_lost = 0  # settlements a broken spool could not record
        self.lost = 0  # items staged when the spool broke: never committed, not accepted

    # -- opening and reading leftovers -------------------------------------------------------------------------------

    async def open(self, requeue_dead_letters: bool = False) -> tuple[int, int]:
        """Lock, open (creating if needed) and return (leftover item count, highest sequence number in use)."""
        loop = asyncio.get_running_loop()
        opened = await self._thread.run(self._open, requeue_dead_letters)
        assert self._conn is not None and self._journal is not None
        self._writer.attach(self._conn, loop, self._journal)
        return opened

    def _open(self, requeue_dead_letters: bool) -> tuple[int, int]:
        self._lock.acquire()
        try:
            # Only once the lock is ours: reading the file opens and closes a descriptor of it, which drops every
            # POSIX lock this process holds on it (SQLite's own, if another ingestor here has this spool open).
            check_spool_file(self.path)
            conn = _connect(self.path)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                stored_api = meta.get("api")
                if stored_api is None:
                    conn.execute("INSERT INTO meta (key, value) VALUES ('api', ?)", (self._api,))
                elif stored_api != self._api:
                    raise ValueError(f"spool {self.path!r} holds {stored_api} items, not {self._api} ones")
                self._lock.claim(conn)
                ident = replay_journal(conn, self.path)  # what a killed run journaled, before anything reads
                if requeue_dead_letters:
                    _requeue_dead(conn)
                self.meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                self._unread = [
                    (int(f), int(c)) for f, c in conn.execute("SELECT first, count FROM chunks ORDER BY first")
                ]
                if self._unread:
                    low = self._unread[0][0]
                    # Dead letters inside the leftover chunks (not those of items from nowhere in them, e.g. the
                    # lines `repair_spool` salvaged): those items are settled and are not sent again.
                    self._dead_seqs = {int(s) for (s,) in conn.execute(_DEAD_IN_CHUNKS, (low,))}
                top = _top_seq(conn)
                self._journal = Journal(self.path, ident)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            self._lock.release()
            raise
        # Checkpoints are run by the commit loop on the thread, never inside a commit that may run on the event loop.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._conn = conn
        self._committed_top = top
        self._unread.reverse()  # popped from the end, oldest first
        leftovers = sum(count for _, count in self._unread) - len(self._dead_seqs)
        return leftovers, top

    def discard(self) -> None:
        """Undo an `open` nobody waits for any more (its start was cancelled): on the spool's thread, after the open
        (jobs run in order), close the connection and let go of the lock. Nothing was staged yet."""
        self._thread.executor.submit(self._discard)
        self._thread.executor.shutdown(wait=False)

    def _discard(self) -> None:
        journal, self._journal = self._journal, None
        if journal is not None:
            journal.close(delete=True)  # just started over, with nothing in it
        conn, self._conn = self._conn, None
        if conn is not None:
            unclaim(conn)
            conn.close()
        self._lock.release()

    def has_unread(self) -> bool:
        return bool(self._unread)

    async def read(self, max_items: int) -> list[Row]:
        """The next leftover chunks (at least one, else up to `max_items` items), oldest first, minus their items
        already dead-lettered; [] when none is left.

        A chunk leaves `_unread` only once it is read whole, so one that cannot be read (damaged, or the file
        failing) stays unread, and the trim never passes it: it and every chunk after it stay in the spool. The chunks
        read before it are returned first; the next call, reaching it, raises `SpoolReadError` saying what stays."""
        unread = self._unread  # oldest last
        while unread:
            picked, total = [unread[-1]], unread[-1][1]
            while len(picked) < len(unread) and total + unread[-1 - len(picked)][1] <= max_items:
                picked.append(unread[-1 - len(picked)])
                total += picked[-1][1]
            try:
                chunks, error = await self._thread.run(self._read, picked)
            except Exception as exc:
                chunks, error = [], exc
            del unread[len(unread) - len(chunks) :]
            keep: list[Row] = []
            for (first, count), rows in zip(picked, chunks, strict=False):
                chunk = _Chunk(first, first + count - 1, count)
                self._live.append(chunk)
                for row in rows:
                    if row[0] in self._dead_seqs:
                        chunk.left -= 1  # failed for good in an earlier run: settled, and never sent
                    else:
                        keep.append(row)
            if keep:
                return keep
            if error is not None:
                raise self._read_error(error) from error
            self._advance()
        return []

    def _read_error(self, error: Exception) -> SpoolReadError:
        low = self._unread[-1][0]
        left = sum(count for _, count in self._unread) - sum(1 for seq in self._dead_seqs if seq >= low)
        return SpoolReadError(
            f"{error}; {left} leftover items (from seq {low} on) stay in the spool unsent, none ahead of the unreadable"
            " one; this run's new items are sent and kept behind them, to be sent again after them, in order. The"
            f" report is not ok. If a chunk is damaged, `aiocustomerio spool repair {shlex.quote(self.path)}` takes it"
            " out (its raw body kept in a file, its readable items as dead letters); then run again to deliver the rest"
        )

    def _read(self, picked: list[tuple[int, int]]) -> tuple[list[list[Row]], Exception | None]:
        """The rows of each picked chunk read whole, in order, up to the first that cannot be read, and its error."""
        assert self._conn is not None
        read: list[list[Row]] = []
        cursor: sqlite3.Cursor | None = None
        try:
            cursor = self._conn.execute(
                "SELECT first, count, persons, body FROM chunks WHERE first BETWEEN ? AND ? ORDER BY first",
                (picked[0][0], picked[-1][0]),
            )
            for first, count in picked:
                row = cursor.fetchone()
                if row is None or (int(row[0]), int(row[1])) != (first, count):
                    raise ValueError(f"spool chunk {first} changed on disk while this run had the spool")
                read.append(_unpack(first, count, bytes(row[2]), bytes(row[3])))
        except Exception as exc:
            return read, exc
        finally:
            # A statement left open (the error's traceback keeps this frame, and the cursor, alive) makes the
            # checkpoint at close fail with "database table is locked": the report would lose its counts.
            if cursor is not None:
                cursor.close()
        return read, None

    # -- settling ----------------------------------------------------------------------------------------------------

    def settle(self, seqs: list[int]) -> None:
        """These items are delivered: their chunks may go once every older one is settled too."""
        if self.error is not None:
            self.unsettled_lost += len(seqs)
            return
        # A batch's seqs fall in a few chunks: each one's share is counted by two bisections of the sorted seqs (C
        # loops), instead of a dict entry made per item at its commit and popped here (1,200 instructions per item
        # of a spooled `event`, measured: python -m bench.icount spool-event). The live chunks are few (what is
        # unsettled, in group commits of hundreds); leftovers read during a run may sit after newer ones, so all are
        # looked at.
        if not seqs:
            return
        seqs.sort()
        low, high = seqs[0], seqs[-1]
        for chunk in self._live:
            if chunk.first <= high and chunk.last >= low:
                chunk.left -= bisect_right(seqs, chunk.last) - bisect_left(seqs, chunk.first)
        self._advance()

    def dead_letter(self, failures: list[tuple[Row, str]]) -> None:
        if self.error is not None:
            self.unsettled_lost += len(failures)
            return
        now = time.time()
        self._writer.add_dead((seq, data, person, reason, now) for (seq, data, person), reason in failures)
        self.settle([seq for (seq, _, _), _ in failures])
        self._writer.kick()

    def _advance(self) -> None:
        live = self._live
        while live and live[0].left <= 0:
            live.popleft()
        # The oldest chunk not settled: the oldest live one, or an unread one (after a read failed, chunks of new
        # items are live while older leftovers are still unread).
        trim = live[0].first if live else self._committed_top + 1
        if self._unread:
            trim = min(trim, self._unread[-1][0])
        self._writer.trim_below(trim)

    # -- the writer's callbacks --------------------------------------------------------------------------------------

    def _committed(self, inserts: list[Row], meta: dict[str, str], journaled: int) -> None:
        self.meta.update(meta)
        if inserts:
            self._committed_top = inserts[-1][0]
            live = self._live
            for start in range(0, len(inserts), _store.CHUNK_ROWS):  # as `_chunks` cut them
                # A part with a gap in its seqs (an item refused between two others) is one range here: nothing is
                # ever settled in the gap.
                part = inserts[start : start + _store.CHUNK_ROWS]
                live.append(_Chunk(part[0][0], part[-1][0], len(part)))
            self._on_durable(inserts, journaled)

    @property
    def kept(self) -> int:
        """Journaled items a broken (or abandoned) spool could not commit: in its journal, for the next run."""
        return self._writer.kept

    def _broken(self, error: SpoolWriteError, lost: int, unsettled: int) -> None:
        self.error = error
        self.lost = lost
        self.unsettled_lost = unsettled

    def failure(self) -> str | None:
        """For the report, once closed: why the spool broke and exactly what is and is not in it (None: it did not)."""
        if self.error is None:
            return None
        return (
            f"{self.error}. Not in the spool: {self.lost} items offered after its last good commit, not accepted "
            "(their put or put_many raised SpoolWriteError; a put_nowait had returned: its item was only staged for "
            f"that commit). In its journal: {self.kept} items accepted since (the next run takes them in). Still in "
            f"it though settled: {self.unsettled_lost} items delivered or failed since (the next run sends them "
            "again; dedup ids make that harmless)"
        )

    # -- draining and closing ----------------------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait until everything staged so far is committed (or the spool broke)."""
        await self._writer.drain()

    async def close(self) -> tuple[int, int] | None:
        """Commit what is staged, unlock, and return (items, dead letters) left in the spool (None if unreadable)."""
        with contextlib.suppress(Exception):
            await self.drain()
        counts: tuple[int, int] | None = None
        if self._conn is not None:
            try:
                counts = await self._thread.run(self._close)
            except Exception as exc:  # the report says so: counts unknown
                log.error("closing spool %r failed: %s", self.path, exc)
        await self._thread.run(self._lock.release)
        self._thread.executor.shutdown(wait=False)
        return counts

    def _close(self) -> tuple[int, int]:
        conn = self._conn
        assert conn is not None
        self._conn = None
        self._writer.detach()
        journal, self._journal = self._journal, None
        kept = self._writer.kept
        if journal is not None:
            # Nothing is staged any more (the loop is done with it): the files go once every row in them is committed.
            journal.close(delete=journal.empty() and not kept)
        try:
            items, dead = _counts(conn)
            counts = items + kept, dead
            unclaim(conn)
            # Fold the WAL back so the spool is one file at rest.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return counts
