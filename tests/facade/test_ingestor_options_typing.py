"""The ingestors' options are typed for user code: a misspelt or mistyped option is a mypy error before it runs
(``ingestor(**options: Any)`` let ``max_wiat=1`` and ``concurrency="4"`` through to run time), and the typed keys are
exactly the options the ingestors take, async and sync."""

from __future__ import annotations

from pathlib import Path

from aiocustomerio._binding import ingestor_option_names
from aiocustomerio._ingest_options import IngestorOptions, SyncIngestorOptions
from tests.support.typecheck import marked_lines, mypy_strict

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
    out, flagged = mypy_strict(SNIPPET, tmp_path)
    assert flagged == marked_lines(SNIPPET), out
    assert 'Unexpected keyword argument "max_wiat"' in out
    assert 'Unexpected keyword argument "put_timeout"' in out
