"""Dead letters from the command line (`spool inspect`, `spool dead-letters`, `ingest --retry-failed`), and
checkpoints that follow every part of a chunk."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from aiocustomerio.cli._source import Mark
from aiocustomerio.ingest import inspect_spool
from tests.support.batch_server import BatchServer

from .conftest import CLI
from .ingest_support import event, run_cli, start_cli, until


async def test_dead_letters_are_inspected_dumped_and_re_driven(server: BatchServer, tmp_path: Path, cli: CLI) -> None:
    data = tmp_path / "events.jsonl"
    bad = {3, 50, 777}
    data.write_text("\n".join(event(i, **({"_fault": "permanent"} if i in bad else {})) for i in range(1000)) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 1 and "failed=3" in err
    spool = str(tmp_path / "events.jsonl.spool.db")

    shown = cli("spool", "inspect", spool, "--sample", "2")
    assert shown.code == 0, shown.err
    assert "pending: 0 items" in shown.out and "dead letters: 3" in shown.out
    assert "3 × invalid: attributes: bad" in shown.out and '"id": "f3"' in shown.out
    assert f"{data.resolve()} (bytes 0..end): read up to line 1000" in shown.out and "not in use" in shown.out
    as_json = json.loads(cli("spool", "inspect", spool, "--json").out)
    assert as_json["dead_letters"] == 3 and as_json["pending"] == 0

    dumped = cli("spool", "dead-letters", spool)
    letters = [json.loads(line) for line in dumped.out.splitlines()]
    assert sorted(letter["item"]["id"] for letter in letters) == ["f3", "f50", "f777"]
    assert all(letter["reason"].startswith("invalid") for letter in letters)

    # A rerun does not send them again; --retry-failed does (the server refuses them again, so they stay dead).
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0 and all(server.received[f"f{i}"] == 0 for i in bad)
    code, err = await run_cli(server, str(data), "--no-progress", "--retry-failed")
    assert code == 1 and "failed=3" in err, err
    assert server.ids == {f"f{i}" for i in range(1000)} - {f"f{i}" for i in bad}
    assert inspect_spool(spool).dead_letters == 3


def test_spool_errors_are_usage_errors(cli: CLI, tmp_path: Path) -> None:
    missing = cli("spool", "inspect", str(tmp_path / "nope.db"))
    assert missing.code == 2 and "no spool" in missing.err
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all" * 100)
    broken = cli("spool", "inspect", str(junk))
    assert broken.code == 2 and "cannot read" in broken.err and "Traceback" not in broken.err
    assert cli("spool").code == 2
    negative = cli("spool", "inspect", "--sample", "-1", str(junk))
    assert negative.code == 2 and "argument --sample: '-1': give a whole number, 0 or more" in negative.err


async def test_every_part_of_a_split_chunk_carries_its_checkpoint(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    count = 8000
    data.write_text("\n".join(event(i) for i in range(count)) + "\n")
    server.faults.p_slow, server.faults.slow_seconds = 1.0, 0.1
    # A queue of 100: each 500-line chunk is accepted in parts of up to 100 as room frees.
    run = await start_cli(server, str(data), "--no-progress", "--max-queue", "100", "--concurrency", "1")
    await until(lambda: len(server.received) >= 1500)
    run.process.send_signal(signal.SIGKILL)
    await run.wait()
    spool = tmp_path / "events.jsonl.spool.db"
    (value,) = inspect_spool(spool).checkpoints.values()
    line = Mark.loads(value).line
    # Nothing past the checkpoint was accepted: every line delivered or spooled is at or before it.
    delivered = {int(key[1:]) for key in server.received}
    assert delivered and max(delivered) < line, (max(delivered), line)

    server.faults.p_slow = 0.0
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert f"after line {line}" in err
    assert server.ids == {f"f{i}" for i in range(count)}


async def test_a_second_backfill_on_the_same_spool_is_refused_naming_the_holder(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3000)) + "\n")
    server.stall()
    first = await start_cli(server, str(data), "--no-progress")  # waits for the stalled server: holds the spool
    await until(lambda: server.requests > 0)
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 2 and "in use by another ingestor" in err and "Traceback" not in err, err
    first.signal(signal.SIGTERM)
    await until(lambda: "stopping reading" in first.err)
    first.signal(signal.SIGTERM)
    assert await first.wait() == 143
    server.unstall()
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(3000)}
