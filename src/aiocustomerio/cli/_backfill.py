"""Reading a backfill's input into the ingestor: chunks of lines, each queued with the checkpoint that follows it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from ..ingest import Engine, InvalidItem
from . import _source
from ._progress import Counts, Display

CHUNK = 500  # lines read and queued per step; one spool transaction with its checkpoint (or one per part)


@dataclass
class Outcome:
    invalid: list[tuple[int, str]] = field(default_factory=list)
    stopped_at: int | None = None  # the malformed line the run stopped at


def checkpoint_key(path: str) -> str:
    return "cli.input:" + os.path.abspath(path)


class Backfill:
    """Reads the input range in chunks and queues them, each chunk with its checkpoint."""

    def __init__(
        self,
        ing: Engine,
        reader: _source.Reader,
        *,
        skip_invalid: bool,
        restart: bool,
        progress: Display,
    ) -> None:
        self.ing = ing
        self.reader = reader
        self.key = checkpoint_key(reader.path)
        self.skip_invalid = skip_invalid
        self.restart = restart
        self.progress = progress
        self.outcome = Outcome()
        self.read_bytes = 0
        self.resumed_at = 0

    def say(self, text: str) -> None:
        self.progress.write(text)

    async def resume(self) -> None:
        saved = self.ing.checkpoint(self.key)
        if saved is None:
            return
        if self.restart:
            # The dedup ids stay those of the first run (its recorded mtime): a line sent before is recognised by
            # Customer.io when sent again, even if the file was touched or appended to since.
            with contextlib.suppress(_source.InputChanged):
                self.reader.epoch_ms = _source.Mark.loads(saved).epoch_ms
            self.say(f"--restart: reading {self.reader.path} from the start (the spool's checkpoint is replaced)")
            return
        mark = _source.Mark.loads(saved)
        await asyncio.to_thread(self.reader.resume, mark)
        self.resumed_at = self.read_bytes = mark.offset - mark.start
        self.say(f"resuming {self.reader.path} after line {mark.line} (byte {mark.offset})")

    def _invalid(self, number: int, reason: str) -> None:
        self.outcome.invalid.append((number, reason))
        action = "skipped" if self.skip_invalid else "stopping; nothing after it is sent"
        self.say(f"line {number}: {reason} ({action})")
        if not self.skip_invalid:
            self.outcome.stopped_at = number

    async def run(self) -> None:
        lines = self.reader.lines()
        while True:
            batch = await asyncio.to_thread(_take, lines, CHUNK)
            if not batch:
                return
            chunk = self.reader.chunk()
            stop = False
            for number, start, raw in batch:
                self.read_bytes += len(raw)
                text = raw.strip()
                if not text:
                    chunk.add(raw)
                    continue
                try:
                    item = json.loads(text)
                except ValueError as exc:
                    reason = f"malformed JSON: {exc}"
                else:
                    if isinstance(item, dict):
                        item = self.reader.stamp(item, start, chunk.add(raw))
                        chunk.lines.append(_source.Line(number, start, start + len(raw), len(chunk.raws) - 1, item))
                        continue
                    reason = f"expected a JSON object, got {type(item).__name__}"
                self._invalid(number, reason)
                if not self.skip_invalid:
                    stop = True  # the checkpoint stops before the bad line: a fixed file resumes there
                    break
                chunk.add(raw)
            if not await self._submit(chunk) or stop:
                return
            self.reader.advance(chunk)

    async def _submit(self, chunk: _source.Chunk) -> bool:
        """Queue the chunk's items, each part with its checkpoint; False when an item was refused and the run stops.

        put_many accepts a long call in parts (each waits for room and is one spool transaction); the checkpoint of
        each part is computed from how many items it has accepted, so a crash between parts resumes after the last
        one committed, never before it (which would read its lines again) nor after it (which would skip lines).
        """
        lines = chunk.lines
        while True:
            try:
                await _uncancelled(self._put(chunk, lines, len(chunk.raws)))
                return True
            except InvalidItem as exc:
                bad = lines[exc.index]
                self._invalid(bad.number, str(exc.cause))
                done = lines[: exc.accepted]  # accepted in earlier parts of the call, with their checkpoints
                if not self.skip_invalid:
                    # What came before the bad line is queued, checkpointed up to it; the run stops there.
                    await _uncancelled(self._put(chunk, lines[exc.accepted : exc.index], bad.raw_index))
                    return False
                lines = lines[exc.accepted : exc.index] + lines[exc.index + 1 :]
                chunk.lines = done + lines

    def _put(self, chunk: _source.Chunk, lines: list[_source.Line], upto: int) -> Coroutine[Any, Any, None]:
        """put_many of ``lines``, whose checkpoint after ``n`` items is the end of item ``n`` (``upto`` raw lines
        of the chunk once all are in: past blank or skipped lines too)."""
        reader = self.reader

        def mark(n: int) -> str:
            if n >= len(lines):
                return reader.mark(chunk, upto).dumps()
            if n == 0:
                return reader.mark(chunk, lines[0].raw_index).dumps()
            return reader.mark(chunk, lines[n - 1].raw_index + 1).dumps()

        return self.ing.put_many([line.item for line in lines], checkpoint=(self.key, mark))

    def counts(self) -> Counts:
        report = self.ing.report
        return Counts(self.read_bytes, self.reader.total, report.delivered, report.failed_count, self.ing.qsize())


async def _uncancelled(queued: Coroutine[Any, Any, None]) -> None:
    """Await a put_many that a signal's cancellation cannot cut in half: the chunk is accepted with its checkpoint
    (or refused when the ingestor closes), and only the wait for it is cancelled."""
    await asyncio.shield(queued)


def _take(lines: Any, n: int) -> list[tuple[int, int, bytes]]:
    out = []
    for line in lines:
        out.append(line)
        if len(out) >= n:
            break
    return out
