"""One operation per API through its generated async function, checked on the wire over httpx.MockTransport."""

from __future__ import annotations

import base64
import inspect
import json
import typing
from collections.abc import Callable
from typing import Any

import httpx
import pytest

Handler = Callable[[httpx.Request], httpx.Response]


def _recorder(status: int = 200, body: Any = None) -> tuple[list[httpx.Request], Handler]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body if body is not None else {})

    return seen, handler


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _body_model(op: Any, name_contains: str = "") -> Any:
    annotation = inspect.signature(op._get_kwargs).parameters["body"].annotation
    return next(t for t in typing.get_args(annotation) or (annotation,) if name_contains in getattr(t, "__name__", ""))


async def test_track_identify_puts_the_body_with_basic_auth() -> None:
    from aiocustomerio_track.api.track_customers import identify
    from aiocustomerio_track.client import AuthenticatedClient

    seen, handler = _recorder()
    client = AuthenticatedClient(base_url="https://track.customer.io", token="unused")
    client.set_async_httpx_client(
        httpx.AsyncClient(
            base_url="https://track.customer.io",
            transport=httpx.MockTransport(handler),
            auth=httpx.BasicAuth("site-id", "api-key"),
        )
    )
    body = _body_model(identify).from_dict({"email": "person@example.com", "_update": True, "plan": "premium"})
    async with client:
        response = await identify.asyncio_detailed("42", client=client, body=body)

    assert response.status_code == 200
    (request,) = seen
    assert request.method == "PUT"
    assert str(request.url) == "https://track.customer.io/api/v1/customers/42"
    assert request.headers["Authorization"] == _basic("site-id", "api-key")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"email": "person@example.com", "_update": True, "plan": "premium"}


@pytest.mark.parametrize(
    ("identifier", "raw_path"),
    [
        ("a/b?c#d", b"/api/v1/customers/a%2Fb%3Fc%23d"),
        ("cio_03000001", b"/api/v1/customers/cio_03000001"),
        ("person@example.com", b"/api/v1/customers/person%40example.com"),
        ("100% sure", b"/api/v1/customers/100%25%20sure"),
    ],
)
async def test_path_parameters_are_one_percent_encoded_segment(identifier: str, raw_path: bytes) -> None:
    from aiocustomerio_track.api.track_customers import delete
    from aiocustomerio_track.client import AuthenticatedClient

    seen, handler = _recorder()
    client = AuthenticatedClient(base_url="https://track.customer.io", token="unused")
    client.set_async_httpx_client(
        httpx.AsyncClient(base_url="https://track.customer.io", transport=httpx.MockTransport(handler))
    )
    async with client:
        await delete.asyncio_detailed(identifier, client=client)

    (request,) = seen
    assert request.method == "DELETE"
    assert request.url.raw_path == raw_path
    assert request.url.query == b""
    assert request.url.fragment == ""


async def test_app_send_email_posts_the_body_with_the_bearer_token() -> None:
    from aiocustomerio_app.api.send_messages import send_email
    from aiocustomerio_app.client import AuthenticatedClient

    seen, handler = _recorder(body={"delivery_id": "dlv-1", "queued_at": 1700000000})
    # No client of our own here: the generated AuthenticatedClient builds it and adds the token itself.
    client = AuthenticatedClient(
        base_url="https://api.customer.io", token="app-key", httpx_args={"transport": httpx.MockTransport(handler)}
    )
    payload = {
        "transactional_message_id": 44,
        "to": "cool.person@example.com",
        "identifiers": {"email": "cool.person@example.com"},
        "message_data": {"name": "Cool Person"},
    }
    body = _body_model(send_email, "WithTemplate").from_dict(payload)
    async with client:
        response = await send_email.asyncio_detailed(client=client, body=body)

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://api.customer.io/v1/send/email"
    assert request.headers["Authorization"] == "Bearer app-key"
    assert json.loads(request.content) == payload
    assert response.status_code == 200
    assert response.parsed is not None
    assert response.parsed.to_dict() == {"delivery_id": "dlv-1", "queued_at": 1700000000}


async def test_pipelines_identify_posts_under_the_v1_base_path() -> None:
    from aiocustomerio_pipelines.api.people import identify
    from aiocustomerio_pipelines.client import AuthenticatedClient

    seen, handler = _recorder()
    client = AuthenticatedClient(base_url="https://cdp.customer.io/v1", token="unused")
    client.set_async_httpx_client(
        httpx.AsyncClient(
            base_url="https://cdp.customer.io/v1",
            transport=httpx.MockTransport(handler),
            auth=httpx.BasicAuth("cdp-key", ""),
        )
    )
    payload = {"userId": "42", "type": "identify", "traits": {"email": "cool.person@example.com"}}
    body = _body_model(identify, "Known").from_dict(payload)
    async with client:
        await identify.asyncio_detailed(client=client, body=body)

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://cdp.customer.io/v1/identify"
    assert request.headers["Authorization"] == _basic("cdp-key", "")
    assert json.loads(request.content) == payload


def _operation_modules() -> list[Any]:
    import importlib

    from codegen.apis import APIS, GENERATED_DIR

    modules = []
    for api in APIS:
        for path in sorted((GENERATED_DIR / api.package / "api").glob("*/*.py")):
            if path.name != "__init__.py":
                modules.append(importlib.import_module(f"{api.package}.api.{path.parent.name}.{path.stem}"))
    return modules


def test_every_operation_builds_its_request_without_the_optional_body() -> None:
    crashed = []
    for module in _operation_modules():
        params = inspect.signature(module._get_kwargs).parameters
        if "body" not in params or params["body"].default is inspect.Parameter.empty:
            continue
        # The other required parameters are only formatted into the URL or query, so a string stands in for each.
        required = {n: "1" for n, p in params.items() if p.default is inspect.Parameter.empty}
        try:
            module._get_kwargs(**required)
        except AttributeError:
            crashed.append(module.__name__)
    assert crashed == []
