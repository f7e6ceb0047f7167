"""`aiocustomerio ingest`: run as a subprocess against the local server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.support.batch_server import BatchServer

ROOT = Path(__file__).resolve().parents[2]


def event(i: int, **attributes: object) -> str:
    entity = {"type": "person", "identifiers": {"id": f"u{i}"}, "action": "event", "name": "e", "id": f"f{i}"}
    if attributes:
        entity["attributes"] = attributes
    return json.dumps(entity)


async def run_cli(server: BatchServer, *args: str, api: str = "track", **env: str) -> tuple[int, str]:
    base = f"http://127.0.0.1:{server.port}" + ("/v1" if api == "pipelines" else "")
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CUSTOMERIO_SITE_ID": "site",
        "CUSTOMERIO_TRACK_API_KEY": "key",
        "CUSTOMERIO_CDP_API_KEY": "cdp-key",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aiocustomerio.cli",
        "ingest",
        *args,
        "--api",
        api,
        "--base-url",
        base,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_backfill_delivers_every_line(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(1200)) + "\n\n")
    code, err = await run_cli(server, str(data))
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(1200)}
    assert "accepted=1200 delivered=1200 failed=0 pending=0" in err
    assert "events/s" in err


async def test_pipelines_backfill_stamps_message_ids(server: BatchServer, tmp_path: Path) -> None:
    server.keep_bodies = True
    data = tmp_path / "messages.jsonl"
    data.write_text("\n".join(json.dumps({"type": "track", "userId": f"u{i}", "event": "e"}) for i in range(10)))
    code, err = await run_cli(server, str(data), "--no-progress", api="pipelines")
    assert code == 0, err
    assert len(server.ids) == 10 and all(len(key) == 26 for key in server.ids)
    assert {target for target, _, _ in server.bodies} == {"/v1/batch"}


async def test_malformed_line_stops_the_run_after_delivering_what_came_before(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(10)]
    lines[6] = '{"type": "person", "oops'
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 2
    assert "line 7: malformed JSON" in err and "stopped at malformed line 7" in err
    assert server.ids == {f"f{i}" for i in range(6)}


async def test_skip_invalid_reports_and_carries_on(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(10)]
    lines[2] = "[1, 2]"
    lines[5] = "not json"
    lines[8] = event(8, blob="x" * 40_000)  # valid JSON, but over the per-item limit
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--skip-invalid")
    assert code == 0, err
    assert "line 3: expected a JSON object, got list (skipped)" in err
    assert "line 6: malformed JSON" in err
    assert "line 9: item encodes to" in err and "limit of 32768 bytes" in err
    assert "invalid_lines=3" in err
    assert server.ids == {f"f{i}" for i in (0, 1, 3, 4, 6, 7, 9)}


async def test_permanent_failures_exit_non_zero_with_a_summary(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i, **({"_fault": "permanent"} if i == 3 else {})) for i in range(5)))
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 1
    assert "failed=1" in err and "failed: invalid: attributes: bad" in err and '"id": "f3"' in err
    assert server.ids == {f"f{i}" for i in (0, 1, 2, 4)}


async def test_missing_credentials_are_a_usage_error(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text(event(1))
    code, err = await run_cli(server, str(data), "--no-progress", CUSTOMERIO_TRACK_API_KEY="")
    assert code == 2 and "CUSTOMERIO_TRACK_API_KEY" in err
    assert server.requests == 0


async def test_rerun_with_the_spool_resumes_after_the_last_accepted_line(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    spool = tmp_path / "backfill.db"
    lines = [event(i) for i in range(1500)]
    lines[1100] = "{broken"
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--spool", str(spool))
    assert code == 2
    assert server.ids == {f"f{i}" for i in range(1100)}

    # Fix the line (the bytes before it are unchanged) and run again on the same spool.
    lines[1100] = event(1100)
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--spool", str(spool))
    assert code == 0, err
    assert "resuming" in err and "after line 1100" in err
    assert "accepted=400 delivered=400" in err
    assert server.ids == {f"f{i}" for i in range(1500)}
    assert max(server.received.values()) == 1  # nothing from the first run was sent again

    code, err = await run_cli(server, str(data), "--no-progress", "--spool", str(spool))
    assert code == 0 and "accepted=0" in err


async def test_refused_credentials_stop_the_backfill_and_a_rerun_resumes(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(5000)) + "\n")
    spool = str(tmp_path / "spool.db")
    code, err = await run_cli(server, str(data), "--spool", spool, CUSTOMERIO_TRACK_API_KEY="wrong")
    assert code == 1, err
    assert "delivery stopped: HTTP 401" in err and f"kept in the spool {spool}; rerun to deliver them" in err
    assert "failed=0" in err and server.ids == set()
    code, err = await run_cli(server, str(data), "--spool", spool)
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(5000)}


async def test_missing_credentials_stop_before_reading_the_file(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text(event(1) + "\n")
    code, err = await run_cli(
        server, str(data), CUSTOMERIO_SITE_ID="", CUSTOMERIO_TRACK_API_KEY="", CUSTOMERIO_API_KEY=""
    )
    assert code == 2
    assert "CUSTOMERIO_SITE_ID and CUSTOMERIO_TRACK_API_KEY" in err and "accepted=" not in err
    assert server.ids == set()
