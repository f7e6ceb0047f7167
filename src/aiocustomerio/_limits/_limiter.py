"""``RateLimiter``: the buckets of one API's client, for async tasks and (``acquire_sync``) for threads.

Without a store, async admissions use aiolimiter buckets, as they always have (the hot path: one attribute check
more than a bare ``AsyncLimiter.acquire``); the sync path uses ``_gcra.LocalBucket`` at the same rates. With a store
(``Limits(store=...)``), both go through ``_store.RedisStore`` with local buckets at ``rate / fleet_size`` as the
fallback.
"""

from __future__ import annotations

import re

import httpx
from aiolimiter import AsyncLimiter

from ._classes import LIMIT_CLASSES, LimitClass, Limits, Rate
from ._gcra import LocalBucket, shape
from ._store import RedisStore, StoreShape

__all__ = ["MAX_PAUSE", "STORE_BURST", "RateLimiter"]

# The longest fleet-wide pause one 429 can impose (RetryPolicy's default max_retry_after): a bogus Retry-After must
# not stop a whole fleet for hours.
MAX_PAUSE = 60.0

# A shared bucket leaves a tenth of its burst unused, at the same steady rate. Requests from many processes reach the
# API with jitter (scheduling, the network), and when the fleet has spent the API's bucket to the last request, any
# request that arrives a little early is a 429, which then pauses the whole fleet. The spare tenth absorbs that.
STORE_BURST = 0.9


class _Matcher:
    __slots__ = ("buckets", "limit", "local_shape", "locals", "method", "pattern", "rate", "shared", "store_shape")

    def __init__(self, limit: LimitClass, rate: Rate | None, share: int) -> None:
        self.limit = limit
        self.method = limit.method
        self.pattern = re.compile(limit.path) if limit.path else None
        self.rate = rate
        self.shared = AsyncLimiter(rate.max_rate, rate.period) if rate is not None and not limit.per_key else None
        self.buckets: dict[str, AsyncLimiter] = {}
        # Local GCRA buckets: the sync path's (share 1), or the fallback of a store shared by `share` processes.
        self.local_shape = shape(rate, share) if rate is not None else None
        self.store_shape = StoreShape(shape(rate, burst=STORE_BURST)) if rate is not None else None
        self.locals: dict[str, LocalBucket] = {}

    def bucket(self, match: re.Match[str] | None) -> AsyncLimiter | None:
        if self.rate is None:
            return None
        if self.shared is not None:
            return self.shared
        key = match.group("key") if match is not None else ""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = AsyncLimiter(self.rate.max_rate, self.rate.period)
        return bucket

    def local(self, key: str) -> LocalBucket:
        bucket = self.locals.get(key)
        if bucket is None:
            assert self.local_shape is not None
            # setdefault: two threads creating the same bucket at once must end up with one.
            bucket = self.locals.setdefault(key, LocalBucket(self.local_shape))
        return bucket

    def store_key(self, key: str) -> str:
        return f"{self.limit.name}:{key}" if self.limit.per_key else self.limit.name


