"""Public value types and exceptions of the ingestion engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]
ErrorCallback = Callable[[JSONDict, str], object]


class ItemTooLarge(ValueError):
    """One item encodes to more bytes than the API accepts for a single entry in a batch."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"item encodes to {size} bytes, over the per-item limit of {limit} bytes")
        self.size = size
        self.limit = limit


class QueueFull(Exception):
    """`put_nowait` found the ingestor's bounded queue full."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"ingestor queue is full ({limit} items not yet delivered); "
            "use `await put(...)` to wait for room or raise max_queue"
        )
        self.limit = limit


class RecoveryInProgress(QueueFull):
    """`put_nowait` was called while items left in the spool by an earlier run are being re-queued.

    New items queue behind those (they are older); `await put(...)` waits for that. A `QueueFull`, so code that
    falls back to `put` on a full queue handles it too.
    """

    def __init__(self, limit: int) -> None:
        Exception.__init__(
            self,
            "the ingestor is re-queuing items left in its spool by an earlier run; new items wait behind them: "
            "use `await put(...)`",
        )
        self.limit = limit


class IngestorClosed(RuntimeError):
    """An item was offered after `close()` started."""


class IngestorHalted(RuntimeError):
    """Delivery stopped on a problem no retry can fix (credentials refused, missing, or malformed).

    Nothing is dropped: every item not yet delivered stays pending (and in the spool, if one is used), so a run with
    the problem fixed delivers them. Failing them one by one instead would turn one wrong key into lost events.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"delivery stopped: {reason}. Undelivered items are kept as pending (and in the spool, if one is used); "
            "fix the credentials or configuration and run again"
        )
        self.reason = reason


@dataclass
class IngestReport:
    """Outcome of an ingestor's life; `accepted == delivered + len(failed) + len(pending)` always holds.

    `retried` counts item re-sends (one item sent three times adds two), so it is not part of that sum.
    `recovered` counts items taken over from a spool left by an earlier run; they are included in `accepted`.
    """

    accepted: int = 0
    delivered: int = 0
    retried: int = 0
    recovered: int = 0
    failed: list[tuple[JSONDict, str]] = field(default_factory=list)
    pending: list[JSONDict] = field(default_factory=list)
    halted: str | None = None  # why delivery stopped early (see IngestorHalted); its items are in `pending`

    @property
    def ok(self) -> bool:
        return not self.failed and not self.pending and self.halted is None

    def summary(self) -> str:
        text = (
            f"accepted={self.accepted} delivered={self.delivered} failed={len(self.failed)} "
            f"pending={len(self.pending)} retried={self.retried}"
        )
        return f"{text} halted: {self.halted}" if self.halted else text
