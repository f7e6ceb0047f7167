"""`aiocustomerio ingest FILE.jsonl --api track|pipelines`: backfill a file of Track v2 entities or Pipelines
messages, one JSON object per line.

The file is streamed. Every accepted line is made durable in a spool (by default FILE.spool.db beside the input;
`--spool` elsewhere) together with a checkpoint, so a rerun first delivers what the last run left undelivered and
then continues after the last accepted line; a file changed before that point is refused (`--restart` starts over).
Lines without a dedup id get one derived from the file and the line's position, so a line sent twice is recognised.
`--no-spool` keeps nothing: undelivered lines are then written to a file named in the summary, and a run that
stopped early says at which line reading stopped and how to send the rest.

The first SIGINT or SIGTERM stops reading, delivers what was read for up to --drain-timeout seconds (10 by default
after a signal), keeps the rest in the spool and exits 130 or 143; a second one exits at once.
Exit status: 0 when everything was delivered; 1 when items failed permanently or were left undelivered; 2 for bad
usage, a changed input, or a malformed line (nothing after it is sent unless --skip-invalid); 130/143 on a signal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shlex
import sqlite3
import sys
from dataclasses import dataclass
from typing import IO, Any

from .._limits import LIMIT_CLASSES, Limits, Rate, check_store_url
from ..errors import CustomerIOError
from ..ingest import Engine, Ingestor, IngestorHalted, IngestReport, SpoolLocked, SpoolWriteError
from . import _source
from ._backfill import Backfill
from ._common import (
    API_ERROR,
    OK,
    USAGE,
    Parser,
    add_connection_args,
    count,
    open_client,
    per_second,
    seconds,
    seconds_or_zero,
)
from ._progress import Display, JsonProgress, Progress, ProgressLogHandler
from ._signals import Stopper

SIGNAL_DRAIN = 10.0


class Undelivered:
    """--no-spool: where failed and undelivered lines go instead of a spool (opened only if there are any)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.failed_path = path.removesuffix(".jsonl") + ".failed.jsonl"
        self._failed: IO[str] | None = None
        self.failed = 0

    def on_error(self, item: dict[str, Any], reason: str) -> None:
        if self._failed is None:
            self._failed = open(self.failed_path, "a", encoding="utf-8")  # noqa: SIM115 - kept for the run
        self._failed.write(json.dumps({"reason": reason, "item": item}) + "\n")
        self.failed += 1

    def write_pending(self, items: list[dict[str, Any]]) -> None:
        with open(self.path, "w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item) + "\n")

    def close(self) -> None:
        if self._failed is not None:
            self._failed.close()


@dataclass(frozen=True)
class Worker:
    """One of ``--workers N``: its index (from 1) and its byte range of the input."""

    index: int
    count: int
    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> Worker:
        index, count, start, end = (int(part) for part in text.split(":"))
        return cls(index, count, start, end)

    def __str__(self) -> str:
        return f"{self.index}:{self.count}:{self.start}:{self.end}"


def worker_file(path: str, worker: Worker) -> str:
    """FILE.spool.db → FILE.spool.2of4.db: each worker its own spool (a spool has one writer)."""
    stem, dot, ext = path.rpartition(".")
    suffix = f"{worker.index}of{worker.count}"
    return f"{stem}.{suffix}.{ext}" if dot and "/" not in ext else f"{path}.{suffix}"


def fleet_limits(args: argparse.Namespace, api: str) -> Limits | None:
    """The rate budget of one of N workers: the API's (or ``--rate``), shared through Redis (``--redis``), else a
    1/N share of it per worker."""
    count = args.worker.count if args.worker is not None else 1
    default = next(limit.rate for limit in LIMIT_CLASSES if limit.name == api)
    rate = Rate(args.rate, 1.0) if args.rate is not None else default
    if args.redis:
        check_redis(args.redis)
        shared: dict[str, Any] = {api: rate}
        return Limits(store=args.redis, fleet_size=count, **shared)
    if count == 1 and args.rate is None:
        return None
    share: dict[str, Any] = {api: Rate(rate.max_rate / count, rate.period)}
    return Limits(**share)


def check_redis(url: str) -> None:
    """Fail before any work when the store cannot be used (redis-py is an optional dependency), naming the flag."""
    try:
        import redis  # noqa: F401
    except ImportError:
        raise ValueError('--redis needs redis-py: pip install "aiocustomerio[redis]"') from None
    check_store_url("--redis", url)


def spool_path(args: argparse.Namespace) -> str | None:
    if args.no_spool:
        return None
    path: str = args.spool or args.file + ".spool.db"
    if args.worker is not None:
        path = worker_file(path, args.worker)
    check_writable(path, "--spool", "the spool", "run.db")
    return path


def check_writable(path: str, flag: str, what: str, example: str) -> None:
    """Before anything is read or sent: ``path`` can be created or written (what is kept there is never lost to a
    mistyped directory at the end of a run)."""
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{flag} {path} is a directory; give a file path (e.g. {os.path.join(path, example)})")
    if not os.path.isdir(parent):
        problem = "is a file, not a directory" if os.path.exists(parent) else "does not exist"
        raise ValueError(f"cannot create {what} {path}: the directory {parent} {problem} (choose another {flag})")
    if not os.access(parent, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise ValueError(f"cannot write {what} {path}: permission denied (choose another {flag})")


async def ingest(args: argparse.Namespace, progress: Display) -> int:
    """The run, with the Stopper's handlers from the first moment the loop runs until the summary is printed: a
    first signal at any point stops reading (or keeps it from starting), drains, and the summary still comes out."""
    reading: list[asyncio.Task[None]] = []

    def stop_reading(_signal: int) -> None:
        for task in reading:
            task.cancel()

    stopper = Stopper(stop_reading, progress.write)
    stopper.install()
    try:
        return await _ingest(args, progress, stopper, reading)
    finally:
        stopper.uninstall()


async def _ingest(
    args: argparse.Namespace, progress: Display, stopper: Stopper, reading: list[asyncio.Task[None]]
) -> int:
    api = args.api
    spool = spool_path(args)
    left = args.undelivered or args.file + ".undelivered.jsonl"
    undelivered = None if spool else Undelivered(left if args.worker is None else worker_file(left, args.worker))
    if undelivered is not None:
        for path in (undelivered.path, undelivered.failed_path):
            check_writable(path, "--undelivered", "the file for undelivered lines", "left.jsonl")
    options: dict[str, Any] = {"concurrency": args.concurrency}
    if args.max_queue is not None:
        options["max_queue"] = args.max_queue
    if args.batch_items is not None:
        options["max_batch_items"] = args.batch_items
    if spool is not None:
        options["spool"] = spool
        if args.retry_failed:
            options["requeue_dead_letters"] = True
    if undelivered is not None:
        options["on_error"] = undelivered.on_error
    worker: Worker | None = args.worker
    reader = _source.Reader(args.file, api, *((worker.start, worker.end) if worker else (0, None)))
    async with open_client(args, api, limits=fleet_limits(args, api)) as cio:
        ing = Ingestor(getattr(cio, api).connect, api=api, **options)
        try:
            await ing.start()
        except SpoolLocked as exc:
            progress.write(f"aiocustomerio: {exc}")
            return USAGE
        except (OSError, sqlite3.Error) as exc:
            progress.write(f"aiocustomerio: cannot open the spool {spool}: {exc}")
            return USAGE
        job = Backfill(ing, reader, skip_invalid=args.skip_invalid, restart=args.restart, progress=progress)
        asyncio.get_running_loop().set_exception_handler(_one_line(progress))
        ticker = asyncio.create_task(_tick(job, progress))
        changed: _source.InputChanged | None = None
        try:
            try:
                await job.resume()
                progress.start(reader.total, job.read_bytes)
                if stopper.received is None:
                    reading.append(asyncio.create_task(job.run()))
                    await reading[0]
            except _source.InputChanged as exc:
                changed = exc
            except SpoolWriteError as exc:
                progress.write(f"aiocustomerio: stopped reading: {exc}")
            except (IngestorHalted, asyncio.CancelledError):
                pass  # reported below from the report (its reason, and every item kept pending)
            report = await _finish(ing, args.drain_timeout, stopper)
            await job.settle()
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            progress.close(job.counts() if changed is None else None)
    if undelivered is not None:
        if report.pending or (changed is None and job.stopped_reading):
            undelivered.write_pending(report.pending)  # named in the summary, so it exists even when empty
        undelivered.close()
    if changed is not None:
        progress.write(f"aiocustomerio: {changed}; rerun with --restart to read it from the start")
        code = USAGE
    else:
        code = summarize(report, job, spool, undelivered)
        code = stopper.exit_code if stopper.exit_code is not None else code
    # A --workers coordinator adds these up; without them it takes the worker for one that died mid-run.
    progress.finish(
        {
            "code": code,
            "accepted": report.accepted,
            "delivered": report.delivered,
            "failed": report.failed_count,
            "pending": len(report.pending),
            "retried": report.retried,
            "invalid_lines": len(job.outcome.invalid),
        }
    )
    return code


def _one_line(progress: Display) -> Any:
    """Errors of background tasks as one line each (the operator needs the message, not a traceback)."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        detail = f"{type(error).__name__}: {error}" if error is not None else ""
        progress.write(f"aiocustomerio: internal error: {context.get('message', '')} {detail}".rstrip())

    return handle


async def _finish(ing: Engine, drain_timeout: float | None, stopper: Stopper) -> IngestReport:
    """Drain (waking early on a signal), then close; after a signal, drain at most --drain-timeout (default 10 s)."""
    if drain_timeout is None and stopper.received is None:
        drained = asyncio.ensure_future(ing.flush())
        signalled = asyncio.ensure_future(stopper.event.wait())
        with contextlib.suppress(Exception):
            await asyncio.wait({drained, signalled}, return_when=asyncio.FIRST_COMPLETED)
        for task in (drained, signalled):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    if stopper.received is not None:
        drain_timeout = SIGNAL_DRAIN if drain_timeout is None else drain_timeout
    return await ing.close(timeout=drain_timeout)


async def _tick(job: Backfill, progress: Display) -> None:
    while True:
        await asyncio.sleep(0.2)
        progress.update(job.counts())


def summarize(report: IngestReport, job: Backfill, spool: str | None, undelivered: Undelivered | None) -> int:
    say = job.say
    say(f"{job.reader.path}: {report.summary()} invalid_lines={len(job.outcome.invalid)}")
    failed = report.failed_count
    for item, reason in report.failed[:10]:
        say(f"  failed: {reason}: {json.dumps(item)[:200]}")
    if failed > 10:
        say(f"  ... and {failed - 10} more failed items")
    if failed and undelivered is not None:
        say(f"  failed items with their reasons: {undelivered.failed_path}")
    if report.halted:
        say(f"  delivery stopped: {report.halted}; nothing after it was read")
    for error in report.errors:
        say(f"  spool error: {error}")
    # With a spool, what it keeps for the next run: this run's pending items and any leftovers it had not read yet.
    left = report.spooled if spool is not None and report.spooled is not None else len(report.pending)
    if left or report.pending or (undelivered is not None and job.stopped_reading):
        if spool is not None:
            where = f"kept in the spool {spool}; rerun to deliver them"
        elif report.pending:
            where = f"written to {undelivered.path if undelivered else '?'} (no spool); send that file to deliver them"
        else:
            where = f"none was read and left behind ({undelivered.path if undelivered else '?'} is empty)"
        when = "when delivery stopped" if report.halted else "when the run ended"
        say(f"  {max(left, len(report.pending))} items undelivered {when}: {where}")
    if job.stopped_reading:
        say(_where_reading_stopped(job, spool))
    if job.outcome.stopped_at is not None:
        say(f"  stopped at malformed line {job.outcome.stopped_at}; lines before it were sent")
        return USAGE
    return OK if report.ok else API_ERROR


def _where_reading_stopped(job: Backfill, spool: str | None) -> str:
    """The first line not sent, and how to send the rest: a rerun with the spool, a command without one."""
    reader = job.reader
    line, offset = job.unaccepted
    end = reader.start + reader.total
    at = f"line {line}" + (f" of bytes {reader.start}..{end}" if reader.start else "") + f" (byte {offset})"
    if spool is not None:
        return f"  reading stopped at {at}: rerun the same command to continue from there"
    rest = f"{reader.path.removesuffix('.jsonl')}.from-{offset}.jsonl"
    cut = f" | head -c {end - offset}" if reader.end is not None else ""
    return (
        f"  reading stopped at {at}: the lines from there on were not sent; to send them: "
        f"tail -c +{offset + 1} {shlex.quote(reader.path)}{cut} > {shlex.quote(rest)}, then ingest that file"
    )


def parser() -> argparse.ArgumentParser:
    cmd = Parser(prog="aiocustomerio ingest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("file", help="JSON Lines: one Track v2 entity or Pipelines message per line")
    cmd.add_argument("--api", choices=["track", "pipelines"], required=True)
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--spool", help="SQLite file that makes the run durable and resumable (default: FILE.spool.db)")
    where.add_argument("--no-spool", action="store_true", help="keep nothing on disk; undelivered lines go to a file")
    cmd.add_argument("--undelivered", help="with --no-spool: where undelivered lines go (FILE.undelivered.jsonl)")
    cmd.add_argument("--restart", action="store_true", help="read the file from the start, ignoring the checkpoint")
    cmd.add_argument(
        "--retry-failed", action="store_true", help="send the spool's dead letters again (items refused for good)"
    )
    cmd.add_argument("--skip-invalid", action="store_true", help="report malformed lines and carry on")
    cmd.add_argument("--concurrency", type=count, default=4, help="batches in flight (default 4)")
    cmd.add_argument("--max-queue", type=count, help="items read and not yet delivered, at most (default 20,000)")
    cmd.add_argument(
        "--drain-timeout", type=seconds_or_zero, default=None, help="seconds to wait for delivery at the end"
    )
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    cmd.add_argument(
        "--progress-every",
        type=seconds,
        default=5.0,
        help="off a terminal: seconds between progress lines (default 5)",
    )
    cmd.add_argument(
        "--workers", type=count, default=1, help="split the file into N byte ranges, one process each (default 1)"
    )
    cmd.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("AIOCUSTOMERIO_REDIS_URL") or None,
        help="share one rate budget across the workers through Redis (default: $AIOCUSTOMERIO_REDIS_URL)",
    )
    cmd.add_argument(
        "--rate",
        type=per_second,
        help="batch requests per second for the whole job (default: the API's published limit)",
    )
    cmd.add_argument("--batch-items", type=count, help="items per batch request, at most (default 2,000)")
    cmd.add_argument("--worker", type=Worker.parse, help=argparse.SUPPRESS)  # set by the --workers coordinator
    cmd.add_argument("--progress-json", action="store_true", help=argparse.SUPPRESS)
    add_connection_args(cmd)
    return cmd


def main(argv: list[str]) -> int:
    # Signals before the run's own handlers are in place: those of the process entry point (cli._startup).
    args = parser().parse_args(argv)
    if not os.path.isfile(args.file):
        if os.path.isdir(args.file):
            print(f"aiocustomerio: {args.file} is a directory: give a file of JSON lines", file=sys.stderr)
        else:
            print(f"aiocustomerio: no such file: {args.file}", file=sys.stderr)
        return USAGE
    if args.no_strict and args.api != "pipelines":
        print("aiocustomerio: --no-strict turns off the Pipelines API's strict mode; Track has none", file=sys.stderr)
        return USAGE
    if args.retry_failed and args.no_spool:
        print("aiocustomerio: --retry-failed re-drives a spool's dead letters: not with --no-spool", file=sys.stderr)
        return USAGE
    if args.workers > 1 and args.worker is None:
        from ._workers import coordinate

        return coordinate(args, argv)
    progress: Display = (
        JsonProgress() if args.progress_json else Progress(enabled=not args.no_progress, every=args.progress_every)
    )
    if args.worker is not None:
        from ._workers import follow_coordinator

        follow_coordinator()
    else:
        from ._workers import check_earlier_job

        try:
            check_earlier_job(args, progress.write)
        except (ValueError, OSError, SpoolLocked) as exc:
            progress.write(f"aiocustomerio: {exc}")
            return USAGE
    handler = ProgressLogHandler(progress.write)
    library_log = logging.getLogger("aiocustomerio")
    library_log.addHandler(handler)
    library_log.setLevel(logging.WARNING)
    library_log.propagate = False
    try:
        return asyncio.run(ingest(args, progress))
    except KeyboardInterrupt:  # called from Python (no entry-point handlers), before the run's were installed
        progress.write("\ninterrupted")
        return 130
    except (ValueError, OSError, CustomerIOError) as exc:
        progress.write(f"aiocustomerio: {exc}")
        return USAGE
    finally:
        library_log.removeHandler(handler)
        library_log.propagate = True
