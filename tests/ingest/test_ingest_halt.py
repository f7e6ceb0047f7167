"""Refused credentials stop delivery and keep every item: pending in the report, and in the spool for the next run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from aiocustomerio import RetryPolicy
from aiocustomerio.ingest import Ingestor, IngestorHalted
from aiocustomerio.ingest._queue import Lanes
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


class _BrokenPolicy(RetryPolicy):
    """A RetryPolicy subclass whose delay has a bug: it runs inside the batch task, after the answer came."""

    def delay(self, retry: int, response: httpx.Response | None = None) -> float:
        raise ZeroDivisionError("division by zero")


async def test_an_error_applying_a_batch_outcome_halts_and_keeps_the_items(
    server: BatchServer, client: ClientFactory
) -> None:
    # Before: the batch task died at the first 500 (retry=3 then failed the same way: AttributeError), its lane
    # stayed busy and close() never returned, with nothing logged or reported.
    server.faults.p_500 = 1.0
    ing = Ingestor(client("track"), retry=_BrokenPolicy(), max_wait=0.0)
    await ing.start()
    await ing.event("u1", "viewed", id="e1")
    await asyncio.wait_for(ing.flush(), 10)  # bounded, so that the old hang fails here
    with pytest.raises(IngestorHalted, match="internal error while settling a batch of 1 items"):
        await ing.event("u1", "late")
    await asyncio.wait_for(ing.close(), 10)
    report = ing.report
    assert report.halted is not None and "ZeroDivisionError: division by zero" in report.halted
    assert [p["id"] for p in report.pending] == ["e1"] and not report.ok
    assert server.statuses[500] == 1  # sent once; not retried by a policy that cannot say when


async def test_an_error_in_the_dispatcher_halts_instead_of_stopping_without_a_word(
    server: BatchServer, client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Lanes, max_wait: float, flushing: bool) -> object:
        raise RuntimeError("a bug in take")

    ing = Ingestor(client("track"), max_wait=0.0)
    await ing.start()
    monkeypatch.setattr(Lanes, "take", broken)
    await ing.event("u1", "viewed", id="e1")
    await asyncio.wait_for(ing.close(), 10)  # before: waited for ever on a dispatcher that had died
    assert ing.report.halted == "internal error in the dispatcher: RuntimeError: a bug in take (items kept pending)"
    assert [p["id"] for p in ing.report.pending] == ["e1"] and server.requests == 0
