"""The ingestors' typed methods take the timestamps the façade's calls take, for type checkers as at run time: a
`date` was accepted and sent, but a strictly type-checked caller was told it was not allowed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx

from aiocustomerio import CustomerIO
from aiocustomerio.ingest import Ingestor, PipelinesIngestor
from tests.support.typecheck import marked_lines, mypy_strict

SNIPPET = """
import datetime as dt
from aiocustomerio import CustomerIO, SyncCustomerIO

async def use(cio: CustomerIO) -> None:
    day, moment = dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
    async with cio.track.ingestor() as track:
        await track.event("u", "e", timestamp=day)
        await track.page("u", "/p", timestamp=1700000000.5)
        await track.screen("u", "s", timestamp=moment)
        await track.event("u", "e", timestamp="2024-01-02")  # E1: Track takes unix seconds, not a string
    async with cio.pipelines.ingestor() as pipelines:
        await pipelines.track("u", "e", timestamp=day)
        await pipelines.identify("u", timestamp="2024-01-02T00:00:00Z")
        await pipelines.page("u", "p", timestamp=1700000000)  # E2: Pipelines takes ISO 8601, not a number

def use_sync(cio: SyncCustomerIO) -> None:
    with cio.track.ingestor() as track:
        track.event("u", "e", timestamp=dt.date(2024, 1, 2))
    with cio.pipelines.ingestor() as pipelines:
        pipelines.identify("u", timestamp=dt.date(2024, 1, 2))
        pipelines.track("u", "e", timestamp=dt.date(2024, 1, 2))
"""


def test_ingestor_timestamps_are_typed_as_the_facades(tmp_path: Path) -> None:
    out, flagged = mypy_strict(SNIPPET, tmp_path)
    assert flagged == marked_lines(SNIPPET) and len(flagged) == 2, out


def recording(bodies: list[dict[str, Any]]) -> httpx.MockTransport:
    """A wire that keeps every request's JSON body and answers 200 {}."""

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={})

    return httpx.MockTransport(answer)


async def test_a_date_goes_on_the_wire_as_the_facade_sends_it() -> None:
    bodies: list[dict[str, Any]] = []
    async with httpx.AsyncClient(transport=recording(bodies), base_url="http://127.0.0.1") as http:
        async with Ingestor(http) as track:
            await track.event("u", "e", timestamp=dt.date(2024, 1, 2))
        async with PipelinesIngestor(http) as pipelines:
            await pipelines.track("u", "e", timestamp=dt.date(2024, 1, 2))
        async with PipelinesIngestor(http) as pipelines:  # a raw message, and the caller's dict left as it was
            raw = {"type": "track", "userId": "u", "event": "e", "timestamp": dt.date(2024, 1, 2)}
            await pipelines.put(raw)
            await pipelines.put({"type": "track", "userId": "u", "event": "e", "timestamp": dt.datetime(2024, 1, 2)})
    assert raw["timestamp"] == dt.date(2024, 1, 2)
    [event], [message], [from_raw, naive] = (body["batch"] for body in bodies)
    assert from_raw["timestamp"] == naive["timestamp"] == "2024-01-02T00:00:00+00:00"
    assert event["timestamp"] == 1704153600  # 2024-01-02T00:00:00Z, as unix_seconds (the façade's rule) reads a date
    # The spec's `format: date-time` (a date alone is not one): midnight UTC, the same instant as Track's.
    assert message["timestamp"] == "2024-01-02T00:00:00+00:00"


async def test_the_facade_sends_a_date_as_a_date_time_to_pipelines() -> None:
    sent: list[dict[str, Any]] = []
    async with CustomerIO(cdp_api_key="k", transport=recording(sent), env={}) as cio:
        await cio.pipelines.track("u", "e", timestamp=dt.date(2024, 1, 2))
    assert sent[0]["timestamp"] == "2024-01-02T00:00:00+00:00"
