"""Type checkers see each derived operation's model and catch misspelt operations (codegen: <pkg>/_resources.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from aiocustomerio import CustomerIO

async def main(cio: CustomerIO) -> None:
    reveal_type(await cio.app.campaigns.list_campaigns())
    reveal_type(await cio.app.customers.get_person_attributes("u"))
    reveal_type(cio.app.customers.search({"and": []}))
    reveal_type(await cio.track.track_customers.identify("u", body={"plan": "pro"}))
    await cio.app.campaigns.lst()
"""


def test_derived_operations_are_typed(tmp_path: Path) -> None:
    source = tmp_path / "usage.py"
    source.write_text(SNIPPET)
    # A subprocess: mypy in this process would leave megabytes of state behind for later tests' memory bounds.
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out, status = proc.stdout, proc.returncode
    assert 'Revealed type is "aiocustomerio_app.models.list_campaigns_response_200.ListCampaignsResponse200"' in out
    assert "get_person_attributes_response_200.GetPersonAttributesResponse200" in out
    assert 'Revealed type is "typing.AsyncIterator[Any]"' in out
    assert '"AsyncCampaignsResource" has no attribute "lst"' in out
    assert status == 1 and out.count("error:") == 1, out
