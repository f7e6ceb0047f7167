"""The ``aiocustomerio`` command: ``ingest``, ``spool``, and one command per operation of the three APIs.

The first word picks the command; for an API the next two pick the tag and operation, read from the generated
index at run time, so only the part asked for is loaded (help for one tag imports that tag's modules, nothing else).

This module imports nothing heavy at the top: ``entry()`` must put its signal handlers in place before the client
stack loads (see ``_startup``).
"""

from __future__ import annotations

import sys

from . import _startup

TYPE_CHECKING = False  # nothing but what entry() needs before its handlers are in place
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["entry", "main"]

_HELP = {"-h", "--help"}


def entry() -> int:
    """The process entry point (the ``aiocustomerio`` script, ``python -m aiocustomerio``): signals first."""
    _startup.install(sys.argv[1] if len(sys.argv) > 1 else None)
    return main()


def _page(text: str, wanted: bool) -> int:
    """A help page: on stdout with status 0 when asked for, on stderr with status 2 when words were missing."""
    from ._common import OK, USAGE

    print(text, file=sys.stdout if wanted else sys.stderr)
    return OK if wanted else USAGE


def _api_command(api: str, words: list[str]) -> int:
    from . import _help, _operation
    from ._catalog import command, find, index
    from ._common import PROG, USAGE, say

    if not words or words[0] in _HELP:
        return _page(_help.api_page(api), bool(words))
    tag = find(index(api), words[0])
    if tag is None:
        say(f"{PROG}: " + _help.unknown("tag", words[0], list(index(api)), f"the {api} API"))
        return USAGE
    if len(words) < 2 or words[1] in _HELP:
        return _page(_help.tag_page(api, tag), len(words) >= 2)
    name = find(index(api)[tag], words[1])
    if name is None:
        say(f"{PROG}: " + _help.unknown("operation", words[1], list(index(api)[tag]), f"{api} {words[0]}"))
        return USAGE
    return _operation.run(api, tag, command(index(api)[tag][name]), words[2:])


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    from . import _help
    from ._catalog import APIS
    from ._common import OK, PROG, USAGE, say, version

    try:
        if not words or words[0] in _HELP:
            return _page(_help.root(), bool(words))
        first = words[0]
        if first == "--version":
            print(f"{PROG} {version()}")
            return OK
        if first == "ingest":
            from ._ingest import main as ingest_main

            return ingest_main(words[1:])
        if first == "spool":
            from ._spool import main as spool_main

            return spool_main(words[1:])
        if first.lower() in APIS:
            return _api_command(first.lower(), words[1:])
        say(f"{PROG}: " + _help.unknown("command", first, [*_help.COMMANDS, *APIS], PROG))
        say(f"run `{PROG} --help` for the list")
        return USAGE
    except SystemExit as exc:  # argparse's own exit (help: 0, bad usage: 2)
        return exc.code if isinstance(exc.code, int) else USAGE
    except KeyboardInterrupt:  # called from Python (no entry() handlers): Ctrl-C still ends quietly
        say(f"{PROG}: interrupted")
        return 130
    except BrokenPipeError:
        # `aiocustomerio ... --all | head`: the reader left; stop quietly, as other shell tools do.
        _silence_stdout()
        return OK


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
