"""The spool's group commits: what is staged between two commits, and the loop that commits it.

**Single items are journaled** (`journal_one`, see `_journal`): durable once appended, so nobody waits for their
commit, which lingers (`JOURNAL_LINGER`, or until `JOURNAL_COMMIT_BYTES` wait) so that it takes many, and runs on the
spool's thread (SQLite lets go of the GIL: the commit runs beside the producers). Whatever someone waits for (a
`put_many` part, a `put_nowait` item, dead letters, a trim, a flush) ends the lingering.

**Group commits.** Every item staged while one transaction is being committed goes into the next one (as `chunks`
rows, see `_store`), with the dead letters, checkpoints and trim staged meanwhile. A commit that fails is retried with
backoff; if it keeps failing the spool is marked broken: waiting `put`s raise `SpoolWriteError` (their items are not
accepted) and the report says what the spool still holds.

**Every `add` staged for one commit awaits that commit's `GroupCommit`**, a future its waiters cannot cancel
(`_commit`): cancelling one producer affects only that producer, which gets `CancelledError` once the commit is
settled, its rows committed and accepted (or, if the commit failed, not accepted), never half-way.

**Where the work runs.** A small group commit (up to `INLINE_COMMIT_BYTES`, e.g. 64 producers' events) runs on the
event loop: it only appends a few pages to the WAL in the OS page cache (~0.15 ms), which is less than handing it to
a thread and back costs (waking the thread, the GIL going back and forth with the loop, the wake-up of the loop).
Everything that can wait on the disk runs on one dedicated thread (`SpoolThread`): checkpoints (the fsyncs; SQLite's
automatic ones are off: the commit loop starts them every `CHECKPOINT_BYTES` of WAL, on a connection of their own,
beside the commits), large commits, reading leftovers, opening and closing. The commits' connection is never used by
two threads at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from . import _store
from ._commit import GroupCommit
from ._journal import FRAME_SIZE, JOURNAL_COMMIT_BYTES, JOURNAL_LINGER, Journal
from ._queue import Row, _data
from ._store import _INSERT_CHUNK, _UPSERT_META, _chunks, _pack, consecutive
from ._types import SpoolWriteError

log = logging.getLogger("aiocustomerio.ingest")
_T = TypeVar("_T")

# How long a failing commit is retried (about 3 s in all) before the spool is declared broken.
COMMIT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
# A group commit of at most this many item bytes runs on the event loop (see the module docstring).
INLINE_COMMIT_BYTES = 256 * 1024
# WAL growth (estimated from what is committed) between two checkpoints: SQLite's own default is ~4 MB.
CHECKPOINT_BYTES = 4 * 1024 * 1024
# Checkpoint passes beside the commits before the short one that holds them (see `Writer._checkpoint`).
CHECKPOINT_PASSES = 2
_PAGE = 4096

DeadRow = tuple[int, bytes, int, str, float]  # a `dead` row: seq, body, person, reason, failed_at


class SpoolThread:
    """The spool's one thread. It counts the jobs handed to it (`run`), so that a commit runs on the event loop only
    while no job uses the commits' connection."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiocustomerio-spool")
        # Jobs handed to the thread and finished there; each counter is written by one thread only.
        self._submitted = 0
        self._finished = 0

    def idle(self) -> bool:
        return self._submitted == self._finished

    async def run(self, fn: Callable[..., _T], *args: object) -> _T:
        self._submitted += 1
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._job, fn, args)

    def _job(self, fn: Callable[..., _T], args: tuple[object, ...]) -> _T:
        try:
            return fn(*args)
        finally:
            self._finished += 1  # on the thread, once it no longer uses the connection


