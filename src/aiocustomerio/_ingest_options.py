"""The keyword options of ``cio.<api>.ingestor(...)``, for type checkers: a misspelt or mistyped option in user code
is a mypy error before it runs (at run time ``ApiBinding.ingestor_options`` refuses it with the closest valid name).

They mirror ``aiocustomerio.ingest.Engine``'s keyword-only parameters (and, for ``SyncCustomerIO``, the sync
ingestors' timeouts); a test keeps the keys equal to ``ingestor_option_names``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from ._retry import RetryPolicy
    from .ingest import ErrorCallback

__all__ = ["IngestorOptions", "SyncIngestorOptions"]


class IngestorOptions(TypedDict, total=False):
    """Options of the async ingestors (``aiocustomerio.ingest.Engine``)."""

    max_batch_items: int
    max_batch_bytes: int
    max_item_bytes: int
    max_wait: float  # seconds a partial batch waits for more items
    max_queue: int  # items held before put() waits and put_nowait() raises QueueFull
    concurrency: int  # batches in flight
    spool: str | os.PathLike[str] | None  # a SQLite file that keeps every accepted item until delivered
    on_error: ErrorCallback | None
    retry: RetryPolicy | None  # default: the client's
    backoff: tuple[float, float] | None
    requeue_dead_letters: bool
    isolation_budget: int


class SyncIngestorOptions(IngestorOptions, total=False):
    """Options of ``SyncCustomerIO``'s blocking ingestors: the async ones, plus the bounds of their waits."""

    put_timeout: float | None
    drain_timeout: float | None
    interrupt_drain_timeout: float | None
