"""An ingestor's options, checked when it is made: each mistake names the option and the fix (a typed error)."""

from __future__ import annotations

import asyncio
import math
import os
import sqlite3
from collections.abc import Collection, Iterable, Mapping

from .._retry import RetryPolicy
from ..errors import CustomerIOError, EventLoopError, InvalidArgumentError, InvalidArgumentTypeError

__all__ = [
    "check_checkpoint",
    "check_delivery_options",
    "check_engine_options",
    "check_items",
    "check_seconds",
    "check_spool_file",
    "loop_error",
    "spool_open_error",
]

_SQLITE_HEADER = b"SQLite format 3\x00"


def _count(name: str, value: object, least: int = 1, most: int | None = None) -> None:
    rule = f"{name} must be an integer >= {least}" + (f" and at most {most}" if most is not None else "")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentTypeError(f"{rule}, not {type(value).__name__}")
    if value < least:
        raise InvalidArgumentError(f"{rule}, not {value!r}")
    if most is not None and value > most:
        raise InvalidArgumentError(f"{name} must be at most {most} (the API's limit), not {value!r}")


def check_engine_options(
    *,
    max_batch_items: object,
    max_batch_bytes: object,
    max_item_bytes: object,
    max_wait: object,
    max_queue: object,
    concurrency: object,
    isolation_budget: object,
    batch_limit: int,
    item_limit: int,
) -> None:
    for name, value in (
        ("max_batch_items", max_batch_items),
        ("max_queue", max_queue),
        ("concurrency", concurrency),
        ("isolation_budget", isolation_budget),
    ):
        _count(name, value)
    _count("max_batch_bytes", max_batch_bytes, most=batch_limit)
    _count("max_item_bytes", max_item_bytes, most=item_limit)
    if isinstance(max_wait, bool) or not isinstance(max_wait, (int, float)):
        raise InvalidArgumentTypeError(f"max_wait must be a number of seconds >= 0, not {type(max_wait).__name__}")
    if not (math.isfinite(max_wait) and max_wait >= 0):
        raise InvalidArgumentError(f"max_wait must be a finite number of seconds >= 0, not {max_wait!r}")


def check_seconds(name: str, value: object) -> None:
    """A positive, finite number of seconds, or None (no bound)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentTypeError(
            f"{name} must be a positive number of seconds or None, not {type(value).__name__}"
        )
    if not (math.isfinite(value) and value > 0):
        raise InvalidArgumentError(f"{name} must be a positive number of seconds or None, not {value!r}")


def check_delivery_options(*, retry: object, backoff: object, spool: object, on_error: object) -> None:
    """How batches are retried and kept. A wrong type here used to surface only at the first failure, inside the
    batch task (`retry=3`: AttributeError there), or as the spool's own OSError when it opened."""
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise InvalidArgumentTypeError(
            f"retry must be a RetryPolicy (e.g. retry=RetryPolicy(max_retries=3)) or None, not {type(retry).__name__}"
        )
    if backoff is not None:
        if not isinstance(backoff, (tuple, list)) or len(backoff) != 2:
            raise InvalidArgumentTypeError(
                "backoff must be a pair (base, cap) of seconds, e.g. backoff=(0.5, 30.0), not "
                + (f"{len(backoff)} values" if isinstance(backoff, (tuple, list)) else type(backoff).__name__)
            )
        for name, value in zip(("base", "cap"), backoff, strict=True):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidArgumentTypeError(
                    f"backoff's {name} must be a number of seconds, not {type(value).__name__}"
                )
            if not (math.isfinite(value) and value >= 0):
                raise InvalidArgumentError(f"backoff's {name} must be a finite number of seconds >= 0, not {value!r}")
        if backoff[0] > backoff[1]:
            raise InvalidArgumentError(f"backoff=(base, cap) needs base <= cap, not {tuple(backoff)!r}")
        if retry is not None:
            raise InvalidArgumentError(
                "give retry or backoff, not both: backoff=(base, cap) is RetryPolicy(base_delay=base, max_delay=cap)"
            )
    if spool is not None:
        if not isinstance(spool, (str, os.PathLike)) or not isinstance(os.fspath(spool), str):
            raise InvalidArgumentTypeError(
                f"spool must be the path of a SQLite file (str or pathlib.Path) or None, not {type(spool).__name__}"
            )
        if not os.fspath(spool):
            raise InvalidArgumentError("spool must be the path of a SQLite file, not '' (None: no spool)")
    if on_error is not None and not callable(on_error):
        raise InvalidArgumentTypeError(
            f"on_error must be a function (item, reason) or None, not {type(on_error).__name__}"
        )


