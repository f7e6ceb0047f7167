"""No credential in what an ingestor reports: a server (a gateway, a proxy, a mock) that quotes the Authorization
header back in a 400, a 404 or a 207's item errors must not put the key into the report, the spool's dead letters,
the halt reason or the log."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from aiocustomerio import CustomerIO
from aiocustomerio._retry import RetryPolicy
from aiocustomerio.ingest import IngestorHalted, iter_dead_letters

SITE, TRACK_KEY, CDP_KEY = "site-SECRET-1", "track-SECRET-2", "cdp-SECRET-4"
FORMS = {
    "track": [SITE, TRACK_KEY, base64.b64encode(f"{SITE}:{TRACK_KEY}".encode()).decode()],
    "pipelines": [CDP_KEY, base64.b64encode(f"{CDP_KEY}:".encode()).decode()],
}
Answer = Callable[[httpx.Request], httpx.Response]


def rejected(request: httpx.Request) -> httpx.Response:
    return httpx.Response(400, text=f"rejected {request.headers['authorization']}")


def item_errors(request: httpx.Request) -> httpx.Response:
    auth = request.headers["authorization"]
    token = auth.partition(" ")[2]
    error = {"batch_index": 0, "reason": f"bad {auth}", "field": token, "message": f"key {token}"}
    return httpx.Response(207, json={"errors": [error]})


def unreadable(request: httpx.Request) -> httpx.Response:
    # Not the documented shape (no batch_index): the batch goes again, and the entry is quoted in the log.
    return httpx.Response(207, json={"errors": [{"echo": request.headers["authorization"]}]})


def wrong_endpoint(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, text=f"no route for {request.headers['authorization']}")


async def _ingest(api: str, answer: Answer, spool: Path) -> tuple[str, list[str]]:
    """Everything the ingestor tells about one item sent to `answer`: report, dead letters, halt reason."""
    told: list[str] = []
    cio = CustomerIO(site_id=SITE, track_api_key=TRACK_KEY, cdp_api_key=CDP_KEY, transport=httpx.MockTransport(answer))
    async with cio:
        ing = getattr(cio, api).ingestor(spool=str(spool), retry=RetryPolicy(max_retries=1, base_delay=0.001))
        await ing.start()
        try:
            if api == "track":
                await ing.identify("u1", email="u1@example.com")
            else:
                await ing.identify("u1", traits={"plan": "pro"})
            await asyncio.wait_for(ing.flush(), 0.5)  # an unreadable 207 is sent again and again: never lost
        except (IngestorHalted, TimeoutError) as exc:
            told.append(f"{exc} {exc!r}")
        report = await ing.close(timeout=0.5)
    told += [repr(report), report.summary(), json.dumps(report.failed, default=str), str(report.halted)]
    told += [json.dumps(letter, default=str) for letter in iter_dead_letters(str(spool))]
    return report.summary(), told


@pytest.mark.parametrize("api", ["track", "pipelines"])
@pytest.mark.parametrize("answer", [rejected, item_errors, unreadable, wrong_endpoint])
async def test_an_answer_quoting_the_credential_leaves_it_out_of_report_spool_and_log(
    api: str, answer: Answer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiocustomerio")
    summary, told = await _ingest(api, answer, tmp_path / "spool.db")
    everything = "\n".join([*told, caplog.text, *(str(r.args) for r in caplog.records)])
    assert "****" in everything, everything  # the quoted header is there, masked
    leaked = [form for form in FORMS[api] if form in everything]
    assert not leaked, everything
    if answer in (rejected, item_errors):
        assert "failed=1" in summary
