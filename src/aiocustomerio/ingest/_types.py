"""Public value types and exceptions of the ingestion engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiocustomerio._payload import PayloadTooLargeError
from aiocustomerio.errors import CustomerIOError

JSONDict = dict[str, Any]
ErrorCallback = Callable[[JSONDict, str], object]


class ItemTooLarge(PayloadTooLargeError):
    """One item encodes to more bytes than the API accepts for a single entry in a batch (the façade's size error)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("item", size, limit, f"item encodes to {size} bytes, over the per-item limit of {limit} bytes")


class QueueFull(CustomerIOError):
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
        CustomerIOError.__init__(
            self,
            "the ingestor is re-queuing items left in its spool by an earlier run; new items wait behind them: "
            "use `await put(...)`",
        )
        self.limit = limit


class IngestorClosed(CustomerIOError, RuntimeError):
    """An item was offered after `close()` started."""


class IngestorNotStarted(CustomerIOError, RuntimeError):
    """An item was offered before `start()` (or `async with` / `with`)."""


class IngestorHalted(CustomerIOError, RuntimeError):
    """Delivery stopped on a problem no retry can fix: credentials refused or missing, a wrong base URL or region
    (404/405/410 from the batch endpoint, a redirect, 426 asking for another protocol, 414/431), a TLS certificate
    that does not verify, and once they keep coming a host name that does not resolve, a port nothing listens on or a
    TLS handshake the server does not speak.

    Nothing is dropped: every item not yet delivered stays pending (and in the spool, if one is used), so a run with
    the problem fixed delivers them. Failing them one by one instead would turn one wrong setting into lost events.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"delivery stopped: {reason}. Undelivered items are kept as pending (and in the spool, if one is used); "
            "fix the credentials or configuration and run again"
        )
        self.reason = reason


class SpoolLocked(CustomerIOError, RuntimeError):
    """Another ingestor (this process or another one) holds the spool: a spool has exactly one writer."""

    def __init__(self, path: str, holder: str) -> None:
        super().__init__(
            f"spool {path!r} is in use by another ingestor ({holder or 'holder unknown'}); "
            "give each process its own spool file, or wait for the other run to finish"
        )
        self.path = path
        self.holder = holder


class SpoolWriteError(CustomerIOError, RuntimeError):
    """The spool could not be written (disk full, file removed, I/O error) even after retries.

    The item of the `put` that raises was not accepted; the report says what is and isn't in the spool.
    """


class InvalidItem(CustomerIOError, ValueError):
    """`put_many` met item `index` (counted from the start of the call), which cannot be sent.

    `accepted` items of the call were accepted before it (whole parts, each committed with its checkpoint); none
    from item `accepted` on was. With a call of at most 1,000 items (one part) that is all or nothing.
    """

    def __init__(self, index: int, cause: Exception, accepted: int = 0) -> None:
        super().__init__(f"item {index}: {cause}")
        self.index = index
        self.cause = cause
        self.accepted = accepted
