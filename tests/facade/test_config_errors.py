"""Configuration mistakes fail at the edge, before anything is sent, as typed errors naming the field and the fix.

Each is an ``InvalidArgumentError`` (a ``ValueError``) or ``InvalidArgumentTypeError`` (a ``TypeError``), both
``CustomerIOError``: ``except ValueError`` keeps working, ``except CustomerIOError`` catches them too. A credential's
value never appears in the message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, CustomerIOError, Limits, RetryPolicy, SyncCustomerIO
from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError

from .conftest import TRACK_KEY, Wire

BAD_KEY = "tk-SECRET-9\ncd"


def _raises(make: Callable[[], object], cls: type[CustomerIOError], *named: str) -> str:
    with pytest.raises(cls) as info:
        make()
    assert isinstance(info.value, CustomerIOError)
    message = str(info.value)
    for word in named:
        assert word in message, (word, message)
    for secret in (BAD_KEY, "tk-SECRET-9", TRACK_KEY):
        assert secret not in message and secret not in repr(info.value)
    return message


CLIENTS = pytest.mark.parametrize("client", [CustomerIO, SyncCustomerIO], ids=["async", "sync"])


@CLIENTS
@pytest.mark.parametrize(
    ("options", "cls", "named"),
    [
        ({"region": "eu-west"}, InvalidArgumentError, ("region", "'eu-west'", '"us", "eu", "auto"')),
        ({"region": 1}, InvalidArgumentTypeError, ("region", "int", '"us"')),
        ({"site_id": "", "track_api_key": TRACK_KEY}, InvalidArgumentError, ("site_id", "empty")),
        ({"site_id": "s", "track_api_key": BAD_KEY}, InvalidArgumentError, ("track_api_key", "newline")),
        ({"site_id": "s", "track_api_key": 123}, InvalidArgumentTypeError, ("track_api_key", "str", "int")),
        ({"app_api_key": b"bytes-key"}, InvalidArgumentTypeError, ("app_api_key", "bytes")),
        ({"transport": "requests"}, InvalidArgumentError, ("transport", "'requests'", '"httpx"')),
        ({"transport": object()}, InvalidArgumentTypeError, ("transport", "object", "httpx")),
        ({"timeout": "x"}, InvalidArgumentTypeError, ("timeout", "str", "seconds")),
        ({"timeout": -1}, InvalidArgumentError, ("timeout", "-1", "positive")),
        ({"max_connections": 0}, InvalidArgumentError, ("max_connections", "0", ">= 1")),
        ({"max_connections": "10"}, InvalidArgumentTypeError, ("max_connections", "str")),
        ({"limits": {"app": 5}}, InvalidArgumentTypeError, ("limits", "dict", "Limits(")),
        ({"retry": 3}, InvalidArgumentTypeError, ("retry", "int", "RetryPolicy(")),
        ({"app_base_url": "api.example.com"}, InvalidArgumentError, ("app_base_url", "http://", "https://")),
        ({"track_base_url": 5}, InvalidArgumentTypeError, ("track_base_url", "int")),
        # What httpx would refuse at the first request (a pasted or `$(cat ...)` URL's newline, a broken IPv6 host).
        ({"track_base_url": "https://track.customer.io\n"}, InvalidArgumentError, ("track_base_url", "non-printable")),
        ({"pipelines_base_url": "http://[::1"}, InvalidArgumentError, ("pipelines_base_url", "https://")),
        ({"env": ["CUSTOMERIO_SITE_ID=s"]}, InvalidArgumentTypeError, ("env", "list", "mapping")),
        ({"pipelines_strict": "no"}, InvalidArgumentTypeError, ("pipelines_strict", "bool")),
    ],
)
def test_a_constructor_mistake_is_typed_and_named(
    client: type[Any], options: dict[str, Any], cls: type[CustomerIOError], named: tuple[str, ...]
) -> None:
    if client is SyncCustomerIO and options.get("transport") == "requests":
        named = ("transport", "'requests'", '"httpx"')
    options = {"env": {}, **options}
    _raises(lambda: client(**options), cls, *named)


def test_the_sync_client_refuses_the_async_only_transport_typed() -> None:
    _raises(lambda: SyncCustomerIO(transport="aiohttp", env={}), InvalidArgumentError, "transport", "aiohttp")


def test_a_bad_region_in_the_environment_names_the_variable() -> None:
    _raises(lambda: CustomerIO(env={"CUSTOMERIO_REGION": "uk"}), InvalidArgumentError, "CUSTOMERIO_REGION", "'uk'")


def test_a_bad_key_in_the_environment_names_the_variable_not_the_value() -> None:
    message = _raises(
        lambda: CustomerIO(env={"CUSTOMERIO_SITE_ID": "s", "CUSTOMERIO_TRACK_API_KEY": BAD_KEY}),
        InvalidArgumentError,
        "track_api_key",
        "CUSTOMERIO_TRACK_API_KEY",
    )
    assert "cd" not in message.split("CUSTOMERIO_TRACK_API_KEY")[-1].split()[:1]


@pytest.mark.parametrize(
    ("make", "cls", "named"),
    [
        (lambda: RetryPolicy(max_retries=-1), InvalidArgumentError, ("max_retries", "-1", ">= 0")),
        (lambda: RetryPolicy(max_retries="3"), InvalidArgumentTypeError, ("max_retries", "str")),
        (lambda: RetryPolicy(max_retries=True), InvalidArgumentTypeError, ("max_retries", "bool")),
        (lambda: RetryPolicy(base_delay=-0.5), InvalidArgumentError, ("base_delay", "-0.5")),
        (lambda: RetryPolicy(max_delay=float("nan")), InvalidArgumentError, ("max_delay", "nan")),
        (lambda: RetryPolicy(max_retry_after="60"), InvalidArgumentTypeError, ("max_retry_after", "str")),
        (lambda: Limits(app=-5), InvalidArgumentError, ("app", "-5", "positive")),
        (lambda: Limits(app="fast"), InvalidArgumentTypeError, ("app", "str", "Rate(")),
        (lambda: Limits(app=(10, 0)), InvalidArgumentError, ("app", "period")),
        (lambda: Limits(bogus=1), InvalidArgumentError, ("'bogus'", "app_send", "track")),
        (lambda: Limits(ap=5), InvalidArgumentError, ("'ap'", "did you mean 'app'")),
        (lambda: Limits(fleet_size=0), InvalidArgumentError, ("fleet_size", ">= 1")),
        (lambda: Limits(store=5), InvalidArgumentTypeError, ("store", "redis://")),
        (lambda: Limits(store="http://x"), InvalidArgumentError, ("store", "redis://")),
        (lambda: Limits(on_store_error="ignore"), InvalidArgumentError, ("on_store_error", '"fallback"')),
        (lambda: Limits(store_timeout=0), InvalidArgumentError, ("store_timeout", "positive")),
    ],
)
def test_a_policy_mistake_is_typed_and_named(
    make: Callable[[], object], cls: type[CustomerIOError], named: tuple[str, ...]
) -> None:
    _raises(make, cls, *named)


@pytest.mark.parametrize(
    ("options", "cls", "named"),
    [
        ({"timeout": "x"}, InvalidArgumentTypeError, ("timeout", "str", "seconds")),
        ({"timeout": -1}, InvalidArgumentError, ("timeout", "-1", "positive")),
        ({"timeout": float("inf")}, InvalidArgumentError, ("timeout", "inf")),
        ({"extra_headers": [("X-A", "b")]}, InvalidArgumentTypeError, ("extra_headers", "list", "mapping")),
        ({"extra_headers": {"X-A": 1}}, InvalidArgumentTypeError, ("extra_headers", "'X-A'", "int")),
        ({"extra_query": 5}, InvalidArgumentTypeError, ("extra_query", "int", "mapping")),
        ({"max_retries": -1}, InvalidArgumentError, ("max_retries", "-1", ">= 0")),
        ({"max_retries": "3"}, InvalidArgumentTypeError, ("max_retries", "str")),
        ({"retry_unsafe": "yes"}, InvalidArgumentTypeError, ("retry_unsafe", "str", "True")),
    ],
)
async def test_a_per_call_option_mistake_is_typed_and_nothing_is_sent(
    cio: CustomerIO, wire: Wire, options: dict[str, Any], cls: type[CustomerIOError], named: tuple[str, ...]
) -> None:
    with pytest.raises(cls) as info:
        await cio.app.campaigns.list_campaigns(**options)
    for word in named:
        assert word in str(info.value), (word, str(info.value))
    with pytest.raises(cls):
        cio.with_options(**options)  # a view is checked when it is made, not at its first call
    with pytest.raises(cls):
        await cio.track.identify("u", {"plan": "pro"}, **options)  # sugar takes the same options
    assert wire.requests == []


async def test_good_per_call_options_still_reach_the_wire(cio: CustomerIO, wire: Wire) -> None:
    await cio.app.campaigns.list_campaigns(
        timeout=httpx.Timeout(3.0), extra_headers={"X-Trace": "t1"}, extra_query={"q": 1}, retry_unsafe=False
    )
    await cio.with_options(timeout=None, max_retries=0).app.campaigns.list_campaigns(timeout=2)
    first, second = wire.requests
    assert first.headers["x-trace"] == "t1" and first.url.params["q"] == "1"
    assert first.extensions["timeout"] == httpx.Timeout(3.0).as_dict()
    assert second.extensions["timeout"] == httpx.Timeout(2).as_dict()


@pytest.mark.parametrize(
    "url",
    ["http://puser:ppass@127.0.0.1:9", "https://only-user@proxy.internal/cio", "https://:ppass@proxy.internal"],
)
@pytest.mark.parametrize("transport", ["aiohttp", "httpx", "sync"])
def test_a_base_url_with_user_info_is_refused_at_construction_on_every_transport(url: str, transport: str) -> None:
    # httpx dropped user:password@ without a word (the Authorization header carries the API key), aiohttp refused
    # every request with a bare ValueError, and the ingestor halted on it (audit s16 F12): one behaviour, at once.
    def make() -> object:
        if transport == "sync":
            return SyncCustomerIO(app_api_key="k", app_base_url=url, env={})
        return CustomerIO(app_api_key="k", app_base_url=url, env={}, transport=transport)  # type: ignore[arg-type]

    message = _raises(make, InvalidArgumentError, "app_base_url", "user name or password", "remove them")
    assert "ppass" not in message and "puser" not in message and "only-user" not in message


def test_an_at_sign_in_a_base_urls_path_is_not_user_info() -> None:
    cio = CustomerIO(app_api_key="k", app_base_url="https://proxy.internal/team@cio", env={})
    assert repr(cio).startswith("<CustomerIO")
