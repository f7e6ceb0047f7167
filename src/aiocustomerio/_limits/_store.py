"""The shared store: each limit class is one GCRA bucket in Redis, and each admission is one Lua script call.

Why a Lua GCRA on redis-py rather than a rate-limit library: the transport needs "how long must this request wait",
answered atomically in one round trip, plus a way to push a bucket forward when Customer.io answers 429. The
libraries do not fit that: ``limits`` answers hit/miss only (waiting means polling Redis, several round trips per
request under contention), and ``pyrate-limiter`` keeps a sorted set of every request in the window (3,000 members
per Track bucket) and also polls to wait. A GCRA bucket is one integer per class; the script below reserves a slot
and returns its wait, using Redis's clock so hosts with skewed clocks still share one timeline. The rule is the one
of ``_gcra.LocalBucket``, which is also what runs while the store is down.

Keys: ``aiocustomerio:rl:<api>:<workspace>:<class>[:<broadcast id>]``, where ``<workspace>`` is a truncated SHA-256
of the credential that identifies the workspace (Track: the site id; App: the bearer key; Pipelines: the CDP key),
read from the request's Authorization header, so two workspaces on one Redis never share a budget and no credential
is written to Redis.

Outage policy: any failure to get an answer (a Redis or network error, a reply slower than ``store_timeout``, even
an error inside redis-py) starts an outage. The first failure logs one warning; then for ``PROBE_INTERVAL`` seconds
requests skip Redis: with ``on_store_error="fallback"`` they take local buckets at ``rate / fleet_size``, with
``"raise"`` they fail at once with ``RateLimitStoreError``. The first request after that probes Redis again; when it
answers, the outage ends (logged) and the next one warns again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from ..errors import RateLimitStoreError
from ._classes import StoreConfig
from ._gcra import LocalBucket, Shape

if TYPE_CHECKING:
    import httpx

__all__ = ["PROBE_INTERVAL", "RedisStore", "StoreShape", "workspace_fingerprint"]

logger = logging.getLogger("aiocustomerio")

PROBE_INTERVAL = 1.0
POOL_SIZE = 8
KEY_PREFIX = "aiocustomerio:rl"

# KEYS: the bucket and its pause. ARGV: interval and window in microseconds, and how many consecutive slots to
# reserve. Returns the wait of the first slot in microseconds (negative: that much time to spare; each next slot is an
# interval later, and a slot's wait is never below 0) and the end of
# the class's latest pause (0 if none), so waiters holding slots reserved before a pause learn of it.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < now then tat = now end
local first = tat + interval
tat = tat + interval * tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return {first - tonumber(ARGV[2]) - now, tonumber(redis.call('GET', KEYS[2]) or 0)}
"""

# ARGV: interval, window and pause in microseconds. Nothing is admitted before now + pause, then the steady rate
# (no burst into an API that just said 429). Returns the end of the pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(ARGV[3])
local until_ = now + pause
local target = until_ + tonumber(ARGV[2]) - tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if target > tat then
  redis.call('SET', KEYS[1], string.format('%.0f', target), 'PX', math.ceil((target - now) / 1000) + 1)
end
local previous = tonumber(redis.call('GET', KEYS[2]) or 0)
if until_ > previous then
  redis.call('SET', KEYS[2], string.format('%.0f', until_), 'PX', math.ceil(pause / 1000) + 1)
  return until_
end
return previous
"""


class StoreShape:
    """A class's GCRA shape in whole microseconds, as the script takes it."""

    __slots__ = ("args",)

    def __init__(self, shape: Shape) -> None:
        self.args = (round(shape.interval * 1e6), round(shape.window * 1e6))


def workspace_fingerprint(authorization: str | None) -> str:
    """A short, one-way name for the workspace behind an Authorization header (never the credential itself)."""
    if not authorization:
        return "anonymous"
    scheme, _, credential = authorization.partition(" ")
    identity = credential
    if scheme.lower() == "basic":
        # Track's user is the site id (one per workspace, whichever key); Pipelines' is the CDP key.
        try:
            identity = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            identity = credential
    return hashlib.sha256(b"aiocustomerio-workspace:" + identity.encode()).hexdigest()[:16]


def _load_redis() -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError('Limits(store=...) needs redis-py: pip install "aiocustomerio[redis]"') from exc
    return redis


