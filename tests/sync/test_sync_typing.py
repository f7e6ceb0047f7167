"""Type checkers see SyncCustomerIO as they see CustomerIO: typed models, iterators, ingestors, and mistakes flagged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from aiocustomerio import IngestorTimeout, SyncCustomerIO, SyncTrackIngestor

def lazy(ing: SyncTrackIngestor, error: IngestorTimeout) -> None:  # loaded on first use, typed all the same
    reveal_type(error)

def main(cio: SyncCustomerIO) -> None:
    reveal_type(cio.app.campaigns.list_campaigns())
    reveal_type(cio.app.customers.get_person_attributes("u"))
    reveal_type(cio.app.customers.search({"and": []}))
    reveal_type(cio.app.campaigns.list_campaigns.with_raw_response())
    reveal_type(cio.app.with_raw_response.campaigns.list_campaigns())
    reveal_type(cio.track.with_raw_response.identify("u", {"plan": "pro"}))
    with cio.track.ingestor(spool="events.db") as ing:
        reveal_type(ing)
        reveal_type(ing.event("u1", "purchase", {"total": 1}))
        ing.event("u1", "purchase", timestmp=5)
    reveal_type(ing.close())
    cio.app.campaigns.lst()
"""


def test_the_sync_client_is_typed(tmp_path: Path) -> None:
    source = tmp_path / "usage.py"
    source.write_text(SNIPPET)
    # A subprocess, as the async typing test: mypy's state must not stay in the test process.
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    assert 'Revealed type is "aiocustomerio_app.models.list_campaigns_response_200.ListCampaignsResponse200"' in out
    assert "get_person_attributes_response_200.GetPersonAttributesResponse200" in out
    assert 'Revealed type is "aiocustomerio._pagination.SyncPaginator[aiocustomerio_app.models.' in out
    assert out.count('Revealed type is "httpx._models.Response"') == 3, out
    assert 'Revealed type is "aiocustomerio._sync.ingest.SyncTrackIngestor"' in out
    assert 'Revealed type is "None"' in out
    assert 'Revealed type is "aiocustomerio._sync.ingest.IngestorTimeout"' in out
    assert 'Revealed type is "aiocustomerio.ingest.' in out and 'IngestReport"' in out
    assert 'Unexpected keyword argument "timestmp"' in out
    assert '"SyncCampaignsResource" has no attribute "lst"' in out
    assert out.count("error:") == 2, out
