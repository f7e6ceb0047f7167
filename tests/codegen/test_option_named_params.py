"""A spec parameter named like a per-call option (`timeout`, `max_retries`, ...) is the façade keyword `<name>_`.

Regeneration used to stop at such a parameter ("collides with a per-call option"), so a new operation with one
reached nothing. Now codegen emits `timeout_` in the façade's signatures (async and sync) and records the rename in
the index, which the CLI reads: the per-call option keeps its name and meaning, the parameter reaches the query.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen.apis import NORMALIZED_DIR, ROOT, by_name
from codegen.generate import generate_one
from codegen.index import keyword
from codegen.normalize import normalize

_PROBE = r"""
import asyncio, httpx
from aiocustomerio import CustomerIO, SyncCustomerIO
from aiocustomerio_track._index import OPERATIONS

seen = []
def handler(request):
    seen.append((str(request.url), request.extensions.get("timeout")))
    return httpx.Response(200, json={"url": "https://track.customer.io", "region": "us"})

info = OPERATIONS["track_region"]["get_region"]
print("renamed", sorted(info["renamed"].items()))

async def main():
    async with CustomerIO(site_id="s", track_api_key="k", transport=httpx.MockTransport(handler)) as cio:
        await cio.track.track_region.get_region(timeout_=5, max_retries_=7, timeout=2.5)
        try:
            await cio.track.track_region.get_region(timeuot_=5)
        except TypeError as exc:
            print("unknown", exc)

asyncio.run(main())
with SyncCustomerIO(site_id="s", track_api_key="k", transport=httpx.MockTransport(handler)) as cio:
    cio.track.track_region.get_region(timeout_=6)
for url, timeout in seen:
    print("sent", url, timeout["read"] if timeout else None)
"""


def _with_option_named_params(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    op = spec["paths"]["/api/v1/accounts/region"]["get"]
    op["parameters"] = [
        {"name": "timeout", "in": "query", "schema": {"type": "integer"}, "description": "server-side wait"},
        {"name": "max_retries", "in": "query", "schema": {"type": "integer"}},
    ]
    return spec


def test_keyword_renames_exactly_the_option_names() -> None:
    assert [keyword(n) for n in ("timeout", "max_retries", "self", "limit", "type_")] == [
        "timeout_",
        "max_retries_",
        "self_",
        "limit",
        "type_",
    ]


def test_a_parameter_named_like_an_option_reaches_facade_sync_and_cli(tmp_path: Path) -> None:
    api = by_name("track")
    if not api.normalized(NORMALIZED_DIR).is_file():
        pytest.skip("normalized specs absent: run `make normalize` with CIO_SPEC_MIRROR set")
    spec = _with_option_named_params(json.loads(api.normalized(NORMALIZED_DIR).read_text()))
    normalize(spec)
    path = tmp_path / api.file
    path.write_text(json.dumps(spec))
    packages = tmp_path / "packages"
    assert generate_one(api, path, packages).warnings == []
    resources = (packages / api.package / "_resources.py").read_text()
    assert "timeout_: int | NotGiven = NOT_GIVEN" in resources and '"timeout": timeout_' in resources

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(packages), str(ROOT / "src")])}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert "renamed [('max_retries', 'max_retries_'), ('timeout', 'timeout_')]" in lines
    # The parameters went into the query; the per-call timeout stayed the request's timeout (2.5 s).
    assert "sent https://track.customer.io/api/v1/accounts/region?timeout=5&max_retries=7 2.5" in lines
    assert "sent https://track.customer.io/api/v1/accounts/region?timeout=6 30.0" in lines
    assert any(line.startswith("unknown ") and "did you mean 'timeout_'" in line for line in lines), lines

    command = ["track", "track-region", "get-region", "--param-timeout", "9", "--dry-run", "--site-id", "s"]
    cli = subprocess.run(
        [sys.executable, "-m", "aiocustomerio", *command],
        env={**env, "CUSTOMERIO_TRACK_API_KEY": "k"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    assert "/api/v1/accounts/region?timeout=9" in cli.stdout, cli.stdout
