"""Sending: the dispatcher takes batches from the lanes, `Delivery` posts each one, and its `Outcome` is applied
here: delivered and failed items are settled (failures dead-lettered with a spool), the rest re-queued at the front
of their lane and retried by the one `RetryPolicy`, or delivery halts when the endpoint itself is wrong.

The engine composes this with the queue and the spool; it shares them, never its own state.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from time import monotonic

import httpx

from .._retry import RetryPolicy
from ._delivery import Delivery, Outcome
from ._queue import Lanes, Room, Row
from ._report import SAMPLE_LIMIT, IngestReport
from ._spool import Spool
from ._types import ErrorCallback, IngestorHalted, JSONDict

log = logging.getLogger("aiocustomerio.ingest")


class Sender:
    def __init__(
        self,
        *,
        lanes: Lanes,
        room: Room,
        wake: asyncio.Event,
        delivery: Delivery,
        report: IngestReport,
        retry: RetryPolicy,
        max_wait: float,
        on_error: ErrorCallback | None,
        on_halt: Callable[[], object],
    ) -> None:
        self._lanes = lanes
        self._room = room
        self._wake = wake
        self._delivery = delivery
        self._report = report
        self._retry = retry
        self._max_wait = max_wait
        self._on_error = on_error
        self._on_halt = on_halt
        self.http: httpx.AsyncClient | None = None  # set by the engine's start
        self.spool: Spool | None = None
        self.halted: str | None = None  # why delivery stopped, for good
        self.flushing = 0  # flush()/close() callers: open batches go out without waiting for max_wait
        self.tasks: set[asyncio.Task[None]] = set()  # batches in flight
        self._retries_in_row = 0
        self._persistent_failures = 0  # in a row: DNS lookups, TLS handshakes (see `persistent_problem`)
        self._pause_until = 0.0

    async def run(self) -> None:
        """The dispatcher (`_dispatch`); should it fail, delivery halts, said and reported, rather than stopping
        without a word while close() waits for it."""
        try:
            await self._dispatch()
        except Exception as exc:
            log.exception("unexpected error in the ingestor's dispatcher")
            self.halt(f"internal error in the dispatcher: {type(exc).__name__}: {exc} (items kept pending)")

    async def _dispatch(self) -> None:
        """A batch from a lane with nothing in flight, when it is due (full, `max_wait` old, flushing, or producers
        waiting for room), each sent by a task of its own."""
        wake, lanes = self._wake, self._lanes
        while True:
            if self.halted is not None:
                wake.clear()
                await wake.wait()
                continue
            now = monotonic()
            if self._pause_until > now:
                await asyncio.sleep(self._pause_until - now)
                continue
            # Open batches go out at once while flushing, and while producers wait for room: no more items can
            # join them until room is given back, so waiting out `max_wait` would only stall everyone.
            picked = lanes.take(self._max_wait, self.flushing > 0 or bool(self._room.waiting))
            if picked is None:
                wake.clear()
                await wake.wait()
                continue
            if isinstance(picked, float):
                # A timer rather than asyncio.wait_for, which on 3.10/3.11 can swallow a cancellation that arrives as
                # the wait completes: close() would then wait forever for this task.
                wake.clear()
                timer = asyncio.get_running_loop().call_later(picked, wake.set)
                try:
                    await wake.wait()
                finally:
                    timer.cancel()
                continue
            task = asyncio.create_task(self._send(*picked))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _send(self, lane: int, rows: list[Row]) -> None:
        assert self.http is not None
        try:
            outcome = await self._delivery.send(self.http, rows)
        except asyncio.CancelledError:
            self._lanes.requeue(lane, rows)  # close(): kept pending (a re-send of any delivered part is harmless)
            self._lanes.lanes[lane].busy = False
            raise
        except Exception as exc:
            # Only a bug gets here; it must not pass silently nor strand the batch: delivery stops, items kept.
            log.exception("unexpected error while sending a batch of %d items", len(rows))
            outcome = Outcome(retry=rows, halt=f"internal error while sending: {type(exc).__name__}: {exc}")
        try:
            self._apply(lane, outcome)
        except Exception as exc:
            # Nor may a failure applying the outcome (a RetryPolicy subclass's delay, the spool's bookkeeping): a task
            # that died here left its lane busy and close() waiting for ever, with nothing said.
            log.exception("unexpected error while settling a batch of %d items", len(rows))
            self._lanes.lanes[lane].busy = False
            self.halt(
                f"internal error while settling a batch of {len(rows)} items: {type(exc).__name__}: {exc} (items "
                "not settled are kept pending, and in the spool if one is used)"
            )
            self._wake.set()

    def _apply(self, lane: int, outcome: Outcome) -> None:
        if outcome.retry:
            # First: whatever goes wrong below, these stay pending.
            self._lanes.requeue(lane, outcome.retry)
        if outcome.delivered:
            self._retries_in_row = 0
            self._persistent_failures = 0
            self._settle_delivered(outcome.delivered)
        if outcome.failed:
            self._settle_failed(outcome.failed)
        if outcome.retry:
            if outcome.halt is not None:
                self.halt(outcome.halt)
            else:
                self._retry_later(outcome)
        self._lanes.lanes[lane].busy = False
        self._wake.set()

    def _settle_delivered(self, rows: list[Row]) -> None:
        self._report.delivered += len(rows)
        self._room.give_back(len(rows))
        if self.spool is not None:
            self.spool.settle([row[0] for row in rows])

    def _settle_failed(self, failures: list[tuple[Row, str]]) -> None:
        report, on_error = self._report, self._on_error
        for (_, data, _), reason in failures:
            if on_error is None and len(report.failed) >= SAMPLE_LIMIT:
                report.failed_count += 1  # counted; the sample is full, so the item need not be decoded
                continue
            item: JSONDict = json.loads(data)
            report.add_failure(item, reason)
            if on_error is not None:
                try:
                    on_error(item, reason)
                except Exception:
                    log.exception("on_error callback raised; the item stays reported as failed")
        self._room.give_back(len(failures))
        if self.spool is not None:
            self.spool.dead_letter(failures)  # kept, with the reason: `requeue_dead_letters` re-drives them

    def _retry_later(self, outcome: Outcome) -> None:
        self._report.retried += len(outcome.retry)
        if outcome.persistent is not None:
            self._persistent_failures += 1
            if self._persistent_failures > self._retry.max_retries:
                count = self._persistent_failures
                self.halt(f"{outcome.retry_reason} ({count} times in a row): {outcome.persistent}")
                return
        else:
            # Any other failure (a 503 from a server that is up, a timeout) breaks the run: the halt says the same
            # wrong setting failed every time "in a row", which a refusal, a 503 and three refusals are not.
            self._persistent_failures = 0
        delay = self._retry.delay(self._retries_in_row, outcome.response)
        self._retries_in_row += 1
        self._pause_until = max(self._pause_until, monotonic() + delay)
        log.warning("batch of %d items will be retried in %.2fs: %s", len(outcome.retry), delay, outcome.retry_reason)

    def halt(self, reason: str) -> None:
        """Stop sending: the credentials or the configuration are wrong for every batch, not for these items."""
        if self.halted is not None:
            return
        self.halted = self._report.halted = reason
        self._on_halt()  # the engine's puts take the slow path, which raises IngestorHalted
        log.error("ingestion stopped, %d items kept pending: %s", self._room.used, reason)
        self._room.fail(IngestorHalted(reason))
        self._room.idle.set()  # flush()/close() stop waiting for deliveries that will not happen