class RateLimiter:
    """The buckets of one API's client; every task (or thread, for ``acquire_sync``) using that client shares them.

    The async and the sync path keep separate local buckets: a limiter serves one kind of client. With a store,
    both share the fleet's buckets in Redis.
    """

    __slots__ = ("_base", "_matchers", "_single", "active", "api", "store")

    def __init__(
        self,
        api: str,
        limits: Limits | None = None,
        classes: tuple[LimitClass, ...] = LIMIT_CLASSES,
        *,
        base_path: str = "",
    ) -> None:
        """``base_path``: the path of the API's base URL (a proxy's ``/customerio``), which classes never include."""
        limits = limits if limits is not None else Limits()
        self._base = base_path.rstrip("/")
        config = limits.store
        share = config.fleet_size if config is not None else 1
        self.api = api
        self._matchers = tuple(_Matcher(limit, limits.rate_for(limit), share) for limit in classes if limit.api == api)
        # A disabled catch-all still matches, so a request never falls through to a limit it should not get.
        self.active = any(matcher.rate is not None for matcher in self._matchers)
        self.store = RedisStore(config, api) if config is not None and self.active else None
        only = self._matchers[0] if len(self._matchers) == 1 else None
        # The common case (Track, Pipelines): one unconditional bucket, no matching needed per request.
        self._single = only.shared if only is not None and only.method is None and only.pattern is None else None

    @property
    def shared(self) -> bool:
        """Whether the buckets are shared through a store (and a 429 pauses the fleet)."""
        return self.store is not None

    def _match(self, request: httpx.Request) -> tuple[_Matcher, re.Match[str] | None] | None:
        method = request.method
        path = request.url.path
        if self._base and path.startswith(self._base):
            path = path[len(self._base) :]  # classes are the operations' paths, relative to the API's root
        for matcher in self._matchers:
            if matcher.method is not None and matcher.method != method:
                continue
            match = None
            if matcher.pattern is not None:
                match = matcher.pattern.match(path)
                if match is None:
                    continue
            return matcher, match
        return None

    def classify(self, request: httpx.Request) -> tuple[str, AsyncLimiter | None] | None:
        """The limit class name and async bucket of a request (bucket ``None`` when that class is disabled)."""
        found = self._match(request)
        if found is None:
            return None
        matcher, match = found
        return matcher.limit.name, matcher.bucket(match)

    def bucket_for(self, request: httpx.Request) -> AsyncLimiter | None:
        if self._single is not None:
            return self._single
        found = self.classify(request)
        return found[1] if found is not None else None

    def _slot(self, request: httpx.Request) -> tuple[_Matcher, str] | None:
        """The class of a request that has a limit, and its per-key value ("" for classes without one)."""
        found = self._match(request)
        if found is None or found[0].rate is None:
            return None
        matcher, match = found
        return matcher, (match.group("key") if matcher.limit.per_key and match is not None else "")

    async def acquire(self, request: httpx.Request) -> None:
        """Wait until the request's bucket has room.

        Without a store, cancellation while waiting takes nothing from the bucket. With one, the slot was reserved
        when the wait began, so a cancelled wait leaves it unused: the fleet sends less, never more.
        """
        store = self.store
        if store is None:
            bucket = self._single if self._single is not None else self.bucket_for(request)
            if bucket is not None:
                await bucket.acquire()
            return
        slot = self._slot(request)
        if slot is not None:
            matcher, key = slot
            assert matcher.store_shape is not None
            await store.acquire(store.key(request, matcher.store_key(key)), matcher.store_shape, matcher.local(key))

    def acquire_sync(self, request: httpx.Request) -> None:
        """Block the calling thread until the request's bucket has room; thread-safe."""
        slot = self._slot(request)
        if slot is None:
            return
        matcher, key = slot
        store = self.store
        if store is None:
            matcher.local(key).acquire_sync()
            return
        assert matcher.store_shape is not None
        store.acquire_sync(store.key(request, matcher.store_key(key)), matcher.store_shape, matcher.local(key))

    async def pause(self, request: httpx.Request, seconds: float) -> None:
        """Admit nothing more of this request's class for ``seconds``, in every process sharing the store.

        Called by the transport on a 429 with Retry-After. Without a store it does nothing: each task's own retry
        already waits, and the limits behave exactly as they did before stores existed.
        """
        store = self.store
        if store is None or not seconds > 0:
            return
        slot = self._slot(request)
        if slot is not None:
            matcher, key = slot
            assert matcher.store_shape is not None
            skey = store.key(request, matcher.store_key(key))
            await store.pause(skey, matcher.store_shape, matcher.local(key), min(seconds, MAX_PAUSE))

    def pause_sync(self, request: httpx.Request, seconds: float) -> None:
        """The blocking twin of :meth:`pause`, for the sync transport."""
        store = self.store
        if store is None or not seconds > 0:
            return
        slot = self._slot(request)
        if slot is not None:
            matcher, key = slot
            assert matcher.store_shape is not None
            skey = store.key(request, matcher.store_key(key))
            store.pause_sync(skey, matcher.store_shape, matcher.local(key), min(seconds, MAX_PAUSE))

    async def aclose(self) -> None:
        """Close the store's async connections (the transport does it when its client closes)."""
        if self.store is not None:
            await self.store.aclose()

    def close(self) -> None:
        """Close the store's sync connections."""
        if self.store is not None:
            self.store.close()