def check_spool_file(path: str) -> None:
    """Refuse an existing file that is not an SQLite database before SQLite opens it: SQLite takes a one-byte file
    for an empty database and overwrites it (a longer one it refuses itself, "file is not a database").

    Called once the spool's lock is ours (`Spool._open`), never before: POSIX locks belong to the process, so closing
    any descriptor of a spool another ingestor of this process holds would drop SQLite's locks on it."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except OSError:
        return  # missing (it is created), a directory, unreadable: opening it says which
    if head and head != _SQLITE_HEADER:
        raise spool_open_error(path, sqlite3.DatabaseError("file is not a database"))


def spool_open_error(path: str, exc: Exception) -> CustomerIOError:
    """What went wrong opening the spool file, naming it and the fix (not the bare OSError or sqlite3 error)."""
    if isinstance(exc, IsADirectoryError) or os.path.isdir(path):
        example = os.path.join(path, "ingest.spool")
        return InvalidArgumentError(
            f"spool {path!r} is a directory: give the path of a file, e.g. spool={example!r} (created if missing)"
        )
    if isinstance(exc, FileNotFoundError):
        parent = os.path.dirname(os.path.abspath(path))
        return InvalidArgumentError(
            f"spool {path!r}: the directory {parent!r} does not exist: create it, or choose a spool path in an "
            "existing directory"
        )
    if isinstance(exc, PermissionError):
        return InvalidArgumentError(
            f"spool {path!r} cannot be opened for writing ({exc.strerror}): choose a path this process can write"
        )
    if type(exc) is sqlite3.DatabaseError:  # SQLITE_NOTADB, SQLITE_CORRUPT: not OperationalError (I/O, locks)
        if "malformed" in str(exc):
            return InvalidArgumentError(
                f"spool {path!r} is damaged ({exc}): run `aiocustomerio spool repair {path}` (or "
                "aiocustomerio.ingest.repair_spool) to take the damaged parts out, then run again"
            )
        return InvalidArgumentError(
            f"spool {path!r} is not a spool ({exc}); it was left untouched: give the path of a spool file, or of a "
            "new file (it is created)"
        )
    if isinstance(exc, ValueError):  # the spool's own refusals, such as a spool of the other API
        return InvalidArgumentError(f"{exc}: give each ingestor its own spool file")
    return InvalidArgumentError(
        f"spool {path!r} cannot be opened ({type(exc).__name__}: {exc}): check the file and its directory"
    )


def check_items(items: object) -> None:
    """``put_many``'s argument (async and sync): an iterable of items. ``iter(5)`` was a bare TypeError, and a str or
    one dict was taken item by item (its characters, its keys)."""
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidArgumentTypeError(
            f"put_many takes an iterable of items (a list of dicts), not {type(items).__name__}; for one item use put()"
        )


def loop_error(owner: asyncio.AbstractEventLoop | None, running: asyncio.AbstractEventLoop | None) -> EventLoopError:
    """An ingestor used from a loop other than `owner`, the one that started it (and delivers): which, and the fix."""
    if owner is None or owner.is_closed():
        where = "an event loop that has since closed (an earlier asyncio.run()?)"
    elif not owner.is_running():
        where = "an event loop that is not running now (an earlier asyncio.run() or run_until_complete()?)"
    else:
        where = "another event loop"
    here = "outside any event loop" if running is None else "from this one"
    return EventLoopError(
        f"this ingestor was started on {where} and delivers there; it cannot take items {here}: start one "
        "ingestor per event loop (each `async with client.track.ingestor()` inside the loop that uses it), or use "
        "SyncCustomerIO's ingestor from synchronous code or threads"
    )


def check_checkpoint(checkpoint: tuple[str, object] | None, reserved: Collection[str]) -> None:
    """`put_many(..., checkpoint=(key, value))`: a key of the spool's own is refused, naming them."""
    if checkpoint is not None and checkpoint[0] in reserved:
        raise InvalidArgumentError(
            f"checkpoint key {checkpoint[0]!r} is reserved by the spool ({', '.join(sorted(reserved))}): choose "
            "another name"
        )
