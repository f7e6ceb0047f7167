"""Durable spool: accepted items are in SQLite before `put` returns, failed ones stay in its dead-letter table.

**One writer.** An OS lock (`flock`) on the database file itself, so on its inode whatever name it is opened by
(a symlink, a hard link, a relative path), is held from `open()` to `close()`; the spool names its holder (pid, host,
since), and a second ingestor on the same file gets `SpoolLocked` naming both. The kernel drops the lock when the
process dies, so a SIGKILLed run never leaves a stale lock behind.

**Group commits of chunks.** Every item staged while one transaction is being committed goes into the next one, as
`chunks` rows of up to `CHUNK_ROWS` items (`first` seq, count, the items joined by newlines: compact JSON never holds
a raw newline). A row per commit (or per thousand items) instead of one per item is what lets a spooled ingestor keep
up with an unspooled one. A commit that fails is
retried with backoff; if it keeps failing the spool is marked broken: waiting `put`s raise `SpoolWriteError` (their
items are not accepted) and the report says what the spool still holds.

**Deleting in order.** A chunk is deleted once it *and every older chunk* are settled (delivered or dead-lettered).
After a crash the next run therefore re-sends everything from the oldest unsettled item on, in order: items already
delivered are sent again (dedup ids make that harmless), and one person's updates never go back in time. A leftover
chunk that cannot be read (damaged, or the file failing) is never deleted, nor is anything after it: the recovery
stops there (`SpoolReadError`, in the report), and the next run, once the spool is repaired, sends them in order.

**Where the work runs.** A small group commit (up to `INLINE_COMMIT_BYTES`, e.g. 64 producers' events) runs on the
event loop: it only appends a few pages to the WAL in the OS page cache (~0.15 ms), which is less than handing it to
a thread and back costs (waking the thread, the GIL going back and forth with the loop, the wake-up of the loop).
Everything that can wait on the disk runs on one dedicated thread: checkpoints (the fsyncs; SQLite's automatic ones
are off: the commit loop starts them every `CHECKPOINT_BYTES` of WAL, on a connection of their own, beside the
commits), large commits, reading leftovers, opening and closing. The commits' connection is never used by two threads
at once. WAL with synchronous=NORMAL
survives the process being killed (the WAL is in the OS page cache once the commit returns), not a power loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shlex
import sqlite3
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import CustomerIOError
from ._commit import GroupCommit
from ._lock import Lock, current_holder, ro_uri, unclaim
from ._queue import Row
from ._types import JSONDict, SpoolWriteError

log = logging.getLogger("aiocustomerio.ingest")
_T = TypeVar("_T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS chunks (first INTEGER PRIMARY KEY, count INTEGER NOT NULL, persons BLOB NOT NULL,"
    " body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dead (seq INTEGER PRIMARY KEY, body BLOB NOT NULL, person INTEGER NOT NULL,"
    " reason TEXT NOT NULL, failed_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS holder (one INTEGER PRIMARY KEY CHECK (one = 1), text TEXT NOT NULL)",
)
# Meta keys the spool keeps for itself (its API and the top sequence number): a checkpoint may not use them.
RESERVED_META = frozenset({"api", "seq"})
_DEAD_IN_CHUNKS = (
    "SELECT d.seq FROM dead d JOIN chunks c ON c.first = (SELECT MAX(first) FROM chunks WHERE first <= d.seq)"
    " WHERE d.seq >= ? AND d.seq < c.first + c.count"
)
# A plain INSERT: rows never replace one another (the lock makes this process the only writer).
_INSERT_CHUNK = "INSERT INTO chunks VALUES (?, ?, ?, ?)"
_UPSERT_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value"
# How long a failing commit is retried (about 3 s in all) before the spool is declared broken.
COMMIT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
# A group commit is stored as chunk rows of at most this many items: bounded blobs, packed one at a time.
CHUNK_ROWS = 1000
# A group commit of at most this many item bytes runs on the event loop (see the module docstring).
INLINE_COMMIT_BYTES = 256 * 1024
# WAL growth (estimated from what is committed) between two checkpoints: SQLite's own default is ~4 MB.
CHECKPOINT_BYTES = 4 * 1024 * 1024
# Checkpoint passes beside the commits before the short one that holds them (see `Spool._checkpoint`).
CHECKPOINT_PASSES = 2
_PAGE = 4096


Chunk = tuple[int, int, bytes, bytes]  # a `chunks` row: first seq, count, persons, body


def _pack(rows: list[Row]) -> Chunk:
    persons = array("I", [row[2] for row in rows])
    return rows[0][0], len(rows), persons.tobytes(), b"\n".join([row[1] for row in rows])


def _chunks(rows: list[Row]) -> Iterator[Chunk]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield _pack(rows[start : start + CHUNK_ROWS])


def _unpack(first: int, count: int, persons: bytes, body: bytes) -> list[Row]:
    people = array("I")
    people.frombytes(persons)
    items = bytes(body).split(b"\n")
    if len(items) != count or len(people) != count:
        raise ValueError(f"spool chunk {first} is damaged: {count} items announced, {len(items)} found")
    return [(first + i, items[i], people[i]) for i in range(count)]


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    # Debian's and others' SQLite is built with secure_delete on: every settled chunk's freed pages were zeroed and
    # written to the WAL again. FAST still zeroes what is deleted within a page, without extra page writes.
    conn.execute("PRAGMA secure_delete=FAST")
    for statement in _SCHEMA:
        conn.execute(statement)
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    # Spools of earlier versions kept one `items` row per item: turn each into a chunk of one.
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='items'").fetchone() is None:
        return
    conn.execute("BEGIN")
    for seq, body in conn.execute("SELECT seq, body FROM items ORDER BY seq").fetchall():
        conn.execute("INSERT INTO chunks VALUES (?, 1, ?, ?)", (seq, array("I", [0]).tobytes(), bytes(body)))
    conn.execute("DROP TABLE items")
    conn.execute("COMMIT")


def _top_seq(conn: sqlite3.Connection) -> int:
    chunk = conn.execute("SELECT COALESCE(MAX(first + count - 1), 0) FROM chunks").fetchone()[0]
    dead = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM dead").fetchone()[0]
    return max(int(chunk), int(dead), int(dict(conn.execute("SELECT key, value FROM meta")).get("seq", 0)))


def _requeue_dead(conn: sqlite3.Connection) -> int:
    """Move every dead letter back among the items to send (new sequence numbers, after everything else)."""
    dead = conn.execute("SELECT seq, body, person FROM dead ORDER BY seq").fetchall()
    if not dead:
        return 0
    ranges = conn.execute("SELECT first, first + count FROM chunks").fetchall()

    def in_live_chunk(seq: int) -> bool:
        return any(first <= seq < end for first, end in ranges)

    # A dead letter whose chunk is still in the spool (a crash before the chunk was deleted) is re-sent with it.
    moved = [(bytes(body), int(person)) for seq, body, person in dead if not in_live_chunk(seq)]
    top = _top_seq(conn)
    with transaction(conn):
        if moved:
            rows = [(top + 1 + i, body, person) for i, (body, person) in enumerate(moved)]
            conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?)", _chunks(rows))
        conn.execute("DELETE FROM dead")
        conn.execute(_UPSERT_META, ("seq", str(top + len(moved))))
    return len(dead)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One explicit transaction (the connections are in autocommit mode), rolled back on any error."""
    conn.execute("BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def offline(path: str | os.PathLike[str], job: Callable[[sqlite3.Connection], _T]) -> _T:
    """Run `job` on a spool's connection under its lock, as its holder: an operator's tool never runs beside an
    ingestor (`SpoolLocked` names the one using it)."""
    spool = os.fspath(path)
    if not os.path.exists(spool):
        raise FileNotFoundError(f"no spool at {spool!r}")
    lock = Lock(spool)
    lock.acquire()
    try:
        conn = _connect(spool)
        try:
            lock.claim(conn)
            return job(conn)
        finally:
            unclaim(conn)
            conn.close()
    finally:
        lock.release()


class SpoolReadError(CustomerIOError, RuntimeError):
    """Leftovers of an earlier run could not be read (a damaged chunk, a failing file): they stay in the spool."""


class _Chunk:
    __slots__ = ("first", "left")

    def __init__(self, first: int, left: int) -> None:
        self.first = first
        self.left = left  # items not yet settled


class Spool:
    """The engine's durable store. `on_durable(rows)` is called (on the loop) with every committed group of new rows;
    `on_lost(rows)` with the rows of a group that could not be committed (they are not accepted).

    **Every `add` staged for one commit awaits that commit's `GroupCommit`**, a future its waiters cannot cancel
    (`_commit`): cancelling one producer affects only that producer, which gets `CancelledError` once the commit is
    settled, its rows committed and accepted (or, if the commit failed, not accepted), never half-way."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        api: str,
        on_durable: Callable[[list[Row]], None],
        on_lost: Callable[[list[Row]], None],
    ) -> None:
        self.path = os.fspath(path)
        self._api = api
        self._on_durable = on_durable
        self._on_lost = on_lost
        self._lock = Lock(self.path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiocustomerio-spool")
        self._conn: sqlite3.Connection | None = None
        self.meta: dict[str, str] = {}
        self.error: SpoolWriteError | None = None
        # Staged for the next group commit.
        self._inserts: list[Row] = []
        self._dead: list[tuple[int, bytes, int, str, float]] = []
        self._meta: dict[str, str] = {}
        self._trim = 0  # delete chunks whose first seq is below this
        self._waiter: GroupCommit | None = None  # of the adds staged for the next commit
        self._flight: GroupCommit | None = None  # of the adds being committed
        self._flight_rows: list[Row] = []
        self._staged = False  # something is staged: the commit loop goes on
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        # Jobs handed to the thread and finished there; each counter is written by one thread only.
        self._submitted = 0
        self._finished = 0
        self._wal_bytes = 0  # committed since the last checkpoint (estimated)
        self._pass: asyncio.Future[None] | None = None  # a checkpoint running beside the commits
        self._passes = 0
        self._ckpt_conn: sqlite3.Connection | None = None  # its own connection, used on the thread only
        # Settlement bookkeeping, for deleting chunks in order.
        self._live: deque[_Chunk] = deque()
        self._chunk_of: dict[int, _Chunk] = {}
        self._unread: list[tuple[int, int]] = []  # leftover chunks (first, count) not yet handed out
        self._dead_seqs: set[int] = set()
        self._trimmed = 0
        self._committed_top = 0  # highest seq committed so far
        self.unsettled_lost = 0  # settlements a broken spool could not record
        self.lost = 0  # items staged when the spool broke: never committed, not accepted

    # -- opening and reading leftovers -------------------------------------------------------------------------------

    async def open(self, requeue_dead_letters: bool = False) -> tuple[int, int]:
        """Lock, open (creating if needed) and return (leftover item count, highest sequence number in use)."""
        self._loop = asyncio.get_running_loop()
        return await self._run(self._open, requeue_dead_letters)

    def _open(self, requeue_dead_letters: bool) -> tuple[int, int]:
        self._lock.acquire()
        try:
            conn = _connect(self.path)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                stored_api = meta.get("api")
                if stored_api is None:
                    conn.execute("INSERT INTO meta (key, value) VALUES ('api', ?)", (self._api,))
                elif stored_api != self._api:
                    raise ValueError(f"spool {self.path!r} holds {stored_api} items, not {self._api} ones")
                self._lock.claim(conn)
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
        self._executor.submit(self._discard)
        self._executor.shutdown(wait=False)

    def _discard(self) -> None:
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
                chunks, error = await self._run(self._read, picked)
            except Exception as exc:
                chunks, error = [], exc
            del unread[len(unread) - len(chunks) :]
            keep: list[Row] = []
            for (first, count), rows in zip(picked, chunks, strict=False):
                chunk = _Chunk(first, count)
                self._live.append(chunk)
                for row in rows:
                    if row[0] in self._dead_seqs:
                        chunk.left -= 1  # failed for good in an earlier run: settled
                    else:
                        keep.append(row)
                        self._chunk_of[row[0]] = chunk
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

    # -- staging -----------------------------------------------------------------------------------------------------

    def add(self, rows: list[Row], meta: dict[str, str] | None = None) -> GroupCommit:
        """Stage rows (consecutive seqs) for the next group commit; the future, shared by everything staged for
        that commit, resolves once they are durable (or raises `SpoolWriteError`)."""
        if self.error is not None:
            raise self.error
        self._inserts.extend(rows)
        if meta:
            self._meta.update(meta)
        return self._waiter or self._new_waiter()

    def add_one(self, row: Row) -> GroupCommit:
        """`add([row])`, the per-item path."""
        if self.error is not None:
            raise self.error
        self._inserts.append(row)
        return self._waiter or self._new_waiter()

    def _new_waiter(self) -> GroupCommit:
        # While a waiter exists, something is staged and the commit loop runs (both are cleared with it).
        assert self._loop is not None
        self._kick()
        waiter = self._waiter = GroupCommit(self._loop)
        return waiter

    def settle(self, seqs: list[int]) -> None:
        """These items are delivered: their chunks may go once every older one is settled too."""
        if self.error is not None:
            self.unsettled_lost += len(seqs)
            return
        chunk_of = self._chunk_of
        for seq in seqs:
            chunk = chunk_of.pop(seq, None)
            if chunk is not None:
                chunk.left -= 1
        self._advance()

    def dead_letter(self, failures: list[tuple[Row, str]]) -> None:
        if self.error is not None:
            self.unsettled_lost += len(failures)
            return
        now = time.time()
        self._dead.extend((seq, data, person, reason, now) for (seq, data, person), reason in failures)
        self.settle([seq for (seq, _, _), _ in failures])
        self._kick()

    def _advance(self) -> None:
        live = self._live
        while live and live[0].left <= 0:
            live.popleft()
        # The oldest chunk not settled: the oldest live one, or an unread one (after a read failed, chunks of new
        # items are live while older leftovers are still unread).
        trim = live[0].first if live else self._committed_top + 1
        if self._unread:
            trim = min(trim, self._unread[-1][0])
        if trim > self._trim:
            self._trim = trim
            self._kick()

    def _kick(self) -> None:
        if self.error is not None:
            raise self.error
        self._staged = True
        if self._task is None:
            assert self._loop is not None
            self._task = self._loop.create_task(self._commit_loop())
            self._task.add_done_callback(self._commit_loop_done)

    def _commit_loop_done(self, task: asyncio.Task[None]) -> None:
        if self._task is task:  # cancelled before its first step, so the coroutine's own cleanup never ran
            self._task = None
            self._abandon()

    def _abandon(self) -> None:
        # Only the event loop shutting down cancels the commit loop. Its waiting producers must not hang: they are
        # cancelled, and their rows are not accepted (the room goes back, so close() does not wait for them). Rows
        # of the commit under way may still reach the file: the next run then sends them, which is harmless.
        lost = self._flight_rows + self._inserts
        for waiter in (self._flight, self._waiter):
            if waiter is not None:
                waiter.abandon()
        self._flight, self._waiter, self._flight_rows, self._inserts = None, None, [], []
        if lost:
            self._on_lost(lost)

    # -- committing --------------------------------------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        try:
            while self._staged:
                inserts, dead, meta, trim = self._inserts, self._dead, self._meta, self._trim
                self._flight, self._flight_rows, waiter = self._waiter, inserts, self._waiter
                self._inserts, self._dead, self._meta, self._waiter, self._staged = [], [], {}, None, False
                size = sum([len(row[1]) for row in inserts])
                error = await self._commit_with_retries(inserts, size, dead, meta, trim)
                if error is None:
                    self._trimmed = max(self._trimmed, trim)
                    self.meta.update(meta)
                    if inserts:
                        self._committed_top = inserts[-1][0]
                        chunk_of = self._chunk_of
                        for start in range(0, len(inserts), CHUNK_ROWS):  # as `_chunks` cut them
                            part = inserts[start : start + CHUNK_ROWS]
                            live = _Chunk(part[0][0], len(part))
                            self._live.append(live)
                            for row in part:
                                chunk_of[row[0]] = live
                        self._on_durable(inserts)
                    self._flight, self._flight_rows = None, []
                    if waiter is not None:
                        waiter.committed()
                    # Pages written: the chunk's, plus about two for the b-tree, the trim and the dead letters.
                    self._wal_bytes += size + 2 * _PAGE + 400 * len(dead)
                    await self._checkpoint()
                    continue
                self._broken(error, inserts, dead)
                return
        except asyncio.CancelledError:
            self._abandon()
            raise
        finally:
            self._task = None

    async def _commit_with_retries(
        self,
        inserts: list[Row],
        size: int,
        dead: list[tuple[int, bytes, int, str, float]],
        meta: dict[str, str],
        trim: int,
    ) -> Exception | None:
        for attempt, delay in enumerate((*COMMIT_RETRY_DELAYS, None)):
            try:
                # On the loop only while the thread has nothing under way: one connection, one user at a time.
                if self._submitted == self._finished and size <= INLINE_COMMIT_BYTES:
                    self._write(inserts, dead, meta, trim)
                else:
                    await self._run(self._write, inserts, dead, meta, trim)
                return None
            except Exception as exc:
                if delay is None:
                    return exc
                log.warning("spool commit failed (attempt %d), retrying in %.2fs: %s", attempt + 1, delay, exc)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _broken(
        self,
        exc: Exception,
        inserts: list[Row],
        dead: list[tuple[int, bytes, int, str, float]],
    ) -> None:
        lost = inserts + self._inserts
        self._inserts = []
        self.lost = len(lost)
        self.unsettled_lost = len(dead) + len(self._dead)
        self.error = SpoolWriteError(
            f"spool {self.path!r} could not be written after {len(COMMIT_RETRY_DELAYS) + 1} attempts "
            f"({type(exc).__name__}: {exc}); new items are refused"
        )
        log.error("%s", self.error)
        for waiter in (self._flight, self._waiter):
            if waiter is not None:
                waiter.failed(self.error)
        self._flight, self._waiter, self._flight_rows = None, None, []
        self._staged = False
        if lost:
            self._on_lost(lost)

    async def _checkpoint(self) -> None:
        """Called after each commit (its producers released already). Every `CHECKPOINT_BYTES`, checkpoint passes
        (the fsyncs) run on the thread, on a connection of their own, while commits go on: `CHECKPOINT_PASSES` of
        them, each with less to copy than the one before. Then one short pass with commits held copies what was
        committed meanwhile: the WAL is fully checkpointed, so the next commit starts it over from the beginning
        and it stays small (it cannot while commits keep coming). Measured: passes of ~20-40 ms, then ~15 ms, then
        a held one of ~5-10 ms, instead of ~50 ms with every producer waiting."""
        running = self._pass
        try:
            if running is not None:
                if not running.done():
                    return
                self._pass = None
                running.result()
                if self._passes < CHECKPOINT_PASSES:
                    self._start_pass()  # each one has less to copy than the one before
                else:
                    await self._run(self._checkpoint_wal)  # the catch-up: commits wait for it
            elif self._wal_bytes >= CHECKPOINT_BYTES:
                self._wal_bytes = self._passes = 0
                self._start_pass()
        except Exception as exc:  # the WAL only grows until the next one: nothing is lost
            log.warning("spool checkpoint failed (the next one retries): %s", exc)

    def _start_pass(self) -> None:
        assert self._loop is not None
        self._passes += 1
        # Not counted as a job (`_run`): it does not use the commits' connection.
        self._pass = self._loop.run_in_executor(self._executor, self._checkpoint_wal)

    def _checkpoint_wal(self) -> None:
        conn = self._ckpt_conn
        if conn is None:
            conn = self._ckpt_conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA cache_size=-256")  # a checkpoint copies pages, it needs no cache of its own
        # PASSIVE: it waits for no reader (an `inspect` of the spool); fetchall so the statement is finished.
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _write(
        self, inserts: list[Row], dead: list[tuple[int, bytes, int, str, float]], meta: dict[str, str], trim: int
    ) -> None:
        conn = self._conn
        if conn is None:
            raise SpoolWriteError(f"spool {self.path!r} is closed")
        if len(inserts) <= CHUNK_ROWS and not dead and not meta and trim <= self._trimmed:
            if inserts:  # one statement is a transaction of its own (the common group commit): no BEGIN/COMMIT
                conn.execute(_INSERT_CHUNK, _pack(inserts))
            return
        conn.execute("BEGIN")
        try:
            if trim > self._trimmed:
                conn.execute("DELETE FROM chunks WHERE first < ?", (trim,))
            if inserts:
                conn.executemany(_INSERT_CHUNK, _chunks(inserts))
            if dead:
                # OR IGNORE: after a crash an item can fail a second time; it is the same item, kept once.
                conn.executemany("INSERT OR IGNORE INTO dead VALUES (?, ?, ?, ?, ?)", dead)
            if meta:
                conn.executemany(_UPSERT_META, list(meta.items()))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    async def drain(self) -> None:
        """Wait until everything staged so far is committed (or the spool broke)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])  # its outcome is the waiters', not ours
        running = self._pass
        if running is not None:
            await asyncio.wait([running])
            if running.exception() is not None:  # retrieved; the next pass (or close) checkpoints again
                log.warning("spool checkpoint failed: %s", running.exception())
            self._pass = None

    async def close(self) -> tuple[int, int] | None:
        """Commit what is staged, unlock, and return (items, dead letters) left in the spool (None if unreadable)."""
        with contextlib.suppress(Exception):
            await self.drain()
        counts: tuple[int, int] | None = None
        if self._conn is not None:
            try:
                counts = await self._run(self._close)
            except Exception as exc:  # the report says so: counts unknown
                log.error("closing spool %r failed: %s", self.path, exc)
        await self._run(self._lock.release)
        self._executor.shutdown(wait=False)
        return counts

    def _close(self) -> tuple[int, int]:
        conn = self._conn
        assert conn is not None
        self._conn = None
        if self._ckpt_conn is not None:
            self._ckpt_conn.close()
            self._ckpt_conn = None
        try:
            counts = _counts(conn)
            unclaim(conn)
            # Fold the WAL back so the spool is one file at rest.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        return counts

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        self._submitted += 1
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._job, fn, args)

    def _job(self, fn: Callable[..., _T], args: tuple[object, ...]) -> _T:
        try:
            return fn(*args)
        finally:
            self._finished += 1  # on the thread, once it no longer uses the connection


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(items the next run will send, dead letters)."""
    items = int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM chunks").fetchone()[0])
    inside = int(
        conn.execute(
            "SELECT COUNT(*) FROM dead WHERE EXISTS"
            " (SELECT 1 FROM chunks WHERE dead.seq >= first AND dead.seq < first + count)"
        ).fetchone()[0]
    )
    dead = int(conn.execute("SELECT COUNT(*) FROM dead").fetchone()[0])
    return items - inside, dead


# -- for operators: inspecting a spool, re-driving its dead letters ---------------------------------------------------


@dataclass
class SpoolState:
    """What a spool holds. `pending`: items the next run will send (after a crash this includes items delivered just
    before it, which dedup ids make harmless to send again); `dead_letters`: items the API refused for good, with
    `reasons` counting them by reason and `sample` showing a few; `checkpoints`: the values stored with
    `put_many(..., checkpoint=...)`; `holder`: who holds the spool's lock now, if anyone."""

    path: str
    api: str | None
    pending: int
    dead_letters: int
    reasons: dict[str, int] = field(default_factory=dict)
    sample: list[tuple[JSONDict, str]] = field(default_factory=list)
    checkpoints: dict[str, str] = field(default_factory=dict)
    holder: str | None = None