class RedisStore:
    """One API's buckets in Redis, with the outage policy; shared by the async and the sync path of a limiter."""

    def __init__(self, config: StoreConfig, api: str) -> None:
        self._redis = _load_redis()
        self.config = config
        self._api = api
        self._workspaces: dict[str, str] = {}
        # Bucket key -> end of the latest pause this process has seen (Redis microseconds).
        self._pauses: dict[str, int] = {}
        # Bucket key -> admissions waiting for the next round trip, while one is in flight (async path only).
        self._queues: dict[str, list[asyncio.Future[float]]] = {}
        self._flushers: set[asyncio.Future[None]] = set()
        self._async_client: Any = None
        self._async_scripts: tuple[Any, Any] | None = None
        self._sync_client: Any = None
        self._sync_scripts: tuple[Any, Any] | None = None
        self._client_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._outage: BaseException | None = None
        self._outages = 0
        self._probe_at = 0.0

    # -- keys

    def key(self, request: httpx.Request, suffix: str) -> str:
        header = request.headers.get("authorization", "")
        workspace = self._workspaces.get(header)
        if workspace is None:
            if len(self._workspaces) > 64:
                self._workspaces.clear()
            workspace = self._workspaces[header] = workspace_fingerprint(header)
        # One hash tag per bucket: the bucket and its pause key stay in one slot on Redis Cluster.
        return f"{KEY_PREFIX}:{{{self._api}:{workspace}:{suffix}}}"

    # -- async path

    async def acquire(self, key: str, shape: StoreShape, fallback: LocalBucket) -> None:
        """Wait for a slot; a waiter whose class was paused (anywhere in the fleet) while it slept reserves again."""
        while True:
            wait = await self._reserve(key, shape, fallback)
            if not wait:
                return
            seen = (self._pauses.get(key, 0), fallback.generation)
            await asyncio.sleep(wait)
            if (self._pauses.get(key, 0), fallback.generation) == seen:
                return

    async def _reserve(self, key: str, shape: StoreShape, fallback: LocalBucket) -> float:
        """Seconds to wait before sending: from Redis, or from ``fallback`` during an outage (or raise).

        Concurrent admissions to one bucket share round trips: while one is in flight, the requests that arrive
        queue, and the next round trip reserves their consecutive slots at once (one atomic script call). An idle
        client pays one round trip per request; 64 tasks at once pay a handful, not 64.
        """
        if not self._should_try():
            return self._fallback(fallback)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = [future]
            # A task of its own, so a caller cancelled while waiting cannot cut a round trip short for the others.
            task = asyncio.ensure_future(self._flush(key, shape, fallback, queue))
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
        else:
            queue.append(future)
        return await future

    async def _flush(
        self, key: str, shape: StoreShape, fallback: LocalBucket, queue: list[asyncio.Future[float]]
    ) -> None:
        # Every waiter is resolved whatever happens here: an admission that nobody answers waits forever.
        batch: list[asyncio.Future[float]] = []
        try:
            while queue:
                batch = queue[:]
                del queue[:]
                try:
                    scripts = self._async_scripts or self._open_async()
                    reply = await scripts[0](keys=(key, key + ":pause"), args=(*shape.args, len(batch)))
                    first = self._admitted(key, reply)
                except Exception as exc:  # any failure of the store (or of redis-py) is an outage, never a hang
                    self._failed(exc, raise_error=False)
                    self._settle(batch, fallback, exc)
                    continue
                interval = shape.args[0] / 1e6
                for index, waiter in enumerate(batch):
                    if not waiter.done():  # a cancelled caller's slot stays unused
                        waiter.set_result(max(0.0, first + index * interval))
        except BaseException as exc:  # cancelled (the loop is closing): the waiters still get an answer
            self._settle([*batch, *queue], fallback, exc)
            raise
        finally:
            del self._queues[key]

    def _settle(self, waiters: list[asyncio.Future[float]], fallback: LocalBucket, exc: BaseException) -> None:
        """Answer waiters the store could not: the fallback bucket's wait, or ``RateLimitStoreError``."""
        for waiter in waiters:
            if not waiter.done():
                if self.config.on_store_error == "raise":
                    waiter.set_exception(self._error(exc))
                else:
                    waiter.set_result(self._fallback(fallback))

    async def pause(self, key: str, shape: StoreShape, fallback: LocalBucket, seconds: float) -> None:
        """Pause the bucket for the whole fleet (and locally, for the fallback); never raises for the store."""
        fallback.pause(seconds)
        if self._should_try(raising=False):
            try:
                scripts = self._async_scripts or self._open_async()
                until = await scripts[1](keys=(key, key + ":pause"), args=(*shape.args, round(seconds * 1e6)))
            except Exception as exc:  # RedisError, OSError, timeouts, and redis-py bugs
                self._failed(exc, raise_error=False)
            else:
                self._learn(key, int(until))

    async def aclose(self) -> None:
        client, self._async_client, self._async_scripts = self._async_client, None, None
        if client is not None:
            await client.aclose()

    def _open_async(self) -> tuple[Any, Any]:
        aio = self._redis.asyncio
        pool = aio.BlockingConnectionPool.from_url(self.config.url, **self._options(aio.retry.Retry))
        client = aio.Redis.from_pool(pool)
        scripts = (client.register_script(_RESERVE), client.register_script(_PAUSE))
        self._async_client, self._async_scripts = client, scripts
        return scripts

    # -- sync path (thread-safe: redis-py's sync pool is, and the state below is guarded)

    def acquire_sync(self, key: str, shape: StoreShape, fallback: LocalBucket) -> None:
        while True:
            wait = self._reserve_sync(key, shape, fallback)
            if not wait:
                return
            seen = (self._pauses.get(key, 0), fallback.generation)
            time.sleep(wait)
            if (self._pauses.get(key, 0), fallback.generation) == seen:
                return

    def _reserve_sync(self, key: str, shape: StoreShape, fallback: LocalBucket) -> float:
        if self._should_try():
            try:
                scripts = self._sync_scripts or self._open_sync()
                reply = scripts[0](keys=(key, key + ":pause"), args=(*shape.args, 1))
            except Exception as exc:  # RedisError, OSError, timeouts, and redis-py bugs
                self._failed(exc, raise_error=True)
            else:
                return max(0.0, self._admitted(key, reply))
        return self._fallback(fallback)

    def pause_sync(self, key: str, shape: StoreShape, fallback: LocalBucket, seconds: float) -> None:
        fallback.pause(seconds)
        if self._should_try(raising=False):
            try:
                scripts = self._sync_scripts or self._open_sync()
                until = scripts[1](keys=(key, key + ":pause"), args=(*shape.args, round(seconds * 1e6)))
            except Exception as exc:  # RedisError, OSError, timeouts, and redis-py bugs
                self._failed(exc, raise_error=False)
            else:
                self._learn(key, int(until))

    def close(self) -> None:
        client, self._sync_client, self._sync_scripts = self._sync_client, None, None
        if client is not None:
            client.close()

    def _open_sync(self) -> tuple[Any, Any]:
        with self._client_lock:
            if self._sync_scripts is None:
                pool = self._redis.BlockingConnectionPool.from_url(
                    self.config.url, **self._options(self._redis.retry.Retry)
                )
                client = self._redis.Redis.from_pool(pool)
                self._sync_client = client
                self._sync_scripts = (client.register_script(_RESERVE), client.register_script(_PAUSE))
            return self._sync_scripts

    def _options(self, retry: Any) -> dict[str, Any]:
        timeout = self.config.timeout
        # No retries inside redis-py (its default retries 3 times): a failed admission goes to the outage policy
        # at once, so a dead or stalled Redis costs each request at most one timeout.
        # A bounded pool: 64 tasks admitted at once would otherwise open 64 connections at once, and on a busy host
        # the connects alone outlast store_timeout. Waiting for a pooled connection counts against it too.
        return {
            "max_connections": POOL_SIZE,
            "timeout": timeout,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": retry(self._redis.backoff.NoBackoff(), 0),
            "health_check_interval": 0,
        }

    def _fallback(self, bucket: LocalBucket) -> float:
        if bucket.outage != self._outages:
            # A fallback bucket starts each outage drained (the steady rate at once, no burst): the fleet was just
            # spending the shared budget, and a burst from every process at once would collect 429s.
            bucket.outage = self._outages
            bucket.pause(0.0)
        return bucket.reserve()

    def _admitted(self, key: str, reply: Any) -> float:
        if self._outage is not None:
            self._recovered()
        self._learn(key, int(reply[1]))
        return int(reply[0]) / 1e6  # may be negative (the async batch adds intervals to it); callers clamp

    def _learn(self, key: str, paused_until: int) -> None:
        if paused_until > self._pauses.get(key, 0):
            self._pauses[key] = paused_until

    # -- outage state

    def _should_try(self, raising: bool = True) -> bool:
        """Whether to ask Redis now; during an outage (between probes) raise or fall back per the policy."""
        if self._outage is None or time.monotonic() >= self._probe_at:
            return True
        if raising and self.config.on_store_error == "raise":
            raise self._error(self._outage)
        return False

    def _failed(self, exc: BaseException, *, raise_error: bool) -> None:
        with self._state_lock:
            first = self._outage is None
            self._outage = exc
            if first:
                self._outages += 1
            self._probe_at = time.monotonic() + PROBE_INTERVAL
        if first:
            action = (
                "failing requests with RateLimitStoreError"
                if self.config.on_store_error == "raise"
                else f"limiting this process to 1/{self.config.fleet_size} of each rate"
            )
            logger.warning(
                "rate-limit store %s unavailable (%s): %s until it answers again",
                self.config.display_url,
                _describe(exc),
                action,
            )
        if raise_error and self.config.on_store_error == "raise":
            raise self._error(exc) from exc

    def _recovered(self) -> None:
        with self._state_lock:
            was, self._outage = self._outage, None
        if was is not None:
            logger.warning("rate-limit store %s answers again: limits are shared again", self.config.display_url)

    def _error(self, exc: BaseException) -> RateLimitStoreError:
        return RateLimitStoreError(
            f"the shared rate-limit store {self.config.display_url} is unavailable ({_describe(exc)}) and "
            'Limits(on_store_error="raise") fails closed: the request was not sent. Use on_store_error="fallback" '
            "to keep sending under local limits of rate / fleet_size."
        )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
