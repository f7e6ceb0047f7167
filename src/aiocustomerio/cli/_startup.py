"""SIGINT and SIGTERM from the first line the ``aiocustomerio`` process runs, before anything heavy is imported.

Importing the client stack (httpx, the generated index, SQLite) takes about half a second; a signal in that time
would print a KeyboardInterrupt traceback (SIGINT) or kill the process with no word (SIGTERM). The process entry
point (``aiocustomerio.cli.entry``: the console script, ``python -m aiocustomerio``) therefore installs these
handlers first. Until a command puts its own in place (a backfill's ``Stopper`` once it runs), a signal ends the
process at once with 130 or 143 and one line: nothing has been read or accepted yet, so nothing is lost.

Only the process entry point installs them: ``import aiocustomerio`` (a library) and ``cli.main()`` called from
Python leave the host's signal handling alone. Standard library only, so it costs nothing to import.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from types import FrameType
else:
    try:  # the C module under `signal`: `signal` itself imports enum, half of this module's start-up cost
        import _signal
    except ImportError:  # not CPython
        import signal as _signal

_NAMES: dict[int, str] = {_signal.SIGINT: "SIGINT", _signal.SIGTERM: "SIGTERM"}
_MESSAGE = {
    "ingest": "aiocustomerio: {name} while starting: exiting; nothing was read",
}


def install(command: str | None) -> None:
    """Exit 128+n with one line on the first SIGINT or SIGTERM; ``command`` (the first word) picks the line."""
    message = _MESSAGE.get(command or "", "aiocustomerio: {name}: exiting")

    def exit_now(sig: int, frame: FrameType | None) -> None:
        line = message.format(name=_NAMES.get(sig, str(sig))) + "\n"
        try:  # noqa: SIM105 - contextlib is not imported yet, and this runs before anything else is
            sys.stdout.flush()  # what a command already printed stays printed
        except Exception:  # a reentrant or closed stream: exiting matters more
            pass
        os.write(2, line.encode())
        os._exit(128 + sig)

    for sig in _NAMES:
        _signal.signal(sig, exit_now)
