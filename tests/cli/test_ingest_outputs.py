"""`aiocustomerio ingest`: what it is given (files, flags, the base URL) is checked before anything is sent, so a
backfill never ends with its undelivered lines written nowhere, and the summary counts what is kept."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.batch_server import BatchServer

from .conftest import CLI, LocalServer
from .ingest_support import event, run_cli


async def test_an_unwritable_undelivered_path_is_refused_before_anything_is_sent(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(300)) + "\n")
    server.stall()  # were anything sent, it would stay undelivered, with nowhere to go
    for target, says in [
        (tmp_path / "no" / "such" / "dir" / "left.jsonl", "does not exist"),
        (tmp_path, "is a directory"),
    ]:
        code, err = await run_cli(
            server, str(data), "--no-progress", "--no-spool", "--undelivered", str(target), "--drain-timeout", "1"
        )
        assert code == 2, err
        assert says in err and "--undelivered" in err and "Traceback" not in err, err
    assert server.requests == 0


async def test_failed_lines_go_to_a_file_that_exists_when_the_summary_names_it(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i, **({"_fault": "permanent"} if i % 7 == 0 else {})) for i in range(300)) + "\n")
    left = tmp_path / "out" / "left.jsonl"
    left.parent.mkdir()
    code, err = await run_cli(server, str(data), "--no-progress", "--no-spool", "--undelivered", str(left))
    assert code == 1, err
    failed = tmp_path / "out" / "left.failed.jsonl"
    assert f"failed items with their reasons: {failed}" in err
    assert len(failed.read_text().splitlines()) == len(range(0, 300, 7))


async def test_the_summary_counts_what_the_spool_keeps_not_only_what_this_run_read(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3000)) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", CUSTOMERIO_TRACK_API_KEY="wrong")
    assert code == 1, err
    kept = int(re.search(r" spooled=(\d+)", err)[1])  # type: ignore[index]
    assert kept > 200
    # The rerun halts again while taking the leftovers over, 200 at a time: it read 200 of them, the spool keeps all.
    code, err = await run_cli(
        server, str(data), "--no-progress", "--max-queue", "200", CUSTOMERIO_TRACK_API_KEY="wrong"
    )
    assert code == 1, err
    assert f" {kept} items undelivered when delivery stopped: kept in the spool" in err, err


async def test_bad_timing_flags_are_usage_errors_naming_the_flag(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text(event(1) + "\n")
    for flag, value in [
        ("--drain-timeout", "-1"),
        ("--drain-timeout", "nan"),
        ("--drain-timeout", "inf"),
        ("--progress-every", "0"),
        ("--progress-every", "-5"),
        ("--progress-every", "nan"),
    ]:
        code, err = await run_cli(server, str(data), "--no-progress", flag, value)
        assert code == 2 and f"argument {flag}" in err and "Traceback" not in err, (flag, value, err)
    assert server.requests == 0


async def test_workers_of_a_changed_file_say_restart_and_the_job_exits_2(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    lines = [event(i) for i in range(4000)]
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--workers", "2")
    assert code == 0, err
    lines[10] = event(10, changed=True)
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--workers", "2")
    assert code == 2, err  # a changed input, as without --workers
    assert "changed since the last run" in err and "rerun with --restart" in err
    assert "without a report" not in err and "rerun the same command" not in err, err


def test_a_base_url_httpx_cannot_parse_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text(event(1) + "\n")
    for base in ("http://127.0.0.1:9\n", "http://[::1"):  # a pasted or `$(cat ...)` URL's newline; a broken host
        result = cli("ingest", str(data), "--api", "track", "--no-progress", "--no-spool", "--base-url", base)
        assert result.code == 2 and "--base-url must be" in result.err and "Traceback" not in result.err, result.err


def test_bad_flags_are_named_as_the_flags_with_the_fix_not_as_the_librarys_arguments(
    cli: CLI, tmp_path: Path, local_server: LocalServer
) -> None:
    # Not "store must be a Redis URL", "max_queue must be...", "rate limit track ... Rate(max_rate=0.0, ...)": the
    # operator typed flags, and the fix is a flag's value.
    data = tmp_path / "events.jsonl"
    data.write_text(event(1) + "\n")
    ingest = ("ingest", str(data), "--api", "track", "--no-progress", "--no-spool", "--base-url", local_server.url)
    cases = [
        (["--redis", "http://localhost:6379"], "--redis must be a Redis URL such as 'redis://localhost:6379/0'"),
        (["--redis", "redis://:hunter2-pass@h:99999"], "the port must be a number from 0 to 65535"),
        (["--redis", "http://x", "--workers", "2"], "--redis must be a Redis URL"),
        (["--max-queue", "0"], "argument --max-queue: '0': give a whole number, 1 or more"),
        (["--batch-items", "-3"], "argument --batch-items: '-3': give a whole number, 1 or more"),
        (["--concurrency", "0"], "argument --concurrency: '0': give a whole number, 1 or more"),
        (["--workers", "x"], "argument --workers: 'x': give a whole number, 1 or more"),
        (["--rate", "0"], "argument --rate: '0': give a finite number of requests per second, more than 0"),
        (["--rate", "nan"], "argument --rate: 'nan': give a finite number of requests per second, more than 0"),
    ]
    for flags, says in cases:
        result = cli(*ingest, *flags)
        assert result.code == 2 and says in result.err, (flags, result.err)
        internal = ("store must", "max_queue", "max_batch_items", "Rate(", "rate limit track", "worker 1:")
        assert not [word for word in internal if word in result.err], (flags, result.err)
        assert "hunter2-pass" not in result.err and "Traceback" not in result.err
    listing = cli("app", "messages", "list-messages", "--all", "--max-items", "-1", "--base-url", local_server.url)
    assert listing.code == 2 and "argument --max-items: '-1': give a whole number, 0 or more" in listing.err
    assert "max_items" not in listing.err
    assert local_server.seen == []
