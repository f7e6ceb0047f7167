"""The future that every producer staged for one group commit awaits (`Spool.add`).

**One per commit, shared, and not cancellable by its waiters.** asyncio's `Task.cancel` first asks the future its
task awaits to cancel; this one refuses, so the task marks itself to be cancelled at its next step instead (CPython's
C and Python Tasks alike: `_must_cancel`). A cancelled producer therefore gets `CancelledError` when the commit it
waits for is settled: its item is then committed and accepted (or, if the commit failed, not accepted), never
half-way, and the other producers, who share the future, are not affected. A commit settles within the spool's
commit retries, so a cancelled producer (and `close()`) waits at most that long.

**Its waiters are woken in one loop callback.** A plain future wakes each task awaiting it with a `call_soon` of its
own (a `Handle` built and run by the loop in Python: about two thirds of the cost of a task switch). This one keeps the
tasks' wake-ups and runs them back to back from a single callback, each in its own context, as the loop would.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

Wakeup = tuple[Callable[[Any], object], contextvars.Context]


class GroupCommit(asyncio.Future[None]):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._wakeups: list[Wakeup] = []

    def add_done_callback(self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None) -> None:
        if self.done():
            super().add_done_callback(fn, context=context)  # scheduled at once, as for any future
        else:
            self._wakeups.append((fn, contextvars.copy_context() if context is None else context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        kept = [wakeup for wakeup in self._wakeups if wakeup[0] != fn]
        removed = len(self._wakeups) - len(kept)
        self._wakeups = kept
        return removed + super().remove_done_callback(fn)

    def cancel(self, msg: Any | None = None) -> bool:
        return False  # see the module docstring: the task awaiting it is cancelled once the commit is settled

    # -- settled by the spool's commit loop only ---------------------------------------------------------------------

    def committed(self) -> None:
        self.set_result(None)
        self._wake()

    def failed(self, error: BaseException) -> None:
        self.set_exception(error)
        self.exception()  # retrieved: each waiter gets it from `result()`, and none may be left to
        self._wake()

    def abandon(self) -> None:
        """The commit loop was cancelled (the event loop is shutting down): every waiter gets `CancelledError`."""
        super().cancel()
        self._wake()

    def _wake(self) -> None:
        if self._wakeups:
            self.get_loop().call_soon(self._run_wakeups, self._wakeups)
            self._wakeups = []

    def _run_wakeups(self, wakeups: list[Wakeup]) -> None:
        for index, (fn, context) in enumerate(wakeups):
            try:
                context.run(fn, self)
            except (SystemExit, KeyboardInterrupt):
                # The loop stops, as for any callback raising these; the other tasks wake when it runs again.
                if index + 1 < len(wakeups):
                    self.get_loop().call_soon(self._run_wakeups, wakeups[index + 1 :])
                raise
            except BaseException as exc:
                # As the loop does for a callback that raises: report it, and the other tasks still wake.
                self.get_loop().call_exception_handler(
                    {"message": "Exception in a task woken by a spool commit", "exception": exc, "future": self}
                )
