"""`aiocustomerio ingest FILE --workers N`: N processes, one byte range of the file each, resumable as one job.

The file is split at line starts into N ranges, recorded in a job file beside the spools (FILE.spool.workers.json),
so a rerun gives every worker the same range even if the file has grown since. Each worker is this same command
with its range: its own spool (FILE.spool.<i>of<N>.db) and checkpoint, and the rate budget shared through
``--redis`` (else each gets 1/N of it). Workers report progress as JSON lines on stdout; this coordinator adds them
up into one bar and one summary, and prints each worker's messages prefixed with its number.

Signals: workers run in their own process group, so a terminal's Ctrl-C reaches only the coordinator, which passes
the first SIGINT/SIGTERM on (each worker drains and keeps the rest in its spool) and, on a second, passes that on
too (each exits at once).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import signal
import sqlite3
import sys
from dataclasses import dataclass, field
from typing import Any

from ..ingest import SpoolLocked, inspect_spool
from ..ingest._journal import journal_files
from ..ingest._lock import Lock
from . import _source
from ._common import API_ERROR, OK, USAGE
from ._ingest import Worker, check_redis, worker_file
from ._progress import Counts, Progress
from ._signals import Stopper

_SEVERITY = {OK: 0, API_ERROR: 1, USAGE: 2}


@dataclass
class Child:
    index: int
    start: int
    end: int
    process: asyncio.subprocess.Process | None = None
    counts: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] | None = None
    signals: int = 0  # forwarded to it so far


COORDINATOR_ENV = "AIOCUSTOMERIO_COORDINATOR_PID"
_PR_SET_PDEATHSIG = 1


def follow_coordinator() -> None:
    """In a worker: be sent SIGTERM when the coordinator dies (Linux), as if it had forwarded one.

    Workers run in sessions of their own, so a coordinator killed outright (SIGKILL, the OOM killer) would leave
    them reading their ranges, retrying, and holding their spools' locks with nobody to report to. With the signal
    they stop reading, drain for --drain-timeout, keep the rest in their spools and exit, as after a forwarded one."""
    parent = os.environ.get(COORDINATOR_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def job_file(args: argparse.Namespace) -> str:
    base: str = args.spool or args.file + ".spool.db"
    return base.removesuffix(".db") + ".workers.json"


def _spools(args: argparse.Namespace, workers: int) -> list[str]:
    """The spools a run of this file with `workers` processes uses (one, or one per worker)."""
    base: str = args.spool or args.file + ".spool.db"
    if workers == 1:
        return [base]
    return [worker_file(base, Worker(i, workers, 0, 0)) for i in range(1, workers + 1)]


def _earlier_job(args: argparse.Namespace) -> int | None:
    """The worker count of an earlier job on this file that is not this run's (1: without --workers), if any."""
    job = job_file(args)
    if os.path.exists(job):
        with open(job, encoding="utf-8") as file:
            count = int(json.load(file).get("workers", 0))
        if count != args.workers:
            return count
    if args.workers > 1 and os.path.exists(_spools(args, 1)[0]):
        return 1
    return None


def check_earlier_job(args: argparse.Namespace, say: Any) -> None:
    """Refuse to read a file under another worker count than the job that has its spools, unless told (--restart)
    and nothing of that job is left to deliver; then its spools (only checkpoints left) and job file go.

    The spools of another count are other files, and lines without an id get other derived dedup ids under another
    split (each range hashes from its own start): reading the file again that way would send what the earlier job
    delivered a second time, under ids Customer.io cannot recognise, and leave that job's undelivered items behind."""
    if args.no_spool or args.worker is not None:
        return
    count = _earlier_job(args)
    if count is None:
        return
    how = "without --workers" if count == 1 else f"with --workers {count}"
    paths = [path for path in _spools(args, count) if os.path.exists(path)]
    try:
        states = [inspect_spool(path) for path in paths]
    except sqlite3.Error as exc:  # an OSError (unreadable) is the caller's to report, as ValueError is
        raise ValueError(
            f"{args.file} was started {how}, and its spools cannot be read ({type(exc).__name__}: {exc}): "
            f"`aiocustomerio spool inspect {' '.join(paths)}` shows which"
        ) from exc
    pending = sum(state.pending for state in states)
    dead = sum(state.dead_letters for state in states)
    held = f"{pending:,} undelivered items and {dead:,} dead letters in {', '.join(paths)}" if paths else "no spool"
    if not args.restart:
        raise ValueError(
            f"{args.file} was started {how} ({held}); rerun {how} to resume that job, or pass --restart to read it"
            f" anew with --workers {args.workers} (lines without an id then get other dedup ids than that job gave)"
        )
    if pending or dead:
        raise ValueError(
            f"{args.file} was started {how} and that job still has {held}: finish it first (rerun {how}; "
            f"`aiocustomerio spool inspect` shows them), or delete those spools to drop them, then --restart"
        )
    for path in paths:  # nothing left in them but checkpoints; under the lock, so never beside a running job
        lock = Lock(path)
        lock.acquire()
        try:
            for name in (path, path + "-wal", path + "-shm", *journal_files(path)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)
        finally:
            lock.release()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(job_file(args))
    say(f"--restart: the earlier job {how} had delivered everything; its spools are removed")