class Writer:
    """Stages rows, dead letters, checkpoints and the trim, and commits them, each group in one transaction, from its
    commit loop on the event loop. After each commit, before its producers are released, `on_committed(rows, meta,
    journaled)` is called (on the loop; `journaled`: how many of the rows were journaled); `on_lost(rows)` with rows
    that will never be committed in this run (not accepted, unless journaled); `on_broken(error, lost, unsettled)`
    once, when the commits keep failing, with the numbers of items (not journaled) and of settlements lost."""

    def __init__(
        self,
        path: str,
        thread: SpoolThread,
        on_committed: Callable[[list[Row], dict[str, str], int], None],
        on_lost: Callable[[list[Row]], None],
        on_broken: Callable[[SpoolWriteError, int, int], None],
    ) -> None:
        self._path = path
        self._thread = thread
        self._on_committed = on_committed
        self._on_lost = on_lost
        self._on_broken = on_broken
        self._conn: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.error: SpoolWriteError | None = None
        # Staged for the next group commit.
        self._inserts: list[Row] = []
        self._dead: list[DeadRow] = []
        self._meta: dict[str, str] = {}
        self._trim = 0  # delete chunks whose first seq is below this
        self._waiter: GroupCommit | None = None  # of the adds staged for the next commit
        self._flight: GroupCommit | None = None  # of the adds being committed
        self._flight_rows: list[Row] = []
        self._staged = False  # something is staged: the commit loop goes on
        self._task: asyncio.Task[None] | None = None
        self._trimmed = 0
        self._wal_bytes = 0  # committed since the last checkpoint (estimated)
        self._pass: asyncio.Future[None] | None = None  # a checkpoint running beside the commits
        self._passes = 0
        self._ckpt_conn: sqlite3.Connection | None = None  # its own connection, used on the thread only
        self._journal: Journal | None = None
        self._journaled = 0  # of the rows staged (`_inserts`), how many are in the journal
        # Bytes of the rows staged without the journal (`add`, `add_one`): summed as they come, while their bytes are
        # still in the CPU's cache; the journaled rows' bytes are the journal's (`Journal.staged_bytes`).
        self._added_bytes = 0
        self._flight_journaled = 0  # the same for the commit under way
        self._linger: asyncio.Future[None] | None = None  # the commit loop waiting for more journaled rows
        self._hurry = 0  # someone waits for everything to be committed (flush, drain, close): no lingering
        self.kept = 0  # journaled items a broken (or abandoned) spool could not commit: kept in its journal
        self._pause_at = 0  # the journal's `end` at which the producer lets the loop run once (see `attach`)
        # `JOURNAL_COMMIT_BYTES` as it was when made (also read by the engine's per-item path, `Engine._offer`)
        self._pause_bytes = JOURNAL_COMMIT_BYTES

    def attach(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop, journal: Journal) -> None:
        """Commit on `conn` (the spool's, opened and owned by it) from `loop`; journal single items in `journal`."""
        self._conn = conn
        self._loop = loop
        self._journal = journal
        self._pause_at = journal.end + self._pause_bytes

    def detach(self) -> None:
        """On the spool's thread, before its connection is closed: no commit after this one."""
        self._conn = None
        if self._ckpt_conn is not None:
            self._ckpt_conn.close()
            self._ckpt_conn = None

    # -- staging -----------------------------------------------------------------------------------------------------

    def add(self, rows: list[Row], meta: dict[str, str] | None = None) -> GroupCommit:
        """Stage rows (consecutive seqs) for the next group commit; the future, shared by everything staged for
        that commit, resolves once they are durable (or raises `SpoolWriteError`)."""
        if self.error is not None:
            raise self.error
        self._inserts.extend(rows)
        self._added_bytes += sum(map(len, map(_data, rows)))
        if meta:
            self._meta.update(meta)
        return self._waiter or self._new_waiter()

    def add_one(self, row: Row) -> GroupCommit:
        """`add([row])`, the per-item path."""
        if self.error is not None:
            raise self.error
        self._inserts.append(row)
        self._added_bytes += len(row[1])
        return self._waiter or self._new_waiter()

    def journal_one(self, row: Row) -> bool:
        """The per-item path: the row is durable (in the journal) when this returns, and goes into the chunks with a
        later group commit; raises `SpoolWriteError` (the row not taken) if it cannot be written.

        True means: let the event loop run once (`Pause`). A producer that never has to wait (the queue has room)
        never gives the loop a turn, so the commit of what it journals would only start once the queue is full, and
        run while it waits: every `JOURNAL_COMMIT_BYTES` it lets the commit start, which then runs on the spool's
        thread beside it (SQLite lets go of the GIL)."""
        if self.error is not None:
            raise self.error
        journal = self._journal
        assert journal is not None
        journal.append(row)
        self._inserts.append(row)
        self._journaled += 1
        self._staged = True
        if self._task is None:
            self.kick()
        elif journal.end >= self._pause_at:
            self._pause_at = journal.end + self._pause_bytes
            self._wake_linger()
            return True
        return False

    def hurry(self, on: bool) -> None:
        """While on, journaled rows are committed as soon as the commit loop gets to them (a flush waits for them)."""
        self._hurry += 1 if on else -1
        if on:
            self._wake_linger()

    def _wake_linger(self) -> None:
        linger = self._linger
        if linger is not None and not linger.done():
            linger.set_result(None)

    def _lazy(self) -> bool:
        # Only journaled rows are staged (nobody waits for this commit) and nobody hurries: let more come.
        return (
            not self._hurry
            and self._waiter is None
            and len(self._inserts) == self._journaled
            and not self._dead
            and not self._meta
            and self._trim <= self._trimmed
            and self._journal is not None
            and self._journal.staged_bytes < self._pause_bytes
        )

    async def _wait_for_more(self) -> None:
        assert self._loop is not None
        linger = self._linger = self._loop.create_future()
        timer = self._loop.call_later(JOURNAL_LINGER, self._wake_linger)
        try:
            await linger
        finally:
            timer.cancel()
            self._linger = None

    def _new_waiter(self) -> GroupCommit:
        # While a waiter exists, something is staged and the commit loop runs (both are cleared with it).
        assert self._loop is not None
        self.kick()
        waiter = self._waiter = GroupCommit(self._loop)
        return waiter

    def add_dead(self, rows: Iterable[DeadRow]) -> None:
        """Stage dead letters; the caller kicks the commit loop once it has staged their settlement too."""
        self._dead.extend(rows)

    def trim_below(self, first: int) -> None:
        """Stage the deletion of every chunk whose first seq is below `first` (once it is higher than before)."""
        if first > self._trim:
            self._trim = first
            self.kick()

    def kick(self) -> None:
        if self.error is not None:
            raise self.error
        self._staged = True
        if self._task is None:
            assert self._loop is not None
            self._task = self._loop.create_task(self._commit_loop())
            self._task.add_done_callback(self._commit_loop_done)
        else:
            self._wake_linger()  # something that should not wait (a waiter, dead letters, a trim) is staged

    def _commit_loop_done(self, task: asyncio.Task[None]) -> None:
        if self._task is task:  # cancelled before its first step, so the coroutine's own cleanup never ran
            self._task = None
            self._abandon()

    def _abandon(self) -> None:
        # Only the event loop shutting down cancels the commit loop. Its waiting producers must not hang: they are
        # cancelled, and their rows are not accepted (the room goes back, so close() does not wait for them). Rows
        # of the commit under way may still reach the file: the next run then sends them, which is harmless.
        lost = self._flight_rows + self._inserts
        self.kept += self._flight_journaled + self._journaled  # in the journal: the next run commits them
        for waiter in (self._flight, self._waiter):
            if waiter is not None:
                waiter.abandon()
        self._flight, self._waiter, self._flight_rows, self._inserts = None, None, [], []
        self._flight_journaled = self._journaled = self._added_bytes = 0
        if lost:
            self._on_lost(lost)

    # -- committing --------------------------------------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        try:
            while self._staged:
                if self._lazy():
                    await self._wait_for_more()
                inserts, dead, meta, trim = self._inserts, self._dead, self._meta, self._trim
                self._flight, self._flight_rows, waiter = self._waiter, inserts, self._waiter
                self._inserts, self._dead, self._meta, self._waiter, self._staged = [], [], {}, None, False
                journaled = self._flight_journaled = self._journaled
                self._journaled = 0
                # The rows' bytes without a pass over them (one at commit time cost 0.25 us per spooled `event`: the
                # rows are long out of the CPU's cache by then): the journal's frames, less their headers.
                size = self._added_bytes
                if journaled and self._journal is not None:
                    size += self._journal.staged_bytes - journaled * FRAME_SIZE
                self._added_bytes = 0
                # The rows staged so far are in the active journal file: new ones go to the other while they commit.
                journal_file = self._journal.rotate() if journaled and self._journal is not None else None
                self._pause_at = self._journal.end + self._pause_bytes if self._journal is not None else 0
                # Small commits someone waits for run on the loop; journaled rows nobody waits for, on the thread.
                error = await self._commit_with_retries(inserts, size, dead, meta, trim, waiter is not None)
                if error is None:
                    if journal_file is not None:
                        self._journal.clear(journal_file)  # type: ignore[union-attr]
                    self._flight_journaled = 0
                    self._trimmed = max(self._trimmed, trim)
                    self._on_committed(inserts, meta, journaled)
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
        dead: list[DeadRow],
        meta: dict[str, str],
        trim: int,
        awaited: bool = True,
    ) -> Exception | None:
        for attempt, delay in enumerate((*COMMIT_RETRY_DELAYS, None)):
            try:
                # On the loop only while the thread has nothing under way: one connection, one user at a time.
                if awaited and self._thread.idle() and size <= INLINE_COMMIT_BYTES:
                    self._write(inserts, dead, meta, trim)
                else:
                    await self._thread.run(self._write, inserts, dead, meta, trim)
                return None
            except Exception as exc:
                if delay is None:
                    return exc
                log.warning("spool commit failed (attempt %d), retrying in %.2fs: %s", attempt + 1, delay, exc)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _broken(self, exc: Exception, inserts: list[Row], dead: list[DeadRow]) -> None:
        lost = inserts + self._inserts
        self._inserts = []
        # Journaled rows are durable (and were accepted): the next run takes them from the journal.
        self.kept = self._flight_journaled + self._journaled
        self._flight_journaled = self._journaled = self._added_bytes = 0
        self.error = SpoolWriteError(
            f"spool {self._path!r} could not be written after {len(COMMIT_RETRY_DELAYS) + 1} attempts "
            f"({type(exc).__name__}: {exc}); new items are refused"
        )
        self._on_broken(self.error, len(lost) - self.kept, len(dead) + len(self._dead))
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
                    await self._thread.run(self._checkpoint_wal)  # the catch-up: commits wait for it
            elif self._wal_bytes >= CHECKPOINT_BYTES:
                self._wal_bytes = self._passes = 0
                self._start_pass()
        except Exception as exc:  # the WAL only grows until the next one: nothing is lost
            log.warning("spool checkpoint failed (the next one retries): %s", exc)

    def _start_pass(self) -> None:
        assert self._loop is not None
        self._passes += 1
        # Not counted as a job (`SpoolThread.run`): it does not use the commits' connection.
        self._pass = self._loop.run_in_executor(self._thread.executor, self._checkpoint_wal)

    def _checkpoint_wal(self) -> None:
        conn = self._ckpt_conn
        if conn is None:
            conn = self._ckpt_conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA cache_size=-256")  # a checkpoint copies pages, it needs no cache of its own
        # PASSIVE: it waits for no reader (an `inspect` of the spool); fetchall so the statement is finished.
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _write(self, inserts: list[Row], dead: list[DeadRow], meta: dict[str, str], trim: int) -> None:
        conn = self._conn
        if conn is None:
            raise SpoolWriteError(f"spool {self._path!r} is closed")
        # `_store.CHUNK_ROWS` read here, as `_chunks` reads it: one value cuts the chunks everywhere.
        simple = not dead and not meta and trim <= self._trimmed and (not inserts or consecutive(inserts))
        if simple and len(inserts) <= _store.CHUNK_ROWS:
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
        self.hurry(True)
        try:
            while self._task is not None and not self._task.done():
                await asyncio.wait([self._task])  # its outcome is the waiters', not ours
        finally:
            self.hurry(False)
        running = self._pass
        if running is not None:
            await asyncio.wait([running])
            if running.exception() is not None:  # retrieved; the next pass (or close) checkpoints again
                log.warning("spool checkpoint failed: %s", running.exception())
            self._pass = None
