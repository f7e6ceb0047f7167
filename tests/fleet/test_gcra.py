"""The one bucket rule (GCRA) behind the sync path and the store's fallback, on a fake clock; and the sync path."""

from __future__ import annotations

import threading
import time

import httpx

from aiocustomerio._limits import Limits, Rate, RateLimiter
from aiocustomerio._limits._gcra import LocalBucket, shape


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def waits(bucket: LocalBucket, n: int) -> list[float]:
    return [round(bucket.reserve(), 6) for _ in range(n)]


def test_a_burst_of_max_rate_then_one_request_per_interval() -> None:
    clock = Clock()
    bucket = LocalBucket(shape(Rate(5, 1)), clock)
    assert waits(bucket, 7) == [0, 0, 0, 0, 0, 0.2, 0.4]
    clock.now += 1.4  # the bucket drains at 5/s: full again after a second idle
    assert waits(bucket, 6) == [0, 0, 0, 0, 0, 0.2]


def test_a_pause_admits_nothing_until_it_ends_then_the_steady_rate_without_a_burst() -> None:
    clock = Clock()
    bucket = LocalBucket(shape(Rate(5, 1)), clock)
    generation = bucket.generation
    bucket.pause(2.0)
    assert bucket.generation == generation + 1
    assert waits(bucket, 3) == [2.0, 2.2, 2.4]


def test_a_fleet_share_keeps_a_burst_of_at_least_one() -> None:
    # The broadcast trigger class (1 per 10 s) split over 3 processes: 1 per 30 s each, the first at once.
    clock = Clock()
    bucket = LocalBucket(shape(Rate(1, 10), 3), clock)
    assert waits(bucket, 3) == [0, 30.0, 60.0]
    track = shape(Rate(3000, 3), 4)  # Track over 4 processes: 250/s each, a burst of 750
    assert (round(track.interval, 6), round(track.window, 6)) == (0.004, 3.0)


def request(path: str = "/api/v1/customers/1", method: str = "PUT") -> httpx.Request:
    return httpx.Request(method, f"https://track.customer.io{path}")


def test_sync_acquire_is_thread_safe_and_keeps_the_rate() -> None:
    limiter = RateLimiter("track", Limits(track=Rate(20, 1)))
    admitted: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()

    def work() -> None:
        while time.monotonic() - started < 1.0:
            limiter.acquire_sync(request())
            with lock:
                admitted.append(time.monotonic() - started)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    within = [t for t in admitted if t < 1.0]
    # A burst of 20, then 20/s: 40 in the first second (a thread admitted just before the end may add one).
    assert 36 <= len(within) <= 41, len(within)


def test_sync_acquire_uses_the_same_classes_and_a_disabled_class_never_waits() -> None:
    limiter = RateLimiter("app", Limits(app_broadcast_trigger=Rate(1, 3600), app=None))
    trigger = httpx.Request("POST", "https://api.customer.io/v1/campaigns/12/triggers")
    limiter.acquire_sync(trigger)
    started = time.monotonic()
    other_broadcast = httpx.Request("POST", "https://api.customer.io/v1/campaigns/13/triggers")
    limiter.acquire_sync(other_broadcast)  # its own bucket
    for _ in range(50):
        limiter.acquire_sync(httpx.Request("GET", "https://api.customer.io/v1/campaigns"))  # app=None
    assert time.monotonic() - started < 0.5
