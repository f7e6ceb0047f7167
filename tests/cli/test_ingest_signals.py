"""`aiocustomerio ingest` under SIGINT and SIGTERM: real subprocesses, real signals, bounded in time."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.support.batch_server import BatchServer

from .ingest_support import ROOT, SIGNAL_CODES, event, run_cli, start_cli, until


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_first_signal_drains_keeps_the_rest_in_the_spool_and_exits_128_plus_n(
    server: BatchServer, tmp_path: Path, sig: signal.Signals
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3000)) + "\n")
    server.stall()  # nothing is answered: the signal finds batches in flight and lines queued
    run = await start_cli(server, str(data), "--drain-timeout", "1", "--no-progress")
    await until(lambda: server.requests > 0)
    started = time.monotonic()
    run.signal(sig)
    code = await run.wait(timeout=30)
    assert code == SIGNAL_CODES[sig], run.err
    assert time.monotonic() - started < 15
    assert "Traceback" not in run.err
    assert f"{sig.name}: stopping reading" in run.err
    assert "accepted=" in run.err and "kept in the spool" in run.err and "rerun to deliver them" in run.err

    server.unstall()
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(3000)}


async def test_second_signal_exits_at_once(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3000)) + "\n")
    server.stall()
    run = await start_cli(server, str(data), "--drain-timeout", "60", "--no-progress")
    await until(lambda: server.requests > 0)
    run.signal(signal.SIGINT)
    await until(lambda: "stopping reading" in run.err)
    started = time.monotonic()
    run.signal(signal.SIGINT)
    code = await run.wait(timeout=30)
    assert code == 130 and time.monotonic() - started < 10, run.err
    assert "SIGINT again: exiting now" in run.err and "Traceback" not in run.err

    server.unstall()  # what was accepted is in the spool: a rerun delivers everything
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(3000)}


async def test_without_a_spool_undelivered_lines_go_to_the_named_file(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(1000)]
    data.write_text("\n".join(lines) + "\n")
    server.stall()
    run = await start_cli(server, str(data), "--no-spool", "--drain-timeout", "1", "--no-progress")
    await until(lambda: server.requests > 0)
    run.signal(signal.SIGTERM)
    code = await run.wait(timeout=30)
    assert code == 143, run.err
    left = tmp_path / "events.jsonl.undelivered.jsonl"
    assert f"written to {left}" in run.err
    assert not (tmp_path / "events.jsonl.spool.db").exists()
    kept = [json.loads(line)["id"] for line in left.read_text().splitlines()]
    # Everything read and not delivered is in the file (nothing was delivered: the server never answered).
    assert len(kept) == len(set(kept)) and set(kept) <= {f"f{i}" for i in range(1000)} and kept
    server.unstall()
    code, err = await run_cli(server, str(left), "--no-spool", "--no-progress")
    assert code == 0, err
    assert server.ids == set(kept)


# Imported by the child before anything else (PYTHONPATH), to tell the test the moment our package starts to load:
# an audit hook writes one byte to the pipe on the first `import aiocustomerio`.
_MARKER = """
import os, sys
_fd = int(os.environ.pop("CIO_TEST_IMPORT_FD"))
def _hook(event, args):
    global _fd
    if _fd >= 0 and event == "import" and args[0] == "aiocustomerio":
        os.write(_fd, b"!")
        os.close(_fd)
        _fd = -1