def inspect_spool(path: str | os.PathLike[str], sample: int = 10) -> SpoolState:
    """Read a spool without taking its lock (safe while an ingestor is using it)."""
    spool = os.fspath(path)
    if not os.path.exists(spool):
        raise FileNotFoundError(f"no spool at {spool!r}")
    holder = current_holder(spool)
    conn = sqlite3.connect(ro_uri(spool), uri=True, timeout=10)
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        if "chunks" in tables:
            pending, dead = _counts(conn)
            reasons = dict(conn.execute("SELECT reason, COUNT(*) FROM dead GROUP BY reason ORDER BY 2 DESC").fetchall())
            rows = conn.execute("SELECT body, reason FROM dead ORDER BY seq LIMIT ?", (sample,)).fetchall()
        else:  # an earlier version's spool, not yet opened by this one
            pending = int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]) if "items" in tables else 0
            dead, reasons, rows = 0, {}, []
    finally:
        conn.close()
    return SpoolState(
        path=spool,
        api=meta.pop("api", None),
        pending=pending,
        dead_letters=dead,
        reasons={str(k): int(v) for k, v in reasons.items()},
        sample=[(json.loads(bytes(body)), str(reason)) for body, reason in rows],
        checkpoints={k: v for k, v in meta.items() if k != "seq"},
        holder=holder,
    )


def requeue_dead_letters(path: str | os.PathLike[str]) -> int:
    """Move a spool's dead letters back among its items, so the next run sends them again; returns how many.

    Takes the spool's lock (raises `SpoolLocked` if an ingestor is using it). To re-drive them as part of a run,
    pass `requeue_dead_letters=True` to the ingestor instead.
    """
    return offline(path, _requeue_dead)


def iter_dead_letters(path: str | os.PathLike[str]) -> Iterator[tuple[JSONDict, str]]:
    """Every dead letter of a spool as `(item, reason)`, oldest first (read-only, without the lock)."""
    conn = sqlite3.connect(ro_uri(os.fspath(path)), uri=True, timeout=10)
    try:
        for body, reason in conn.execute("SELECT body, reason FROM dead ORDER BY seq"):
            item: Any = json.loads(bytes(body))
            yield item, str(reason)
    finally:
        conn.close()
