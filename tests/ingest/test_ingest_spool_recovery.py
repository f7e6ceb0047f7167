"""A spool's leftovers that cannot be read stay in it, unsent, and the report says so; a later run delivers them."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

from aiocustomerio.ingest import Ingestor, _spool, _store, inspect_spool
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory

ROOT = Path(__file__).resolve().parents[2]


def raw_event(i: int) -> dict[str, object]:
    return {"type": "person", "identifiers": {"id": f"u{i % 13}"}, "action": "event", "name": "e", "id": f"f{i}"}


def chunks(spool: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(spool) as conn:
        return [(int(f), int(c)) for f, c in conn.execute("SELECT first, count FROM chunks ORDER BY first")]


def damage(spool: Path, first: int) -> bytes:
    """Drop the last item of chunk `first` (its announced count no longer matches); returns the original body."""
    with sqlite3.connect(spool) as conn:
        body = bytes(conn.execute("SELECT body FROM chunks WHERE first = ?", (first,)).fetchone()[0])
        conn.execute("UPDATE chunks SET body = ? WHERE first = ?", (body.rsplit(b"\n", 1)[0], first))
    return body


def repair(spool: Path, first: int, body: bytes) -> None:
    with sqlite3.connect(spool) as conn:
        conn.execute("UPDATE chunks SET body = ? WHERE first = ?", (body, first))


async def _stall(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")


async def leave(spool: Path, count: int) -> None:
    """A first run that delivers nothing: all `count` items stay in the spool."""
    http = httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(_stall))
    first = Ingestor(http, spool=spool, max_queue=count)
    await first.start()
    await first.put_many([raw_event(i) for i in range(count)])
    await first.close(timeout=0.05)
    await http.aclose()


async def test_a_damaged_chunk_keeps_it_and_everything_after_it_and_a_repaired_spool_delivers_them(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_store, "CHUNK_ROWS", 500)
    spool = tmp_path / "spool.db"
    await leave(spool, 3000)
    assert chunks(spool) == [(1 + 500 * k, 500) for k in range(6)]
    body = damage(spool, 1501)

    async with Ingestor(client(), spool=spool) as second:
        await second.put_many([raw_event(i) for i in range(3000, 3500)])  # new items, after the leftovers
    report = second.report
    # Nothing undelivered was deleted: the damaged chunk and everything after it (the delivered new items too, so
    # the next run re-sends them behind the repaired chunk, in order) are still there.
    assert chunks(spool) == [(1 + 500 * k, 500) for k in range(3, 7)]
    assert report.spooled == 2000 == inspect_spool(spool).pending
    # The chunks before the damaged one were delivered; none after it went ahead of it; the new items were sent.
    assert report.recovered == 1500
    assert server.ids == {f"f{i}" for i in range(1500)} | {f"f{i}" for i in range(3000, 3500)}
    assert not report.ok
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    assert "spool chunk 1501 is damaged: 500 items announced, 499 found" in error
    assert "1500 leftover items (from seq 1501 on) stay in the spool unsent" in error

    # A third run with the damage still there changes nothing and says so again.
    server.received.clear()
    async with Ingestor(client(), spool=spool) as third:
        pass
    assert not third.report.ok and "spool chunk 1501 is damaged" in third.report.errors[0]
    assert chunks(spool) == [(1 + 500 * k, 500) for k in range(3, 7)]
    assert server.ids == set()

    repair(spool, 1501, body)
    async with Ingestor(client(), spool=spool) as fourth:
        pass
    assert fourth.report.ok, fourth.report.summary()
    assert fourth.report.recovered == 2000
    assert server.ids == {f"f{i}" for i in range(1500, 3500)}
    assert chunks(spool) == []


async def test_an_unreadable_spool_read_deletes_nothing_even_when_new_items_are_delivered(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.db"
    await leave(spool, 30)

    def unreadable(self: _spool.Spool, picked: object) -> object:
        raise sqlite3.DatabaseError("database disk image is malformed")

    with monkeypatch.context() as patch:
        patch.setattr(_spool.Spool, "_read", unreadable)
        async with Ingestor(client(), spool=spool) as second:
            await second.put_many([raw_event(i) for i in range(30, 40)])
    assert second.report.spooled == 40  # the new ones stay behind the unread ones
    assert server.ids == {f"f{i}" for i in range(30, 40)}
    assert not second.report.ok
    assert "database disk image is malformed" in second.report.errors[0]
    assert "30 leftover items (from seq 1 on) stay in the spool unsent" in second.report.errors[0]

    async with Ingestor(client(), spool=spool) as third:
        pass
    assert third.report.ok and third.report.recovered == 40
    assert server.ids == {f"f{i}" for i in range(40)}
    assert chunks(spool) == []


async def run_cli(server: BatchServer, data: Path, spool: Path) -> tuple[int, str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CUSTOMERIO_SITE_ID": "site",
        "CUSTOMERIO_TRACK_API_KEY": "key",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aiocustomerio.cli",
        "ingest",
        str(data),
        "--api",
        "track",
        "--no-progress",
        "--spool",
        str(spool),
        "--base-url",
        f"http://127.0.0.1:{server.port}",
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_the_cli_rerun_on_a_damaged_spool_exits_non_zero_and_keeps_the_leftovers(
    server: BatchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_store, "CHUNK_ROWS", 500)
    spool = tmp_path / "spool.db"
    await leave(spool, 3000)
    last = chunks(spool)[-1][0]
    body = damage(spool, last)
    data = tmp_path / "new.jsonl"
    data.write_text("".join(json.dumps(raw_event(i)) + "\n" for i in range(3000, 3500)))

    code, err = await run_cli(server, data, spool)
    assert sum(count for _, count in chunks(spool)) == 1000  # the damaged chunk, and the new items behind it
    assert server.ids == {f"f{i}" for i in range(2500)} | {f"f{i}" for i in range(3000, 3500)}
    assert code == 1, err
    assert f"spool chunk {last} is damaged" in err and "500 leftover items" in err and "stay in the spool" in err
    assert "Traceback" not in err

    repair(spool, last, body)
    server.received.clear()
    code, err = await run_cli(server, data, spool)  # the file was read whole: only the spool has work
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(2500, 3500)}
    assert chunks(spool) == []
