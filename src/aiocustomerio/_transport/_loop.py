"""One client per event loop: connection pools belong to the loop that opened them.

A pool's sockets, locks and waiters are bound to one event loop. Reused from another loop (a second
``asyncio.run()``, or a thread running its own loop) they fail with "Event loop is closed" every other call, or wait
forever for a wake-up that the other loop will never deliver. The guard claims the loop of the first request and
refuses any other at once, with the fix in the message.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from ..errors import EventLoopError

__all__ = ["AsyncSleep", "LoopGuard", "LoopLock", "NoLoopGuard", "SyncSleep"]

# The sleeps the two transports take (tests pass recorders): awaited in the async one, called in the sync one.
AsyncSleep = Callable[[float], Awaitable[object]]
SyncSleep = Callable[[float], object]

_HOW = (
    "one client per event loop: create the client inside the loop that uses it (in FastAPI, in the app's lifespan; "
    "one per worker thread or process), or use SyncCustomerIO from synchronous code"
)


class LoopGuard:
    __slots__ = ("_lock", "_thread", "loop")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = ""
        self._lock = threading.Lock()

    def check(self) -> None:
        """Claim the running loop on first use; raise EventLoopError from any other loop."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self._claim(loop)

    def _claim(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:  # two threads making their first call at once: exactly one claims
            if self.loop is None:
                self.loop, self._thread = loop, threading.current_thread().name
                return
            owner = self.loop
        if owner is loop:
            return
        if owner.is_closed():
            where = "an event loop that has since closed (an earlier asyncio.run()?)"
        else:
            where = f"another event loop (running in thread {self._thread!r})"
        here = threading.current_thread().name
        raise EventLoopError(
            f"this client's connection pools belong to {where}, not the one in thread {here!r}: {_HOW}"
        )

    def foreign(self) -> asyncio.AbstractEventLoop | None:
        """The owning loop when it is not the running one (None when they are the same or nothing was sent yet)."""
        owner = self.loop
        if owner is None:
            return None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return owner
        return None if running is owner else owner


class LoopLock:
    """An ``asyncio.Lock`` for one event loop: from another loop, entering raises EventLoopError at once.

    An asyncio.Lock shared across loops hangs: the holder's release wakes the waiter's future from the wrong
    thread, and the waiting loop never learns of it. The façade opens each API's pool under one of these, so
    threads racing to make the first call get the error instead of that hang.
    """

    __slots__ = ("_guard", "_lock")

    def __init__(self) -> None:
        self._guard = LoopGuard()
        self._lock = asyncio.Lock()  # binds to a loop on first contended use, which only the owner can reach

    def check(self) -> None:
        """EventLoopError unless the running loop is the one that holds (or may claim) this lock."""
        self._guard.check()

    async def __aenter__(self) -> None:
        self._guard.check()
        await self._lock.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self._lock.release()


class NoLoopGuard:
    """The sync transport's stand-in for LoopGuard: ``httpx.Client`` pools are thread-safe and bound to no loop."""

    __slots__ = ()

    loop = None

    def check(self) -> None:
        pass

    def foreign(self) -> asyncio.AbstractEventLoop | None:
        return None
