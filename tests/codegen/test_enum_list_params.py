"""A query parameter that takes a list of enum values, as a regenerated spec may bring (the pinned ones have none).

The index did not list it among the enums and recorded no type for it, so the façade passed the caller's strings to
the generated code, which read ``.value`` of each: ``AttributeError: 'str' object has no attribute 'value'`` from
``cio.<api>.<tag>.<op>(kinds=["a"])`` (async and sync) and a traceback from the CLI's ``--kinds a``.
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

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "pipelines", "version": "1"},
    "servers": [{"url": "https://cdp.customer.io/v1"}],
    "paths": {
        "/things/{thing_id}": {
            "get": {
                "operationId": "getThing",
                "tags": ["Things"],
                "summary": "Get a thing",
                "parameters": [
                    {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "kinds", "in": "query", "schema": {"type": "array", "items": {"enum": ["a", "b"]}}},
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}},
            }
        }
    },
}

PROBE = """
import asyncio, contextlib, io, json, httpx
from aiocustomerio import CustomerIO, CustomerIOError, SyncCustomerIO
from aiocustomerio.cli import main
sent, refused = [], []
def answer(request):
    sent.append(str(request.url))
    return httpx.Response(200, json={})
async def run():
    async with CustomerIO(transport=httpx.MockTransport(answer), env={}, cdp_api_key="k") as cio:
        await cio.pipelines.things.get_thing("t", kinds=["a", "b"])
asyncio.run(run())
sync = SyncCustomerIO(transport=httpx.MockTransport(answer), env={}, cdp_api_key="k")
sync.pipelines.things.get_thing("t", kinds=("b",))
for wrong in ("a", ["c"]):
    try:
        sync.pipelines.things.get_thing("t", kinds=wrong)
    except CustomerIOError as exc:
        refused.append(str(exc))
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["pipelines", "things", "get-thing", "t", "--kinds", "a", "--kinds", "b", "--dry-run"])
print(json.dumps({"sent": sent, "refused": refused, "code": code, "out": out.getvalue()}))
"""


def test_a_list_of_enum_values_is_converted_checked_and_offered_by_the_cli(tmp_path: Path) -> None:
    api = by_name("pipelines")
    spec = json.loads(json.dumps(SPEC))
    normalize(spec)
    spec_path = tmp_path / api.file
    spec_path.write_text(json.dumps(spec))
    result = generate_one(api, spec_path, tmp_path / "packages")
    assert result.warnings == []
    (entry,) = result.operations
    assert entry.enums == {"kinds": "GetThingKindsItem"}
    assert entry.types["kinds"] == {"in": "query", "items": "enum", "name": "kinds", "type": "array"}
    typed = (result.package_dir / "_resources.py").read_text()
    assert 'kinds: list[GetThingKindsItem | Literal["a", "b"]] | NotGiven' in typed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "packages"), str(ROOT)])}
    env["CUSTOMERIO_CDP_API_KEY"] = "k"
    probe = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.splitlines()[-1])
    assert found["sent"] == [
        "https://cdp.customer.io/v1/things/t?kinds=a&kinds=b",
        "https://cdp.customer.io/v1/things/t?kinds=b",
    ]
    assert "query parameter 'kinds' must be a list of enum values, not str 'a'; for one: ['a']" in found["refused"][0]
    assert "query parameter 'kinds' must be one of 'a', 'b', not str 'c'" in found["refused"][1]
    assert found["code"] == 0 and "/v1/things/t?kinds=a&kinds=b" in found["out"]
