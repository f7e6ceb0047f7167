"""`aiocustomerio ingest FILE --workers N`: byte ranges in separate processes, resumable as one job."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from aiocustomerio.ingest import inspect_spool
from tests.support.batch_server import BatchServer
from tests.support.redis_server import RedisServer

from .ingest_support import ROOT, Run, event, run_cli, start_cli, until


def _pids(err: str) -> dict[int, int]:
    return {int(i): int(pid) for i, pid in re.findall(r"^worker (\d+): pid (\d+)", err, re.MULTILINE)}


def _cmdline(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/cmdline", "rb") as file:
        return file.read().split(b"\0")


def _spooled(path: Path) -> int:
    """Rows a worker's spool holds (0 while the worker has not created it yet); safe while the worker writes."""
    try:
        return inspect_spool(path).pending
    except (FileNotFoundError, sqlite3.Error):
        return 0


async def test_workers_split_the_file_and_add_up_their_reports(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i, with_id=False) for i in range(9000)) + "\n")
    code, err = await run_cli(server, str(data), "--workers", "3", "--no-progress")
    assert code == 0, err
    assert len(_pids(err)) == 3
    assert "accepted=9000 delivered=9000 failed=0 pending=0" in err and "workers=3" in err
    assert len(server.received) == 9000 and max(server.received.values()) == 1
    for i in (1, 2, 3):
        assert (tmp_path / f"events.jsonl.spool.{i}of3.db").exists()
    job = json.loads((tmp_path / "events.jsonl.spool.workers.json").read_text())
    assert job["workers"] == 3 and job["ranges"][0][0] == 0 and job["ranges"][-1][1] == data.stat().st_size
    # A rerun of the finished job reads nothing more; another worker count is refused.
    code, err = await run_cli(server, str(data), "--workers", "3", "--no-progress")
    assert code == 0 and "accepted=0" in err
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")
    assert code == 2 and "started with --workers 3" in err


async def test_a_sigkilled_worker_is_resumed_by_a_rerun_nothing_lost_nothing_duplicated(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    count = 30_000
    data.write_text("\n".join(event(i, with_id=False) for i in range(count)) + "\n")
    # The victim must be killed mid-range. The server counts lines as they arrive, and a worker with room for its
    # whole range had it all on the wire before the first (slow) answer: a queue of 2,000 and 1 s answers keep each
    # worker's 10,000 lines from arriving in under ~5 s.
    server.faults.p_slow, server.faults.slow_seconds = 1.0, 1.0
    run = await start_cli(server, str(data), "--workers", "3", "--no-progress", "--max-queue", "2000")
    await until(lambda: len(_pids(run.err)) == 3 and len(server.received) >= 4000)
    victim = _pids(run.err)[2]
    os.kill(victim, signal.SIGKILL)
    code = await run.wait(timeout=120)
    assert code == 1, run.err
    assert "worker 2 killed by SIGKILL: rerun the same command to resume its range" in run.err
    assert "Traceback" not in run.err
    assert len(server.received) < count

    server.faults.p_slow = 0.0
    code, err = await run_cli(server, str(data), "--workers", "3", "--no-progress")
    assert code == 0, err
    # Every line arrived, each under one dedup id: a resent line (killed mid-batch) carried the id it had before.
    assert len(server.received) == count


async def _two_stalled_workers(server: BatchServer, tmp_path: Path, drain_timeout: str) -> tuple[Run, Path]:
    """A 2-worker run of 6,000 lines on a stalled server, once every worker has accepted lines (so its signal
    handlers are in place: they are installed before it reads) and none can deliver them. Counting requests at the
    server is not enough: on a busy machine one worker can have all its batches in flight (partial ones, flushed by
    max_wait) while the other is still importing, and a signal then finds that one before it has read anything."""
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(6000)) + "\n")
    server.stall()
    run = await start_cli(server, str(data), "--workers", "2", "--drain-timeout", drain_timeout, "--no-progress")
    spools = [tmp_path / f"events.jsonl.spool.{i}of2.db" for i in (1, 2)]
    await until(lambda: all(_spooled(spool) > 0 for spool in spools), timeout=60)
    return run, data


async def test_a_signal_to_the_coordinator_reaches_every_worker(server: BatchServer, tmp_path: Path) -> None:
    run, data = await _two_stalled_workers(server, tmp_path, "1")
    run.signal(signal.SIGTERM)
    code = await run.wait(timeout=60)
    assert code == 143, run.err
    assert run.err.count("kept in the spool") == 2 and "Traceback" not in run.err
    server.unstall()
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(6000)}


async def test_workers_share_one_budget_through_redis(
    server: BatchServer, tmp_path: Path, redis_server: RedisServer
) -> None:
    pytest.importorskip("redis")
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(900)) + "\n")
    # 45 batch requests of 20 items at 30 requests/s for the whole job, admitted through the shared store.
    args = ["--workers", "3", "--redis", redis_server.url, "--rate", "30", "--batch-items", "20", "--no-progress"]
    run = await start_cli(server, str(data), *args)
    seen: set[str] = set()

    def store_in_use() -> bool:
        seen.update(redis_server.list_keys("aiocustomerio:rl:*"))
        return bool(seen) or run.process.returncode is not None

    await until(store_in_use, timeout=60)
    code = await run.wait(timeout=60)
    assert code == 0, run.err
    assert seen and all(key.endswith(":track}") for key in seen), seen
    assert server.ids == {f"f{i}" for i in range(900)} and server.requests >= 45


