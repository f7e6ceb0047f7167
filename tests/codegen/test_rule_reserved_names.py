"""Rule reserved-names: a tag or operation named like an attribute the façade already has there takes a trailing `_`.

Before it, an operationId `with_options`, `with_raw_response`, `operation` or `tag` stopped generation ("would hide an
attribute of the resource classes"), so a regenerated spec with one reached nothing; the tag escape lived in the
index alone, unlogged. Now the rule records the escaped names on the operation, and a regenerated spec with such
names reaches the façade, the sync client and the CLI with no handwritten change.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from codegen.apis import ROOT, by_name
from codegen.generate import generate_one
from codegen.names import escaped, reserved_operation_names, reserved_tag_names
from codegen.normalize import normalize
from codegen.normalize.reserved import NAME_KEY, TAG_KEY, reserved_names


def _op(operation_id: str | None, tag: str | None, method: str = "get") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": f"{operation_id} summary",
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }
    if operation_id is not None:
        op["operationId"] = operation_id
    if tag is not None:
        op["tags"] = [tag]
    if method == "post":
        op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return op


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "track", "version": "1"},
    "servers": [{"url": "https://track.customer.io"}],
    "paths": {
        "/things/raw": {"get": _op("with_raw_response", "Things")},
        "/things/options": {"get": _op("withOptions", "Things")},  # camelCase: the generator's name is with_options
        "/things/pages": {"get": _op("paginate", "Things")},
        "/things/close": {"post": _op("close", "Things", "post")},
        "/things/op": {"get": _op("operation", "Things")},
        "/things/tag": {"get": _op("tag", "Things")},
        "/things/class": {"get": _op("class", "Things")},  # a keyword: the generator's own escape, class_
        "/things/{thing_id}": {
            "get": {
                **_op("__init__", "Things"),  # a dunder: the generator's prefix, field_init
                "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            }
        },
        "/options/list": {"get": _op("list", "With Options")},  # a tag named like cio.track.with_options
        "/index/search": {"get": _op("search", "Index")},  # a tag like cio.track.index, a mixin's method name
        "/route": {"get": _op(None, "route")},  # no operationId: the generator names it get_route
    },
}


def test_the_reserved_sets_are_read_from_the_facade() -> None:
    tags, operations = reserved_tag_names(), reserved_operation_names()
    # The resource roots' attributes, every API's sugar (async and sync), the emitted class bodies' helpers.
    assert {"with_options", "with_raw_response", "index", "route", "package", "operation", "tag"} <= tags
    assert {"track", "identify", "batch", "send_email", "ingestor"} <= tags
    # A tag has no public attribute of its own: the helpers and a mixin's methods (cio.app.customers.search).
    assert operations == {"operation", "tag", "search"}
    assert "paginate" not in operations and "with_raw_response" not in operations  # an operation's, not a tag's
    assert escaped("tag", operations) == "tag_" and escaped("list_campaigns", operations) == "list_campaigns"


def test_the_rule_escapes_exactly_the_reserved_names_and_logs_each() -> None:
    spec = copy.deepcopy(SPEC)
    changes = reserved_names(spec)
    details = {(c.pointer, c.detail) for c in changes}
    assert details == {
        ("#/paths/~1things~1op/get", "operation 'operation' is the attribute 'operation_'"),
        ("#/paths/~1things~1tag/get", "operation 'tag' is the attribute 'tag_'"),
        ("#/paths/~1options~1list/get", "tag 'with_options' is the attribute 'with_options_'"),
        ("#/paths/~1index~1search/get", "operation 'search' is the attribute 'search_'"),
        ("#/paths/~1index~1search/get", "tag 'index' is the attribute 'index_'"),
        ("#/paths/~1route/get", "tag 'route' is the attribute 'route_'"),
    }
    assert {c.rule for c in changes} == {"reserved-names"}
    paths = spec["paths"]
    assert paths["/things/op"]["get"][NAME_KEY] == "operation_"
    assert paths["/index/search"]["get"][TAG_KEY] == "index_"
    assert NAME_KEY not in paths["/things/raw"]["get"] and TAG_KEY not in paths["/things/raw"]["get"]
    assert paths["/things/op"]["get"]["operationId"] == "operation"  # the spec's own name is left as it was
    assert reserved_names(spec) == []  # idempotent


def test_the_whole_normalization_keeps_the_escapes_and_is_idempotent() -> None:
    spec = copy.deepcopy(SPEC)
    assert any(c.rule == "reserved-names" for c in normalize(spec))  # drop-vendor-annotations keeps x-aiocustomerio-*
    assert spec["paths"]["/things/tag"]["get"][NAME_KEY] == "tag_"
    again = copy.deepcopy(spec)
    assert normalize(again) == [] and again == spec


PROBE = r"""
import asyncio, contextlib, io, json, httpx
from aiocustomerio import CustomerIO, SyncCustomerIO
from aiocustomerio.cli import main

