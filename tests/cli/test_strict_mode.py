"""`--no-strict`: the command line's `CustomerIO(pipelines_strict=False)`, on the wire.

Without it an operator could not send a Pipelines call or backfill in the API's permissive mode (the spec's own
`--x-strict-mode` header flag takes only `1`), although the Python API can. Semantics are the client's: no
`X-Strict-Mode` header, so the API answers 200 to a message it rejects and drops it. Track and App have no strict
mode: the flag is a usage error there, before anything is sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.batch_server import BatchServer

from .conftest import CLI, LocalServer
from .ingest_support import message, run_cli

TRACK = ["pipelines", "events-and-pageviews", "track", "--body", '{"userId": "u1", "event": "e"}']


@pytest.mark.parametrize(("flags", "header"), [([], "1"), (["--no-strict"], None)])
def test_a_pipelines_call_sends_strict_mode_unless_no_strict(
    cli: CLI, local_server: LocalServer, flags: list[str], header: str | None
) -> None:
    result = cli(*TRACK, *flags, "--base-url", local_server.url + "/v1")
    assert result.code == 0, result.err
    (seen,) = local_server.seen
    assert (seen.method, seen.path) == ("POST", "/v1/track")
    assert {k.lower(): v for k, v in seen.headers.items()}.get("x-strict-mode") == header
    assert json.loads(seen.body)["event"] == "e"
    dry = cli(*TRACK, *flags, "--dry-run")
    assert dry.code == 0 and dry.json()["headers"].get("x-strict-mode") == header


@pytest.mark.parametrize(
    "args",
    [
        ["track", "track-region", "get-region", "--no-strict"],
        ["app", "campaigns", "list-campaigns", "--no-strict"],
    ],
)
def test_no_strict_for_an_api_without_strict_mode_is_a_usage_error(
    cli: CLI, local_server: LocalServer, args: list[str]
) -> None:
    result = cli(*args, "--base-url", local_server.url)
    assert result.code == 2 and "--no-strict" in result.err and "strict mode" in result.err, result.err
    assert local_server.seen == []


async def test_a_pipelines_backfill_with_no_strict_is_sent_in_permissive_mode(
    server: BatchServer, tmp_path: Path
) -> None:
    # The fault server answers a batch holding a message strict mode rejects with a 400 when X-Strict-Mode: 1 is
    # sent, and 200 (dropping that message) without it, as Customer.io does.
    server.keep_bodies = True
    lines = [message(i) for i in range(20)]
    lines[7] = json.dumps({"type": "track", "userId": "u7", "event": "e", "properties": {"_fault": "strict"}})
    data = tmp_path / "messages.jsonl"
    data.write_text("\n".join(lines) + "\n")
    code, err = await run_cli(server, str(data), "--no-progress", "--no-strict", api="pipelines")
    assert code == 0, err
    assert server.bodies and all("x-strict-mode" not in headers for _, headers, _ in server.bodies)
    assert server.statuses.get(400, 0) == 0 and len(server.received) == 19  # the rejected one dropped, unreported

    strict = tmp_path / "strict.jsonl"
    strict.write_text("\n".join(lines) + "\n")
    server.bodies.clear()
    code, err = await run_cli(server, str(strict), "--no-progress", "--drain-timeout", "20", api="pipelines")
    assert code == 1, err  # strict mode: the message is refused, and the run says so
    assert server.bodies and all(headers.get("x-strict-mode") == "1" for _, headers, _ in server.bodies)
    assert server.statuses.get(400, 0) >= 1


async def test_an_ingest_of_track_with_no_strict_is_a_usage_error(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text('{"type": "person", "identifiers": {"id": "u1"}, "action": "identify"}\n')
    code, err = await run_cli(server, str(data), "--no-progress", "--no-strict", api="track")
    assert code == 2 and "--no-strict" in err, err
    assert server.requests == 0
