"""The Redis store in one process: keys, admission, pause, the outage policy and the transport's 429 hook."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import time

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, Rate
from aiocustomerio._limits import RateLimiter
from aiocustomerio._limits import _store as store_module
from aiocustomerio._limits._classes import StoreConfig
from aiocustomerio._limits._store import workspace_fingerprint
from aiocustomerio._retry import RetryPolicy
from aiocustomerio._transport import CustomerIOTransport
from aiocustomerio.errors import InvalidArgumentError, RateLimitError, RateLimitStoreError
from tests.support.redis_server import RedisServer

pytest.importorskip("redis")

TRACK = "https://track.customer.io/api/v1/customers/1"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def track_request(site: str = "site-1", key: str = "key-1") -> httpx.Request:
    return httpx.Request("PUT", TRACK, headers={"authorization": basic(site, key)})


def app_request(method: str, path: str, key: str = "app-key") -> httpx.Request:
    return httpx.Request(method, f"https://api.customer.io{path}", headers={"authorization": f"Bearer {key}"})


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_limits_validate_store_options_and_mask_the_password() -> None:
    limits = Limits(store="redis://:hunter2@127.0.0.1:6379/0", fleet_size=4)
    assert "hunter2" not in repr(limits) and "****" in repr(limits) and "fleet_size=4" in repr(limits)
    assert "hunter2" not in repr(Limits(store="redis://127.0.0.1:6379/0?password=hunter2"))
    # limits.store (a StoreConfig) is public too: its repr masks the password as well.
    assert "hunter2" not in repr(limits.store) and "redis://:****@127.0.0.1:6379/0" in repr(limits.store)
    assert limits.store is not None and limits.store.url == "redis://:hunter2@127.0.0.1:6379/0"  # for redis-py
    with pytest.raises(ValueError, match="store must be a Redis URL"):
        Limits(store="http://127.0.0.1:6379")
    with pytest.raises(ValueError, match="fleet_size"):
        Limits(store="redis://127.0.0.1", fleet_size=0)
    with pytest.raises(ValueError, match="on_store_error"):
        Limits(store="redis://127.0.0.1", on_store_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="store_timeout"):
        Limits(store="redis://127.0.0.1", store_timeout=0)


def test_without_a_store_the_async_path_is_todays_aiolimiter() -> None:
    limiter = RateLimiter("track")
    assert limiter.store is None and not limiter.shared
    found = limiter.classify(track_request())
    assert found is not None and type(found[1]).__name__ == "AsyncLimiter"


def test_workspace_fingerprints_never_hold_the_credential() -> None:
    one, other_key = workspace_fingerprint(basic("site-1", "key-1")), workspace_fingerprint(basic("site-1", "key-2"))
    assert one == other_key  # Track: the site id names the workspace, whichever key
    assert one != workspace_fingerprint(basic("site-2", "key-1"))
    assert workspace_fingerprint("Bearer app-key") != workspace_fingerprint("Bearer app-key-2")
    assert "site-1" not in one and len(one) == 16


async def test_keys_are_namespaced_by_api_workspace_and_class(redis_server: RedisServer) -> None:
    # Slow rates, so no key has expired (a key lives only while its bucket is not full) when they are listed.
    limits = Limits(store=redis_server.url, track=Rate(1, 60), app=Rate(1, 60), app_send=Rate(1, 60))
    track, app = RateLimiter("track", limits), RateLimiter("app", limits)
    await track.acquire(track_request("site-1", "secret-key"))
    await track.acquire(track_request("site-2", "secret-key"))
    await app.acquire(app_request("POST", "/v1/campaigns/12/triggers", key="secret-app-key"))
    await app.acquire(app_request("POST", "/v1/send/email", key="secret-app-key"))
    await app.acquire(app_request("GET", "/v1/campaigns", key="secret-app-key"))
    keys = redis_server.list_keys()
    app_ws = workspace_fingerprint("Bearer secret-app-key")
    assert keys == sorted(
        [
            f"aiocustomerio:rl:{{track:{workspace_fingerprint(basic('site-1', 'x'))}:track}}",
            f"aiocustomerio:rl:{{track:{workspace_fingerprint(basic('site-2', 'x'))}:track}}",
            f"aiocustomerio:rl:{{app:{app_ws}:app_broadcast_trigger:12}}",
            f"aiocustomerio:rl:{{app:{app_ws}:app_send}}",
            f"aiocustomerio:rl:{{app:{app_ws}:app}}",
        ]
    )
    assert not any("secret" in key or "site-" in key for key in keys)
    await track.aclose()
    await app.aclose()


async def test_two_limiters_on_one_store_share_the_bucket(redis_server: RedisServer) -> None:
    limits = Limits(track=Rate(10, 1), store=redis_server.url)
    first, second = RateLimiter("track", limits), RateLimiter("track", limits)
    started = time.monotonic()
    for _ in range(5):
        await first.acquire(track_request())
        await second.acquire(track_request())
    assert time.monotonic() - started < 0.5  # the burst of 10, shared
    await first.acquire(track_request())
    await second.acquire(track_request())
    assert time.monotonic() - started >= 0.15  # the 12th request waits 0.2 s after the burst
    # The sync path of another client takes from the same bucket.
    third = RateLimiter("track", limits)
    third.acquire_sync(track_request())
    assert time.monotonic() - started >= 0.25
    third.close()
    await first.aclose()
    await second.aclose()


async def test_a_pause_stops_waiters_that_reserved_before_it(redis_server: RedisServer) -> None:
    limits = Limits(track=Rate(10, 1), store=redis_server.url)
    sender, other = RateLimiter("track", limits), RateLimiter("track", limits)
    for _ in range(10):  # spend the burst
        await sender.acquire(track_request())
    started = time.monotonic()
    done: list[float] = []

    async def wait_one() -> None:
        await sender.acquire(track_request())
        done.append(time.monotonic() - started)

    waiters = [asyncio.ensure_future(wait_one()) for _ in range(4)]  # slots at 0.1 .. 0.4 s
    await asyncio.sleep(0.02)
    await other.pause(track_request(), 1.0)  # another process saw a 429 with Retry-After: 1
    await sender.acquire(track_request())  # this one learns of the pause from its reply
    await asyncio.gather(*waiters)
    assert min(done) >= 0.95, done
    await sender.aclose()
    await other.aclose()


async def test_a_429_with_retry_after_pauses_the_class_for_every_client(redis_server: RedisServer) -> None:
    limits = Limits(track=Rate(100, 1), store=redis_server.url)
    limiter, other = RateLimiter("track", limits), RateLimiter("track", limits)
    answers = iter([httpx.Response(429), httpx.Response(429, headers={"Retry-After": "1"})])
    transport = CustomerIOTransport(
        httpx.MockTransport(lambda request: next(answers)), limiter=limiter, retry=RetryPolicy.disabled()
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(RateLimitError):
            await client.put(TRACK, headers={"authorization": basic("site-1", "k")})
        assert [key for key in redis_server.list_keys() if key.endswith(":pause")] == []  # no Retry-After: no pause
        started = time.monotonic()
        with pytest.raises(RateLimitError):
            await client.put(TRACK, headers={"authorization": basic("site-1", "k")})
    await other.acquire(track_request("site-1"))
    assert 0.9 <= time.monotonic() - started < 1.5
    await other.aclose()


async def test_an_unreachable_store_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter("track", Limits(track=Rate(10, 1), store=closed_port_url(), fleet_size=2))
    caplog.set_level(logging.WARNING, logger="aiocustomerio")
    started = time.monotonic()
    for _ in range(4):  # fallback: 10 / 2 = 5/s, starting drained (no burst at the outage)
        await limiter.acquire(track_request())
    elapsed = time.monotonic() - started
    assert 0.55 <= elapsed < 1.2
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "unavailable" in warnings[0] and "1/2 of each rate" in warnings[0]
    await limiter.aclose()


async def test_an_unreachable_store_with_raise_fails_closed_before_sending() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    limits = Limits(store=closed_port_url(), on_store_error="raise")
    async with CustomerIO(site_id="s", track_api_key="k", limits=limits, transport=httpx.MockTransport(answer)) as cio:
        for _ in range(2):  # the first probes Redis, the second fails at once during the outage
            with pytest.raises(RateLimitStoreError, match='on_store_error="raise"') as raised:
                await cio.track.identify("1")
    assert sent == []
    assert "k" not in str(raised.value).split("redis://")[0]


async def test_a_stalled_store_times_out_then_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "PROBE_INTERVAL", 0.2)
    caplog.set_level(logging.WARNING, logger="aiocustomerio")
    fallback = RateLimiter("track", Limits(store=redis_server.url, store_timeout=0.2))
    closed = RateLimiter("track", Limits(store=redis_server.url, store_timeout=0.2, on_store_error="raise"))
    await fallback.acquire(track_request())  # connected
    await closed.acquire(track_request())
    redis_server.freeze()
    try:
        started = time.monotonic()
        await fallback.acquire(track_request())
        with pytest.raises(RateLimitStoreError, match="TimeoutError"):
            await closed.acquire(track_request())
        assert time.monotonic() - started < 1.0  # one store_timeout each, never a hang
    finally:
        redis_server.thaw()
    await asyncio.sleep(0.25)
    await fallback.acquire(track_request())
    messages = [record.getMessage() for record in caplog.records]
    assert sum("unavailable" in message for message in messages) == 2
    assert any("answers again" in message for message in messages)
    await fallback.aclose()
    await closed.aclose()


async def test_concurrent_admissions_share_round_trips_and_keep_the_rate(redis_server: RedisServer) -> None:
    import redis

    limiter = RateLimiter("track", Limits(track=Rate(100, 1), store=redis_server.url))
    admin = redis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True)
    await limiter.acquire(track_request())  # connected, script loaded
    admin.config_resetstat()
    started = time.monotonic()
    done: list[float] = []

    async def one() -> None:
        await limiter.acquire(track_request())
        done.append(time.monotonic() - started)

    await asyncio.gather(*(one() for _ in range(120)))
    # A shared burst of 90 (less the one above), then 100/s: the last of 120 waits about 0.31 s, none much less.
    assert 0.28 <= max(done) < 1.0
    assert sum(1 for t in done if t < 0.1) <= 90 + 10 + 5
    calls = int(admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))
    assert 1 <= calls <= 30, calls  # 120 admissions, a handful of round trips
    admin.close()
    await limiter.aclose()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis://:hunter2@127.0.0.1:notaport/0", "the port must be a number"),
        ("redis://127.0.0.1:99999/0", "the port must be a number"),
        ("redis://", "the host is missing"),
        ("redis://:hunter2@/0", "the host is missing"),
        ("redis://127.0.0.1:6379/zero", "the path is the database number"),
        ("redis://127.0.0.1:6379/0?socket_timeout=soon&password=hunter2", "Invalid value for 'socket_timeout'"),
        ("unix://", "needs the socket's path"),
        ("http://127.0.0.1:6379", "the scheme must be redis, rediss or unix"),
    ],
)
def test_an_unusable_store_url_is_refused_at_limits_naming_store_and_the_fix(url: str, problem: str) -> None:
    # redis-py parses the URL only at the first request, where its ValueError used to kill the batching task.
    with pytest.raises(InvalidArgumentError) as raised:
        Limits(store=url)
    message = str(raised.value)
    assert message.startswith("store must be a Redis URL such as 'redis://localhost:6379/0'"), message
    assert problem in message and "hunter2" not in message


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1", "redis://:pw@127.0.0.1:6379/3", "rediss://cache.internal:6380", "unix:///run/r.sock"]
)
def test_usable_store_urls_are_accepted(url: str) -> None:
    assert Limits(store=url).store is not None


def unusable_store(policy: str) -> Limits:
    """Limits whose store redis-py cannot even parse: the check at Limits() skipped, as if redis-py raised anew."""
    limits = Limits(track=Rate(1000, 1), store="redis://127.0.0.1:6379/0")
    limits.store = StoreConfig("redis://127.0.0.1:notaport/0", 2, policy, 0.2)  # type: ignore[arg-type]
    return limits


async def test_any_store_failure_answers_every_waiter_with_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="aiocustomerio")
    limiter = RateLimiter("track", unusable_store("fallback"))
    # 20 at once share one flush task; its ValueError (not a RedisError) used to leave every one waiting forever.
    await asyncio.wait_for(asyncio.gather(*(limiter.acquire(track_request()) for _ in range(20))), 5)
    assert limiter.store is not None and not limiter.store._flushers and not limiter.store._queues
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "ValueError" in warnings[0], warnings
    limiter.acquire_sync(track_request())  # the sync path falls back too, never a bare ValueError
    await limiter.aclose()


async def test_any_store_failure_with_raise_fails_every_waiter_typed() -> None:
    limiter = RateLimiter("track", unusable_store("raise"))
    results = await asyncio.wait_for(
        asyncio.gather(*(limiter.acquire(track_request()) for _ in range(20)), return_exceptions=True), 5
    )
    assert all(isinstance(result, RateLimitStoreError) for result in results), results
    with pytest.raises(RateLimitStoreError, match="ValueError"):
        limiter.acquire_sync(track_request())
    await limiter.aclose()


async def test_an_unexpected_error_mid_flight_falls_back_then_redis_is_used_again(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "PROBE_INTERVAL", 0.1)
    limiter = RateLimiter("track", Limits(track=Rate(1000, 1), store=redis_server.url))
    store = limiter.store
    assert store is not None
    await limiter.acquire(track_request())  # connected, script loaded
    admitted = store._admitted

    def garbled(key: str, reply: object) -> float:
        raise TypeError("a reply of an unexpected shape")  # what a redis-py or server surprise would raise

    monkeypatch.setattr(store, "_admitted", garbled)
    await asyncio.wait_for(asyncio.gather(*(limiter.acquire(track_request()) for _ in range(16))), 5)
    assert store._outage is not None  # counted as an outage: fallback buckets, one warning
    monkeypatch.setattr(store, "_admitted", admitted)
    await asyncio.sleep(0.15)
    await asyncio.wait_for(limiter.acquire(track_request()), 5)
    assert store._outage is None  # Redis answers again
    await limiter.aclose()


async def test_a_cancelled_round_trip_still_answers_its_waiters(redis_server: RedisServer) -> None:
    limiter = RateLimiter("track", Limits(track=Rate(1000, 1), store=redis_server.url, store_timeout=5))
    store = limiter.store
    assert store is not None
    await limiter.acquire(track_request())
    redis_server.freeze()  # the next round trip waits (store_timeout is 5 s)
    try:
        waiters = [asyncio.ensure_future(limiter.acquire(track_request())) for _ in range(8)]
        await asyncio.sleep(0.1)
        assert len(store._flushers) == 1 and not any(w.done() for w in waiters)
        for flusher in list(store._flushers):
            flusher.cancel()  # what closing the loop does to a task in flight
        await asyncio.wait_for(asyncio.gather(*waiters), 2)  # answered by the fallback, not left waiting
    finally:
        redis_server.thaw()
    await limiter.aclose()
