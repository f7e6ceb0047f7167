"""More workers than the file has lines: only ranges with lines get a process (--workers 1000 on a 100-line file
started 1,000 interpreters, most to read nothing, and on a small machine did not finish in a minute)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.batch_server import BatchServer

from .ingest_support import event, run_cli


async def test_a_range_without_lines_gets_no_process(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(3)) + "\n")
    code, err = await run_cli(server, str(data), "--workers", "12", "--no-progress")
    assert code == 0 and "Traceback" not in err, err
    started = re.findall(r"^worker (\d+): pid \d+, bytes (\d+)\.\.(\d+)$", err, re.MULTILINE)
    assert len(started) == 3 and all(int(start) < int(end) for _, start, end in started), err
    assert "was not started" not in err and "accepted=3 delivered=3" in err and "workers=12" in err, err
    assert server.ids == {"f0", "f1", "f2"}
    code, err = await run_cli(server, str(data), "--workers", "12", "--no-progress")  # the job resumes: nothing left
    assert code == 0 and "accepted=0" in err, err
    assert sum(server.received.values()) == 3