def ranges(args: argparse.Namespace, say: Any) -> list[tuple[int, int]]:
    """The job's ranges: from its job file when resuming, else a fresh split (recorded before any worker starts)."""
    path = job_file(args)
    if os.path.exists(path) and not args.restart:
        with open(path, encoding="utf-8") as file:
            job = json.load(file)
        if job.get("workers") != args.workers:
            raise ValueError(
                f"{args.file} was started with --workers {job.get('workers')} (see {path}); rerun with that count, "
                "or pass --restart to split it anew"
            )
        say(f"resuming the {args.workers}-worker job of {path}")
        return [(int(a), int(b)) for a, b in job["ranges"]]
    split = _source.split(args.file, args.workers)
    if not args.no_spool:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"file": os.path.abspath(args.file), "workers": args.workers, "ranges": split}, file)
    return split


# Flags whose values are secrets (API keys; a Redis URL may hold a password), and the environment variable each
# worker reads the value from instead. Any process's command line is world-readable (`ps`, /proc/PID/cmdline), its
# environment only by its owner: N workers must not show N more copies of the key to every user of the machine.
SECRET_FLAGS = {
    "api_key": "CUSTOMERIO_TRACK_API_KEY",
    "app_api_key": "CUSTOMERIO_APP_API_KEY",
    "cdp_api_key": "CUSTOMERIO_CDP_API_KEY",
    "redis": "AIOCUSTOMERIO_REDIS_URL",
}


def _secrets(args: argparse.Namespace) -> dict[str, str]:
    """The secret values given on the command line, by the variable that passes each to the workers."""
    return {env: value for name, env in SECRET_FLAGS.items() if (value := getattr(args, name, None))}


def _child_argv(argv: list[str], child: Child, count: int, secrets: frozenset[str] = frozenset()) -> list[str]:
    # The worker runs this same command line with its range, without --workers, reporting in JSON lines, and
    # without the secrets' values. They are matched by value, not by flag name, so an abbreviated flag argparse
    # accepted (`--api-k KEY`, `--cdp=KEY`) is dropped as surely as the full one.
    out: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word == "--workers":
            skip = True
            continue
        if word.startswith("--workers="):
            continue
        if word in secrets:
            if out and out[-1].startswith("-"):
                out.pop()  # the flag it belongs to
            continue
        if word.startswith("-") and "=" in word and word.partition("=")[2] in secrets:
            continue
        out.append(word)
    return [*out, "--worker", f"{child.index}:{count}:{child.start}:{child.end}", "--progress-json"]


async def _pump_stdout(child: Child, progress: Progress) -> None:
    assert child.process is not None and child.process.stdout is not None
    async for line in child.process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        kind = message.pop("type", None)
        if kind == "progress":
            child.counts = message
        elif kind == "report":
            child.report = message


async def _pump_stderr(child: Child, progress: Progress) -> None:
    assert child.process is not None and child.process.stderr is not None
    async for line in child.process.stderr:
        progress.write(f"[worker {child.index}] {line.decode(errors='replace').rstrip()}")


