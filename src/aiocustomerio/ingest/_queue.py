"""The in-memory side of the engine: the bounded room producers wait for, and the lanes batches are cut in.

Items are `Row`s, `(seq, bytes, person)`: `seq` is the ingestor-local sequence number (the spool's row key, continued
across runs), `bytes` the encoded item, `person` a stable hash (CRC-32) of who the item is about.

**Lanes keep one person's updates in order.** Each row goes to lane `person % lanes`, and a lane has at most one
batch in flight: a batch that has to be retried goes back to the front of its lane and is sent again before
anything newer from that lane. So an older `identify` can never land after a newer one for the same person, with
any concurrency (the number of lanes is the concurrency). The hash is stable across runs, so a spool's leftovers
fall in the same lanes as new items about the same people.
"""

from __future__ import annotations

import asyncio
import contextlib
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Generator
from itertools import accumulate, repeat
from itertools import count as numbers
from operator import add, itemgetter, mod
from time import monotonic
from zlib import crc32

Row = tuple[int, bytes, int]
_data = itemgetter(1)  # a row's parts, for C loops over rows
_person = itemgetter(2)


def person_hash(who: object) -> int:
    """A stable hash of who an item is about: an id string, or an identifiers dict (`{"id": ...}`, or any
    identifiers with a string `id`, hashes like the id itself). Collisions only put two people in one lane."""
    if type(who) is str:
        return crc32(who.encode())
    if isinstance(who, dict):
        if len(who) == 1:
            return crc32(str(next(iter(who.values()))).encode())
        one = who.get("id")
        if type(one) is str:
            return crc32(one.encode())  # an `id` names the person whatever else is given (the per-item fast path)
        return crc32(repr(sorted((str(k), str(v)) for k, v in who.items())).encode())
    return 0 if who is None else crc32(str(who).encode())