sys.addaudithook(_hook)
"""


def _script() -> str:
    script = Path(sys.executable).with_name("aiocustomerio")
    if not script.exists():
        pytest.skip(f"no console script beside {sys.executable}: run `make install`")
    if "import entry" not in script.read_text():
        pytest.skip(f"{script} was installed from an older pyproject.toml: run `make install`")
    return str(script)


@pytest.mark.parametrize(
    ("entry", "sig", "delay"),
    [
        # Our handlers are in place 10-40 ms after `import aiocustomerio` begins (a loaded 2-core machine); the
        # client stack imports for about 500 ms after that.
        *[("-m", sig, delay) for sig in (signal.SIGINT, signal.SIGTERM) for delay in (0.1, 0.2, 0.35, 0.6)],
        *[("script", sig, delay) for sig in (signal.SIGINT, signal.SIGTERM) for delay in (0.1, 0.35)],
    ],
)
async def test_a_signal_while_starting_up_exits_128_plus_n_with_one_line(
    server: BatchServer, tmp_path: Path, entry: str, sig: signal.Signals, delay: float
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(100)) + "\n")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_MARKER)
    server.stall()
    read, write = os.pipe()
    command = [sys.executable, "-m", "aiocustomerio"] if entry == "-m" else [_script()]
    process = await asyncio.create_subprocess_exec(
        *command,
        "ingest",
        str(data),
        "--api",
        "track",
        "--drain-timeout",
        "1",
        "--no-progress",
        "--base-url",
        f"http://127.0.0.1:{server.port}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        pass_fds=(write,),
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(hooks), str(ROOT / "src")]),
            "CIO_TEST_IMPORT_FD": str(write),
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_TRACK_API_KEY": "key",
        },
    )
    os.close(write)
    try:
        # The child's first `import aiocustomerio` began: from here on, our code is running.
        assert await asyncio.wait_for(asyncio.to_thread(os.read, read, 1), 30) == b"!"
    finally:
        os.close(read)
    await asyncio.sleep(delay)
    process.send_signal(sig)
    assert process.stderr is not None
    err = (await asyncio.wait_for(process.stderr.read(), 30)).decode(errors="replace")
    code = await asyncio.wait_for(process.wait(), 30)
    assert code == SIGNAL_CODES[sig], err
    assert "Traceback" not in err and "internal error" not in err and "Error" not in err, err
    lines = err.strip().splitlines()
    # Before the run's handlers: one line, nothing was read. After: the run stops reading and says so.
    assert lines == [f"aiocustomerio: {sig.name} while starting: exiting; nothing was read"] or (
        f"{sig.name}: stopping reading" in err and "accepted=" in err
    ), err


@pytest.mark.parametrize("spool", [True, False], ids=["spool", "no-spool"])
async def test_a_signal_while_reading_waits_for_room_gives_just_the_summary_and_where_reading_stopped(
    server: BatchServer, tmp_path: Path, spool: bool
) -> None:
    data = tmp_path / "events.jsonl"
    count = 20_000
    data.write_text("\n".join(event(i) for i in range(count)) + "\n")
    server.stall()  # nothing is delivered: reading fills the queue and waits for room when the signal comes
    flags = ["--max-queue", "700", "--drain-timeout", "1", "--no-progress", *([] if spool else ["--no-spool"])]
    run = await start_cli(server, str(data), *flags)
    await until(lambda: server.requests > 0)
    run.signal(signal.SIGINT)
    code = await run.wait(timeout=30)
    assert code == 130, run.err
    assert "Traceback" not in run.err and "internal error" not in run.err and "never retrieved" not in run.err, run.err
    lines = run.err.strip().splitlines()
    assert lines[0].startswith("SIGINT: stopping reading") and lines[1].startswith(f"{data}: accepted="), run.err
    stopped = [line for line in lines if "reading stopped at line" in line]
    assert len(stopped) == 1, run.err
    where = re.search(r"reading stopped at line (\d+) \(byte (\d+)\)", stopped[0])
    assert where is not None, stopped
    first_unread, offset = int(where[1]), int(where[2])
    assert 1 < first_unread < count and data.read_bytes()[:offset].count(b"\n") == first_unread - 1
    server.unstall()
    if spool:
        assert "rerun the same command to continue from there" in stopped[0]
        code, err = await run_cli(server, str(data), "--no-progress")
        assert code == 0, err
        assert f"after line {first_unread - 1} " in err
    else:
        left = tmp_path / "events.jsonl.undelivered.jsonl"
        assert f"written to {left}" in run.err and left.exists()
        assert f"tail -c +{offset + 1} {data} >" in stopped[0]
        # Everything before the line is in the undelivered file (nothing was delivered); the rest was never sent.
        kept = [json.loads(line)["id"] for line in left.read_text().splitlines()]
        assert kept == [f"f{i}" for i in range(first_unread - 1)]
        rest = tmp_path / "rest.jsonl"
        rest.write_bytes(data.read_bytes()[offset:])  # what the printed `tail -c` command writes
        for path in (left, rest):
            code, err = await run_cli(server, str(path), "--no-spool", "--no-progress")
            assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(count)}


_STOPPER_WITH_A_BROKEN_STDERR = """
import asyncio, sys
from aiocustomerio.cli._signals import Stopper

async def main():
    stopper = Stopper(lambda sig: None, lambda text: print(text, file=sys.stderr, flush=True))
    stopper.install()
    print("ready", flush=True)
    await asyncio.sleep(30)

asyncio.run(main())
"""


async def test_signals_still_stop_a_process_whose_stderr_is_gone() -> None:
    # A --workers worker writes its messages into a pipe to the coordinator, which exits at once on a second
    # signal: the worker's own handler then writes into a closed pipe, and must exit all the same.
    read_end, write_end = os.pipe()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _STOPPER_WITH_A_BROKEN_STDERR,
        stdout=asyncio.subprocess.PIPE,
        stderr=write_end,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    os.close(write_end)
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
    os.close(read_end)  # the reader is gone: every write to stderr now fails with EPIPE
    process.send_signal(signal.SIGINT)
    await asyncio.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 10) == 130