seen = []
def answer(request):
    seen.append(f"{request.method} {request.url.raw_path.decode()}")
    return httpx.Response(200, json={"ok": True})

def calls(api):
    things = api.things
    return [
        lambda: things.with_raw_response(),
        lambda: things.with_raw_response.with_raw_response(),  # the operation's own raw call
        lambda: things.with_options(),
        lambda: things.paginate(),
        lambda: things.close(body={}),
        lambda: things.operation_(),
        lambda: things.tag_(),
        lambda: things.class_(),
        lambda: things.field_init("a/b"),
        lambda: api.with_options_.list_(),
        lambda: api.index_.search_(),
        lambda: api.route_.get_route(),
        lambda: api.with_options(timeout=3).things.close(body={}),  # the view method is still the view method
    ]

async def run():
    async with CustomerIO(transport=httpx.MockTransport(answer), env={}, site_id="s", track_api_key="k") as cio:
        for call in calls(cio.track):
            await call()
        assert isinstance(cio.track.index, dict) and "index_" in cio.track.index
        assert cio.track.route("GET /index/search") is cio.track.index_.search_

asyncio.run(run())
with SyncCustomerIO(transport=httpx.MockTransport(answer), env={}, site_id="s", track_api_key="k") as cio:
    for call in calls(cio.track):
        call()

commands = [
    ["things", "with-raw-response"], ["things", "with-options"], ["things", "paginate"],
    ["things", "close", "--body", "{}"], ["things", "operation"], ["things", "tag"], ["things", "class"],
    ["things", "field-init", "a/b"], ["with-options", "list"], ["index", "search"], ["route", "get-route"],
]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    codes = [main(["track", *words, "--dry-run"]) for words in commands]
    codes.append(main(["track", "--help"]))
    codes.append(main(["track", "things", "--help"]))
print(json.dumps({"seen": seen, "codes": codes, "out": out.getvalue()}))
"""

WIRE = [
    "GET /things/raw",
    "GET /things/raw",
    "GET /things/options",
    "GET /things/pages",
    "POST /things/close",
    "GET /things/op",
    "GET /things/tag",
    "GET /things/class",
    "GET /things/a%2Fb",
    "GET /options/list",
    "GET /index/search",
    "GET /route",
    "POST /things/close",
]


def test_a_regenerated_spec_with_reserved_names_reaches_facade_sync_client_and_cli(tmp_path: Path) -> None:
    api = by_name("track")
    spec = copy.deepcopy(SPEC)
    normalize(spec)
    spec_path = tmp_path / api.file
    spec_path.write_text(json.dumps(spec))
    result = generate_one(api, spec_path, tmp_path / "packages")
    assert result.warnings == []
    names = sorted((e.tag, e.name) for e in result.operations)
    assert ("things", "operation_") in names and ("index_", "search_") in names and ("route_", "get_route") in names
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "packages"), str(ROOT / "src")])}
    for name in list(env):
        if name.startswith("CUSTOMERIO_"):
            del env[name]
    env.update(CUSTOMERIO_SITE_ID="s", CUSTOMERIO_TRACK_API_KEY="k")
    probe = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.splitlines()[-1])
    assert found["seen"] == WIRE + WIRE  # async, then sync
    assert found["codes"] == [0] * 13
    out = found["out"]
    urls = [json.loads(line)["url"] for line in out.splitlines() if line.startswith('{"method"')]
    expected = [f"https://track.customer.io{w.split(' ', 1)[1]}" for w in WIRE[:1] + WIRE[2:12]]
    assert urls == expected, out
    # The CLI shows the spec's names, not the escapes.
    assert "\n  with-options " in out and "\n  index " in out and "\n  operation " in out and "operation_" not in out


def test_the_reserved_sets_read_the_facade_classes_wherever_they_live(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tag classes moved from _base.py to _tags.py; read from _base.py alone they were silently not found.
    from codegen import names

    assert [node.name for node in names._facade_classes(names._TAG_CLASSES)] == list(names._TAG_CLASSES)
    assert [node.name for node in names._facade_classes(names._ROOT_CLASSES)] == list(names._ROOT_CLASSES)
    assert "with_options" in names.reserved_tag_names()
    monkeypatch.setattr(names, "_TAG_CLASSES", ("_Tag", "NoSuchTag"))
    names.reserved_operation_names.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="NoSuchTag"):
            names.reserved_operation_names()
    finally:
        names.reserved_operation_names.cache_clear()