@pytest.mark.parametrize("flag", ["--api-key", "--api-k"])  # argparse accepts an unambiguous abbreviation
async def test_a_key_given_on_the_command_line_is_not_on_any_workers_command_line(
    server: BatchServer, tmp_path: Path, flag: str
) -> None:
    # Any user of the machine can read a process's command line (ps, /proc/PID/cmdline), only its owner the
    # environment: the coordinator hands each worker the key through the environment. The environment's own key is
    # wrong, so the lines only arrive if the workers got the flag's.
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3000)) + "\n")
    server.stall()
    run = await start_cli(
        server, str(data), "--workers", "2", "--no-progress", f"{flag}=key", CUSTOMERIO_TRACK_API_KEY="wrong"
    )
    await until(lambda: len(_pids(run.err)) == 2)
    for pid in _pids(run.err).values():
        words = _cmdline(pid)
        assert b"key" not in words and not any(word.endswith(b"=key") for word in words), words
        assert b"--worker" in words
    server.unstall()
    code = await run.wait(timeout=60)
    assert code == 0, run.err
    assert server.ids == {f"f{i}" for i in range(3000)}


async def test_another_worker_count_than_the_jobs_is_refused_until_that_job_is_done(
    server: BatchServer, tmp_path: Path
) -> None:
    # Lines without an id get dedup ids derived per range, so reading a file again under another split would send
    # what the earlier job delivered again under other ids, and leave that job's undelivered items behind.
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i, with_id=False) for i in range(3000)) + "\n")
    server.stall()
    run = await start_cli(server, str(data), "--no-progress", "--drain-timeout", "0.2")
    await until(lambda: _spooled(tmp_path / "events.jsonl.spool.db") > 0, timeout=60)
    run.signal(signal.SIGTERM)
    assert await run.wait() == 143, run.err
    pending = _spooled(tmp_path / "events.jsonl.spool.db")
    assert pending > 0
    requests = server.requests

    for extra in ([], ["--restart"]):
        code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress", *extra)
        assert code == 2, err
        assert "was started without --workers" in err and f"{pending:,} undelivered items" in err, err
        assert "rerun without --workers" in err and "Traceback" not in err
    assert server.requests == requests and not (tmp_path / "events.jsonl.spool.1of2.db").exists()
    server.unstall()

    code, err = await run_cli(server, str(data), "--no-progress")  # the job it belongs to finishes it
    assert code == 0, err
    assert len(server.received) == 3000
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")
    assert code == 2 and "pass --restart to read it anew with --workers 2" in err, err
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress", "--restart")
    assert code == 0, err
    assert "the earlier job without --workers had delivered everything; its spools are removed" in err
    assert not (tmp_path / "events.jsonl.spool.db").exists()
    # And back: the 2-worker job now owns the file.
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 2 and "was started with --workers 2" in err and "rerun with --workers 2" in err, err
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")
    assert code == 0 and "accepted=0" in err, err


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (orphans may wait a while to be reaped)."""
    try:
        with open(f"/proc/{pid}/status") as file:
            return "\nState:\tZ" not in file.read()
    except FileNotFoundError:
        return False


# The coordinator with each worker's start slowed down, so that a signal surely comes while it is starting them.
_SLOW_SPAWNS = """
import asyncio, sys
real = asyncio.create_subprocess_exec

async def slow(*args, **kwargs):
    await asyncio.sleep(0.4)
    return await real(*args, **kwargs)

asyncio.create_subprocess_exec = slow
from aiocustomerio.cli import entry
sys.argv = ["aiocustomerio", *sys.argv[1:]]
sys.exit(entry())
"""


async def test_a_signal_while_the_workers_are_being_started_stops_all_of_them(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(8000)) + "\n")
    server.stall()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SLOW_SPAWNS,
        "ingest",
        str(data),
        "--workers",
        "8",
        "--no-progress",
        "--drain-timeout",
        "0.5",
        "--api",
        "track",
        "--base-url",
        f"http://127.0.0.1:{server.port}",
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_TRACK_API_KEY": "key",
        },
    )
    assert process.stderr is not None
    err = ""
    while "worker 2: pid" not in err:
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, err  # it ended before starting two workers
        err += line.decode()
    process.send_signal(signal.SIGTERM)
    # It used to start the other six anyway, never signal them, and wait for them (stalled) forever.
    rest = await asyncio.wait_for(process.stderr.read(), 60)
    err += rest.decode()
    assert await process.wait() == 143, err
    assert len(_pids(err)) <= 3, err
    assert "worker 8 was not started (stopped first): rerun the same command to read it" in err
    assert "Traceback" not in err
    pids = list(_pids(err).values())
    await until(lambda: not any(_running(pid) for pid in pids), timeout=30)
    server.unstall()
    code, err = await run_cli(server, str(data), "--workers", "8", "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(8000)}


async def test_workers_of_a_killed_coordinator_stop_and_keep_their_lines(server: BatchServer, tmp_path: Path) -> None:
    # A SIGKILLed coordinator forwards nothing; its workers (in sessions of their own) must not read on, retry
    # forever and hold their spools' locks: each gets a SIGTERM of its own, drains briefly, keeps the rest.
    run, data = await _two_stalled_workers(server, tmp_path, "0.5")
    pids = list(_pids(run.err).values())
    run.signal(signal.SIGKILL)
    await run.wait(timeout=30)
    await until(lambda: not any(_running(pid) for pid in pids), timeout=30)
    server.unstall()
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")
    assert code == 0, err  # no SpoolLocked: the workers are gone
    assert server.ids == {f"f{i}" for i in range(6000)}
