"""Posting batches and settling their items from the API's answer: delivered, failed (reported) or retried later.

`Delivery` is the half of the engine that runs after a batch is cut: `Engine` (lifecycle, accepting items, cutting
batches) derives from it. Every item handed to `_send` ends settled (delivered or failed) or back in the ready queue;
`_in_flight` tracks which ones are still undecided so that even a bug in this module cannot strand an item.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import deque
from time import monotonic

import httpx

from ._responses import (
    RETRIABLE_STATUS,
    TRANSIENT_ERRORS,
    describe_item_error,
    error_text,
    retriable_item_error,
    retry_after,
    status_of,
)
from ._spool import Row, Spool
from ._types import ErrorCallback, IngestorHalted, IngestReport, JSONDict

log = logging.getLogger("aiocustomerio.ingest")
# Refused credentials: every later batch would be refused too, so delivery stops with the items kept (IngestorHalted).
HALTING_STATUS = frozenset({401, 403})

_PREFIX = b'{"batch":['
_SUFFIX = b"]}"
_HEADERS = {"content-type": "application/json"}
# The façade's transport raises typed errors for error statuses unless told otherwise; the ingestor wants the
# response itself (a 400 body names the bad field). Plain httpx clients ignore the extension.
_EXTENSIONS = {"aiocustomerio_raise": False}


class Delivery:
    _path: str
    _http: httpx.AsyncClient | None
    _report: IngestReport
    _outstanding: int
    _spool: Spool | None
    _on_error: ErrorCallback | None
    _backoff: tuple[float, float]
    _max_queue: int
    _failures_in_row: int
    _pause_until: float
    _halted: str | None
    _accepting: bool
    _ready: deque[list[Row]]
    _in_flight: set[int]  # seqs of items being posted: neither settled nor back in `_ready`
    _space_waiters: deque[asyncio.Future[None]]
    _wake: asyncio.Event
    _idle: asyncio.Event
    _slots: asyncio.Semaphore

    async def _send(self, batch: list[Row]) -> None:
        self._in_flight.update([seq for seq, _ in batch])
        try:
            await self._post(batch)
        except Exception as exc:
            # Only a bug gets here; it must not pass silently, nor leave the batch's undecided items outstanding
            # (close() would then wait for them until its timeout). They are reported as failed.
            log.exception("unexpected error while settling a batch of %d items", len(batch))
            left = [row for row in batch if row[0] in self._in_flight]
            if left:
                reason = f"internal error while sending: {type(exc).__name__}: {exc}"
                self._settle_failed([(row, reason) for row in left])
        finally:
            self._slots.release()

    async def _post(self, batch: list[Row]) -> None:
        body = b"".join((_PREFIX, b",".join([data for _, data in batch]), _SUFFIX))
        try:
            assert self._http is not None
            response = await self._http.post(self._path, content=body, headers=_HEADERS, extensions=_EXTENSIONS)
        except asyncio.CancelledError:
            self._requeue(batch, count_retry=False)
            raise
        except Exception as exc:
            status = status_of(exc)
            reason = f"{type(exc).__name__}: {exc}"
            if status is None and not isinstance(exc, TRANSIENT_ERRORS):
                # Not an answer from the API and not the network: a local problem (missing credentials, a bug in
                # a hook) that a retry will not fix, and that every later batch would hit too.
                self._halt(batch, reason)
            elif status in HALTING_STATUS:
                self._halt(batch, reason)
            elif status is None or status >= 500 or status in RETRIABLE_STATUS:
                self._retry_later(batch, reason, retry_after(exc, None))
            else:
                await self._reject(batch, status, reason)
            return
        status = response.status_code
        if status == 207:
            self._multi_status(batch, response)
        elif 200 <= status < 300:
            self._settle_delivered(batch)
        elif status >= 500 or status in RETRIABLE_STATUS:
            self._retry_later(batch, f"HTTP {status}", retry_after(None, response))
        elif status in HALTING_STATUS:
            self._halt(batch, f"HTTP {status}: {error_text(response)}")
        else:
            await self._reject(batch, status, f"HTTP {status}: {error_text(response)}")

    async def _reject(self, batch: list[Row], status: int, reason: str) -> None:
        # A 400/413 may be caused by a single item: halve the batch until the bad items stand alone.
        if status in (400, 413) and len(batch) > 1:
            middle = len(batch) // 2
            halves = [batch[:middle], batch[middle:]]
            for index, half in enumerate(halves):
                try:
                    await self._post(half)
                except asyncio.CancelledError:
                    for rest in reversed(halves[index + 1 :]):
                        self._requeue(rest, count_retry=False)
                    raise
            return
        self._settle_failed([(row, reason) for row in batch])

    def _multi_status(self, batch: list[Row], response: httpx.Response) -> None:
        try:
            errors = response.json().get("errors") or []
        except (ValueError, AttributeError):
            errors = []
        if not isinstance(errors, list):
            errors = []
        failed: list[tuple[Row, str]] = []
        retry: list[Row] = []
        seen: set[int] = set()
        for error in errors:
            index = error.get("batch_index") if isinstance(error, dict) else None
            if not isinstance(index, int) or not 0 <= index < len(batch) or index in seen:
                continue
            seen.add(index)
            if retriable_item_error(error):
                retry.append(batch[index])
            else:
                failed.append((batch[index], describe_item_error(error)))
        self._settle_delivered([row for index, row in enumerate(batch) if index not in seen])
        if failed:
            self._settle_failed(failed)
        if retry:
            self._retry_later(retry, "retriable item errors", None)

    # -- settling --------------------------------------------------------------------------------------------------

    def _settle(self, seqs: list[int]) -> None:
        self._in_flight.difference_update(seqs)
        self._outstanding -= len(seqs)
        if self._spool is not None:
            self._spool.delete(seqs)
        if self._space_waiters:
            self._wake_waiters()
        if not self._outstanding:
            self._idle.set()

    def _settle_delivered(self, batch: list[Row]) -> None:
        self._failures_in_row = 0
        self._report.delivered += len(batch)
        self._settle([seq for seq, _ in batch])

    def _settle_failed(self, failures: list[tuple[Row, str]]) -> None:
        self._settle([seq for (seq, _), _ in failures])
        for (_, data), reason in failures:
            item: JSONDict = json.loads(data)
            self._report.failed.append((item, reason))
            if self._on_error is not None:
                try:
                    self._on_error(item, reason)
                except Exception:
                    log.exception("on_error callback raised; the item stays reported as failed")

    def _retry_later(self, batch: list[Row], reason: str, retry_after: float | None) -> None:
        self._requeue(batch, count_retry=True)
        self._failures_in_row += 1
        base, cap = self._backoff
        delay = min(cap, base * 2 ** min(self._failures_in_row - 1, 16)) * (0.5 + random.random() / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, cap))
        self._pause_until = max(self._pause_until, monotonic() + delay)
        log.warning("batch of %d items will be retried in %.2fs: %s", len(batch), delay, reason)

    def _halt(self, batch: list[Row], reason: str) -> None:
        """Stop sending: the credentials (or the configuration) are wrong for every batch, not for these items."""
        self._requeue(batch, count_retry=False)
        if self._halted is None:
            self._halted = self._report.halted = reason
            self._accepting = False  # puts take the slow path, which raises IngestorHalted
            log.error("ingestion stopped, %d items kept pending: %s", self._outstanding, reason)
            for waiter in self._space_waiters:
                if not waiter.done():
                    waiter.set_exception(IngestorHalted(reason))
            self._idle.set()  # let flush()/close() stop waiting for deliveries that will not happen

    def _requeue(self, batch: list[Row], *, count_retry: bool) -> None:
        self._in_flight.difference_update([seq for seq, _ in batch])
        if count_retry:
            self._report.retried += len(batch)
        # Back at the front, whole: it was a valid batch, and its items go before anything newer.
        self._ready.appendleft(batch)
        self._wake.set()

    def _wake_waiters(self) -> None:
        room = self._max_queue - self._outstanding
        for waiter in self._space_waiters:
            if room <= 0:
                break
            if not waiter.done():
                waiter.set_result(None)
                room -= 1
