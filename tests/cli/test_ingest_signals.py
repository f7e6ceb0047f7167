"""`aiocustomerio ingest` under SIGINT and SIGTERM: real subprocesses, real signals, bounded in time."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.support.batch_server import BatchServer

from .ingest_support import SIGNAL_CODES, event, run_cli, start_cli, until


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
