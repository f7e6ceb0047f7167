"""Operators' tools for a spool at rest, beside `_repair`: what it holds, and its dead letters re-driven.

`inspect_spool` and `iter_dead_letters` read without the lock (safe while an ingestor uses the spool);
`requeue_dead_letters` takes it (`offline`). The live `Spool` uses `_counts` for its report and `_requeue_dead` for
`requeue_dead_letters=True`, so a run and an operator count and re-drive the same way.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._journal import META_KEY as JOURNAL_KEY
from ._journal import pending_rows
from ._lock import current_holder, ro_uri
from ._store import _INSERT_CHUNK, _UPSERT_META, RESERVED_META, _chunks, _top_seq, offline, transaction
from ._types import JSONDict


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(items the next run will send, dead letters)."""
    items = int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM chunks").fetchone()[0])
    inside = int(
        conn.execute(
            "SELECT COUNT(*) FROM dead WHERE EXISTS"
            " (SELECT 1 FROM chunks WHERE dead.seq >= first AND dead.seq < first + count)"
        ).fetchone()[0]
    )
    dead = int(conn.execute("SELECT COUNT(*) FROM dead").fetchone()[0])
    return items - inside, dead


def _requeue_dead(conn: sqlite3.Connection) -> int:
    """Move every dead letter back among the items to send (new sequence numbers, after everything else)."""
    dead = conn.execute("SELECT seq, body, person FROM dead ORDER BY seq").fetchall()
    if not dead:
        return 0
    ranges = conn.execute("SELECT first, first + count FROM chunks").fetchall()

    def in_live_chunk(seq: int) -> bool:
        return any(first <= seq < end for first, end in ranges)

    # A dead letter whose chunk is still in the spool (a crash before the chunk was deleted) is re-sent with it.
    moved = [(bytes(body), int(person)) for seq, body, person in dead if not in_live_chunk(seq)]
    top = _top_seq(conn)
    with transaction(conn):
        if moved:
            rows = [(top + 1 + i, body, person) for i, (body, person) in enumerate(moved)]
            conn.executemany(_INSERT_CHUNK, _chunks(rows))
        conn.execute("DELETE FROM dead")
        conn.execute(_UPSERT_META, ("seq", str(top + len(moved))))
    return len(dead)


@dataclass
class SpoolState:
    """What a spool holds. `pending`: items the next run will send (after a crash this includes items delivered just
    before it, which dedup ids make harmless to send again); `dead_letters`: items the API refused for good, with
    `reasons` counting them by reason and `sample` showing a few; `checkpoints`: the values stored with
    `put_many(..., checkpoint=...)`; `holder`: who holds the spool's lock now, if anyone."""

    path: str
    api: str | None
    pending: int
    dead_letters: int
    reasons: dict[str, int] = field(default_factory=dict)
    sample: list[tuple[JSONDict, str]] = field(default_factory=list)
    checkpoints: dict[str, str] = field(default_factory=dict)
    holder: str | None = None


def inspect_spool(path: str | os.PathLike[str], sample: int = 10) -> SpoolState:
    """Read a spool without taking its lock (safe while an ingestor is using it)."""
    spool = os.fspath(path)
    if not os.path.exists(spool):
        raise FileNotFoundError(f"no spool at {spool!r}")
    holder = current_holder(spool)
    try:
        return _inspect(spool, sample, holder)
    except sqlite3.OperationalError:
        if holder is not None or not os.path.exists(spool + "-journal"):
            raise
    # A run killed inside the spool's first transaction (making the file) left a hot rollback journal, which SQLite
    # rolls back before anything is read: a read-only connection cannot ("attempt to write a readonly database").
    # Nobody holds the spool, so roll it back under its lock, as the next run would on opening it, and read it then.
    offline(spool, lambda conn: None)
    return _inspect(spool, sample, holder)


def _inspect(spool: str, sample: int, holder: str | None) -> SpoolState:
    conn = sqlite3.connect(ro_uri(spool), uri=True, timeout=10)
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        if "chunks" in tables:
            pending, dead = _counts(conn)
            # Items a killed run journaled and did not commit yet: its next run (or any tool) takes them in first.
            ident = meta.get(JOURNAL_KEY)
            pending += len(pending_rows(spool, bytes.fromhex(ident) if ident else None, _top_seq(conn)))
            reasons = dict(conn.execute("SELECT reason, COUNT(*) FROM dead GROUP BY reason ORDER BY 2 DESC").fetchall())
            rows = conn.execute("SELECT body, reason FROM dead ORDER BY seq LIMIT ?", (sample,)).fetchall()
        else:  # an earlier version's spool, not yet opened by this one
            pending = int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]) if "items" in tables else 0
            dead, reasons, rows = 0, {}, []
    finally:
        conn.close()
    return SpoolState(
        path=spool,
        api=meta.pop("api", None),
        pending=pending,
        dead_letters=dead,
        reasons={str(k): int(v) for k, v in reasons.items()},
        sample=[(json.loads(bytes(body)), str(reason)) for body, reason in rows],
        checkpoints={k: v for k, v in meta.items() if k not in RESERVED_META},
        holder=holder,
    )


def requeue_dead_letters(path: str | os.PathLike[str]) -> int:
    """Move a spool's dead letters back among its items, so the next run sends them again; returns how many.

    Takes the spool's lock (raises `SpoolLocked` if an ingestor is using it). To re-drive them as part of a run,
    pass `requeue_dead_letters=True` to the ingestor instead.
    """
    return offline(path, _requeue_dead)


def iter_dead_letters(path: str | os.PathLike[str]) -> Iterator[tuple[JSONDict, str]]:
    """Every dead letter of a spool as `(item, reason)`, oldest first (read-only, without the lock)."""
    conn = sqlite3.connect(ro_uri(os.fspath(path)), uri=True, timeout=10)
    try:
        for body, reason in conn.execute("SELECT body, reason FROM dead ORDER BY seq"):
            item: Any = json.loads(bytes(body))
            yield item, str(reason)
    finally:
        conn.close()
