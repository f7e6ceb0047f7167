"""The batching engine shared by the Track and Pipelines ingestors.

Items live as `(seq, encoded_bytes)` pairs from `put` until they are settled (delivered or failed). `seq` is an
ingestor-local sequence number (the spool's row key, continued across runs); it is the internal identity of every item,
including Track `identify` entities, which carry no id on the wire: those are idempotent upserts, so delivering one
twice after a retry is harmless. Events carry their dedup id (Track `id`, Pipelines `messageId`) inside the bytes.

One dispatcher task cuts batches from the buffer; each batch is posted by its own task, at most `concurrency` at once
(posting and settling from the API's answer live in `_delivery`). Nothing on the per-item path creates tasks or
futures: `put` only suspends when the queue is full (or, with a spool, to wait for the group commit that makes its
item durable).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from time import monotonic
from typing import TypeVar

import httpx

from ._delivery import _PREFIX, _SUFFIX, Delivery
from ._encode import MAX_BATCH_BYTES, MAX_ITEM_BYTES
from ._spool import Row, Spool
from ._types import (
    ErrorCallback,
    IngestorClosed,
    IngestorHalted,
    IngestReport,
    ItemTooLarge,
    JSONDict,
    QueueFull,
    RecoveryInProgress,
)

_E = TypeVar("_E", bound="Engine")
HttpSource = httpx.AsyncClient | Callable[[], Awaitable[httpx.AsyncClient]]


class InvalidItem(ValueError):
    """`put_many` refused the batch because item `index` cannot be sent; nothing from that call was accepted."""

    def __init__(self, index: int, cause: Exception) -> None:
        super().__init__(f"item {index}: {cause}")
        self.index = index
        self.cause = cause


class Engine(Delivery):
    _api: str

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
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        if max_batch_bytes > MAX_BATCH_BYTES or max_item_bytes > MAX_ITEM_BYTES:
            raise ValueError(f"the API limits are {MAX_BATCH_BYTES} bytes per batch and {MAX_ITEM_BYTES} per item")
        if min(max_batch_items, max_queue, concurrency) < 1 or max_wait < 0:
            raise ValueError("max_batch_items, max_queue and concurrency must be >= 1 and max_wait >= 0")
        # A client, or an async function returning one (the façade opens its pooled client on first use).
        self._http_source = http
        self._http: httpx.AsyncClient | None = http if isinstance(http, httpx.AsyncClient) else None
        self._max_items = max_batch_items
        self._max_item_bytes = max_item_bytes
        # Bytes available for items (each followed by a comma, hence the +1) once the envelope is accounted for.
        self._room = max_batch_bytes - len(_PREFIX) - len(_SUFFIX) + 1
        self._max_wait = max_wait
        self._max_queue = max_queue
        self._concurrency = concurrency
        self._on_error = on_error
        self._backoff = backoff
        self._spool_path = spool

        # Batches are formed as items arrive: `_open` fills until the next item would not fit, then it is sealed
        # into `_ready`. Nothing has to be measured again when a batch is sent.
        self._open: list[Row] = []
        self._open_bytes = 0
        self._ready: deque[list[Row]] = deque()
        self._in_flight: set[int] = set()
        self._oldest = 0.0  # when the open batch got its first item
        self._outstanding = 0
        self._seq = 0
        self._report = IngestReport()
        self._failures_in_row = 0
        self._halted: str | None = None
        self._pause_until = 0.0
        self._space_waiters: deque[asyncio.Future[None]] = deque()
        self._senders: set[asyncio.Task[None]] = set()
        self._spool: Spool | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._running = False
        self._accepting = False  # started and not closing: the one flag the per-item path checks
        # Since Python 3.10 these bind to the running loop on first use, so they can be made here.
        self._wake = asyncio.Event()  # the dispatcher has something to look at
        self._idle = asyncio.Event()  # nothing outstanding
        self._idle.set()
        self._slots = asyncio.Semaphore(concurrency)
        self._flushing = 0
        self._closing = False
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        if self._http is None:
            assert not isinstance(self._http_source, httpx.AsyncClient)
            self._http = await self._http_source()
        self._running = True
        self._accepting = True
        if self._spool_path is not None:
            spool = Spool(self._spool_path, self._api, self._push_rows)
            leftovers, self._seq = await spool.open()
            self._spool = spool
            if leftovers:
                self._recovery = asyncio.create_task(self._recover())
        self._dispatcher = asyncio.create_task(self._dispatch())

    async def __aenter__(self: _E) -> _E:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def report(self) -> IngestReport:
        """Running counts (the final report, with `pending` filled in, is what `close` returns)."""
        return self._report

    def qsize(self) -> int:
        """Items accepted and not yet settled (queued, in flight or waiting to be retried)."""
        return self._outstanding

    def checkpoint(self, key: str) -> str | None:
        """A value stored with `put_many(..., checkpoint=(key, value))` by this or an earlier run on the spool."""
        return self._spool.meta.get(key) if self._spool is not None else None

    async def flush(self) -> None:
        """Send everything queued now, without waiting for `max_wait`, and wait until it is settled."""
        self._started()
        self._flushing += 1
        try:
            await self._drained()
        finally:
            self._flushing -= 1

    async def close(self, timeout: float | None = None) -> IngestReport:
        """Flush and drain; after `timeout` seconds, unsettled items are returned in `report.pending`."""
        if self._closed or not self._running:
            self._closed = True
            return self._report
        self._closing = True
        self._accepting = False
        self._flushing += 1
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._drained(), timeout)
        tasks = [t for t in (self._recovery, self._dispatcher, *self._senders) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for waiter in self._space_waiters:
            if not waiter.done():
                waiter.set_exception(IngestorClosed("the ingestor closed before there was room for this item"))
        if self._spool is not None:
            await self._spool.close()  # leaves unsettled items in the spool for the next run
        self._report.pending = [json.loads(data) for batch in (*self._ready, self._open) for _, data in batch]
        self._ready.clear()
        self._open = []
        self._closed = True
        return self._report

    async def _drained(self) -> None:
        self._wake.set()
        if self._recovery is not None:
            await asyncio.gather(asyncio.shield(self._recovery), return_exceptions=True)
        while self._outstanding and self._halted is None:
            await self._idle.wait()
        if self._spool is not None:
            await self._spool.drain()

    def _started(self) -> None:
        if not self._running:
            raise RuntimeError("start the ingestor first: `async with ingestor:` or `await ingestor.start()`")
        if self._closing:
            raise IngestorClosed("the ingestor is closed")
        if self._halted is not None:
            raise IngestorHalted(self._halted)

    # -- accepting items -------------------------------------------------------------------------------------------

    def _encode(self, item: JSONDict) -> bytes:
        raise NotImplementedError  # each API's ingestor encodes (and stamps dedup ids) its own way

    async def put(self, item: JSONDict) -> None:
        """Queue one raw entity/message; waits while the queue is full (and, with a spool, until it is durable)."""
        await self._put_encoded(self._encode(item))

    def put_nowait(self, item: JSONDict) -> None:
        """Queue one item or raise `QueueFull` (`RecoveryInProgress` while a spool's leftovers are being re-queued);
        with a spool the item becomes durable at the next group commit."""
        data = self._encode(item)
        self._started()
        if self._recovery is not None:
            # New items queue behind the spool's leftovers; `await put(...)` waits for that.
            raise RecoveryInProgress(self._max_queue)
        if self._outstanding >= self._max_queue or self._space_waiters:
            raise QueueFull(self._max_queue)
        self._accept([data], None)

    async def put_many(self, items: Iterable[JSONDict], *, checkpoint: tuple[str, str] | None = None) -> None:
        """Queue several items in one step (one spool transaction). All are validated first: if any cannot be sent,
        `InvalidItem` is raised and none is accepted. `checkpoint` is stored in the same spool transaction."""
        encoded: list[bytes] = []
        for index, item in enumerate(items):
            try:
                encoded.append(self._encode(item))
            except (TypeError, ValueError) as exc:
                raise InvalidItem(index, exc) from exc
        self._started()
        start = 0
        while True:
            # Accept in chunks that fit, so a put_many larger than the queue still respects its bound.
            await self._wait_for_room()
            chunk = encoded[start : start + self._max_queue - self._outstanding]
            start += len(chunk)
            last = start >= len(encoded)
            durable = self._accept(chunk, {checkpoint[0]: checkpoint[1]} if checkpoint and last else None)
            if durable is not None:
                await durable
            if last:
                return

    async def _put_encoded(self, data: bytes) -> None:
        if not self._accepting:
            self._started()
        if self._outstanding >= self._max_queue or self._space_waiters or self._recovery is not None:
            await self._wait_for_room()
        # Single-item fast path of `_accept` + `_push_rows`: this runs once per event.
        self._seq = seq = self._seq + 1
        if not self._outstanding:
            self._idle.clear()
        self._outstanding += 1
        self._report.accepted += 1
        if self._spool is not None:
            await self._spool.add([(seq, data)])
            return
        size = len(data) + 1
        batch = self._open
        if self._open_bytes + size > self._room:
            self._seal()
            batch = self._open
        if not batch:
            self._oldest = monotonic()
            self._wake.set()
        batch.append((seq, data))
        self._open_bytes += size
        if len(batch) >= self._max_items:
            self._seal()

    def _seal(self) -> None:
        if self._open:
            self._ready.append(self._open)
            self._open = []
            self._open_bytes = 0
            self._wake.set()

    def _check_size(self, data: bytes) -> bytes:
        if len(data) > self._max_item_bytes:
            raise ItemTooLarge(len(data), self._max_item_bytes)
        return data

    async def _wait_for_room(self, recovering: bool = False) -> None:
        while self._outstanding >= self._max_queue or (self._recovery is not None and not recovering):
            waiter = asyncio.get_running_loop().create_future()
            self._space_waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._space_waiters.remove(waiter)
            if self._closing and not recovering:
                raise IngestorClosed("the ingestor closed while this item waited for room")

    def _accept(self, items: list[bytes], meta: dict[str, str] | None) -> asyncio.Future[None] | None:
        if not items:
            return self._spool.add([], meta) if self._spool is not None and meta else None
        if not self._outstanding:
            self._idle.clear()
        first = self._seq + 1
        self._seq += len(items)
        self._outstanding += len(items)
        self._report.accepted += len(items)
        rows = list(zip(range(first, first + len(items)), items, strict=True))
        if self._spool is not None:
            return self._spool.add(rows, meta)
        self._push_rows(rows)
        return None

    def _push_rows(self, rows: list[Row]) -> None:
        room, limit = self._room, self._max_items
        if not self._open:
            self._oldest = monotonic()
            self._wake.set()
        batch, used = self._open, self._open_bytes
        for row in rows:
            size = len(row[1]) + 1
            if used + size > room or len(batch) >= limit:
                self._open_bytes = used
                self._seal()
                batch, used = self._open, 0
            batch.append(row)
            used += size
        self._open_bytes = used
        if len(batch) >= limit:
            self._seal()

    async def _recover(self) -> None:
        assert self._spool is not None
        after = 0
        try:
            while True:
                await self._wait_for_room(recovering=True)
                rows = await self._spool.read(after, max(1, min(self._max_queue - self._outstanding, 5000)))
                if not rows:
                    return
                after = rows[-1][0]
                if not self._outstanding:
                    self._idle.clear()
                self._outstanding += len(rows)
                self._report.accepted += len(rows)
                self._report.recovered += len(rows)
                self._push_rows(rows)
        finally:
            self._recovery = None
            self._wake_waiters()
            if not self._outstanding:
                self._idle.set()

    # -- sending ---------------------------------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        wake = self._wake
        while True:
            if self._halted is not None or (not self._ready and not self._open):
                wake.clear()
                await wake.wait()
                continue
            now = monotonic()
            if self._pause_until > now:
                await asyncio.sleep(self._pause_until - now)
                continue
            due = self._oldest + self._max_wait - now
            if not self._ready and not self._flushing and due > 0:
                wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), due)
                continue
            await self._slots.acquire()
            if not self._ready:
                self._seal()  # the open batch is due (or a flush was asked for)
            if not self._ready:
                self._slots.release()
                continue
            batch = self._ready.popleft()
            task = asyncio.create_task(self._send(batch))
            self._senders.add(task)
            task.add_done_callback(self._senders.discard)
