"""A new operation in a regenerated spec is reachable through the façade with no handwritten change."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiocustomerio._binding import ApiBinding
from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError
from codegen.apis import Api, by_name
from codegen.generate import generate_one

ROOT = Path(__file__).resolve().parents[2]


async def _maybe(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def test_synthetic_operation_is_reachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = by_name("pipelines").normalized()
    if not source.exists():
        pytest.skip("normalized specs unavailable: run `make normalize` (set CIO_SPEC_MIRROR to the pinned specs)")
    spec = json.loads(source.read_text())
    spec["paths"]["/things/{thing_id}/poke"] = {
        "post": {
            "operationId": "pokeThing",
            "tags": ["People"],
            "parameters": [
                {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "depth", "in": "query", "schema": {"type": "integer", "maximum": 5}},
            ],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"force": {"type": "integer"}},
                            "required": ["force"],
                        }
                    }
                }
            },
            "responses": {
                "200": {
                    "description": "poked",
                    "content": {
                        "application/json": {"schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}
                    },
                }
            },
        }
    }
    # A new write whose body declares a dedup id: the façade stamps one with no handwritten change.
    log_body = {
        "type": "object",
        "properties": {
            "note": {"type": "string"},
            "logId": {},
            "id": {"type": "string", "description": "Deduplicates."},
        },
    }
    spec["paths"]["/things/log"] = {
        "post": {
            "operationId": "logThing",
            "tags": ["People"],
            "requestBody": {"content": {"application/json": {"schema": log_body}}},
            "responses": {"200": {"description": "logged"}},
        }
    }
    spec_path = tmp_path / "pipelines.json"
    spec_path.write_text(json.dumps(spec))
    config = tmp_path / "config.yaml"
    config.write_text("package_name_override: synthetic_pipelines\nproject_name_override: synthetic\npost_hooks: []\n")
    generate_one(Api("pipelines", "pipelines.json", "synthetic_pipelines"), spec_path, tmp_path / "out", config)
    monkeypatch.syspath_prepend(str(tmp_path / "out"))

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    async def connect() -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url="https://cdp.customer.io/v1", transport=httpx.MockTransport(handler))

    resources = importlib.import_module("synthetic_pipelines._resources")
    api = resources.AsyncPipelinesResources(ApiBinding("pipelines", "synthetic_pipelines", "iso", connect))
    result = await api.people.poke_thing("a/b", body={"force": 3})
    assert result.ok is True
    assert seen[0].method == "POST"
    assert seen[0].url.raw_path == b"/v1/things/a%2Fb/poke"
    assert json.loads(seen[0].content) == {"force": 3}
    # Its parameters are checked against their schemas, by the async and the sync client alike.
    await api.people.poke_thing("a", body={"force": 3}, depth=2)
    assert seen[-1].url.params["depth"] == "2"
    sync_resources = importlib.import_module("synthetic_pipelines._sync_resources")
    sync_api = sync_resources.SyncPipelinesResources(
        ApiBinding(
            "pipelines",
            "synthetic_pipelines",
            "iso",
            connect_sync=lambda: httpx.Client(base_url="https://x", transport=httpx.MockTransport(handler)),
        )
    )
    sent = len(seen)
    for poke in (api.people.poke_thing, sync_api.people.poke_thing):
        with pytest.raises(InvalidArgumentTypeError, match="query parameter 'depth' must be an int, not str '2'"):
            await _maybe(poke("a", body={"force": 3}, depth="2"))
        with pytest.raises(InvalidArgumentError, match="query parameter 'depth' must be at most 5, not 6"):
            await _maybe(poke("a", body={"force": 3}, depth=6))
    assert len(seen) == sent
    sync_api.people.poke_thing("a", body={"force": 3}, depth=5)
    assert seen[-1].url.params["depth"] == "5"
    assert api.operation("POST", "/things/{thing_id}/poke").info.name == "poke_thing"
    await api.people.log_thing(body={"note": "n"})
    assert api.operation("POST", "/things/log").info.unsafe is False
    assert json.loads(seen[-1].content)["id"]
    await api.http.aclose() if api.http else None
    for name in [m for m in sys.modules if m.startswith("synthetic_pipelines")]:
        del sys.modules[name]
