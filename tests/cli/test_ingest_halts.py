"""`aiocustomerio ingest` against an endpoint that no batch can reach: the run stops, says what to fix, exits 1 with
every line kept in the spool, and a rerun once it is fixed delivers them all."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from tests.support.batch_server import BatchServer

from .ingest_support import event, run_cli, start_cli


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (410, "the batch endpoint is gone (retired or moved): check the base URL"),
        (426, "the server wants another protocol (Upgrade: TLS/1.3, HTTP/2): use the API's own https:// base URL"),
    ],
)
async def test_an_endpoint_answer_halts_the_run_and_a_rerun_delivers(
    server: BatchServer, tmp_path: Path, status: int, says: str
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(1500)) + "\n")
    server.answer_with = status
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 1, err
    assert f"delivery stopped: HTTP {status}" in err and says in err, err
    assert "Traceback" not in err and " failed=0" in err, err
    kept = int(re.search(r" spooled=(\d+)", err)[1])  # type: ignore[index]
    assert kept > 0 and server.statuses[status] <= 4 and not server.ids
    server.answer_with = None
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(1500)}


async def test_a_port_nothing_listens_on_halts_the_run_in_bounded_time_and_a_rerun_delivers(
    server: BatchServer, tmp_path: Path
) -> None:
    """Without --drain-timeout, a refused connection retried for ever kept the command from ever exiting."""
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(1500)) + "\n")
    closed = BatchServer()  # never started: only its port is used, one nothing listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed.port = int(sock.getsockname()[1])
    started = time.monotonic()
    run = await start_cli(closed, str(data), "--no-progress")
    try:
        code = await run.wait(60)
    finally:
        if run.process.returncode is None:  # it hung (the bug): leave no process behind
            run.process.kill()
            await run.process.wait()
    err = run.err
    assert code == 1, err
    fix = f"nothing is listening at 127.0.0.1:{closed.port}: check the base URL's port (or that the proxy is up)"
    assert fix in err, err
    assert "times in a row" in err and "Traceback" not in err and " failed=0" in err, err
    assert int(re.search(r" spooled=(\d+)", err)[1]) > 0, err  # type: ignore[index]
    assert time.monotonic() - started < 60
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(1500)}
