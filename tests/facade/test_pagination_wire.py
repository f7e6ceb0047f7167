"""Every cursor listing of the normalized specs follows ``next`` across pages, on the wire, through ``paginate()``.

The operations come from the spec's shape (a string ``start`` query parameter whose description promises ``next``),
computed here independently of codegen, so a listing the index forgets to paginate fails this test instead of
silently stopping after one page. Each request is built from the spec (tests/contract/builder.py); each answer is a
page sampled from the operation's 2xx schema, carrying one item and a cursor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from openapi_python_client.strings import PythonIdentifier

from tests.contract.builder import APIS, FIELD_PREFIX, NORMALIZED_DIR, SchemaSampler, build_request, iter_operations

from .conftest import Wire

CURSORS = ["c-page-2", "c-page-3"]


def _spec(api: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((NORMALIZED_DIR / APIS[api][0]).read_text())
    return data


def cursor_listings() -> Iterator[tuple[str, str, str]]:
    """(api, path, method) of every operation whose ``start`` is a page token, path-item parameters included."""
    for api in APIS:
        if not (NORMALIZED_DIR / APIS[api][0]).is_file():
            continue
        spec = _spec(api)
        sampler = SchemaSampler(spec)
        for path, method in iter_operations(spec):
            item, op = spec["paths"][path], spec["paths"][path][method]
            for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
                param = sampler.resolve(raw)
                schema = sampler.merged(param.get("schema", {}))
                token = (param["in"], param["name"], schema.get("type")) == ("query", "start", "string")
                if token and re.search(r"\bnext\b", str(param.get("description", ""))):
                    yield api, path, method


LISTINGS = list(cursor_listings())


def test_the_pinned_app_spec_has_seventeen_cursor_listings() -> None:
    if not LISTINGS:
        pytest.skip("normalized specs absent: run `make normalize` with CIO_SPEC_MIRROR set to the pinned specs")
    assert sum(1 for api, *_ in LISTINGS if api == "app") == 17


def _page_schema(sampler: SchemaSampler, spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    op = spec["paths"][path][method]
    status = next(s for s in sorted(op["responses"]) if s.startswith("2"))
    media = sampler.resolve(op["responses"][status])["content"]["application/json"]
    schema = sampler.merged(media["schema"])
    for key in ("oneOf", "anyOf"):  # a union answer (segment membership): every branch is a page
        if key in schema:
            schema = sampler.merged(sampler.pick_branch(schema[key]))
    return schema


def _items_property(sampler: SchemaSampler, page: dict[str, Any]) -> str:
    arrays = {k: sampler.merged(v) for k, v in page["properties"].items() if sampler.merged(v).get("type") == "array"}
    objects = [k for k, v in arrays.items() if sampler.merged(v.get("items", {})).get("type") == "object"]
    return (objects or list(arrays))[0]


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda x: f"{x[0]}:{x[2].upper()} {x[1]}")
async def test_paginate_follows_next_across_three_pages(cio: Any, wire: Wire, listing: tuple[str, str, str]) -> None:
    api, path, method = listing
    spec = _spec(api)
    sampler = SchemaSampler(spec)
    request = build_request(api, spec, path, method)
    page_schema = _page_schema(sampler, spec, path, method)
    items_key = _items_property(sampler, page_schema)
    item_schema = sampler.merged(page_schema["properties"][items_key]).get("items", {})
    pages = []
    for cursor in [*CURSORS, ""]:
        page = sampler.sample(page_schema)
        page[items_key] = [sampler.sample(item_schema)]
        page["next"] = cursor
        pages.append(page)
    wire.responder = lambda r: httpx.Response(200, json=pages[len(wire.requests) - 1])

    # paginate() takes what the call takes: path parameters positionally, in path order, the rest by keyword.
    args = [request.path_params[name] for name in re.findall(r"{([^}]+)}", path)]
    kwargs: dict[str, Any] = {
        str(PythonIdentifier(k, prefix=FIELD_PREFIX)): v for k, v in request.values.items() if k != "start"
    }
    if request.has_body:
        kwargs["body"] = request.json_body
    tag = getattr(getattr(cio, api), request.tag_module)
    operation = getattr(tag, str(PythonIdentifier(request.operation_id, prefix=FIELD_PREFIX)))
    items = [item async for item in operation.paginate(*args, **kwargs)]

    assert len(items) == 3, f"{request.id} yielded {len(items)} item(s) over {len(wire.requests)} request(s)"
    assert [r.url.params.get("start") for r in wire.requests] == [None, *CURSORS]
    # Items are the page's objects, parsed into models (or plain values where the array holds scalars).
    assert [getattr(item, "to_dict", lambda i=item: i)() for item in items] == [page[items_key][0] for page in pages]
    for sent in wire.requests:
        assert sent.method == method.upper()
        assert (
            sent.url.raw_path.decode()
            .split("?")[0]
            .endswith(path.format(**{k: quote(str(v), safe="") for k, v in request.path_params.items()}))
        )
        for name, value in request.query.items():
            if name != "start":
                assert sent.url.params.get(name) == value
        if request.has_body:
            assert json.loads(sent.content) == request.json_body
