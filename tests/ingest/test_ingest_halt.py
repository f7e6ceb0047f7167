"""Refused credentials stop delivery and keep every item: pending in the report, and in the spool for the next run."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiocustomerio.ingest import Ingestor, IngestorHalted
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory


async def test_refused_credentials_halt_delivery_without_failing_items(
    server: BatchServer, client: ClientFactory
) -> None:
    # max_wait: the events are all queued before the first batch is sent and refused.
    ing = Ingestor(client("track", auth=("site", "wrong-key")), max_batch_items=100, max_wait=5.0)
    async with ing:
        for i in range(1000):
            ing.put_nowait(
                {
                    "type": "person",
                    "identifiers": {"id": f"u{i}"},
                    "action": "event",
                    "name": "viewed",
                    "attributes": {"n": i},
                }
            )
        await ing.flush()  # returns once delivery halted, instead of waiting for deliveries that cannot happen
        with pytest.raises(IngestorHalted, match=r"HTTP 401.*kept as pending"):
            await ing.event("late", "viewed")
    report = ing.report
    assert report.halted is not None and "401" in report.halted
    assert report.failed == [] and report.delivered == 0
    assert len(report.pending) == report.accepted == 1000
    assert {p["attributes"]["n"] for p in report.pending} == set(range(1000))
    assert not report.ok and "halted: HTTP 401" in report.summary()
    assert server.ids == set()


async def test_a_halted_spool_is_delivered_by_the_next_run(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    first = Ingestor(client("track", auth=("site", "wrong-key")), spool=spool, max_batch_items=50, max_wait=0.0)
    async with first:
        for i in range(300):
            try:
                await first.event(f"u{i}", "viewed", {"n": i})
            except IngestorHalted:
                break  # the producer learns at once; what it gave before is kept
    accepted = first.report.accepted
    assert first.report.halted and len(first.report.pending) == accepted > 0
    sent = {p["id"] for p in first.report.pending}
    async with Ingestor(client("track"), spool=spool) as second:
        pass
    assert second.report.recovered == accepted and second.report.delivered == accepted and second.report.ok
    assert server.ids == sent
