"""The batching engine shared by the Track and Pipelines ingestors: it composes its parts and runs their lifecycle.

    producers ─ put ─▶ Room (bound) ─▶ [Spool: group commit] ─▶ Lanes (batches) ─ dispatcher ─▶ Delivery ─▶ Outcome
                                                                                     ▲                      │
                                                                                     └──── retry / halt ◀───┤
                                                      IngestReport (counts, bounded sample), Spool (settle) ◀┘

- `Room` bounds what is accepted and not yet settled (`max_queue`), FIFO, handing room over without lost wake-ups.
- `Spool` (optional) makes items durable before `put` returns, and keeps dead letters (`_spool`).
- `Lanes` cut batches; one lane per unit of concurrency, one batch in flight per lane, so one person's updates stay
  in order through retries (`_queue`).
- `Sender` (`_sender`) is the dispatcher: `Delivery` posts a batch and turns the answer into an `Outcome`
  (`_delivery`), which the sender applies: settles, dead-letters, re-queues with the one `RetryPolicy` (the
  façade's), or halts.

Nothing on the per-item path creates tasks or futures: `put` only suspends when the queue is full. With a spool, a
single item is durable once it is appended to the spool's journal (`_journal`), before `put` returns; `put_many`
waits for the group commit of its part.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable
from itertools import islice
from types import TracebackType
from typing import TypeVar
from zlib import adler32

import httpx

from .._retry import RetryPolicy
from ..errors import CustomerIOError
from ._checks import (
    check_checkpoint,
    check_delivery_options,
    check_engine_options,
    check_items,
    loop_error,
    spool_open_error,
)
from ._delivery import ENVELOPE_BYTES, ISOLATION_BUDGET, Delivery
from ._encode import MAX_BATCH_BYTES, MAX_ITEM_BYTES
from ._journal import FRAME, FRAME_SIZE
from ._queue import PAUSE, Lanes, Pause, Room, Row
from ._recovery import requeue_leftovers
from ._report import IngestReport
from ._sender import Sender
from ._spool import Spool
from ._store import RESERVED_META
from ._types import (
    ErrorCallback,
    IngestorClosed,
    IngestorHalted,
    IngestorNotStarted,
    InvalidItem,
    ItemTooLarge,
    JSONDict,
    QueueFull,
    RecoveryInProgress,
    SpoolWriteError,
)
from ._writer import Writer

_running_loop = asyncio._get_running_loop  # C; None outside a loop, where get_running_loop() would raise
_E = TypeVar("_E", bound="Engine")
HttpSource = httpx.AsyncClient | Callable[[], Awaitable[httpx.AsyncClient]]
Checkpoint = tuple[str, str | Callable[[int], str]]
# put_many encodes and accepts at most this many items at a time, so a huge iterable is consumed lazily.
PART = 1000
_END = object()


class Engine:
    _api: str
    _path: str

    def __init__(
        self,
        http: HttpSource,
        *,
        max_batch_items: int = 2000,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        max_item_bytes: int = MAX_ITEM_BYTES,
        max_wait: float = 1.0,
        max_queue: int = 20_000,
        concurrency: int = 4,
        spool: str | os.PathLike[str] | None = None,
        on_error: ErrorCallback | None = None,
        retry: RetryPolicy | None = None,
        backoff: tuple[float, float] | None = None,
        requeue_dead_letters: bool = False,
        isolation_budget: int = ISOLATION_BUDGET,
    ) -> None:
        check_engine_options(
            max_batch_items=max_batch_items,
            max_batch_bytes=max_batch_bytes,
            max_item_bytes=max_item_bytes,
            max_wait=max_wait,
            max_queue=max_queue,
            concurrency=concurrency,
            isolation_budget=isolation_budget,
            batch_limit=MAX_BATCH_BYTES,
            item_limit=MAX_ITEM_BYTES,
        )
        check_delivery_options(retry=retry, backoff=backoff, spool=spool, on_error=on_error)
        # A client, or an async function returning one (the façade opens its pooled client on first use).
        self._http_source = http
        self._http: httpx.AsyncClient | None = http if isinstance(http, httpx.AsyncClient) else None
        self._max_item_bytes = max_item_bytes
        # One retry rule for batches, the façade's: backoff with jitter, Retry-After honoured up to max_retry_after.
        if retry is None:
            retry = RetryPolicy() if backoff is None else RetryPolicy(base_delay=backoff[0], max_delay=backoff[1])
        self._retry = retry
        self._spool_path = spool
        self._requeue_dead_letters = requeue_dead_letters

        self._wake = asyncio.Event()  # the dispatcher has something to look at (binds to the loop on first use)
        self._room = Room(max_queue, self._wake.set)
        self._lanes = Lanes(concurrency, max_batch_items, max_batch_bytes - ENVELOPE_BYTES + 1, self._wake)
        self._pending, self._lane_count = self._lanes.pending, concurrency  # for the per-item path's Lanes.add
        self._report = IngestReport()
        self._sender = Sender(
            lanes=self._lanes,
            room=self._room,
            wake=self._wake,
            delivery=Delivery(self._path, isolation_budget),
            report=self._report,
            retry=retry,
            max_wait=max_wait,
            on_error=on_error,
            on_halt=self._on_halt,
        )
        self._spool: Spool | None = None
        self._writer: Writer | None = None  # the spool's, for the per-item path

        self._seq = 0
        self._dispatcher: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._recovered = asyncio.Event()
        self._recovered.set()
        self._start_lock = asyncio.Lock()
        self._closed_event = asyncio.Event()
        self._running = False
        # Started, not closing or halted, and no spool: items go straight to the lanes. The flag the per-item path
        # checks (a spool's leftovers being re-queued only happen with a spool).
        self._direct = False
        # The same with a spool and no leftovers being re-queued: items are staged for the next group commit at once.
        self._spooling = False
        self._closing = False
        self._closed = False
        # The loop that started it, whose tasks deliver: a put from any other one would be queued where nothing
        # sends it. The per-item paths compare it with the running loop, one C call (`_running_loop`).
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the client and the spool and start delivering; concurrent and repeated calls start it once."""
        if self._running:
            self._check_loop()
            return
        async with self._start_lock:
            if self._running:
                self._check_loop()
                return
            if self._closing:
                raise IngestorClosed("the ingestor is closed")
            http = self._http
            if http is None:
                assert not isinstance(self._http_source, httpx.AsyncClient)
                http = await self._http_source()
            if self._spool_path is not None:
                spool = Spool(self._spool_path, self._api, self._on_durable, self._on_lost)
                try:
                    leftovers, self._seq = await spool.open(self._requeue_dead_letters)
                except asyncio.CancelledError:
                    # The open goes on on the spool's thread; what it takes (the lock) is let go of right after.
                    spool.discard()
                    raise
                except Exception as exc:
                    spool.discard()  # its thread; the open itself let go of the lock
                    if isinstance(exc, CustomerIOError):  # SpoolLocked
                        raise
                    raise spool_open_error(spool.path, exc) from exc
                self._spool = spool
                self._writer = spool.writer
                if leftovers:
                    self._recovered.clear()
                    self._recovery = asyncio.create_task(self._recover())
            self._http = self._sender.http = http
            self._sender.spool = self._spool
            self._loop = asyncio.get_running_loop()
            self._running = True
            # Not while a close() waits for this start: its puts take the slow path, which raises IngestorClosed.
            self._direct = self._spool is None and not self._closing
            self._spooling = self._spool is not None and self._recovered.is_set() and not self._closing
            self._dispatcher = asyncio.create_task(self._sender.run())

    async def __aenter__(self: _E) -> _E:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            # Cancelled (an app shutting down, asyncio.timeout, a failing TaskGroup sibling) or interrupted: stop now
            # rather than drain for as long as the API takes, which may be for ever. What is unsettled stays pending
            # (and in the spool, staged items committed first); the cancellation goes on once this returns.
            await self.close(timeout=0)
            return
        await self.close()

    @property
    def report(self) -> IngestReport:
        """Running counts (the final report, with `pending` filled in, is what `close` returns)."""
        return self._report

    def qsize(self) -> int:
        """Items accepted and not yet settled (queued, in flight or waiting to be retried)."""
        return self._room.used

    def checkpoint(self, key: str) -> str | None:
        """A value stored with `put_many(..., checkpoint=(key, value))` by this or an earlier run on the spool."""
        return self._spool.meta.get(key) if self._spool is not None else None

    async def flush(self) -> None:
        """Send everything queued now, without waiting for `max_wait`, and wait until it is settled."""
        self._started()
        self._sender.flushing += 1
        try:
            await self._drained()
        finally:
            self._sender.flushing -= 1

    async def close(self, timeout: float | None = None) -> IngestReport:
        """Flush and drain; after `timeout` seconds, unsettled items are returned in `report.pending` (and stay in
        the spool, if one is used)."""
        if self._running and not self._closed:
            self._check_loop()  # its tasks and futures belong to the loop that started it
        if self._closing:
            await self._closed_event.wait()
            return self._report
        self._closing = True
        self._direct = self._spooling = False
        if self._start_lock.locked():
            # A start() under way (opening the spool): closed once it is done, so nothing it opens outlives close().
            async with self._start_lock:
                pass
        if not self._running:
            self._closed = True
            self._closed_event.set()
            return self._report
        self._sender.flushing += 1
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drained(), timeout)
        finally:
            await self._shut_down()
        return self._report

    async def _shut_down(self) -> None:
        self._room.fail(IngestorClosed("the ingestor closed before there was room for this item"))
        tasks = [t for t in (self._recovery, self._dispatcher, *self._sender.tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        report = self._report
        if self._spool is not None:
            spool = self._spool
            counts = await spool.close()  # leaves unsettled items in the spool for the next run
            if counts is not None:
                report.spooled, report.dead_letters = counts
            failure = spool.failure()
            if failure is not None:
                report.errors.append(failure)
        report.pending = [json.loads(row[1]) for row in self._lanes.take_all()]
        self._closed = True
        self._closed_event.set()

    async def _drained(self) -> None:
        self._wake.set()
        spool = self._spool
        if spool is not None:
            spool.hurry(True)  # journaled items go to their commit (and on to delivery) without lingering
        try:
            await self._recovered.wait()
            while self._room.used and self._sender.halted is None:
                await self._room.wait_idle()
            if spool is not None:
                await spool.drain()
        finally:
            if spool is not None:
                spool.hurry(False)

    def _started(self) -> None:
        if not self._running:
            raise IngestorNotStarted("start the ingestor first: `async with ingestor:` or `await ingestor.start()`")
        if _running_loop() is not self._loop:
            self._check_loop()
        if self._closing:
            raise IngestorClosed("the ingestor is closed")
        if self._sender.halted is not None:
            raise IngestorHalted(self._sender.halted)
        if self._spool is not None and self._spool.error is not None:
            raise self._spool.error

    def _check_loop(self) -> None:
        """Raise EventLoopError unless called on the loop that started the ingestor (the slow half of the per-item
        check `_running_loop() is not self._loop`, which also sends here calls before `start`)."""
        if not self._running:
            raise IngestorNotStarted("start the ingestor first: `async with ingestor:` or `await ingestor.start()`")
        running = _running_loop()
        if running is self._loop:
            return
        raise loop_error(self._loop, running)

    # -- accepting items -------------------------------------------------------------------------------------------

    def _encode(self, item: JSONDict) -> tuple[bytes, int]:
        """The item's bytes and its person hash (see `_queue`); each API encodes and stamps ids its own way."""
        raise NotImplementedError

    async def put(self, item: JSONDict) -> None:
        """Queue one raw entity/message; waits while the queue is full. With a spool it is durable when this
        returns."""
        data, person = self._encode(item)
        accepted = self._offer(data, person)
        if accepted is not True:
            await (accepted or self._put_encoded(data, person))

    def put_nowait(self, item: JSONDict) -> None:
        """Queue one item or raise `QueueFull` (`RecoveryInProgress` while a spool's leftovers are being re-queued);
        with a spool the item becomes durable at the next group commit, within milliseconds (`put` is durable when it
        returns)."""
        data, person = self._encode(item)
        if self._spooling:
            if self._stage(data, person):
                return
        elif self._offer(data, person):
            return
        self._started()
        if self._recovery is not None:
            raise RecoveryInProgress(self._room.limit)
        raise QueueFull(self._room.limit)

    def _offer(self, data: bytes, person: int) -> bool | Pause:
        """Take an encoded item at once if nothing stands in the way (running, not closing or halted, room, nobody
        waiting for room): True when accepted (with a spool: journaled, so durable; or `PAUSE`, accepted too, when the
        spool asks the producer to let the event loop run once, see `Writer.journal_one`); False when the caller must
        take the slow path (`_put_encoded`).

        The per-item path: Room's check and take are inlined."""
        room = self._room
        if self._direct and room.used < room.limit and not room.waiting:
            room.used += 1
            self._seq = seq = self._seq + 1
            self._report.accepted += 1
            pending = self._pending[person % self._lane_count]  # Lanes.add, inlined
            if not pending:
                self._lanes.opened()
            pending.append((seq, data, person))
            return True
        if not self._spooling or room.used >= room.limit or room.waiting:
            return False
        # `Writer.journal_one` and `Journal.append`, inlined: two calls cost 1,000 instructions per spooled `event`
        # (2.5%, measured: python -m bench.icount spool-event). The slow path (`_put_encoded`) calls them; a test
        # (tests/ingest/test_ingest_spool_per_item.py) checks that both write the same frames and stage the same rows.
        writer = self._writer
        assert writer is not None
        if writer.error is not None:
            raise writer.error
        journal = writer._journal
        assert journal is not None
        seq = self._seq + 1
        row = (seq, data, person)
        start = journal.end
        size = len(data)
        body = start + FRAME_SIZE
        end = body + size
        if end > journal._size:
            journal._grow(journal._active, end)  # SpoolWriteError: nothing taken (no room, no seq)
        gen = journal._gen
        mapped = journal._map
        FRAME.pack_into(mapped, start, seq, person, size, gen, adler32(data) ^ (seq & 0xFFFFFFFF) ^ gen)
        mapped[body:end] = data
        journal.end = end
        # Taken only once written: a refused item leaves no gap in the seqs a chunk is cut by.
        room.used += 1
        self._seq = seq
        self._report.accepted += 1
        writer._inserts.append(row)
        writer._journaled += 1
        writer._staged = True
        if writer._task is None:
            writer.kick()
        elif end >= writer._pause_at:
            writer._pause_at = end + writer._pause_bytes
            writer._wake_linger()
            return PAUSE
        return True

    def _stage(self, data: bytes, person: int) -> bool:
        """`put_nowait`'s spooled path: the item is staged for the next group commit, which starts at once on the
        loop, and accepted when committed. Not journaled: the journal's commits need the producer to give the loop a
        turn now and then (`Writer.journal_one`), which a `put_nowait` loop never does until the queue is full, so its
        items would be committed in bursts while it waited (0.64x against 0.88x the unspooled rate, measured)."""
        room = self._room
        if room.used >= room.limit or room.waiting:
            return False
        room.used += 1
        self._seq = seq = self._seq + 1
        try:
            self._spool.add_one((seq, data, person))  # type: ignore[union-attr]
        except SpoolWriteError:
            room.give_back(1)
            raise
        return True

    async def put_many(self, items: Iterable[JSONDict], *, checkpoint: Checkpoint | None = None) -> None:
        """Queue items, consuming and encoding the iterable lazily in parts of up to 1,000 (each part waits for room
        and is one spool transaction), so a huge iterable stays within `max_queue`.

        An item that cannot be sent raises `InvalidItem`; the parts before its own are accepted, its part is not (so
        a call of up to 1,000 items is all or nothing). `checkpoint=(key, value)` is stored with the last part;
        `checkpoint=(key, fn)` stores `fn(n)` with every part, `n` being the items of this call accepted with it.
        """
        self._started()
        check_checkpoint(checkpoint, RESERVED_META)
        check_items(items)
        iterator = iter(items)
        head: object = next(iterator, _END)
        size = min(PART, self._room.limit)
        accepted = 0
        while True:
            chunk = [] if head is _END else [head, *islice(iterator, size - 1)]
            part = self._encode_part(chunk, accepted)  # type: ignore[arg-type]
            head = next(iterator, _END)
            last = head is _END
            meta = None
            if checkpoint is not None:
                key, value = checkpoint
                mark = value(accepted + len(chunk)) if callable(value) else value if last else None
                meta = {key: mark} if mark is not None else None
            await self._accept(part, meta)
            accepted += len(chunk)
            if last:
                return

    def _encode_part(self, items: list[JSONDict], accepted: int) -> tuple[list[bytes], list[int]]:
        """A part of `put_many`: its items' bytes and person hashes, all at once when the API's `_encode_many` can;
        else one by one, the first that cannot be sent raising `InvalidItem`."""
        if items:
            encoded = self._encode_many(items)
            if encoded is not None:
                return encoded
        datas: list[bytes] = []
        persons: list[int] = []
        for index, item in enumerate(items):
            try:
                data, person = self._encode(item)
            except (TypeError, ValueError) as exc:
                raise InvalidItem(accepted + index, exc, accepted) from exc
            datas.append(data)
            persons.append(person)
        return datas, persons

    def _encode_many(self, items: list[JSONDict]) -> tuple[list[bytes], list[int]] | None:
        """`_encode` of every item, faster, or None (the caller then encodes them one by one): an API's bulk path."""
        return None

    async def _put_encoded(self, data: bytes, person: int) -> None:
        # The per-event callers (put, event, page, screen) try `_offer` before creating this coroutine; the others
        # rely on this one.
        if self._offer(data, person):
            return
        self._started()
        await self._take_room(1)
        seq = self._seq + 1
        spool = self._spool
        if spool is None:
            self._seq = seq
            self._report.accepted += 1
            self._lanes.add((seq, data, person))
            return
        try:
            spool.writer.journal_one((seq, data, person))  # durable once this returns: nothing to wait for
        except SpoolWriteError:
            self._room.give_back(1)
            raise
        self._seq = seq
        self._report.accepted += 1

    async def _accept(self, part: tuple[list[bytes], list[int]], meta: dict[str, str] | None) -> None:
        spool = self._spool
        datas, persons = part
        count = len(datas)
        if not count:
            if spool is not None and meta:
                await spool.add([], meta)
            return
        room = self._room
        await self._take_room(count)
        try:
            self._started()  # halted or closed while it waited
        except BaseException:
            room.give_back(count)
            raise
        first = self._seq + 1
        self._seq += count
        rows = list(zip(range(first, first + count), datas, persons, strict=True))
        if spool is None:
            self._report.accepted += len(rows)
            self._lanes.add_many(rows)
            return
        try:
            durable = spool.add(rows, meta)
        except SpoolWriteError:
            room.give_back(len(rows))
            raise
        await durable

    async def _take_room(self, n: int) -> None:
        # New items queue behind a spool's leftovers (they are older).
        await self._recovered.wait()
        await self._room.acquire(n)

    def _check_size(self, data: bytes) -> bytes:
        if len(data) > self._max_item_bytes:
            raise ItemTooLarge(len(data), self._max_item_bytes)
        return data

    # -- the spool's callbacks and leftovers -----------------------------------------------------------------------

    def _on_durable(self, rows: list[Row], journaled: int) -> None:
        self._report.accepted += len(rows) - journaled  # journaled ones were accepted when journaled
        self._lanes.add_many(rows)

    def _on_lost(self, rows: list[Row]) -> None:
        self._room.give_back(len(rows))  # not accepted: their puts raise SpoolWriteError

    async def _recover(self) -> None:
        assert self._spool is not None
        try:
            await requeue_leftovers(
                self._spool, self._room, self._lanes, self._report, lambda: self._sender.halted is not None
            )
        finally:
            self._recovery = None
            self._recovered.set()
            self._spooling = self._running and not self._closing and self._sender.halted is None

    def _on_halt(self) -> None:
        self._direct = self._spooling = False  # puts take the slow path, which raises IngestorHalted
