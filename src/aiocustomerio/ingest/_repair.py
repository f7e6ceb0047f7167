"""Repairing a spool whose chunks cannot be read: nothing is deleted that was not first kept somewhere else.

A chunk is damaged when its item count no longer matches its body (a disk or a hand edit changed it). Such a chunk
blocks the spool: a run sends nothing from it or after it, so that one person's updates never go back in time (see
`_spool`). `repair_spool` unblocks it the way an operator would by hand, but without losing anything:

- the chunk's raw body is written to a file beside the spool first (``SPOOL.chunk-FIRST.damaged``, fsynced), so
  even a line that is no longer valid JSON is kept as it was;
- every line of it that is still a JSON object becomes a dead letter, with a reason naming the chunk: the API's
  answer is not known for it, so it is not sent again until someone looks (`spool dead-letters`) and decides
  (`spool requeue`, or `ingest --retry-failed`);
- the chunk row is deleted in the same transaction that adds those dead letters.

It takes the spool's lock, so it never runs beside an ingestor. A spool whose file is damaged below the chunks (SQLite
reports "database disk image is malformed") is not a chunk problem: SQLite's own ``.recover`` is the tool for it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from ._queue import person_hash
from ._store import _UPSERT_META, _top_seq, _unpack, offline, transaction


@dataclass
class DamagedChunk:
    """One chunk `repair_spool` took out: its first seq, the count it announced, the lines kept as dead letters,
    the lines that were not JSON objects (in `kept_in` only), and the file that holds its raw body."""

    first: int
    announced: int
    salvaged: int
    unparsable: int
    kept_in: str


@dataclass
class RepairReport:
    path: str
    chunks_checked: int = 0
    damaged: list[DamagedChunk] = field(default_factory=list)

    @property
    def salvaged(self) -> int:
        return sum(chunk.salvaged for chunk in self.damaged)

    @property
    def unparsable(self) -> int:
        return sum(chunk.unparsable for chunk in self.damaged)


def _who(api: str | None, item: dict[str, Any]) -> int:
    # The person hash each API's ingestor gives an item (its lane, for ordering once it is requeued).
    if api == "pipelines":
        user = item.get("userId")
        return person_hash(user if user is not None else item.get("anonymousId"))
    return person_hash(item.get("identifiers"))


def _keep(path: str, first: int, body: bytes) -> str:
    target = f"{path}.chunk-{first}.damaged"
    with open(target, "wb") as file:
        file.write(body)
        file.flush()
        os.fsync(file.fileno())
    return target


def _salvage(api: str | None, first: int, persons: bytes, body: bytes) -> tuple[list[tuple[bytes, int]], int]:
    """The lines of a damaged chunk that are JSON objects, each with its person hash, and how many were not."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    people = array("I")
    if len(persons) % people.itemsize == 0:
        people.frombytes(persons)
    trusted = len(people) == len(lines)  # the stored hashes line up with the lines only if nothing was lost
    kept: list[tuple[bytes, int]] = []
    bad = 0
    for i, line in enumerate(lines):
        try:
            item = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(item, dict):
            bad += 1
            continue
        kept.append((line, people[i] if trusted else _who(api, item)))
    return kept, bad


def _repair(conn: sqlite3.Connection, path: str, report: RepairReport) -> None:
    api = dict(conn.execute("SELECT key, value FROM meta").fetchall()).get("api")
    damaged: list[tuple[int, int, bytes, bytes]] = []
    for first, count, persons, body in conn.execute("SELECT first, count, persons, body FROM chunks ORDER BY first"):
        report.chunks_checked += 1
        try:
            _unpack(int(first), int(count), bytes(persons), bytes(body))
        except ValueError:
            damaged.append((int(first), int(count), bytes(persons), bytes(body)))
    for first, count, persons, body in damaged:
        kept_in = _keep(path, first, body)
        kept, bad = _salvage(api, first, persons, body)
        reason = (
            f"salvaged from damaged spool chunk {first} ({count} items announced; raw body in {kept_in}): check it,"
            " then `aiocustomerio spool requeue` sends it again"
        )
        top = _top_seq(conn)
        now = time.time()
        with transaction(conn):
            conn.executemany(
                "INSERT INTO dead (seq, body, person, reason, failed_at) VALUES (?, ?, ?, ?, ?)",
                [(top + 1 + i, line, who, reason, now) for i, (line, who) in enumerate(kept)],
            )
            conn.execute("DELETE FROM chunks WHERE first = ?", (first,))
            conn.execute(_UPSERT_META, ("seq", str(top + len(kept))))
        report.damaged.append(DamagedChunk(first, count, len(kept), bad, kept_in))


def repair_spool(path: str | os.PathLike[str]) -> RepairReport:
    """Take every damaged chunk out of a spool, keeping its raw body in a file and its readable items as dead
    letters (see the module's docstring); returns what it did. Raises `SpoolLocked` while an ingestor uses it."""
    spool = os.fspath(path)
    report = RepairReport(spool)
    offline(spool, lambda conn: _repair(conn, spool, report))
    return report
