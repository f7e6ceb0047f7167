"""`repair_spool` / `aiocustomerio spool repair`: a damaged chunk is taken out without losing anything it held."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from aiocustomerio.ingest import Ingestor, _store, inspect_spool, iter_dead_letters, repair_spool, requeue_dead_letters
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory
from .test_ingest_spool_recovery import chunks, damage, leave

ROOT = Path(__file__).resolve().parents[2]


def _read(path: Path) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def corrupt_line(spool: Path, first: int, index: int) -> None:
    """Garble line `index` of chunk `first` (no longer JSON) without changing the line count."""
    with sqlite3.connect(spool) as conn:
        body = bytes(conn.execute("SELECT body FROM chunks WHERE first = ?", (first,)).fetchone()[0])
        lines = body.split(b"\n")
        lines[index] = lines[index][: len(lines[index]) // 2]
        conn.execute("UPDATE chunks SET body = ?, count = count + 1 WHERE first = ?", (b"\n".join(lines), first))


async def test_repair_keeps_the_raw_body_and_the_readable_items_and_unblocks_the_rest(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_store, "CHUNK_ROWS", 500)
    spool = tmp_path / "spool.db"
    await leave(spool, 3000)
    original = damage(spool, 1501)  # its last item (f1999) is gone from the body: nothing can bring that one back
    corrupt_line(spool, 1501, 7)  # and one line (f1507) is no longer JSON
    with sqlite3.connect(spool) as conn:
        damaged_body = bytes(conn.execute("SELECT body FROM chunks WHERE first = 1501").fetchone()[0])
    assert damaged_body.split(b"\n")[8:] == original.split(b"\n")[8:-1]

    report = repair_spool(spool)
    assert report.chunks_checked == 6
    assert [(c.first, c.announced, c.salvaged, c.unparsable) for c in report.damaged] == [(1501, 501, 498, 1)]
    kept = Path(report.damaged[0].kept_in)
    assert kept == tmp_path / "spool.db.chunk-1501.damaged"
    assert _read(kept) == damaged_body  # as found, the garbled line too
    assert chunks(spool) == [(1 + 500 * k, 500) for k in (0, 1, 2, 4, 5)]
    state = inspect_spool(spool)
    assert (state.pending, state.dead_letters) == (2500, 498)
    letters = list(iter_dead_letters(spool))
    assert [item["id"] for item, _ in letters] == [f"f{i}" for i in range(1500, 1999) if i != 1507]
    assert "damaged spool chunk 1501" in letters[0][1] and str(kept) in letters[0][1]

    # The next run delivers everything else, in order; the salvaged items wait for a decision.
    async with Ingestor(client(), spool=spool) as second:
        pass
    assert second.report.ok, second.report.summary()
    assert second.report.recovered == 2500
    assert server.ids == {f"f{i}" for i in [*range(1500), *range(2000, 3000)]}
    assert chunks(spool) == [] and inspect_spool(spool).dead_letters == 498

    assert requeue_dead_letters(spool) == 498
    server.received.clear()
    async with Ingestor(client(), spool=spool) as third:
        pass
    assert third.report.ok and third.report.recovered == 498
    assert server.ids == {f"f{i}" for i in range(1500, 1999) if i != 1507}
    assert repair_spool(spool).damaged == []


async def _cli(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aiocustomerio",
        "spool",
        *args,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, (out + err).decode()


async def test_the_cli_repairs_and_says_where_everything_went(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_store, "CHUNK_ROWS", 500)
    spool = tmp_path / "spool.db"
    await leave(spool, 1000)
    code, out = await _cli("repair", str(spool))
    assert code == 0, out
    assert "2 chunks read whole, none damaged; nothing to repair" in out

    damage(spool, 501)
    code, out = await _cli("repair", str(spool))
    assert code == 0, out
    assert f"chunk 501 (500 items announced) taken out, its raw body kept in {spool}.chunk-501.damaged" in out
    assert "499 readable items are now dead letters" in out and f"spool requeue {spool}" in out
    assert "Traceback" not in out
    code, out = await _cli("inspect", "--json", str(spool))
    state = json.loads(out)
    assert (state["pending"], state["dead_letters"]) == (500, 499)


async def test_a_run_blocked_by_a_damaged_chunk_names_the_repair_command(client: ClientFactory, tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    await leave(spool, 30)
    damage(spool, 1)
    async with Ingestor(client(), spool=spool) as run:
        pass
    assert not run.report.ok
    assert f"`aiocustomerio spool repair {spool}` takes it out" in run.report.errors[0]


async def test_salvaged_dead_letters_never_hide_the_chunks_left_after_them(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As many items salvaged (dead letters of no chunk) as are left in chunks: the run must still send those.
    monkeypatch.setattr(_store, "CHUNK_ROWS", 500)
    spool = tmp_path / "spool.db"
    await leave(spool, 999)
    damage(spool, 1)
    assert repair_spool(spool).salvaged == 499
    async with Ingestor(client(), spool=spool) as run:
        pass
    assert run.report.ok and run.report.recovered == 499
    assert server.ids == {f"f{i}" for i in range(500, 999)}
    assert chunks(spool) == []
