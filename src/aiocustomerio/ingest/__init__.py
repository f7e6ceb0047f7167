"""High-throughput ingestion into Customer.io's batch endpoints (Track v2 `/api/v2/batch`, Pipelines `/batch`).

    async with Ingestor(http, api="track") as ing:
        await ing.identify("u1", email="u1@example.com")
        await ing.event("u1", "purchase", {"total": 12.5})
    print(ing.report.summary())

`http` is an `httpx.AsyncClient` whose base_url, auth and rate limiting are already set up (the façade builds it), or
an async function returning one, called by `start()`. The ingestor adds batching, dedup ids, back-pressure, batch
retries (the transport's own retries are switched off for batches: one retry policy, the façade's `RetryPolicy`), an
optional spool (one writer, dead letters, checkpoints) and a report with exact counts.

Operators' tools for a spool: `inspect_spool(path)` (counts, reasons, a sample of dead letters, checkpoints, lock
holder), `requeue_dead_letters(path)` (or `requeue_dead_letters=True` on the ingestor), `iter_dead_letters(path)` and
`repair_spool(path)` (damaged chunks out: raw bodies kept in files, readable items as dead letters).
"""

from __future__ import annotations

from typing import Any, Literal, overload

from ._apis import PipelinesIngestor, TrackIngestor
from ._encode import MAX_BATCH_BYTES, MAX_ITEM_BYTES
from ._engine import Checkpoint, Engine, HttpSource
from ._repair import DamagedChunk, RepairReport, repair_spool
from ._report import SAMPLE_LIMIT, IngestReport
from ._tools import SpoolState, inspect_spool, iter_dead_letters, requeue_dead_letters
from ._types import (
    ErrorCallback,
    IngestorClosed,
    IngestorHalted,
    InvalidItem,
    ItemTooLarge,
    QueueFull,
    RecoveryInProgress,
    SpoolLocked,
    SpoolWriteError,
)

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_ITEM_BYTES",
    "SAMPLE_LIMIT",
    "Checkpoint",
    "DamagedChunk",
    "Engine",
    "ErrorCallback",
    "HttpSource",
    "IngestReport",
    "Ingestor",
    "IngestorClosed",
    "IngestorHalted",
    "InvalidItem",
    "ItemTooLarge",
    "PipelinesIngestor",
    "QueueFull",
    "RecoveryInProgress",
    "RepairReport",
    "SpoolLocked",
    "SpoolState",
    "SpoolWriteError",
    "TrackIngestor",
    "inspect_spool",
    "iter_dead_letters",
    "repair_spool",
    "requeue_dead_letters",
]


@overload
def Ingestor(http: HttpSource, *, api: Literal["track"] = ..., **options: Any) -> TrackIngestor: ...
@overload
def Ingestor(http: HttpSource, *, api: Literal["pipelines"], **options: Any) -> PipelinesIngestor: ...
def Ingestor(
    http: HttpSource, *, api: Literal["track", "pipelines"] = "track", **options: Any
) -> TrackIngestor | PipelinesIngestor:
    """The ingestor for `api`. Options: max_batch_items (2000), max_wait (1.0 s), max_queue (20000 items),
    concurrency (4 batches in flight), spool (path of a SQLite file), requeue_dead_letters (False), on_error(item,
    reason), retry (a `RetryPolicy`; default the façade's defaults) or backoff ((base, cap) seconds), isolation_budget
    (64 requests to isolate the bad items of a batch answered 400)."""
    if api == "track":
        return TrackIngestor(http, **options)
    if api == "pipelines":
        return PipelinesIngestor(http, **options)
    raise ValueError(f"api must be 'track' or 'pipelines', not {api!r}")
