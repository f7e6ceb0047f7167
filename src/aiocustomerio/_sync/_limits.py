"""The limiter of a ``SyncCustomerIO`` as its ingestors' event loop sees it."""

from __future__ import annotations

import asyncio

import httpx

from .._limits import RateLimiter

__all__ = ["LoopLimiter"]


class LoopLimiter(RateLimiter):
    """A sync client's limiter as its ingestors' event loop sees it: one set of buckets for threads and loop.

    ``RateLimiter`` keeps separate local buckets for its async and its sync path. A ``SyncCustomerIO`` must not
    double its budget because its ingestor runs on an event loop, so this view sends the loop's waits to the sync,
    thread-safe path, on a worker thread (one wait per batch, not per event). Nothing of its own is opened or
    closed: the buckets and any store connections stay the sync client's.
    """

    __slots__ = ("_shared",)

    def __init__(self, shared: RateLimiter) -> None:  # no super().__init__(): no buckets of its own
        self._shared = shared
        self.api = shared.api
        self.active = shared.active
        self.store = shared.store

    async def acquire(self, request: httpx.Request) -> None:
        await asyncio.to_thread(self._shared.acquire_sync, request)

    async def pause(self, request: httpx.Request, seconds: float) -> None:
        await asyncio.to_thread(self._shared.pause_sync, request, seconds)

    async def aclose(self) -> None:
        """Nothing: the sync client closes its limiters' store connections when it closes."""