def _total(children: list[Child], name: str) -> int:
    return sum(int(child.counts.get(name, 0)) for child in children)


async def _run(args: argparse.Namespace, argv: list[str], progress: Progress) -> int:
    check_earlier_job(args, progress.write)
    children = [Child(i + 1, a, b) for i, (a, b) in enumerate(ranges(args, progress.write))]
    wanted = 0  # signals every worker should have had: one after the first signal, two after the second

    def forward(sig: int) -> None:
        nonlocal wanted
        wanted += 1
        for child in children:
            _catch_up(child, sig, wanted)

    stopper = Stopper(forward, progress.write, on_second=forward)
    stopper.install()
    secrets = _secrets(args)
    # A worker notices its coordinator's death (a SIGKILL leaves no time to forward anything) by this pid.
    environment = {**os.environ, **secrets, COORDINATOR_ENV: str(os.getpid())}
    pumps = []
    try:
        for child in children:
            if stopper.received is not None:  # stopped while spawning: the rest are never started
                break
            if child.start == child.end:
                # More workers than the file has lines: a range with no line has nothing to read or keep, and a
                # process for it only costs a start (--workers 1000 on a 100-line file started 1,000 of them).
                continue
            child.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "aiocustomerio",
                "ingest",
                *_child_argv(argv, child, len(children), frozenset(secrets.values())),
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
            # A signal that came while this one was being started was forwarded to the others only.
            if stopper.received is not None:
                _catch_up(child, stopper.received, wanted)
            progress.write(f"worker {child.index}: pid {child.process.pid}, bytes {child.start}..{child.end}")
            pumps += [_pump_stdout(child, progress), _pump_stderr(child, progress)]
        progress.start(children[-1].end if children else 0)
        ticker = asyncio.create_task(_tick(children, progress))
        await asyncio.gather(*pumps)
        codes = {child.index: await child.process.wait() for child in children if child.process is not None}
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        progress.close(_counts(children))
    finally:
        stopper.uninstall()
    return _summarize(args, children, codes, stopper, progress)


def _catch_up(child: Child, sig: int, wanted: int) -> None:
    while child.process is not None and child.process.returncode is None and child.signals < wanted:
        child.process.send_signal(sig)
        child.signals += 1


def _counts(children: list[Child]) -> Counts:
    return Counts(
        _total(children, "read_bytes"),
        _total(children, "total_bytes"),
        _total(children, "delivered"),
        _total(children, "failed"),
        _total(children, "queued"),
    )


async def _tick(children: list[Child], progress: Progress) -> None:
    while True:
        await asyncio.sleep(0.2)
        progress.update(_counts(children))


def _summarize(
    args: argparse.Namespace, children: list[Child], codes: dict[int, int], stopper: Stopper, progress: Progress
) -> int:
    totals = {name: 0 for name in ("accepted", "delivered", "failed", "pending", "retried", "invalid_lines")}
    worst = OK
    for child in children:
        if child.start == child.end:
            continue  # an empty range: never started, nothing to resume
        if child.index not in codes:
            progress.write(f"  worker {child.index} was not started (stopped first): rerun the same command to read it")
            continue
        code = codes[child.index]
        if child.report is not None:
            for name in totals:
                totals[name] += int(child.report.get(name, 0))
        if code < 0 or child.report is None:
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited {code} without a report"
            progress.write(f"  worker {child.index} {how}: rerun the same command to resume its range")
            worst = max(worst, API_ERROR, key=lambda c: _SEVERITY.get(c, 1))
        elif code not in (OK, 130, 143):
            worst = max(worst, code, key=lambda c: _SEVERITY.get(c, 1))
    text = " ".join(f"{name}={value}" for name, value in totals.items())
    progress.write(f"{args.file}: {text} workers={len(children)}")
    return stopper.exit_code if stopper.exit_code is not None else worst


def coordinate(args: argparse.Namespace, argv: list[str]) -> int:
    progress = Progress(enabled=not args.no_progress, every=args.progress_every)
    try:
        if args.redis:
            check_redis(args.redis)
        return asyncio.run(_run(args, argv, progress))
    except (ValueError, OSError, SpoolLocked) as exc:
        progress.write(f"aiocustomerio: {exc}")
        return USAGE
