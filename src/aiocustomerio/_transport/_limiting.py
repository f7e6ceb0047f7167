"""The limiter as the two transports call it: the async names here have sync twins (``*_sync``).

``codegen/unasync.py`` derives the sync transport from the async one by renaming ``acquire`` → ``acquire_sync`` and
so on, so each pair below is the one place where the two differ.
"""

from __future__ import annotations

import httpx

from .._limits import RateLimiter

__all__ = ["acquire", "acquire_sync", "pause", "pause_sync", "usable", "usable_sync"]


def usable(limiter: RateLimiter | None) -> RateLimiter | None:
    """The limiter to consult, or None when every class it has is disabled (the hot path then skips it)."""
    return limiter if limiter is not None and limiter.active else None


def usable_sync(limiter: RateLimiter | None) -> RateLimiter | None:
    """As ``usable``, for a thread: the limiter must be able to block one (``acquire_sync``), else TypeError now."""
    limiter = usable(limiter)
    if limiter is not None and not callable(getattr(limiter, "acquire_sync", None)):
        raise TypeError(
            f"{type(limiter).__name__} has no acquire_sync(request): it cannot rate-limit synchronous calls; "
            "pass limiter=None (no client-side limits) or a limiter with a thread-safe acquire_sync"
        )
    return limiter


async def acquire(limiter: RateLimiter, request: httpx.Request) -> None:
    await limiter.acquire(request)


def acquire_sync(limiter: RateLimiter, request: httpx.Request) -> None:
    getattr(limiter, "acquire_sync")(request)  # noqa: B009 - checked by usable_sync; older limiters lack it


async def pause(limiter: RateLimiter, request: httpx.Request, seconds: float) -> None:
    # The fleet-wide pause: a limiter sharing its budget (through a store) holds every process off for a 429's
    # Retry-After. A limiter without the hook has nothing to share; the retry then waits for this request alone.
    hook = getattr(limiter, "pause", None)
    if hook is not None:
        await hook(request, seconds)


def pause_sync(limiter: RateLimiter, request: httpx.Request, seconds: float) -> None:
    hook = getattr(limiter, "pause_sync", None)
    if hook is not None:
        hook(request, seconds)
