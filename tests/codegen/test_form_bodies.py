"""Bodies that are not JSON, and an object query parameter, as a regenerated spec may bring (the pinned ones have
none).

A form body (application/x-www-form-urlencoded) given as a mapping was encoded as JSON by the façade and sent under
the form's content type: ``{"name":"n"}`` where the server reads ``name=n``, without a word. A multipart body given as
a mapping ended in ``AttributeError: '_RawBody' object has no attribute 'to_multipart'``. A deepObject query
parameter given as a mapping ended in ``AttributeError: 'dict' object has no attribute 'to_dict'``.
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

OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}


def _post(operation_id: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    body = {"required": True, "content": {media: {"schema": schema}}}
    return {"post": {"operationId": operation_id, "tags": ["Things"], "requestBody": body, "responses": OK}}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "pipelines", "version": "1"},
    "servers": [{"url": "https://cdp.customer.io/v1"}],
    "paths": {
        "/upload": _post(
            "upload",
            "application/x-www-form-urlencoded",
            {"type": "object", "properties": {"name": {"type": "string"}}},
        ),
        "/files": _post(
            "sendFile", "multipart/form-data", {"type": "object", "properties": {"note": {"type": "string"}}}
        ),
        "/things": {
            "get": {
                "operationId": "listThings",
                "tags": ["Things"],
                "parameters": [
                    {
                        "name": "filter",
                        "in": "query",
                        "style": "deepObject",
                        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
                    }
                ],
                "responses": OK,
            }
        },
    },
}

PROBE = """
import asyncio, json, httpx
from aiocustomerio import CustomerIO, CustomerIOError, SyncCustomerIO
sent, refused = [], []
def answer(request):
    sent.append([request.headers.get("content-type"), request.content.decode() or str(request.url)])
    return httpx.Response(200, json={})
async def run():
    async with CustomerIO(transport=httpx.MockTransport(answer), env={}, cdp_api_key="k") as cio:
        await cio.pipelines.things.upload(body={"name": "n v"})
asyncio.run(run())
sync = SyncCustomerIO(transport=httpx.MockTransport(answer), env={}, cdp_api_key="k")
sync.pipelines.things.upload(body={"name": "n v"})
try:
    sync.pipelines.things.send_file(body={"note": "x"})
except CustomerIOError as exc:
    refused.append(str(exc))
sync.pipelines.things.list_things(filter_={"a": "1"})
try:
    sync.pipelines.things.list_things(filter_="a=1")
except CustomerIOError as exc:
    refused.append(str(exc))
print(json.dumps({"sent": sent, "refused": refused}))
"""


def test_form_and_multipart_bodies_and_an_object_query_parameter(tmp_path: Path) -> None:
    api = by_name("pipelines")
    spec = json.loads(json.dumps(SPEC))
    normalize(spec)
    spec_path = tmp_path / api.file
    spec_path.write_text(json.dumps(spec))
    assert generate_one(api, spec_path, tmp_path / "packages").warnings == []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "packages"), str(ROOT)])}
    probe = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.splitlines()[-1])
    form = ["application/x-www-form-urlencoded", "name=n+v"]
    assert found["sent"] == [form, form, [None, "https://cdp.customer.io/v1/things?a=1"]]
    assert "multipart/form-data body must be the generated model" in found["refused"][0]
    assert (
        "query parameter 'filter_' (the spec's 'filter') must be a mapping or the generated model"
        in (found["refused"][1])
    )
