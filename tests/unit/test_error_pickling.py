"""Errors cross process boundaries (Celery's pickle result backend, multiprocessing, error trackers) without the
request's credentials, and come back whole: type, message, status, method, URL, body excerpt, request id."""

from __future__ import annotations

import base64
import pickle
from collections.abc import Callable, Iterator

import httpx
import pytest

import aiocustomerio._payload
import aiocustomerio.ingest
import aiocustomerio.webhooks
from aiocustomerio._config import AppAuth, TrackAuth
from aiocustomerio._retry import RetryPolicy
from aiocustomerio.errors import (
    APIStatusError,
    APITransportError,
    CustomerIOError,
    RateLimitError,
    RedirectError,
    ResponseValidationError,
    UnknownParameterError,
)

from .conftest import Script, make_client

KEY = "app-SECRET-KEY-42"
SITE, TRACK_KEY = "site-SECRET-7", "trk-SECRET-8"
BASIC = base64.b64encode(f"{SITE}:{TRACK_KEY}".encode())


def leaks(data: bytes) -> list[bytes]:
    return [secret for secret in (KEY.encode(), SITE.encode(), TRACK_KEY.encode(), BASIC) if secret in data]


def round_trip(error: BaseException) -> BaseException:
    data = pickle.dumps(error)
    assert leaks(data) == []
    copy = pickle.loads(data)
    assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
    return copy


SCALARS = ("status", "method", "url", "body_excerpt", "errors", "attempts", "request_id", "last_cause")


def same_fields(copy: BaseException, error: BaseException) -> None:
    for name in SCALARS:
        assert getattr(copy, name) == getattr(error, name), name


@pytest.mark.usefixtures("both_stacks")
@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (400, {}),
        (401, {}),
        (403, {}),
        (404, {}),
        (409, {}),
        (429, {"Retry-After": "7"}),
        (503, {}),
        (307, {"Location": "https://elsewhere.example/v1/campaigns"}),
    ],
)
async def test_a_status_error_pickles_without_the_authorization_header(status: int, headers: dict[str, str]) -> None:
    answer = httpx.Response(
        status,
        headers={"X-Request-Id": "req-123", "Set-Cookie": "session=abc", **headers},
        json={"errors": [{"field": "email", "message": "bad"}]},
    )
    async with make_client(Script([answer]), auth=AppAuth(KEY), retry=RetryPolicy.disabled()) as client:
        with pytest.raises(APIStatusError) as info:
            await client.get("/v1/campaigns", params={"limit": 2})
    error = info.value
    assert error.response.request.headers["authorization"] == f"Bearer {KEY}"  # the live error keeps its request
    copy = round_trip(error)
    assert isinstance(copy, APIStatusError)
    same_fields(copy, error)
    assert copy.request_id == "req-123" and copy.url == "https://api.customer.io/v1/campaigns?limit=2"
    # The response stays usable: status, headers, body; its request keeps method and URL, not the credentials.
    assert copy.response.status_code == status and copy.headers["x-request-id"] == "req-123"
    assert copy.response.json() == {"errors": [{"field": "email", "message": "bad"}]}
    assert "set-cookie" not in copy.headers
    assert copy.response.request.method == "GET" and str(copy.response.request.url) == copy.url
    assert "authorization" not in copy.response.request.headers
    if isinstance(error, RateLimitError):
        assert isinstance(copy, RateLimitError) and copy.retry_after == 7.0
    if isinstance(error, RedirectError):
        assert isinstance(copy, RedirectError) and copy.location == "https://elsewhere.example/v1/campaigns"


@pytest.mark.usefixtures("both_stacks")
async def test_a_transport_error_pickles_without_the_request_of_its_cause() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)  # as httpx's transport raises it

    script = Script([refuse])
    client = make_client(script, api="track", auth=TrackAuth(SITE, TRACK_KEY), retry=RetryPolicy(max_retries=1))
    async with client:
        with pytest.raises(APITransportError) as info:
            await client.put("https://user:pw@track.customer.io/api/v1/customers/1", json={"plan": "pro"})
    error = info.value
    assert error.cause.request.headers["authorization"].startswith("Basic ")  # the live cause keeps its request
    copy = round_trip(error)
    assert isinstance(copy, APITransportError)
    same_fields(copy, error)
    assert copy.attempts == 2 and copy.url == "https://track.customer.io/api/v1/customers/1"
    assert type(copy.cause) is httpx.ConnectError and str(copy.cause) == "connection refused"
    assert "authorization" not in copy.cause.request.headers and copy.cause.request.url.userinfo == b""


def _response(status: int = 200) -> httpx.Response:
    request = httpx.Request("GET", "https://api.customer.io/v1/campaigns", headers={"Authorization": f"Bearer {KEY}"})
    return httpx.Response(status, json={"campaigns": "?"}, request=request)


# Subclasses whose __init__ is not CustomerIOError's: built the way the code raises them.
FACTORIES: dict[type[CustomerIOError], Callable[[], CustomerIOError]] = {
    ResponseValidationError: lambda: ResponseValidationError("list_campaigns", _response(), KeyError("campaigns")),
    UnknownParameterError: lambda: UnknownParameterError("app.campaigns.list_campaigns", "limt", ["limit"]),
    aiocustomerio._payload.PayloadTooLargeError: lambda: aiocustomerio._payload.PayloadTooLargeError(
        "a Track v2 batch", 600_000, 500_000
    ),
    aiocustomerio.ingest.ItemTooLarge: lambda: aiocustomerio.ingest.ItemTooLarge(40_000, 32_000),
    aiocustomerio.ingest.IngestorHalted: lambda: aiocustomerio.ingest.IngestorHalted("401 Unauthorized"),
    aiocustomerio.ingest.InvalidItem: lambda: aiocustomerio.ingest.InvalidItem(3, ValueError("not JSON"), 2),
    aiocustomerio.ingest.QueueFull: lambda: aiocustomerio.ingest.QueueFull(20_000),
    aiocustomerio.ingest.RecoveryInProgress: lambda: aiocustomerio.ingest.RecoveryInProgress(20_000),
    aiocustomerio.ingest.SpoolLocked: lambda: aiocustomerio.ingest.SpoolLocked("events.db", "pid 12 on host"),
    aiocustomerio.webhooks.WebhookVerificationError: lambda: aiocustomerio.webhooks.WebhookVerificationError(
        "stale", "the webhook is too old"
    ),
    APITransportError: lambda: APITransportError.from_exception(
        httpx.ReadTimeout("timed out", request=_response().request), attempts=3, last_cause="ReadTimeout"
    ),
}


def _subclasses(cls: type[CustomerIOError]) -> Iterator[type[CustomerIOError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.mark.parametrize("cls", sorted({CustomerIOError, *_subclasses(CustomerIOError)}, key=lambda c: c.__name__))
def test_every_error_class_survives_a_round_trip(cls: type[CustomerIOError]) -> None:
    """Whatever a subclass's __init__ takes (positional, required keywords), unpickling does not call it again."""
    factory = FACTORIES.get(cls)
    if factory is not None:
        error = factory()
    elif issubclass(cls, APIStatusError):
        error = cls("409 Conflict from GET /v1/campaigns", response=_response(409), status=409, method="GET")
    else:
        error = cls("something went wrong", status=None, method="POST", url="https://x.example/", attempts=2)
    copy = round_trip(error)
    same_fields(copy, error)
    assert {k for k in vars(copy)} == {k for k in vars(error)}
    for name, value in vars(error).items():
        if isinstance(value, (str, int, float, list, dict, type(None))):
            assert getattr(copy, name) == value, name
