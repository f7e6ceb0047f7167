"""`aiocustomerio ingest`: spooled by default, exact resume, deterministic dedup ids, edge cases of the input."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.support.batch_server import BatchServer

from .ingest_support import event, message, run_cli, start_cli, until


async def test_spools_by_default_beside_the_input_and_a_rerun_resumes(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(1500)]
    lines[1100] = "{broken"
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 2 and (tmp_path / "events.jsonl.spool.db").exists()
    assert server.ids == {f"f{i}" for i in range(1100)}
    lines[1100] = event(1100)  # fixed after the checkpoint: the bytes already read are unchanged
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    assert "after line 1100" in err and "accepted=400 delivered=400" in err
    assert max(server.received.values()) == 1


async def test_a_file_changed_before_the_checkpoint_is_refused_unless_restart(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(1000)]
    lines[800] = "{broken"
    data.write_text("\n".join(lines) + "\n")
    code, _ = await run_cli(server, str(data), "--no-progress")
    assert code == 2
    # Replaced at the same path by a file of the same size whose early bytes differ (u1 → u7): refused.
    lines[1] = lines[1].replace('"u1"', '"u7"')
    lines[800] = event(800)
    data.write_text("\n".join(lines) + "\n")
    stat = os.stat(data)
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 2
    assert "changed since the last run" in err and "--restart" in err and "Traceback" not in err
    assert os.stat(data).st_mtime_ns == stat.st_mtime_ns
    code, err = await run_cli(server, str(data), "--no-progress", "--restart")
    assert code == 0, err
    assert server.ids == {f"f{i}" for i in range(1000)}


async def test_a_line_read_twice_carries_the_same_dedup_id(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i, with_id=False) for i in range(1500)) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress")
    assert code == 0, err
    first = dict(server.received)
    assert len(first) == 1500 and all(len(key) == 26 for key in first)  # ULIDs, one per line
    code, err = await run_cli(server, str(data), "--no-progress", "--restart")  # every line read again
    assert code == 0, err
    assert dict(server.received) == {key: 2 for key in first}


async def test_lines_without_ids_survive_a_sigkill_and_a_rerun_each_under_one_id(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "messages.jsonl"
    # More lines than the ingestor's queue holds (20,000) and a slow server: reading outpaces delivery, so the queue
    # is full and chunks are accepted in parts, each of which must carry its checkpoint.
    count = 40_000
    data.write_text("\n".join(message(i) for i in range(count)) + "\n")
    server.faults.p_slow, server.faults.slow_seconds = 1.0, 0.3
    run = await start_cli(server, str(data), "--no-progress", api="pipelines")
    await until(lambda: len(server.received) >= 24_000)
    run.process.send_signal(signal.SIGKILL)
    await run.wait()
    server.faults.p_slow = 0.0
    code, err = await run_cli(server, str(data), "--no-progress", api="pipelines")
    assert code == 0, err
    # Every line reached the server, under exactly one id each: a line sent twice carried the same messageId.
    assert len(server.received) == count
    assert sum(server.received.values()) >= count


async def test_skip_invalid_when_the_refused_line_ends_a_chunk(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(1200)]
    lines[499] = event(499, blob="x" * 40_000)  # the 500th line: the last of the first chunk, over the item limit
    lines[999] = event(999, blob="x" * 40_000)
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--skip-invalid")
    assert code == 0, err
    assert "line 500: item encodes to" in err and "line 1000: item encodes to" in err and "Traceback" not in err
    assert server.ids == {f"f{i}" for i in range(1200)} - {"f499", "f999"}


async def test_a_bad_spool_path_is_a_clear_usage_error(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text(event(1) + "\n")
    for spool, says in [
        (tmp_path / "no" / "such" / "dir" / "s.db", "does not exist"),
        (tmp_path, "is a directory"),
    ]:
        code, err = await run_cli(server, str(data), "--no-progress", "--spool", str(spool))
        assert code == 2 and says in err and "Traceback" not in err, err
    assert server.requests == 0


async def test_progress_off_a_terminal_is_plain_lines(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3000)) + "\n")
    code, err = await run_cli(server, str(data), "--progress-every", "0.05")
    assert code == 0, err
    progress = [line for line in err.splitlines() if line.startswith("progress: ")]
    assert progress and "\r" not in err
    assert "100.0% of" in progress[-1] and "delivered 3,000" in progress[-1] and "events/s" in progress[-1]
    assert json.dumps


async def test_derived_ids_are_a_function_of_the_file_and_line_not_of_the_run(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i, with_id=False) for i in range(300)) + "\n")
    # Two runs without a spool, then one with a fresh spool: nothing remembers the first run, yet the same lines of
    # the same file carry the same ids, so Customer.io recognises every repeat.
    for args in (["--no-spool"], ["--no-spool"], []):
        code, err = await run_cli(server, str(data), "--no-progress", *args)
        assert code == 0, err
    assert len(server.received) == 300 and set(server.received.values()) == {3}
    # Another file at the same path (other content, same shape): none of its ids is one of the first file's.
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(event(i + 1000, with_id=False) for i in range(300)) + "\n")
    os.utime(other, ns=(os.stat(data).st_atime_ns, os.stat(data).st_mtime_ns))  # even with the same mtime
    os.replace(other, data)
    code, err = await run_cli(server, str(data), "--no-progress", "--no-spool")
    assert code == 0, err
    assert len(server.received) == 600


async def test_a_line_nested_too_deeply_for_json_is_an_invalid_line_not_a_crash(
    server: BatchServer, tmp_path: Path
) -> None:
    # The stdlib decoder raises RecursionError, not ValueError, past ~1,000 levels: it escaped as a traceback.
    lines = [event(i) for i in range(5)]
    lines[2] = "[" * 100_000 + "]" * 100_000
    stops, skips = tmp_path / "stops.jsonl", tmp_path / "skips.jsonl"
    for path in (stops, skips):
        path.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(stops), "--no-progress")
    assert code == 2 and "line 3: malformed JSON: nested too deeply" in err and "Traceback" not in err, err
    assert server.ids == {"f0", "f1"}
    code, err = await run_cli(server, str(skips), "--no-progress", "--skip-invalid")
    assert code == 0 and "line 3: malformed JSON: nested too deeply" in err and "Traceback" not in err, err
    assert server.ids == {"f0", "f1", "f3", "f4"}
