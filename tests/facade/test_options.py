"""Per-call options on the wire, options never in a body, and mistakes refused before anything is sent."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, CustomerIOError, Limits, RetryPolicy, ServerError
from aiocustomerio.errors import InvalidArgumentTypeError, UnknownParameterError

from .conftest import APP_KEY, CDP_KEY, SITE_ID, TRACK_KEY, Wire


@pytest.fixture
async def retrying(wire: Wire) -> AsyncIterator[CustomerIO]:
    """Retries on (3, no waiting): what max_retries and the unsafe flag change is visible in the request count."""
    client = CustomerIO(
        site_id=SITE_ID,
        track_api_key=TRACK_KEY,
        app_api_key=APP_KEY,
        cdp_api_key=CDP_KEY,
        limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=3, base_delay=0.0, max_delay=0.0),
        transport=httpx.MockTransport(wire.handler),
        env={},
    )
    async with client:
        yield client


async def test_timeout_headers_and_query_per_call(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.identify(
        "u1", {"plan": "pro"}, email="a@example.com", timeout=5, extra_headers={"X-Trace": "t1"}, extra_query={"q": 1}
    )
    req = wire.last
    assert req.extensions["timeout"] == {"connect": 5, "read": 5, "write": 5, "pool": 5}
    assert req.headers["x-trace"] == "t1" and req.url.params["q"] == "1"
    assert wire.body() == {"plan": "pro", "email": "a@example.com"}  # no "timeout" attribute
    await cio.app.campaigns.list_campaigns(timeout=httpx.Timeout(1.0, read=9.0))
    assert wire.last.extensions["timeout"]["read"] == 9.0
    await cio.app.campaigns.list_campaigns()
    assert wire.last.extensions["timeout"]["read"] == 30.0  # the client's default again


async def test_max_retries_zero_sends_once(retrying: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(503)
    with pytest.raises(ServerError):
        await retrying.track.delete("u1", max_retries=0)
    assert len(wire.requests) == 1
    with pytest.raises(ServerError):
        await retrying.track.delete("u1")
    assert len(wire.requests) == 1 + 4


async def test_unsafe_operations_are_flagged_and_not_resent_after_a_504(retrying: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(504)
    with pytest.raises(ServerError):
        await retrying.app.send_email(transactional_message_id=1, to="a@example.com", identifiers={"id": "u"})
    assert len(wire.requests) == 1
    assert wire.last.extensions["aiocustomerio_unsafe"] is True
    with pytest.raises(ServerError):
        await retrying.app.send_email(
            transactional_message_id=1, to="a@example.com", identifiers={"id": "u"}, retry_unsafe=True
        )
    assert len(wire.requests) == 1 + 4
    assert wire.requests[-1].extensions["aiocustomerio_retry_unsafe"] is True


async def test_a_per_call_max_retries_opts_an_unsafe_operation_in(retrying: CustomerIO, wire: Wire) -> None:
    """Issue 10.2: "The caller can opt in per call (`max_retries=`, or an explicit `retry_unsafe=True`)"."""
    wire.responder = lambda r: httpx.Response(504)
    send = {"transactional_message_id": 1, "to": "a@example.com", "identifiers": {"id": "u"}}
    with pytest.raises(ServerError):
        await retrying.app.send_email(**send, max_retries=2)
    assert len(wire.requests) == 3  # the first send and the 2 retries asked for
    assert all(r.extensions["aiocustomerio_retry_unsafe"] is True for r in wire.requests)
    with pytest.raises(ServerError):
        await retrying.app.send_email(**send, max_retries=2, retry_unsafe=False)  # the explicit "no" wins
    assert len(wire.requests) == 3 + 1
    with pytest.raises(ServerError):
        await retrying.app.send_email(**send, max_retries=0)
    assert len(wire.requests) == 4 + 1
    with pytest.raises(ServerError):  # a view's max_retries is a default for every call, not this call's opt-in
        await retrying.with_options(max_retries=2).app.send_email(**send)
    assert len(wire.requests) == 5 + 1
    with pytest.raises(ServerError):  # a generated operation, not only the sugar
        await retrying.app.send_messages.trigger_broadcast(7, body={"ids": ["u"]}, max_retries=1)
    assert len(wire.requests) == 6 + 2
    assert [r.url.path for r in wire.requests[-2:]] == ["/v1/campaigns/7/triggers"] * 2


async def test_with_options_is_a_view_sharing_the_pool(retrying: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(503)
    quick = retrying.with_options(timeout=2, max_retries=0)
    with pytest.raises(ServerError):
        await quick.track.delete("u1")
    assert len(wire.requests) == 1 and wire.last.extensions["timeout"]["read"] == 2
    assert quick.track.http is retrying.track.http is not None
    wire.responder = lambda r: httpx.Response(200, json={"campaigns": []})
    await quick.app.campaigns.list_campaigns(timeout=7)  # a per-call option beats the view's
    assert wire.last.extensions["timeout"]["read"] == 7
    assert retrying.app.http is quick.app.http


async def test_a_calls_extra_headers_and_query_add_to_a_views_not_replace_them(cio: CustomerIO, wire: Wire) -> None:
    # A header set once on a view (a tenant, a trace id) stays when a call adds another; the call's value wins for a
    # name both give, in any case, and is sent once.
    view = cio.with_options(extra_headers={"X-Tenant": "t1", "X-Trace": "view"}, extra_query={"tenant": "t1"})
    await view.app.campaigns.list_campaigns(extra_headers={"x-trace": "call", "X-Other": "1"}, extra_query={"q": "2"})
    sent = wire.last
    assert sent.method == "GET" and sent.url.path == "/v1/campaigns"
    assert sent.headers["x-tenant"] == "t1" and sent.headers["x-other"] == "1"
    assert sent.headers.get_list("x-trace") == ["call"]
    assert dict(sent.url.params) == {"tenant": "t1", "q": "2"}
    await view.track.identify("u1", {"plan": "pro"}, extra_headers={"X-Other": "2"})  # sugar, the same rule
    assert wire.last.headers["x-tenant"] == "t1" and wire.last.headers["x-other"] == "2"
    assert wire.last.url.params["tenant"] == "t1" and wire.body() == {"plan": "pro"}
    nested = view.app.with_options(extra_headers={"X-Nested": "n"})  # a view of a view keeps both
    await nested.campaigns.list_campaigns()
    assert wire.last.headers["x-tenant"] == "t1" and wire.last.headers["x-nested"] == "n"


async def test_unknown_keywords_are_refused_with_the_closest_name(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(UnknownParameterError, match=r"app.send_email\(\) .* 'frm'; did you mean 'from_'") as info:
        await cio.app.send_email(to="a@example.com", identifiers={"id": "u"}, frm="x")  # type: ignore[call-arg]
    assert isinstance(info.value, TypeError) and isinstance(info.value, CustomerIOError)
    with pytest.raises(TypeError, match=r"activities.list_activities\(\) .* 'limt'; did you mean 'limit'"):
        await cio.app.activities.list_activities(limt=10)  # type: ignore[call-arg]
    with pytest.raises(CustomerIOError, match="attributes go in the mapping"):
        await cio.track.identify("u1", plan="pro")  # type: ignore[call-arg]
    assert wire.requests == []


def test_with_options_refuses_unknown_options() -> None:
    with pytest.raises(TypeError, match="'timeuot'; did you mean 'timeout'"):
        CustomerIO(env={}).with_options(timeuot=3)  # type: ignore[call-arg]


async def test_bad_input_errors_are_customerio_errors(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(CustomerIOError) as empty:
        await cio.track.delete("")
    assert isinstance(empty.value, ValueError)
    with pytest.raises(CustomerIOError) as wrong:
        await cio.track.delete(None)  # type: ignore[arg-type]
    assert isinstance(wrong.value, TypeError)
    with pytest.raises(CustomerIOError) as enum_value:
        await cio.app.messages.list_messages(type_="fax")  # type: ignore[arg-type]
    assert isinstance(enum_value.value, ValueError)
    with pytest.raises(CustomerIOError):
        await cio.track.identify("u", {"blob": object()})
    with pytest.raises(CustomerIOError, match="max_retries must be an integer >= 0"):
        await cio.track.delete("u", max_retries=-1)
    assert wire.requests == []


async def test_options_never_enter_a_body(cio: CustomerIO, wire: Wire) -> None:
    await cio.pipelines.track("u", "e", {"p": 1}, timeout=3, max_retries=0, extra_headers={"X-A": "b"})
    body = json.loads(wire.last.content)
    assert not {"timeout", "max_retries", "extra_headers", "retry_unsafe", "extra_query"} & set(body)
    assert body["properties"] == {"p": 1}


async def test_the_raw_view_returns_responses_for_sugar_without_a_model(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={}, headers={"x-request-id": "r1"})
    raw = await cio.track.with_raw_response.identify("u1", {"plan": "pro"})
    assert isinstance(raw, httpx.Response) and raw.headers["x-request-id"] == "r1"
    raw = await cio.pipelines.with_raw_response.track("u1", "e")
    assert isinstance(raw, httpx.Response)
    assert await cio.track.identify("u1") is None


BAD_HEADERS = [
    ({"X-A": "a\r\nX-Injected: 1"}, "extra_headers['X-A'] contains a line break (CR/LF)"),
    ({"X-A": "token\n"}, "extra_headers['X-A'] contains a line break"),
    ({"X-A": "a\x00b"}, "extra_headers['X-A'] contains a control character"),
    ({"X-A": "a\x7f"}, "extra_headers['X-A'] contains a control character"),
    ({"X-A": "café"}, "extra_headers['X-A'] contains non-ASCII characters"),
    ({"X-A": " padded"}, "extra_headers['X-A'] starts or ends with whitespace"),
    ({"X A": "v"}, "extra_headers name 'X A' is not a valid header name"),
    ({"X-A:": "v"}, "extra_headers name 'X-A:' is not a valid header name"),
    ({"": "v"}, "extra_headers name '' is not a valid header name"),
]


@pytest.mark.parametrize(("headers", "message"), BAD_HEADERS)
async def test_extra_headers_http_cannot_carry_are_refused_before_sending(
    cio: CustomerIO, wire: Wire, headers: dict[str, str], message: str
) -> None:
    # aiohttp raised a bare ValueError for CR/LF, h11 a LocalProtocolError after the send began (audit s16 F07).
    from aiocustomerio.errors import InvalidArgumentError

    for call in (
        lambda: cio.app.campaigns.list_campaigns(extra_headers=headers),
        lambda: cio.track.identify("u", {"a": 1}, extra_headers=headers),
    ):
        with pytest.raises(InvalidArgumentError, match=re.escape(message)) as info:
            await call()
        assert "X-Injected" not in str(info.value) and "café" not in str(info.value)  # the value is never echoed
    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        cio.app.with_options(extra_headers=headers)
    assert wire.requests == []


async def test_extra_headers_http_can_carry_are_sent_as_given(cio: CustomerIO, wire: Wire) -> None:
    headers = {"X-Tab": "a\tb", "X-Empty": "", "X-Symbols": "!#$%&'*+-.^_`|~:;/=?@[]{}"}
    await cio.app.campaigns.list_campaigns(extra_headers=headers)
    assert all(wire.last.headers[name] == value for name, value in headers.items())


@pytest.mark.parametrize("transport", ["aiohttp", "httpx", "sync"])
async def test_a_header_with_a_line_break_is_refused_on_every_wire_transport(transport: str) -> None:
    # Port 1 refuses connections: anything sent would be an APITransportError instead.
    from aiocustomerio import SyncCustomerIO
    from aiocustomerio.errors import InvalidArgumentError

    options: dict[str, Any] = {"app_api_key": "k", "app_base_url": "http://127.0.0.1:1", "env": {}}
    options["retry"] = RetryPolicy(max_retries=0)
    bad = {"X-A": "a\r\nX-Injected: 1"}
    expected = re.escape("extra_headers['X-A'] contains a line break")
    if transport == "sync":
        with SyncCustomerIO(**options) as sync, pytest.raises(InvalidArgumentError, match=expected):
            sync.app.campaigns.list_campaigns(extra_headers=bad)
        return
    async with CustomerIO(**options, transport=transport) as cio:
        with pytest.raises(InvalidArgumentError, match=expected):
            await cio.app.campaigns.list_campaigns(extra_headers=bad)


@pytest.mark.parametrize("query", [{"a": {"b": 1}}, {"a": [1, {"b": 1}]}, {"a": object()}, {1: "x"}])
async def test_extra_query_values_httpx_cannot_write_are_refused_before_sending(
    cio: CustomerIO, wire: Wire, query: dict[Any, Any]
) -> None:
    # A dict value went out as its Python repr (?a=%7B%27b%27%3A+1%7D); now a typed error naming the parameter.
    with pytest.raises(InvalidArgumentTypeError, match="extra_query"):
        await cio.app.campaigns.list_campaigns(extra_query=query)
    with pytest.raises(InvalidArgumentTypeError, match="extra_query"):
        await cio.track.identify("u1", {"plan": "pro"}, extra_query=query)
    with pytest.raises(InvalidArgumentTypeError, match="extra_query"):
        cio.with_options(extra_query=query)
    assert wire.requests == []


async def test_extra_query_scalars_and_lists_are_sent(cio: CustomerIO, wire: Wire) -> None:
    await cio.app.campaigns.list_campaigns(extra_query={"s": "x", "i": 2, "f": 1.5, "b": True, "l": [1, "y"]})
    assert wire.last.method == "GET" and wire.last.url.path == "/v1/campaigns"
    assert wire.last.url.query == b"s=x&i=2&f=1.5&b=true&l=1&l=y"
