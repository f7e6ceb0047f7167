"""SIGINT and SIGTERM for a long run: the first asks it to stop cleanly, the second ends the process at once.

The first signal calls ``on_first`` (the backfill stops reading, drains for a bounded time, keeps the rest in the
spool and prints its summary) and the process later exits 130 (SIGINT) or 143 (SIGTERM). A second signal means the
operator will not wait: the process exits immediately with that status. Whatever was committed to the spool is
durable (SQLite transactions), so nothing accepted is lost by exiting then.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from ._common import SIGNAL_EXIT

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopper:
    def __init__(
        self,
        on_first: Callable[[int], None],
        say: Callable[[str], None],
        on_second: Callable[[int], None] | None = None,
    ) -> None:
        self.received: int | None = None
        self._on_second = on_second
        self.event = asyncio.Event()
        self._on_first = on_first
        self._say = say
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int | None:
        return None if self.received is None else SIGNAL_EXIT.get(self.received, 128 + self.received)

    def install(self) -> None:
        self._loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            self._previous[sig] = signal.getsignal(sig)
            self._loop.add_signal_handler(sig, self._handle, sig)

    def uninstall(self) -> None:
        """Back to the handlers from before (the process entry point's, or the host's when called from Python):
        asyncio alone would leave SIGINT raising KeyboardInterrupt and SIGTERM killing the process."""
        if self._loop is not None:
            for sig in SIGNALS:
                self._loop.remove_signal_handler(sig)
                previous = self._previous.pop(sig, None)
                if previous is not None:
                    signal.signal(sig, previous)
            self._loop = None

    def _handle(self, sig: int) -> None:
        name = signal.Signals(sig).name
        if self.received is not None:
            # Nothing may stand between a second signal and the exit: a worker whose coordinator has just exited
            # writes into a closed pipe (BrokenPipeError), and must still exit now, not after its whole drain.
            if self._on_second is not None:
                self._on_second(sig)
            self._quietly(self._say, f"{name} again: exiting now; what the spool holds is delivered by the next run")
            self._quietly(sys.stderr.flush)
            self._quietly(sys.stdout.flush)
            os._exit(SIGNAL_EXIT.get(sig, 128 + sig))
        self.received = sig
        self.event.set()
        self._quietly(
            self._say, f"{name}: stopping reading and delivering what was read; send it again to exit at once"
        )
        self._on_first(sig)

    @staticmethod
    def _quietly(write: Callable[..., object], *args: object) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream: the message is lost, not the exit
            write(*args)
