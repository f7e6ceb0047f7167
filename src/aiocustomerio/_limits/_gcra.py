"""The bucket rule, once: GCRA (generic cell rate algorithm), the leaky bucket kept as one timestamp.

A class with ``Rate(max_rate, period)`` admits one request every ``interval = period / max_rate`` seconds with a
burst of ``max_rate`` (at least one): the same shape as aiolimiter's leaky bucket, which the async path without a
store keeps. The state is the theoretical arrival time ``tat`` of the next request; a request reserves
``tat += interval`` and waits until ``tat - window`` where ``window = burst * interval``. Reserving (rather than
polling) means one step per request, which is what lets the Redis script do an admission in one round trip; the
Lua twin of :meth:`LocalBucket.reserve` in ``_store`` follows this file line for line.

:class:`LocalBucket` serves the sync client (threads) and the fallback while the shared store is down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ._classes import Rate

__all__ = ["LocalBucket", "Shape", "shape"]


class Shape:
    """A rate as GCRA parameters: seconds between requests and the burst window."""

    __slots__ = ("interval", "window")

    def __init__(self, interval: float, window: float) -> None:
        self.interval = interval
        self.window = window


def shape(rate: Rate, share: int = 1, burst: float = 1.0) -> Shape:
    """The GCRA shape of ``rate``, or of one ``share``-th of it (the fallback when a store is shared by a fleet),
    with ``burst`` times the usual burst of ``max_rate`` requests (the steady rate is the same)."""
    max_rate = rate.max_rate / share
    interval = rate.period / max_rate
    # A burst below one request would delay even the first request of an idle bucket.
    return Shape(interval, max(1.0, max_rate * burst) * interval)


class LocalBucket:
    """A thread-safe GCRA bucket; ``reserve()`` takes a slot and returns how long to wait before using it."""

    __slots__ = ("_clock", "_lock", "_tat", "generation", "interval", "outage", "window")

    def __init__(self, shape: Shape, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = shape.interval
        self.window = shape.window
        self._clock = clock
        self._lock = threading.Lock()
        self._tat = -float("inf")
        # Bumped by every pause, so a waiter holding a slot reserved before it knows to reserve again.
        self.generation = 0
        # The store outage this bucket last served as the fallback for (see _store).
        self.outage = 0

    def reserve(self) -> float:
        with self._lock:
            now = self._clock()
            tat = self._tat if self._tat > now else now
            tat += self.interval
            self._tat = tat
        wait = tat - self.window - now
        return wait if wait > 0.0 else 0.0

    def pause(self, seconds: float) -> None:
        """Admit nothing for ``seconds``, then resume at the steady rate (no burst right after a 429)."""
        with self._lock:
            target = self._clock() + seconds + self.window - self.interval
            if target > self._tat:
                self._tat = target
            self.generation += 1

    def acquire_sync(self) -> None:
        wait = self.reserve()
        if wait:
            time.sleep(wait)
