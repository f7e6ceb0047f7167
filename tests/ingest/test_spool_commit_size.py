"""A group commit's byte count (which decides where a small awaited commit runs, and paces the WAL checkpoints) is
kept as rows are staged, not summed over the rows at commit time: it must equal that sum for every commit, whichever
way its rows came (journaled by `event`/`put`, staged by `put_nowait`, added by `put_many`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiocustomerio.ingest import Ingestor
from aiocustomerio.ingest._writer import Writer


@pytest.mark.asyncio
async def test_every_commit_counts_its_rows_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commits: list[tuple[int, int, int]] = []  # (rows, bytes summed here, bytes the writer counted)
    original = Writer._commit_with_retries

    async def recording(self: Writer, inserts: list[Any], size: int, *args: Any, **kwargs: Any) -> Any:
        commits.append((len(inserts), sum(len(row[1]) for row in inserts), size))
        return await original(self, inserts, size, *args, **kwargs)

    monkeypatch.setattr(Writer, "_commit_with_retries", recording)
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)), base_url="http://x")
    async with http, Ingestor(http, spool=tmp_path / "spool.db", max_wait=3600) as ing:
        for round_ in range(30):
            for i in range(40):  # journaled, of sizes that differ
                await ing.event(f"u{i}", "e", {"pad": "x" * (i * 13 + round_)}, timestamp=1)
            for i in range(7):  # staged one by one
                ing.put_nowait({"type": "person", "identifiers": {"id": f"p{i}"}, "action": "identify"})
            if round_ % 3 == 0:  # added as a part, awaited
                await ing.put_many(
                    [{"type": "person", "identifiers": {"id": f"m{i}"}, "action": "identify"} for i in range(9)]
                )
            if round_ % 5 == 0:
                await asyncio.sleep(0.02)  # a lingering commit of journaled rows only
        await ing.flush()
    assert ing.report.delivered == 30 * 47 + 10 * 9
    assert sum(rows for rows, _, _ in commits) == 30 * 47 + 10 * 9
    assert [summed for _, summed, _ in commits] == [counted for _, _, counted in commits]
    assert len(commits) > 3