class Pause:
    """Awaiting it lets the event loop run once (as `asyncio.sleep(0)` does), and it is no coroutine: `put_nowait`,
    which cannot wait, may drop it unawaited without a warning."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        yield  # a bare yield: the task is rescheduled at once, after the callbacks already due


PAUSE = Pause()


class Room:
    """At most `limit` items accepted and not yet settled; producers wait in FIFO order for room.

    Room is handed over: a waiter that fits is given its share (counted in `used`) and leaves `waiting` at once, so
    `waiting` holds only producers that really wait, the per-item path can check it alone, and room never goes
    unused while someone waits. A producer cancelled after it was given room, before it could run, gives that room
    back to the next waiter (the lost wake-up of a plain "wake n waiters" scheme).
    """

    def __init__(self, limit: int, on_wait: Callable[[], object] | None = None) -> None:
        self.limit = limit
        self._on_wait = on_wait  # someone has to wait for room: what is queued should go out now
        self.used = 0
        # Set when nothing is outstanding. Cleared by `wait_idle`, not by every `take`: that is the per-item path.
        self.idle = asyncio.Event()
        # FIFO of (n, future): the future's result is True when the room was handed over, False when `fail` ended it.
        self.waiting: deque[tuple[int, asyncio.Future[bool]]] = deque()
        self._error: BaseException | None = None

    def has_room(self, n: int = 1) -> bool:
        return self.used + n <= self.limit and not self.waiting

    def take(self, n: int) -> None:
        """Take room without waiting (the caller checked `has_room`, or may go over: leftovers being re-queued)."""
        self.used += n

    async def acquire(self, n: int = 1) -> None:
        """Wait until `n` more items fit (`n` <= limit), behind anyone already waiting, and take that room."""
        if self._error is not None:
            raise self._error
        if self.has_room(n):
            self.used += n
            return
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        entry = (n, waiter)
        self.waiting.append(entry)
        if self._on_wait is not None:
            self._on_wait()
        try:
            granted = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.give_back(n)  # given room, then cancelled before it ran: the room goes to the next waiter
            else:
                with contextlib.suppress(ValueError):
                    self.waiting.remove(entry)
                self._wake()  # it may have been the first one, holding up smaller waiters behind it
            raise
        if not granted:
            assert self._error is not None
            raise self._error

    async def wait_idle(self) -> None:
        """Until nothing is outstanding, or `idle` is set for another reason (delivery halted): callers re-check."""
        self.idle.clear()
        if self.used:
            await self.idle.wait()

    def give_back(self, n: int) -> None:
        self.used -= n
        if self.waiting:
            self._wake()
        if not self.used:
            self.idle.set()

    def _wake(self) -> None:
        waiting = self.waiting
        while waiting and self._error is None:
            n, waiter = waiting[0]
            if waiter.done():
                # Cancelled, its task not yet run to take itself out: it gets nothing (setting a result on it raised
                # InvalidStateError in whoever gave room back: another producer, or delivery settling a batch).
                waiting.popleft()
                continue
            if self.used + n > self.limit:
                break  # FIFO: nobody overtakes the first one that does not fit
            waiting.popleft()
            self.used += n
            waiter.set_result(True)

    def fail(self, error: BaseException) -> None:
        """Every waiter, and every later `acquire`, raises `error` (delivery halted, or the ingestor closed)."""
        self._error = error
        while self.waiting:
            _, waiter = self.waiting.popleft()
            if not waiter.done():  # a cancelled one, not yet run to take itself out
                waiter.set_result(False)


class Lane:
    __slots__ = ("busy", "oldest", "open", "open_bytes", "ready")

    def __init__(self) -> None:
        self.open: list[Row] = []
        self.open_bytes = 0
        self.oldest = 0.0  # when the open batch got its first item
        self.ready: deque[list[Row]] = deque()
        self.busy = False  # a batch of this lane is in flight


class Lanes:
    """Batches are formed from the rows accepted: a lane's open batch fills until the next row would not fit (bytes or
    count), then it is sealed into the lane's ready queue. Nothing is measured again when a batch is sent.

    The per-item path only appends a row to its lane's `pending` list (`add`); rows join batches when the dispatcher
    next looks (`_distribute`), where each lane's sizes are summed and cut by C loops (`accumulate`, `bisect`)
    instead of a method call and a dozen attribute updates per row while the producer waits."""

    def __init__(self, count: int, max_items: int, room_bytes: int, wake: asyncio.Event) -> None:
        self.lanes = [Lane() for _ in range(count)]
        self.count = count
        self._max_items = max_items
        self._room = room_bytes
        self._wake = wake
        self._next = 0  # lane to look at first: round robin, so no lane starves
        # Per lane, the rows accepted (in seq order) and not yet in a batch. The lists are replaced in place, never
        # the outer one: the engine's per-item path holds it.
        self.pending: list[list[Row]] = [[] for _ in range(count)]
        self._pending_since: float | None = None  # when the oldest pending row came: the age of a batch it opens

    def add(self, row: Row) -> None:
        pending = self.pending[row[2] % self.count]
        if not pending:
            self.opened()
        pending.append(row)

    def opened(self) -> None:
        """A row joins an empty pending list (the per-item callers append it themselves)."""
        if self._pending_since is None:
            self._pending_since = monotonic()
            self._wake.set()

    def add_many(self, rows: list[Row]) -> None:
        if not rows:
            return
        self.opened()
        pending, count = self.pending, self.count
        if count == 1:
            pending[0] += rows
            return
        appends = [lane.append for lane in pending]
        for row, index in zip(rows, map(mod, map(_person, rows), repeat(count)), strict=True):
            appends[index](row)

    def _distribute(self) -> None:
        since = self._pending_since
        if since is None:
            return
        self._pending_since = None
        pending, room, max_items = self.pending, self._room, self._max_items
        for index, lane in enumerate(self.lanes):
            rows = pending[index]
            if not rows:
                continue
            pending[index] = []
            # ends[k]: the bytes rows[0..k] take in a body, each with its comma.
            ends = list(map(add, accumulate(map(len, map(_data, rows))), numbers(1)))
            start, total = 0, len(rows)
            offset = 0  # bytes of rows[:start], already in batches
            while start < total:
                batch = lane.open
                if not batch:
                    lane.oldest = since
                # How many of the rows from `start` still fit in the open batch, by bytes and by count.
                fits = min(total, start + max_items - len(batch))
                stop = bisect_right(ends, room - lane.open_bytes + offset, start, fits)
                if stop == start and not batch:
                    stop = start + 1  # one row always fits an empty batch (items are smaller than a body)
                if stop > start:
                    batch += rows[start:stop]
                    lane.open_bytes += ends[stop - 1] - offset
                    offset = ends[stop - 1]
                    start = stop
                if start < total or len(batch) >= max_items:
                    lane.ready.append(batch)
                    lane.open = []
                    lane.open_bytes = 0
        self._wake.set()  # for a caller other than the dispatcher: batches may be ready now

    def _seal(self, lane: Lane) -> None:
        if lane.open:
            lane.ready.append(lane.open)
            lane.open = []
            lane.open_bytes = 0
            self._wake.set()

    def requeue(self, lane_index: int, rows: list[Row]) -> None:
        """Back at the front of its lane, whole: its items go before anything newer about the same people."""
        self.lanes[lane_index].ready.appendleft(rows)
        self._wake.set()

    def take(self, max_wait: float, flushing: bool) -> tuple[int, list[Row]] | float | None:
        """A batch of a lane with nothing in flight: `(lane index, rows)`; else the seconds until an open batch is
        due, or None when there is nothing to send."""
        self._distribute()
        now = monotonic()
        soonest: float | None = None
        count = self.count
        for step in range(count):
            index = (self._next + step) % count
            lane = self.lanes[index]
            if lane.busy:
                continue
            if not lane.ready and lane.open:
                due = lane.oldest + max_wait - now
                if due > 0 and not flushing:
                    soonest = due if soonest is None else min(soonest, due)
                    continue
                self._seal(lane)
            if lane.ready:
                self._next = (index + 1) % count
                lane.busy = True
                return index, lane.ready.popleft()
        return soonest

    def take_all(self) -> list[Row]:
        """Every row not in flight, oldest first (what close() reports as pending)."""
        self._distribute()
        rows = [row for lane in self.lanes for batch in (*lane.ready, lane.open) for row in batch]
        for lane in self.lanes:
            lane.ready.clear()
            lane.open = []
            lane.open_bytes = 0
        rows.sort()
        return rows
