"""`aiocustomerio ingest FILE.jsonl`: backfill a file of Track v2 entities or Pipelines messages, one JSON per line.

The file is streamed. With `--spool`, every accepted line is durable before more is read, together with the byte
offset reached, so a rerun with the same spool first delivers what the last run left undelivered and then continues
after the last accepted line. Exit status: 0 when everything was delivered, 1 when items failed permanently or were
left undelivered, 2 for bad usage or a malformed line (nothing after it is sent unless `--skip-invalid`), 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

from ..ingest import Engine, Ingestor, IngestorHalted, IngestReport, InvalidItem
from ._common import add_connection_args, open_client

Api = Literal["track", "pipelines"]
CHUNK = 500
PROGRESS_EVERY = 0.5


async def _lines(stream: IO[bytes]) -> AsyncIterator[bytes]:
    # Read off the event loop, about a megabyte of whole lines at a time, so a huge file is never held whole.
    while True:
        lines = await asyncio.to_thread(stream.readlines, 1 << 20)
        if not lines:
            return
        for line in lines:
            yield line


@dataclass
class Line:
    number: int
    start: int
    end: int
    item: dict[str, Any]


class Backfill:
    def __init__(self, ingestor: Engine, path: str, skip_invalid: bool, progress: IO[str] | None) -> None:
        self.ing = ingestor
        self.path = path
        self.key = "cli.offset:" + os.path.abspath(path)
        self.skip_invalid = skip_invalid
        self.progress = progress
        self.invalid: list[tuple[int, str]] = []
        self.stopped_at: int | None = None
        self.lines_read = 0
        self.started = time.monotonic()

    def _invalid(self, number: int, reason: str) -> None:
        self.invalid.append((number, reason))
        action = "skipped" if self.skip_invalid else "stopping; nothing after it is sent"
        self._say(f"line {number}: {reason} ({action})")
        if not self.skip_invalid:
            self.stopped_at = number

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.write("\r\x1b[K" if self.progress.isatty() else "\n")
        print(text, file=sys.stderr, flush=True)

    async def run(self) -> None:
        offset, number = 0, 0
        saved = self.ing.checkpoint(self.key)
        if saved is not None:
            offset, number = (int(part) for part in saved.split(":"))
            if offset > await asyncio.to_thread(os.path.getsize, self.path):
                raise ValueError(f"the spool's checkpoint is past the end of {self.path}: was the file replaced?")
            self._say(f"resuming {self.path} after line {number} (byte {offset})")
        chunk: list[Line] = []
        stream = await asyncio.to_thread(open, self.path, "rb")
        try:
            await asyncio.to_thread(stream.seek, offset)
            async for raw in _lines(stream):
                number += 1
                start, offset = offset, offset + len(raw)
                self.lines_read = number
                text = raw.strip()
                if not text:
                    continue
                try:
                    item = json.loads(text)
                except ValueError as exc:
                    reason = f"malformed JSON: {exc}"
                else:
                    if isinstance(item, dict):
                        chunk.append(Line(number, start, offset, item))
                        if len(chunk) >= CHUNK:
                            if not await self._submit(chunk):
                                return
                            chunk = []
                        continue
                    reason = f"expected a JSON object, got {type(item).__name__}"
                if not await self._submit(chunk, upto=(start, number - 1)):
                    return
                chunk = []
                self._invalid(number, reason)
                if not self.skip_invalid:
                    return
        finally:
            await asyncio.to_thread(stream.close)
        await self._submit(chunk, upto=(offset, number))

    async def _submit(self, chunk: list[Line], upto: tuple[int, int] | None = None) -> bool:
        """Queue `chunk`; False when a line in it was invalid and the run must stop there."""
        while True:
            mark = upto if upto is not None else (chunk[-1].end, chunk[-1].number)
            try:
                await self.ing.put_many([line.item for line in chunk], checkpoint=(self.key, f"{mark[0]}:{mark[1]}"))
                return True
            except InvalidItem as exc:
                bad = chunk[exc.index]
                before = [line.item for line in chunk[: exc.index]]
                await self.ing.put_many(before, checkpoint=(self.key, f"{bad.start}:{bad.number - 1}"))
                self._invalid(bad.number, str(exc.cause))
                if not self.skip_invalid:
                    return False
                chunk = chunk[exc.index + 1 :]

    async def show_progress(self) -> None:
        assert self.progress is not None
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            self.progress.write("\r" + self.status_line())
            self.progress.flush()

    def status_line(self) -> str:
        report = self.ing.report
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return (
            f"line {self.lines_read:,}  delivered {report.delivered:,}  failed {len(report.failed):,}  "
            f"queued {self.ing.qsize():,}  {report.delivered / elapsed:,.0f} events/s"
        )


async def ingest(args: argparse.Namespace) -> int:
    api: Api = args.api
    options: dict[str, Any] = {"concurrency": args.concurrency}
    if args.spool:
        options["spool"] = args.spool
    progress = None if args.no_progress else sys.stderr
    async with open_client(args, args.api) as cio:
        ing = Ingestor(getattr(cio, api).connect, api=api, **options)
        await ing.start()
        job = Backfill(ing, args.file, args.skip_invalid, progress)
        ticker = asyncio.create_task(job.show_progress()) if progress is not None else None
        try:
            await job.run()
        except IngestorHalted:
            pass  # reported below from the report (its reason, and every item kept pending)
        finally:
            report = await ing.close(timeout=args.drain_timeout)
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
                print("\r" + job.status_line(), file=sys.stderr)
    return summarize(report, job, bool(args.spool))


def summarize(report: IngestReport, job: Backfill, spooled: bool) -> int:
    out = sys.stderr
    print(f"{job.path}: {report.summary()} invalid_lines={len(job.invalid)}", file=out)
    for item, reason in report.failed[:10]:
        print(f"  failed: {reason}: {json.dumps(item)[:200]}", file=out)
    if len(report.failed) > 10:
        print(f"  ... and {len(report.failed) - 10} more failed items", file=out)
    if report.halted:
        print(f"  delivery stopped: {report.halted}; nothing after it was read", file=out)
    if report.pending:
        where = "kept in the spool; rerun to deliver them" if spooled else "not delivered (no --spool to keep them)"
        when = "when delivery stopped" if report.halted else "at the deadline"
        print(f"  {len(report.pending)} items undelivered {when}: {where}", file=out)
    if job.stopped_at is not None:
        print(f"  stopped at malformed line {job.stopped_at}; lines before it were sent", file=out)
        return 2
    return 0 if report.ok else 1


def parser() -> argparse.ArgumentParser:
    cmd = argparse.ArgumentParser(prog="aiocustomerio ingest", description=__doc__)
    cmd.add_argument("file", help="JSON Lines: one Track v2 entity or Pipelines message per line")
    cmd.add_argument("--api", choices=["track", "pipelines"], required=True)
    cmd.add_argument("--spool", help="SQLite file making the run durable and resumable")
    cmd.add_argument("--skip-invalid", action="store_true", help="report malformed lines and carry on")
    cmd.add_argument("--concurrency", type=int, default=4, help="batches in flight (default 4)")
    cmd.add_argument("--drain-timeout", type=float, default=None, help="seconds to wait for delivery at the end")
    cmd.add_argument("--no-progress", action="store_true")
    add_connection_args(cmd)
    return cmd


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not os.path.isfile(args.file):
        print(f"aiocustomerio: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(ingest(args))
    except KeyboardInterrupt:
        print("\ninterrupted" + ("; rerun with the same --spool to resume" if args.spool else ""), file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:
        print(f"aiocustomerio: {exc}", file=sys.stderr)
        return 2
