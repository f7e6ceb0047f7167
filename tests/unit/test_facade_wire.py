"""Wire semantics through the whole façade: sugar, every generated operation, the ingestor.

Every operation is built by the contract builder from the normalized specs (never a hand list), so an operation
added to a spec is covered on the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openapi_python_client.strings import PythonIdentifier

from aiocustomerio import BadRequestError, CustomerIO, Limits, RetryPolicy
from aiocustomerio.errors import RedirectError
from tests.contract.builder import APIS, FIELD_PREFIX, NORMALIZED_DIR, ContractRequest, build_all
from tests.support.sync_view import facade

from .conftest import _STACK

Handler = Callable[[httpx.Request], httpx.Response]


def _contracts(api: str | None = None) -> list[Any]:
    if any(not (NORMALIZED_DIR / name).is_file() for name, _ in APIS.values()):
        return [pytest.param(None, marks=pytest.mark.skip(reason="normalized specs missing: run `make normalize`"))]
    return [pytest.param(c, id=c.id) for c in build_all() if api is None or c.api == api]


# Both clients: SyncCustomerIO (through an AwaitView) must refuse redirects and send strict mode the same way.
pytestmark = pytest.mark.usefixtures("both_stacks")


def _client(handler: Handler, **options: Any) -> CustomerIO:
    return facade(  # type: ignore[no-any-return]
        _STACK["kind"],
        site_id="site",
        track_api_key="track-key",
        app_api_key="app-key",
        cdp_api_key="cdp-key",
        limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=2, base_delay=0.0),
        transport=httpx.MockTransport(handler),
        env={},
        **options,
    )


def _arguments(contract: ContractRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for values in (contract.path_params, contract.values):  # typed, as a caller passes them
        for wire, value in values.items():
            kwargs[str(PythonIdentifier(wire, prefix=FIELD_PREFIX))] = value
    if contract.has_body:
        kwargs["body"] = contract.json_body
    return kwargs


class Recorder:
    def __init__(self, response: Callable[[], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response()


def _moved() -> httpx.Response:
    return httpx.Response(307, headers={"Location": "https://proxy.example.com/moved"})


@pytest.mark.parametrize("contract", _contracts())
async def test_every_generated_operation_refuses_a_redirect(contract: ContractRequest) -> None:
    wire = Recorder(_moved)
    async with _client(wire) as cio:
        op = getattr(cio, contract.api).operation(contract.method, contract.path_template)
        with pytest.raises(RedirectError) as info:
            await op(**_arguments(contract))
    assert info.value.location == "https://proxy.example.com/moved"
    assert len(wire.requests) == 1


SUGAR: list[tuple[str, Callable[[CustomerIO], Any]]] = [
    ("track.identify", lambda cio: cio.track.identify("u1", {"plan": "pro"})),
    ("track.event", lambda cio: cio.track.event("u1", "signed_up", {"a": 1})),
    (
        "track.batch",
        lambda cio: cio.track.batch([{"type": "person", "identifiers": {"id": "u1"}, "action": "identify"}]),
    ),
    (
        "app.send_email",
        lambda cio: cio.app.send_email(to="a@example.com", transactional_message_id=1, identifiers={"id": "u1"}),
    ),
    ("app.trigger_broadcast", lambda cio: cio.app.trigger_broadcast(3, ids=["u1"], data={"x": 1})),
    ("app.list_campaigns", lambda cio: cio.app.list_campaigns()),
    ("pipelines.track", lambda cio: cio.pipelines.track(user_id="u1", event="e")),
    ("pipelines.batch", lambda cio: cio.pipelines.batch([{"type": "track", "userId": "u1", "event": "e"}])),
]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(("name", "call"), SUGAR, ids=[name for name, _ in SUGAR])
async def test_sugar_never_returns_on_a_redirect(name: str, call: Callable[[CustomerIO], Any], status: int) -> None:
    wire = Recorder(lambda: httpx.Response(status, headers={"Location": "http://wrong.example/"}))
    async with _client(wire) as cio:
        with pytest.raises(RedirectError):
            await call(cio)
    assert len(wire.requests) == 1


# -- Pipelines strict mode ------------------------------------------------------------------------------------------


def _ok() -> httpx.Response:
    return httpx.Response(200, json={})


@pytest.mark.parametrize("contract", _contracts("pipelines"))
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "permissive"])
async def test_every_pipelines_operation_carries_strict_mode(contract: ContractRequest, strict: bool) -> None:
    wire = Recorder(_ok)
    arguments = {k: v for k, v in _arguments(contract).items() if k != "x_strict_mode"}
    async with _client(wire, pipelines_strict=strict) as cio:
        await cio.pipelines.operation(contract.method, contract.path_template)(**arguments)
    (request,) = wire.requests
    assert request.headers.get("x-strict-mode") == ("1" if strict else None)


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "permissive"])
async def test_pipelines_sugar_and_ingestor_carry_strict_mode(strict: bool) -> None:
    wire = Recorder(_ok)
    async with _client(wire, pipelines_strict=strict) as cio:
        await cio.pipelines.identify("u1", {"plan": "pro"})
        async with cio.pipelines.ingestor(max_batch_items=2) as ingestor:
            await ingestor.track("u1", "e1")
            await ingestor.track("u1", "e2")
        # Strict mode is Pipelines' alone: Track and App requests never carry it.
        await cio.track.identify("u1", {})
        await cio.app.list_campaigns()
    pipelines = [r for r in wire.requests if r.url.host == "cdp.customer.io"]
    assert [r.url.path for r in pipelines] == ["/v1/identify", "/v1/batch"]
    assert {r.headers.get("x-strict-mode") for r in pipelines} == {"1" if strict else None}
    assert all("x-strict-mode" not in r.headers for r in wire.requests if r.url.host != "cdp.customer.io")


async def test_strict_mode_rejection_is_a_bad_request_with_the_reason() -> None:
    wire = Recorder(
        lambda: httpx.Response(
            400, json={"errors": [{"field": "userId", "message": "userId or anonymousId is required"}]}
        )
    )
    async with _client(wire) as cio:
        with pytest.raises(BadRequestError) as info:
            await cio.pipelines.track(user_id="u1", event="e")
    assert "userId: userId or anonymousId is required" in str(info.value)
    assert info.value.errors == [{"field": "userId", "message": "userId or anonymousId is required"}]
    assert len(wire.requests) == 1
