"""Durable spool: accepted items are written to SQLite before `put` returns and deleted once settled.

All SQLite work runs on one dedicated thread so the event loop never blocks on disk. Writes are grouped: every item
(and delete) staged while one transaction is being committed goes into the next transaction, so many concurrent
puts share one commit. WAL with synchronous=NORMAL survives the process being killed (the WAL is in the OS page
cache once the commit returns); it does not promise survival of a power loss.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Row = tuple[int, bytes]
_T = TypeVar("_T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS items (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class Spool:
    def __init__(self, path: str | os.PathLike[str], api: str, on_durable: Callable[[list[Row]], None]) -> None:
        self._path = os.fspath(path)
        self._api = api
        self._on_durable = on_durable
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiocustomerio-spool")
        self._conn: sqlite3.Connection | None = None
        self._inserts: list[Row] = []
        self._deletes: list[int] = []
        self._meta: dict[str, str] = {}
        self._group: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.meta: dict[str, str] = {}

    async def open(self) -> tuple[int, int]:
        """Open (creating if needed) and return (leftover item count, highest sequence number in use)."""
        return await self._run(self._open)

    def _open(self) -> tuple[int, int]:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            conn.execute(statement)
        self.meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        stored_api = self.meta.get("api")
        if stored_api is None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('api', ?)", (self._api,))
        elif stored_api != self._api:
            conn.close()
            raise ValueError(f"spool {self._path!r} holds {stored_api} items, not {self._api} ones")
        count, top = conn.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM items").fetchone()
        self._conn = conn
        return int(count), int(top)

    async def read(self, after: int, limit: int) -> list[Row]:
        return await self._run(self._read, after, limit)

    def _read(self, after: int, limit: int) -> list[Row]:
        assert self._conn is not None
        cursor = self._conn.execute("SELECT seq, body FROM items WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [(int(seq), bytes(body)) for seq, body in cursor]

    def add(self, rows: list[Row], meta: dict[str, str] | None = None) -> asyncio.Future[None]:
        """Stage rows for the next group commit; the returned future resolves once they are durable."""
        self._inserts.extend(rows)
        if meta:
            self._meta.update(meta)
        return self._kick()

    def delete(self, seqs: list[int]) -> None:
        self._deletes.extend(seqs)
        self._kick()

    def _kick(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        group = self._group
        if group is None:
            group = self._group = loop.create_future()
        if self._task is None:
            self._task = loop.create_task(self._commit_loop())
        return group

    async def _commit_loop(self) -> None:
        try:
            while self._group is not None:
                inserts, deletes, meta, group = self._inserts, self._deletes, self._meta, self._group
                self._inserts, self._deletes, self._meta, self._group = [], [], {}, None
                try:
                    await self._run(self._write, inserts, deletes, meta)
                except Exception as exc:
                    # The items are still handed on for delivery; waiting puts learn that they are not durable.
                    group.set_exception(exc)
                    group.exception()  # put_nowait callers never await the group: don't warn about it.
                else:
                    group.set_result(None)
                if inserts:
                    self._on_durable(inserts)
        finally:
            self._task = None

    def _write(self, inserts: list[Row], deletes: list[int], meta: dict[str, str]) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN")
        try:
            if inserts:
                conn.executemany("INSERT OR REPLACE INTO items (seq, body) VALUES (?, ?)", inserts)
            if deletes:
                conn.executemany("DELETE FROM items WHERE seq = ?", [(seq,) for seq in deletes])
            if meta:
                conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self.meta.update(meta)

    async def drain(self) -> None:
        """Wait until everything staged so far is committed."""
        while self._task is not None:
            await asyncio.shield(self._task)

    async def close(self) -> None:
        await self.drain()
        if self._conn is not None:
            await self._run(self._close)
        self._executor.shutdown(wait=False)

    def _close(self) -> None:
        assert self._conn is not None
        # Fold the WAL back so the spool is one file at rest.
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
        self._conn = None

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
