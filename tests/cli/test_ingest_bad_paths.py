"""Paths that are not what they should be are refused before anything is read or sent, naming the path and the fix,
and nothing on disk is changed: a one-byte file given as the spool (SQLite takes it for an empty database and
overwrote it with a spool), a spool under a path whose "directory" is a file, an input that is a directory."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aiocustomerio import CustomerIO
from aiocustomerio.errors import InvalidArgumentError
from tests.support.batch_server import BatchServer

from .ingest_support import event, run_cli


@pytest.mark.parametrize("content", [b"x", b"\n", b"SQLite"])
async def test_a_tiny_file_that_is_not_a_spool_is_refused_and_left_as_it_was(tmp_path: Path, content: bytes) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(content)
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    async with CustomerIO(site_id="s", track_api_key="k", transport=transport) as cio:
        with pytest.raises(InvalidArgumentError, match=r"is not a spool \(file is not a database\); it was left"):
            async with cio.track.ingestor(spool=notes) as ing:
                await ing.event("u1", "e")
    assert notes.read_bytes() == content and sent == []


async def test_the_cli_refuses_a_tiny_file_as_its_spool(server: BatchServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(event(1) + "\n")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"x")
    code, err = await run_cli(server, str(source), "--spool", str(notes))
    assert code == 2 and "is not a spool" in err and "Traceback" not in err
    assert notes.read_bytes() == b"x" and server.requests == 0


async def test_the_cli_says_a_spools_directory_is_a_file(server: BatchServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(event(1) + "\n")
    (tmp_path / "afile").write_text("x")
    code, err = await run_cli(server, str(source), "--spool", str(tmp_path / "afile" / "run.db"))
    assert code == 2 and f"the directory {tmp_path / 'afile'} is a file, not a directory" in err
    assert server.requests == 0


async def test_the_cli_says_its_input_is_a_directory(server: BatchServer, tmp_path: Path) -> None:
    code, err = await run_cli(server, str(tmp_path))
    assert code == 2 and f"{tmp_path} is a directory: give a file of JSON lines" in err and "Traceback" not in err
