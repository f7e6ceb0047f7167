"""The spool's SQLite file: its schema, its connections, and how items are packed into `chunks` rows.

A group commit is stored as `chunks` rows of up to `CHUNK_ROWS` items (`first` seq, count, the items' person hashes,
the items joined by newlines: compact JSON never holds a raw newline). A row per commit (or per thousand items)
instead of one per item is what lets a spooled ingestor keep up with an unspooled one. Dead letters are one `dead` row
each; `meta` holds the spool's API, the top sequence number and the checkpoints; `holder` names the lock's holder.

WAL with synchronous=NORMAL survives the process being killed (the WAL is in the OS page cache once a commit returns),
not a power loss.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from array import array
from collections.abc import Callable, Iterator
from typing import TypeVar

from ._journal import META_KEY as JOURNAL_KEY
from ._journal import journal_id, pending_rows
from ._lock import Lock, unclaim
from ._queue import Row, _data, _person

log = logging.getLogger("aiocustomerio.ingest")
_T = TypeVar("_T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS chunks (first INTEGER PRIMARY KEY, count INTEGER NOT NULL, persons BLOB NOT NULL,"
    " body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dead (seq INTEGER PRIMARY KEY, body BLOB NOT NULL, person INTEGER NOT NULL,"
    " reason TEXT NOT NULL, failed_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS holder (one INTEGER PRIMARY KEY CHECK (one = 1), text TEXT NOT NULL)",
)
# Meta keys the spool keeps for itself (its API, the top sequence number, its journal's id): no checkpoint may use them.
RESERVED_META = frozenset({"api", "seq", JOURNAL_KEY})
_DEAD_IN_CHUNKS = (
    "SELECT d.seq FROM dead d JOIN chunks c ON c.first = (SELECT MAX(first) FROM chunks WHERE first <= d.seq)"
    " WHERE d.seq >= ? AND d.seq < c.first + c.count"
)
# A plain INSERT: rows never replace one another (the lock makes this process the only writer).
_INSERT_CHUNK = "INSERT INTO chunks VALUES (?, ?, ?, ?)"
_UPSERT_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value"
# A group commit is stored as chunk rows of at most this many items: bounded blobs, packed one at a time.
CHUNK_ROWS = 1000


Chunk = tuple[int, int, bytes, bytes]  # a `chunks` row: first seq, count, persons, body


def _pack(rows: list[Row]) -> Chunk:
    persons = array("I", map(_person, rows))
    return rows[0][0], len(rows), persons.tobytes(), b"\n".join(map(_data, rows))


def consecutive(rows: list[Row]) -> bool:
    return rows[-1][0] - rows[0][0] + 1 == len(rows)


def _chunks(rows: list[Row]) -> Iterator[Chunk]:
    for start in range(0, len(rows), CHUNK_ROWS):
        part = rows[start : start + CHUNK_ROWS]
        if consecutive(part):
            yield _pack(part)
            continue
        # A chunk stores its first seq and its count: rows with a gap in their seqs (rows taken from a journal, an
        # item refused between two others) are cut into runs of consecutive ones.
        run = [part[0]]
        for row in part[1:]:
            if row[0] != run[-1][0] + 1:
                yield _pack(run)
                run = []
            run.append(row)
        yield _pack(run)


def _unpack(first: int, count: int, persons: bytes, body: bytes) -> list[Row]:
    people = array("I")
    people.frombytes(persons)
    items = bytes(body).split(b"\n")
    if len(items) != count or len(people) != count:
        raise ValueError(f"spool chunk {first} is damaged: {count} items announced, {len(items)} found")
    return [(first + i, items[i], people[i]) for i in range(count)]


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    # Debian's and others' SQLite is built with secure_delete on: every settled chunk's freed pages were zeroed and
    # written to the WAL again. FAST still zeroes what is deleted within a page, without extra page writes.
    conn.execute("PRAGMA secure_delete=FAST")
    for statement in _SCHEMA:
        conn.execute(statement)
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    # Spools of earlier versions kept one `items` row per item: turn each into a chunk of one.
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='items'").fetchone() is None:
        return
    conn.execute("BEGIN")
    for seq, body in conn.execute("SELECT seq, body FROM items ORDER BY seq").fetchall():
        conn.execute("INSERT INTO chunks VALUES (?, 1, ?, ?)", (seq, array("I", [0]).tobytes(), bytes(body)))
    conn.execute("DROP TABLE items")
    conn.execute("COMMIT")


def _top_seq(conn: sqlite3.Connection) -> int:
    chunk = conn.execute("SELECT COALESCE(MAX(first + count - 1), 0) FROM chunks").fetchone()[0]
    dead = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM dead").fetchone()[0]
    return max(int(chunk), int(dead), int(dict(conn.execute("SELECT key, value FROM meta")).get("seq", 0)))


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One explicit transaction (the connections are in autocommit mode), rolled back on any error."""
    conn.execute("BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def replay_journal(conn: sqlite3.Connection, path: str) -> bytes:
    """Take what the spool's journal holds from an earlier run into its chunks (under its lock); returns its id."""
    ident = journal_id(conn, _UPSERT_META)
    rows = pending_rows(path, ident, _top_seq(conn), owner=True)
    if rows:
        with transaction(conn):
            conn.executemany(_INSERT_CHUNK, _chunks(rows))
        log.warning("spool %r: %d items of an earlier run taken from its journal", path, len(rows))
    return ident


def offline(path: str | os.PathLike[str], job: Callable[[sqlite3.Connection], _T]) -> _T:
    """Run `job` on a spool's connection under its lock, as its holder: an operator's tool never runs beside an
    ingestor (`SpoolLocked` names the one using it)."""
    spool = os.fspath(path)
    if not os.path.exists(spool):
        raise FileNotFoundError(f"no spool at {spool!r}")
    lock = Lock(spool)
    lock.acquire()
    try:
        conn = _connect(spool)
        try:
            lock.claim(conn)
            replay_journal(conn, spool)  # the tools see what a killed run's puts journaled
            return job(conn)
        finally:
            unclaim(conn)
            conn.close()
    finally:
        lock.release()
