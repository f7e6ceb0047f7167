"""The SQLite spool: durability before `put` returns, recovery by the next run, survival of SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from aiocustomerio.errors import InvalidArgumentError
from aiocustomerio.ingest import Ingestor, RecoveryInProgress, inspect_spool
from tests.support.batch_server import BatchServer, Faults

ClientFactory = Callable[..., httpx.AsyncClient]


def raw_event(key: str) -> dict[str, object]:
    return {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": key}


ROOT = Path(__file__).resolve().parents[2]


def spooled(path: Path) -> list[str]:
    """The items in the spool, read by another connection (so: committed, not just buffered in the ingestor)."""
    with sqlite3.connect(path) as conn:
        chunks = conn.execute("SELECT body FROM chunks ORDER BY first").fetchall()
    return [item.decode() for (body,) in chunks for item in bytes(body).split(b"\n")]


async def test_items_are_on_disk_when_put_returns_and_gone_once_delivered(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    server.stall()
    async with Ingestor(client(), spool=spool, max_wait=0.0) as ing:
        await ing.event("u1", "e", id="k1")
        # On disk, not just buffered in this process: in the spool's journal (read by another process's view), and
        # committed into its chunks with the next group commit, here put_many's.
        assert inspect_spool(spool).pending == 1
        await ing.put_many([raw_event("k2")])
        assert len(spooled(spool)) == 2 and any('"id":"k1"' in body for body in spooled(spool))
        server.unstall()
    assert server.ids == {"k1", "k2"} and ing.report.delivered == 2
    assert spooled(spool) == []


async def test_next_run_delivers_leftovers_first(server: BatchServer, client: ClientFactory, tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    server.stall()
    first = Ingestor(client(), spool=spool, max_batch_items=10, concurrency=1)
    await first.start()
    await first.put_many(
        [raw_event(f"l{i}") for i in range(30)],
        checkpoint=("cursor", "30"),
    )
    report = await first.close(timeout=0.1)
    assert len(report.pending) == 30 and report.delivered == 0
    # Stop the first run's stalled connection before the second run starts.
    await server.close()
    server.unstall()
    await server.start(port=server.port)
    server.keep_bodies = True

    async with Ingestor(client(), spool=spool, max_batch_items=10) as second:
        # New items wait behind the leftovers: put_nowait says so rather than calling the queue full.
        with pytest.raises(RecoveryInProgress, match="re-queuing items left in its spool"):
            second.put_nowait(raw_event("early"))
        assert second.checkpoint("cursor") == "30"
        await second.event("u1", "new", id="fresh")
    assert second.report.recovered == 30 and second.report.accepted == 31 and second.report.delivered == 31
    order = [item["id"] for _, _, body in server.bodies for item in json.loads(body)["batch"]]
    assert order == [f"l{i}" for i in range(30)] + ["fresh"]
    assert spooled(spool) == []


@pytest.mark.parametrize("key", ["seq", "api"])
async def test_a_checkpoint_cannot_take_the_spools_own_keys(client: ClientFactory, tmp_path: Path, key: str) -> None:
    # The spool keeps its API and top sequence number under these keys: a checkpoint named so overwrote them (a
    # "seq" that is not a number made the spool unopenable).
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool) as ing:
        with pytest.raises(InvalidArgumentError, match=f"checkpoint key '{key}' is reserved"):
            await ing.put_many([raw_event("c1")], checkpoint=(key, "abc"))
        await ing.put_many([raw_event("c2")], checkpoint=("cursor", "1"))
    async with Ingestor(client(), spool=spool) as again:
        assert again.checkpoint("cursor") == "1"


async def test_a_spool_belongs_to_one_api(client: ClientFactory, tmp_path: Path) -> None:
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool):
        pass
    with pytest.raises(ValueError, match="holds track items, not pipelines ones"):
        await Ingestor(client("pipelines"), api="pipelines", spool=spool).start()


CHILD = textwrap.dedent(
    """
    import asyncio, sys, httpx
    from aiocustomerio.ingest import Ingestor, RecoveryInProgress

    async def main(port, spool, total):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=("site", "key")) as http:
            async with Ingestor(http, spool=spool, max_batch_items=50, max_wait=0.01) as ing:
                start = int(ing.checkpoint("next") or 0)
                for i in range(start, total, 100):
                    items = [
                        {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": f"k{j}"}
                        for j in range(i, min(i + 100, total))
                    ]
                    await ing.put_many(items, checkpoint=("next", str(i + len(items))))
                    print(i + len(items), flush=True)
        print("done", ing.report.summary(), flush=True)

    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
    """
)


async def test_sigkill_mid_run_loses_nothing(server: BatchServer, tmp_path: Path) -> None:
    total = 6000
    spool = tmp_path / "spool.db"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    # Slow enough that the child is killed with work both queued and in flight.
    server.faults = Faults(p_slow=1.0, slow_seconds=0.02)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    child = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(server.port), str(spool), str(total), stdout=asyncio.subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    accepted = 0
    while accepted < 2000:
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        assert line, "child ended before it could be killed"
        accepted = int(line)
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert child.returncode == -signal.SIGKILL
    delivered_before = server.ids
    assert len(delivered_before) < total  # it really was cut short
    assert {f"k{j}" for j in range(accepted)} - delivered_before  # and acknowledged items were still undelivered

    server.faults = Faults()
    rerun = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(server.port), str(spool), str(total), stdout=asyncio.subprocess.PIPE, env=env
    )
    out, _ = await asyncio.wait_for(rerun.communicate(), 60)
    assert rerun.returncode == 0, out
    assert b"failed=0 pending=0" in out.splitlines()[-1]
    assert server.ids == {f"k{j}" for j in range(total)}
    assert spooled(spool) == []


async def test_a_spool_of_the_previous_format_is_taken_over(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    # Earlier versions kept one `items` row per item: their leftovers are delivered, not ignored.
    spool = tmp_path / "old.db"
    with sqlite3.connect(spool) as conn:
        conn.execute("CREATE TABLE items (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('api', 'track')")
        conn.executemany(
            "INSERT INTO items VALUES (?, ?)", [(i, json.dumps(raw_event(f"o{i}")).encode()) for i in (3, 7)]
        )
    async with Ingestor(client(), spool=spool) as ing:
        await ing.event("u", "e", id="new")
    assert ing.report.recovered == 2 and ing.report.delivered == 3 and ing.report.ok
    assert server.ids == {"o3", "o7", "new"} and spooled(spool) == []
