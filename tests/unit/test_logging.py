from __future__ import annotations

import logging
import re

import httpx
import pytest

from aiocustomerio._config import AppAuth

from .conftest import Script, Sleeps, make_client

# Every test here runs through the async and the sync transport.
pytestmark = pytest.mark.usefixtures("both_stacks")

KEY = "app-key-not-in-logs"


async def test_debug_log_has_method_path_status_duration_attempt(
    caplog: pytest.LogCaptureFixture, sleeps: Sleeps
) -> None:
    script = Script([httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(200)])
    with caplog.at_level(logging.DEBUG, logger="aiocustomerio"):
        async with make_client(script, auth=AppAuth(KEY), sleep=sleeps) as client:
            await client.get("/v1/customers", params={"email": "private@example.com"})
    records = [r for r in caplog.records if r.name == "aiocustomerio"]
    messages = [r.getMessage() for r in records]
    assert len(messages) == 2
    assert re.fullmatch(r"GET /v1/customers -> 503 in \d+\.\d ms \(attempt 1\), retrying in 1\.00 s", messages[0]), (
        messages[0]
    )
    assert re.fullmatch(r"GET /v1/customers -> 200 in \d+\.\d ms \(attempt 2\)", messages[1]), messages[1]
    assert all(r.levelno == logging.DEBUG for r in records)
    # Neither the query string (it can hold personal data) nor the credentials reach the log.
    assert "private" not in caplog.text and KEY not in caplog.text and "Bearer" not in caplog.text


async def test_transport_error_retries_are_logged(caplog: pytest.LogCaptureFixture, sleeps: Sleeps) -> None:
    script = Script([httpx.ConnectError("refused"), httpx.Response(204)])
    with caplog.at_level(logging.DEBUG, logger="aiocustomerio"):
        async with make_client(script, sleep=sleeps) as client:
            await client.delete("/v1/objects/1")
    messages = [r.getMessage() for r in caplog.records if r.name == "aiocustomerio"]
    assert messages[0].startswith("DELETE /v1/objects/1 -> ConnectError in ")
    assert messages[1].startswith("DELETE /v1/objects/1 -> 204 in ")


async def test_nothing_is_logged_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    script = Script([httpx.Response(200)])
    with caplog.at_level(logging.INFO, logger="aiocustomerio"):
        async with make_client(script) as client:
            await client.get("/v1/campaigns")
    assert [r for r in caplog.records if r.name == "aiocustomerio"] == []


async def test_the_logged_path_is_the_one_sent_percent_encoding_kept(
    caplog: pytest.LogCaptureFixture, sleeps: Sleeps
) -> None:
    # A path parameter "a/b?c d" travels as the one segment a%2Fb%3Fc%20d; the log must not show it decoded, as two
    # segments and a query string.
    script = Script([httpx.Response(200)])
    with caplog.at_level(logging.DEBUG, logger="aiocustomerio"):
        async with make_client(script, auth=AppAuth(KEY), sleep=sleeps) as client:
            await client.get("/v1/customers/a%2Fb%3Fc%20d/attributes", params={"id_type": "email"})
    messages = [r.getMessage() for r in caplog.records if r.name == "aiocustomerio"]
    assert len(messages) == 1
    assert messages[0].startswith("GET /v1/customers/a%2Fb%3Fc%20d/attributes -> 200 in "), messages[0]
