"""Reading a backfill's input into the ingestor: chunks of lines, each queued with the checkpoint that follows it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
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
        # The first line not accepted: (its number in the range, from 1; its byte offset). Everything before it is
        # in the ingestor's hands (delivered, failed, pending or spooled); nothing from it on was sent.
        self.unaccepted = (reader.line + 1, reader.offset)
        self._queued: set[asyncio.Task[None]] = set()  # put_many calls, also those a signal stopped waiting for

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
        self.unaccepted = (mark.line + 1, mark.offset)
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
                except RecursionError:  # the stdlib decoder's answer to ~1,000 levels of nesting
                    reason = "malformed JSON: nested too deeply"
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
                await self._put(chunk, lines, len(chunk.raws))
                return True
            except InvalidItem as exc:
                bad = lines[exc.index]
                self._invalid(bad.number, str(exc.cause))
                done = lines[: exc.accepted]  # accepted in earlier parts of the call, with their checkpoints
                if not self.skip_invalid:
                    # What came before the bad line is queued, checkpointed up to it; the run stops there.
                    await self._put(chunk, lines[exc.accepted : exc.index], bad.raw_index)
                    return False
                lines = lines[exc.accepted : exc.index] + lines[exc.index + 1 :]
                chunk.lines = done + lines

    async def _put(self, chunk: _source.Chunk, lines: list[_source.Line], upto: int) -> None:
        """put_many of ``lines``, whose checkpoint after ``n`` items is the end of item ``n`` (``upto`` raw lines
        of the chunk once all are in: past blank or skipped lines too).

        A signal's cancellation cannot cut the call in half: it runs as its own task, and only the wait for it is
        cancelled (the chunk is then accepted with its checkpoint, or refused when the ingestor closes). Whatever
        its outcome, ``_settled`` reads it (no "exception was never retrieved") and records how far it accepted.
        """
        reader = self.reader
        marks: list[_source.Mark] = []

        def mark(n: int) -> str:
            if n >= len(lines):
                made = reader.mark(chunk, upto)
            elif n == 0:
                made = reader.mark(chunk, lines[0].raw_index)
            else:
                made = reader.mark(chunk, lines[n - 1].raw_index + 1)
            marks.append(made)
            return made.dumps()

        task = asyncio.ensure_future(self.ing.put_many([line.item for line in lines], checkpoint=(self.key, mark)))
        self._queued.add(task)
        task.add_done_callback(lambda done: self._settled(done, marks))
        await asyncio.shield(task)

    def _settled(self, task: asyncio.Task[None], marks: list[_source.Mark]) -> None:
        """put_many computes each part's mark just before accepting that part: all of them are accepted when the
        call returns (or refuses an item, before computing its part's mark); when it fails otherwise (closed,
        halted, a spool write error), every part but the last one."""
        self._queued.discard(task)
        if task.cancelled():
            accepted = len(marks) - 1
        else:
            error = task.exception()
            accepted = len(marks) if error is None or isinstance(error, InvalidItem) else len(marks) - 1
        if accepted > 0:
            last = marks[accepted - 1]
            self.unaccepted = max(self.unaccepted, (last.line + 1, last.offset))

    async def settle(self) -> None:
        """Wait (briefly: the ingestor is closed) for put_many calls a signal stopped waiting for."""
        if self._queued:
            await asyncio.wait(set(self._queued), timeout=5)

    @property
    def stopped_reading(self) -> bool:
        """The run ended before every line of the range was accepted, and not at a malformed line (a signal, a
        halt, a spool that could not be written)."""
        end = self.reader.start + self.reader.total
        return self.unaccepted[1] < end and self.outcome.stopped_at is None

    def counts(self) -> Counts:
        report = self.ing.report
        return Counts(self.read_bytes, self.reader.total, report.delivered, report.failed_count, self.ing.qsize())


def _take(lines: Any, n: int) -> list[tuple[int, int, bytes]]:
    out = []
    for line in lines:
        out.append(line)
        if len(out) >= n:
            break
    return out
