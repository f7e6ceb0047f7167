"""The ingestors' options are typed for user code: a misspelt or mistyped option is a mypy error before it runs
(``ingestor(**options: Any)`` let ``max_wiat=1`` and ``concurrency="4"`` through to run time), and the typed keys are
exactly the options the ingestors take, async and sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aiocustomerio._binding import ingestor_option_names
from aiocustomerio._ingest_options import IngestorOptions, SyncIngestorOptions

SNIPPET = """
from aiocustomerio import CustomerIO, SyncCustomerIO

async def main(cio: CustomerIO, sync: SyncCustomerIO) -> None:
    async with cio.track.ingestor(max_wait=1.0, concurrency=4, spool="events.db") as ing:
        await ing.event("u1", "purchase")
    cio.pipelines.ingestor(max_queue=10, retry=None)
    sync.track.ingestor(put_timeout=5, drain_timeout=None)
    cio.track.ingestor(max_wiat=1.0)  # E1: misspelt option
    cio.track.ingestor(concurrency="4")  # E2: wrong type
    cio.pipelines.ingestor(put_timeout=5)  # E3: a sync-only option on the async client
    sync.pipelines.ingestor(spool=3)  # E4: wrong type
"""


def test_the_typed_options_are_the_ingestors_options() -> None:
    assert set(IngestorOptions.__annotations__) == ingestor_option_names(sync=False)
    assert set(SyncIngestorOptions.__annotations__) == ingestor_option_names(sync=True)


def test_a_misspelt_or_mistyped_ingestor_option_is_a_type_error(tmp_path: Path) -> None:
    source = tmp_path / "usage.py"
    source.write_text(SNIPPET)
    # A subprocess: mypy in this process would leave megabytes of state behind for later tests' memory bounds.
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    lines = {int(line.split(":")[1]) for line in errors}
    expected = {i + 1 for i, text in enumerate(SNIPPET.splitlines()) if "# E" in text}
    assert lines == expected, out
    assert 'Unexpected keyword argument "max_wiat"' in out
    assert 'Unexpected keyword argument "put_timeout"' in out
