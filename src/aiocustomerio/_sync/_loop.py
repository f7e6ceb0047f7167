"""A private event loop on its own thread, for running async machinery (the ingestion engine) under sync code.

Sync callers submit coroutines with ``run_coroutine_threadsafe`` and wait on the resulting future. The waits are
where a sync wrapper can hang, so every one checks what would make it wait forever: a call made from the loop's own
thread (a callback calling back in), a loop thread that has died, a process forked after the thread started (the
child has no such thread), and an optional deadline. Exceptions raised on the loop reach the caller as they are.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import os
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any, TypeVar

__all__ = ["LoopThread", "LoopTimeout"]

T = TypeVar("T")
# How often a long wait looks up from the future to check that the loop thread is still there.
_CHECK_EVERY = 0.5


class LoopTimeout(TimeoutError):
    """A blocking call waited longer than its bound; what it waited for was cancelled."""


class LoopThread:
    """An asyncio loop running forever on a daemon thread named ``name`` until ``stop``."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def start(self) -> None:
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        # Daemon: a sync ingestor that is never closed must not keep the interpreter alive (a spool keeps its items).
        thread = threading.Thread(target=self._run, args=(loop,), name=self._name, daemon=True)
        self._loop, self._thread, self._pid = loop, thread, os.getpid()
        thread.start()

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None, what: str) -> Any:
        """Run ``fn(*args)`` on the loop (awaiting it if it returns an awaitable) and wait for its result.

        ``what`` names the wait in errors. After ``timeout`` seconds, or if the caller is interrupted (Ctrl-C), the
        call is cancelled on the loop and ``LoopTimeout`` (or the interruption) is raised.
        """
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            raise RuntimeError(f"{what}: the loop thread is not started")
        if self._pid != os.getpid():
            raise RuntimeError(
                f"{what}: this object was started in another process, before a fork; its loop thread does not exist "
                "here. Create and start one per process (in Celery: in the worker_process_init signal)"
            )
        if threading.get_ident() == thread.ident:
            raise RuntimeError(
                f"{what}: called from the ingestor's own loop thread (from a callback such as on_error?), where "
                "waiting for the answer would deadlock; do the work elsewhere"
            )
        if not thread.is_alive():
            raise RuntimeError(f"{what}: the loop thread has stopped")
        future = asyncio.run_coroutine_threadsafe(_invoke(fn, args), loop)
        deadline = None if timeout is None else monotonic() + timeout
        try:
            while True:
                wait = _CHECK_EVERY if deadline is None else min(_CHECK_EVERY, deadline - monotonic())
                try:
                    return future.result(max(wait, 0.0))
                except concurrent.futures.TimeoutError:
                    if future.done():
                        # The coroutine itself raised a TimeoutError (e.g. asyncio.wait_for): it is the answer.
                        return future.result()
                    if not thread.is_alive():
                        raise RuntimeError(f"{what}: the loop thread stopped before answering") from None
                    if deadline is not None and monotonic() >= deadline:
                        raise LoopTimeout(f"{what} did not finish within {timeout} s and was cancelled") from None
        except concurrent.futures.CancelledError:
            raise RuntimeError(f"{what}: cancelled because the loop thread is stopping") from None
        finally:
            # A no-op once done; otherwise (timeout, KeyboardInterrupt) the work stops instead of going on unseen.
            future.cancel()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop (cancelling what still runs on it) and wait up to ``timeout`` s for the thread to end."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or self._pid != os.getpid():
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed on its own in the meantime
                loop.call_soon_threadsafe(loop.stop)
            if threading.get_ident() != thread.ident:
                thread.join(timeout)


async def _invoke(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result
