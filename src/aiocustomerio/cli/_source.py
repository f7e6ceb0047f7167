"""The input of a backfill: a byte range of a JSON Lines file, its checkpoints, and the dedup ids of its lines.

A checkpoint is stored in the spool in the same transaction as the items it covers (``put_many(checkpoint=...)``).
It records where reading stopped and a SHA-256 of every byte read before that point, so a rerun resumes exactly
there only if those bytes are still the same: a file replaced or edited before the checkpoint is refused (unless
``--restart``), whatever its size or modification time say. Bytes after the checkpoint may change (fixing a bad
line, appending): they have not been read yet.

A line without a dedup id gets one derived from the file and the line, never from the run: its 80 random bits are a
hash of the range start, the line's byte offset and the SHA-256 of every byte of the range up to the end of the line
(the running hash the checkpoint records), and its time part is the file's mtime (as the first run recorded it in the
checkpoint). The same file read again (rerun after a kill, ``--restart``, a deleted spool, ``--no-spool`` twice)
gives every line the id it had, so Customer.io drops the repeats (Track v2: an event whose ``id`` it has received
before is neither shown nor processed; Pipelines: ``messageId``). A different file gives different ids even when a
line, its offset and the mtime coincide, because what came before the line differs; lines appended later do not
change the ids of the lines before them. A copy with another mtime, or the same file split into other --workers
ranges, gets new ids.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from .._ids import _TIME_MAX, dedup_field, derived_ulid

_BLOCK = 1 << 20
_VERSION = 1


class InputChanged(ValueError):
    """The bytes a checkpoint covers are not the bytes of the file now."""


def align(stream: IO[bytes], offset: int) -> int:
    """The start of the first line at or after ``offset`` (a line starts at 0 or right after a newline)."""
    if offset <= 0:
        return 0
    stream.seek(offset - 1)
    while True:
        block = stream.read(_BLOCK)
        if not block:
            return stream.tell()
        newline = block.find(b"\n")
        if newline >= 0:
            return stream.tell() - len(block) + newline + 1


def split(path: str, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges of the file, each starting at a line start; together they cover it exactly."""
    size = os.path.getsize(path)
    with open(path, "rb") as stream:
        cuts = [0] + [align(stream, size * i // parts) for i in range(1, parts)] + [size]
    for i in range(1, len(cuts)):
        cuts[i] = max(cuts[i], cuts[i - 1])
    return [(cuts[i], cuts[i + 1]) for i in range(parts)]


@dataclass
class Mark:
    """A checkpoint: the range, how far it was read, and what had been read."""

    start: int
    end: int | None  # None: to the end of the file
    offset: int
    line: int
    sha256: str
    epoch_ms: int  # the time part of the derived ids: the file's mtime when it was first read
    size: int = 0  # file size and mtime when the mark was made (reported, not trusted)
    mtime_ns: int = 0

    def dumps(self) -> str:
        return json.dumps({"v": _VERSION, **self.__dict__}, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Mark:
        try:
            data = json.loads(text)
            if isinstance(data, dict) and data.pop("v", None) == _VERSION:
                return cls(**data)
        except (ValueError, TypeError):
            pass
        raise InputChanged("the spool's checkpoint was written by another version of aiocustomerio")


def _prefix_hash(path: str, start: int, stop: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        stream.seek(start)
        left = stop - start
        while left > 0:
            block = stream.read(min(_BLOCK, left))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest


def verify(path: str, mark: Mark) -> hashlib._Hash:
    """The running hash at ``mark`` if the file still holds the bytes it covers; else InputChanged saying why."""
    info = os.stat(path)
    if info.st_size < mark.offset:
        raise InputChanged(
            f"{path} changed since the last run: it is {info.st_size:,} bytes, but {mark.offset:,} had been read"
        )
    digest = _prefix_hash(path, mark.start, mark.offset)
    if digest.hexdigest() != mark.sha256:
        raise InputChanged(
            f"{path} changed since the last run: the {mark.offset - mark.start:,} bytes already read (up to line "
            f"{mark.line:,}) are not the same any more"
        )
    return digest


@dataclass
class Line:
    number: int  # counted from the start of the range, from 1
    start: int  # byte offsets in the file
    end: int
    raw_index: int  # position among the chunk's raw lines
    item: dict[str, Any]


@dataclass
class Chunk:
    """Lines read since the last checkpoint, with what is needed to make a checkpoint after any of them."""

    base: hashlib._Hash
    base_offset: int
    base_line: int
    raws: list[bytes] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    running: hashlib._Hash | None = None  # base + raws: the hash of the range up to the end of the last raw line

    def add(self, raw: bytes) -> hashlib._Hash:
        """Append a raw line; the hash of the range through it (what its derived id is made from)."""
        if self.running is None:
            self.running = self.base.copy()
        self.raws.append(raw)
        self.running.update(raw)
        return self.running


class Reader:
    """Reads one range of the file line by line, stamps dedup ids, and makes checkpoints."""

    def __init__(self, path: str, api: str, start: int = 0, end: int | None = None) -> None:
        self.path = path
        self.api = api
        self.start = start
        self.end = end
        self.offset = start
        self.line = 0
        self._hash = hashlib.sha256()
        info = os.stat(path)
        self.size, self.mtime_ns = info.st_size, info.st_mtime_ns
        self.epoch_ms = min(max(info.st_mtime_ns // 1_000_000, 0), _TIME_MAX)  # a ULID's time part is 48 bits
        self.total = (end if end is not None else self.size) - start

    def resume(self, mark: Mark) -> None:
        if (mark.start, mark.end) != (self.start, self.end):
            raise InputChanged(
                f"the spool's checkpoint is for bytes {mark.start}..{mark.end} of {self.path}, not "
                f"{self.start}..{self.end}: it belongs to a run with another --workers count"
            )
        self._hash = verify(self.path, mark)
        self.offset, self.line, self.epoch_ms = mark.offset, mark.line, mark.epoch_ms

    def chunk(self) -> Chunk:
        return Chunk(self._hash.copy(), self.offset, self.line)

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        """(number, start offset, raw bytes) of each line from the current position to the end of the range."""
        with open(self.path, "rb") as stream:
            stream.seek(self.offset)
            offset, number = self.offset, self.line
            while self.end is None or offset < self.end:
                limit = _BLOCK if self.end is None else max(1, min(_BLOCK, self.end - offset))
                block = stream.readlines(limit)
                if not block:
                    return
                for raw in block:
                    if self.end is not None and offset >= self.end:
                        return
                    number += 1
                    yield number, offset, raw
                    offset += len(raw)

    def stamp(self, item: dict[str, Any], offset: int, through: hashlib._Hash) -> dict[str, Any]:
        """``item`` (the line at ``offset``) with a derived dedup id if it lacks one; ``through`` is the hash of the
        range up to the end of the line: the same line of the same file always gets the same id."""
        missing = dedup_field(self.api, item)
        if missing is not None:
            key = b"%d:%d:" % (self.start, offset) + through.copy().digest()
            item[missing] = derived_ulid(self.epoch_ms, key)
        return item

    def mark(self, chunk: Chunk, upto: int) -> Mark:
        """The checkpoint after the first ``upto`` raw lines of ``chunk``."""
        if upto == len(chunk.raws) and chunk.running is not None:
            digest = chunk.running.copy()
        else:
            digest = chunk.base.copy()
            digest.update(b"".join(chunk.raws[:upto]))
        offset = chunk.base_offset + sum(len(raw) for raw in chunk.raws[:upto])
        return Mark(
            self.start,
            self.end,
            offset,
            chunk.base_line + upto,
            digest.hexdigest(),
            self.epoch_ms,
            self.size,
            self.mtime_ns,
        )

    def advance(self, chunk: Chunk) -> None:
        """The chunk is accepted whole: later checkpoints build on it."""
        self._hash = chunk.running.copy() if chunk.running is not None else chunk.base.copy()
        self.offset = chunk.base_offset + sum(len(raw) for raw in chunk.raws)
        self.line = chunk.base_line + len(chunk.raws)
