"""`aiocustomerio ingest` against an endpoint that no batch can reach: the run stops, says what to fix, exits 1 with
every line kept in the spool, and a rerun once it is fixed delivers them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.batch_server import BatchServer

from .ingest_support import event, run_cli


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
