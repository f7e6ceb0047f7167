"""A spec tag named like a sugar method (Pipelines "Track" beside ``cio.pipelines.track(...)``) or like an attribute
of every API (``index``) breaks nothing.

The handwritten method would hide a tag attribute of the same name: the sugar's own lookup by route then found the
method instead of the tag (``AttributeError: 'function' object has no attribute 'track'``), and every CLI command of
the tag printed that traceback; a tag called ``Index`` stopped generation (``make update-specs`` ended in a
traceback after rewriting the lock). codegen gives such a tag the generator's escape for a taken name (``track_``); its
CLI name stays ``track``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from codegen.apis import ROOT, by_name
from codegen.generate import generate_one
from codegen.normalize import normalize
from codegen.sugar import method_names


def _op(operation_id: str, tag: str) -> dict[str, Any]:
    body = {"type": "object", "properties": {"userId": {"type": "string"}, "event": {"type": "string"}}}
    return {
        "operationId": operation_id,
        "tags": [tag],
        "summary": f"{operation_id} summary",
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "ok"}},
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "pipelines", "version": "1"},
    "servers": [{"url": "https://cdp.customer.io/v1"}],
    "tags": [{"name": "Track", "description": "Events."}, {"name": "Batch", "description": "Batches."}],
    "paths": {
        "/track": {"post": _op("track", "Track")},
        "/page": {"post": _op("page", "Track")},
        "/batch": {"post": _op("batch", "Batch")},
        "/alias": {"post": _op("alias", "Index")},  # like every API's `index` attribute: generation stopped
    },
}

PROBE = """
import asyncio, contextlib, io, json, httpx
from aiocustomerio import CustomerIO, SyncCustomerIO
from aiocustomerio.cli import main
seen = []
def answer(request):
    seen.append([request.method, request.url.path])
    return httpx.Response(200, json={})
async def run():
    async with CustomerIO(transport=httpx.MockTransport(answer), env={}, cdp_api_key="k") as cio:
        await cio.pipelines.track("u1", "signed_up")  # the sugar, by route, through the escaped tag
        await cio.pipelines.track_.page(body={"userId": "u1"})
        await cio.pipelines.tag("track_").page(body={"userId": "u1"})
asyncio.run(run())
SyncCustomerIO(transport=httpx.MockTransport(answer), env={}, cdp_api_key="k").pipelines.track("u1", "signed_up")
out = io.StringIO()
with contextlib.redirect_stdout(out):
    codes = [main(["pipelines", "track", "page", "--body", '{"userId": "u1"}', "--dry-run"])]
    codes.append(main(["pipelines", "batch", "batch", "--body", "{}", "--dry-run"]))
    codes.append(main(["pipelines", "index", "alias", "--body", "{}", "--dry-run"]))
    codes.append(main(["pipelines", "--help"]))
print(json.dumps({"seen": seen, "codes": codes, "out": out.getvalue()}))
"""


def test_a_tag_named_like_a_sugar_method_is_escaped_and_both_work(tmp_path: Path) -> None:
    api = by_name("pipelines")
    assert {"track", "batch", "identify"} <= method_names("pipelines")
    spec = json.loads(json.dumps(SPEC))
    normalize(spec)
    spec_path = tmp_path / api.file
    spec_path.write_text(json.dumps(spec))
    result = generate_one(api, spec_path, tmp_path / "packages")
    assert result.warnings == []
    assert sorted({e.tag for e in result.operations}) == ["batch_", "index_", "track_"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "packages"), str(ROOT)])}
    env["CUSTOMERIO_CDP_API_KEY"] = "k"
    probe = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.splitlines()[-1])
    assert found["seen"] == [["POST", "/v1/track"], ["POST", "/v1/page"], ["POST", "/v1/page"], ["POST", "/v1/track"]]
    assert found["codes"] == [0, 0, 0, 0]
    assert '"url":"https://cdp.customer.io/v1/page"' in found["out"]
    assert '"url":"https://cdp.customer.io/v1/batch"' in found["out"]
    assert '"url":"https://cdp.customer.io/v1/alias"' in found["out"]
    assert "\n  track " in found["out"] and "track_" not in found["out"]  # the CLI shows the spec's name
