"""High-throughput ingestion into Customer.io's batch endpoints (Track v2 `/api/v2/batch`, Pipelines `/batch`).

    async with Ingestor(http, api="track") as ing:
        await ing.identify("u1", email="u1@example.com")
        await ing.event("u1", "purchase", {"total": 12.5})
    print(ing.report.summary())

`http` is an `httpx.AsyncClient` whose base_url, auth, rate limiting and retries are already set up (the façade
builds it), or an async function returning one, called by `start()`. The ingestor adds batching, dedup ids,
back-pressure, batch-level retries and an optional spool.
"""

from __future__ import annotations

from typing import Any, Literal, overload

from ._apis import PipelinesIngestor, TrackIngestor
from ._encode import MAX_BATCH_BYTES, MAX_ITEM_BYTES
from ._engine import Engine, HttpSource, InvalidItem
from ._types import (
    ErrorCallback,
    IngestorClosed,
    IngestorHalted,
    IngestReport,
    ItemTooLarge,
    QueueFull,
    RecoveryInProgress,
)

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_ITEM_BYTES",
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
    "TrackIngestor",
]


@overload
def Ingestor(http: HttpSource, *, api: Literal["track"] = ..., **options: Any) -> TrackIngestor: ...
@overload
def Ingestor(http: HttpSource, *, api: Literal["pipelines"], **options: Any) -> PipelinesIngestor: ...
def Ingestor(
    http: HttpSource, *, api: Literal["track", "pipelines"] = "track", **options: Any
) -> TrackIngestor | PipelinesIngestor:
    """The ingestor for `api`. Options: max_batch_items (2000), max_wait (1.0 s), max_queue (20000 items),
    concurrency (4 batches in flight), spool (path of a SQLite file), on_error(item, reason), backoff ((0.5, 30.0))."""
    if api == "track":
        return TrackIngestor(http, **options)
    if api == "pipelines":
        return PipelinesIngestor(http, **options)
    raise ValueError(f"api must be 'track' or 'pipelines', not {api!r}")
