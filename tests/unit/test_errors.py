from __future__ import annotations

import base64
import traceback

import httpx
import pytest

from aiocustomerio._config import AppAuth, PipelinesAuth, TrackAuth
from aiocustomerio._retry import RetryPolicy
from aiocustomerio.errors import (
    APIStatusError,
    APITransportError,
    AuthenticationError,
    BadRequestError,
    CustomerIOError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    error_for_response,
    parse_retry_after,
    scrub,
)

from .conftest import Script, make_client

# Every test here runs through the async and the sync transport.
pytestmark = pytest.mark.usefixtures("both_stacks")

KEY = "app-key-that-must-not-leak"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, APIStatusError),
        (413, APIStatusError),
        (422, BadRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (599, ServerError),
    ],
)
async def test_status_maps_to_class_with_context(status: int, cls: type[APIStatusError]) -> None:
    script = Script([httpx.Response(status, text="x" * 2000)])
    async with make_client(script, auth=AppAuth(KEY), retry=RetryPolicy.disabled()) as client:
        with pytest.raises(CustomerIOError) as info:
            await client.get("/v1/customers/7", params={"limit": 2})
    err = info.value
    assert type(err) is cls
    assert isinstance(err, APIStatusError)
    assert err.status == status
    assert err.method == "GET"
    assert err.url == "https://api.customer.io/v1/customers/7?limit=2"
    assert err.body_excerpt == "x" * 500
    assert f"{status}" in str(err) and "GET https://api.customer.io/v1/customers/7?limit=2" in str(err)
    assert KEY not in str(err) and KEY not in repr(err)
    assert len(script.sent) == 1


def test_permission_denied_is_an_authentication_error() -> None:
    assert issubclass(PermissionDeniedError, AuthenticationError)


def _response(status: int, **kwargs: object) -> httpx.Response:
    request = httpx.Request("POST", "https://user:pass@api.customer.io/v1/send/email")
    return httpx.Response(status, request=request, **kwargs)  # type: ignore[arg-type]


def test_errors_list_from_errors_array() -> None:
    body = {"errors": [{"reason": "invalid", "field": "to", "message": "to is required"}, {"message": "bad from"}]}
    err = error_for_response(_response(400, json=body))
    assert isinstance(err, BadRequestError)
    assert err.errors == body["errors"]
    assert "to: to is required; bad from" in str(err)


def test_errors_list_from_meta_error() -> None:
    err = error_for_response(_response(422, json={"meta": {"error": "identifier is not valid"}}))
    assert isinstance(err, BadRequestError)
    assert err.errors == [{"message": "identifier is not valid"}]
    assert str(err).endswith(": identifier is not valid")


def test_errors_list_from_meta_errors() -> None:
    err = error_for_response(_response(400, json={"meta": {"errors": ["a", "b"]}}))
    assert err.errors == [{"message": "a"}, {"message": "b"}]


@pytest.mark.parametrize("content", [b"<html>bad gateway</html>", b"", b"[1, 2]", b'{"other": 1}', b"\xff\xfe\x00"])
def test_errors_list_empty_for_other_bodies(content: bytes) -> None:
    err = error_for_response(_response(400, content=content))
    assert err.errors == []
    assert err.body_excerpt == content.decode("utf-8", errors="replace")


def test_url_userinfo_is_stripped() -> None:
    err = error_for_response(_response(404))
    assert err.url == "https://api.customer.io/v1/send/email"
    assert "pass" not in str(err)


def test_rate_limit_error_retry_after() -> None:
    assert error_for_response(_response(429, headers={"Retry-After": "7"})).retry_after == 7.0  # type: ignore[attr-defined]
    assert error_for_response(_response(429)).retry_after is None  # type: ignore[attr-defined]


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now=now) == 0.0
    for bad in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(bad) is None


async def test_error_body_keeps_auth_out_of_message() -> None:
    # Even if a server echoed the request headers back, the message shows only the parsed error entries.
    script = Script([httpx.Response(401, json={"errors": [{"message": "Unauthorized"}]})])
    async with make_client(script, api="track", auth=TrackAuth("site", KEY), retry=RetryPolicy.disabled()) as c:
        with pytest.raises(AuthenticationError) as info:
            await c.get("/api/v1/accounts/region")
    assert str(info.value) == "401 Unauthorized from GET https://api.customer.io/api/v1/accounts/region: Unauthorized"


async def test_raise_can_be_switched_off_per_request() -> None:
    script = Script([httpx.Response(404, json={"errors": [{"message": "nope"}]})])
    async with make_client(script, retry=RetryPolicy.disabled()) as client:
        request = client.build_request("GET", "/v1/customers/1", extensions={"aiocustomerio_raise": False})
        response = await client.send(request)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "nope"}]}


async def test_transport_error_is_wrapped() -> None:
    script = Script([httpx.ConnectError("connection refused")])
    async with make_client(script, retry=RetryPolicy.disabled()) as client:
        with pytest.raises(APITransportError) as info:
            await client.post("/v1/send/email", json={"to": "a@example.com"})
    err = info.value
    assert isinstance(err.cause, httpx.ConnectError)
    assert isinstance(err.__cause__, httpx.ConnectError)
    assert err.status is None and err.method == "POST"
    assert err.url == "https://api.customer.io/v1/send/email"
    assert str(err) == "ConnectError during POST https://api.customer.io/v1/send/email: connection refused"


def test_response_validation_error() -> None:
    response = _response(200, json={"activities": [{"type": "brand_new_type"}]})
    err = ResponseValidationError("list_activities", response, KeyError("brand_new_type"))
    assert str(err).startswith("list_activities: the 200 response does not match the spec's model (KeyError:")
    assert err.status == 200 and err.method == "POST"
    assert err.url == "https://api.customer.io/v1/send/email"
    assert err.response is response
    assert "brand_new_type" in err.body_excerpt


SITE, TRACK_KEY, CDP_KEY = "site-4f1e2d3c", "track-key-9a8b7c6d5e", "cdp-key-1122334455"
TRACK_BASIC = base64.b64encode(f"{SITE}:{TRACK_KEY}".encode()).decode()
CDP_BASIC = base64.b64encode(f"{CDP_KEY}:".encode()).decode()


def _echo(request: httpx.Request) -> httpx.Response:
    """A gateway that quotes the Authorization header back in every shape a body can hold."""
    header = request.headers["authorization"]
    token = header.partition(" ")[2]
    body = {
        "meta": {"error": f"rejected {header}"},
        "errors": [{"message": f"bad token {token}", "field": token, token: [token, {"nested": header}]}],
    }
    return httpx.Response(401, json=body)


@pytest.mark.parametrize(
    ("api", "auth", "secrets"),
    [
        ("app", AppAuth(KEY), [KEY]),
        ("track", TrackAuth(SITE, TRACK_KEY), [TRACK_KEY, TRACK_BASIC, f"{SITE}:{TRACK_KEY}"]),
        ("pipelines", PipelinesAuth(CDP_KEY), [CDP_KEY, CDP_BASIC]),
    ],
)
async def test_an_error_body_echoing_the_credential_is_scrubbed(api: str, auth: httpx.Auth, secrets: list[str]) -> None:
    async with make_client(Script([_echo]), api=api, auth=auth, retry=RetryPolicy.disabled()) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get("/v1/anything")
    err = info.value
    text = f"{err}\n{err!r}\n{err.body_excerpt}\n{err.errors}\n{err.args}"
    for secret in secrets:
        assert secret not in text, secret
    assert "****" in str(err) and "rejected" in err.body_excerpt and err.errors
    assert err.errors[0]["field"] == "****"
    # The raw answer stays the server's: with_raw_response callers and debuggers read it as it came.
    assert err.response.request.headers["authorization"].partition(" ")[2] in err.response.text


def test_a_basic_token_echoed_with_json_escaped_slashes_is_scrubbed() -> None:
    # Some JSON encoders (PHP's json_encode) write "/" as "\/": a base64 token with a slash then
    # appears in the body in that form only.
    token = base64.b64encode(b"site-1:key???").decode()
    assert "/" in token
    request = httpx.Request("GET", "https://track.customer.io/x", headers={"Authorization": f"Basic {token}"})
    escaped = token.replace("/", "\\/")
    body = '{"error": "rejected ' + escaped + '"}'
    err = error_for_response(httpx.Response(401, content=body.encode(), request=request))
    assert token.replace("/", "\\/") not in err.body_excerpt and token not in str(err)
    assert err.body_excerpt == '{"error": "rejected ****"}'


async def test_a_credential_straddling_the_excerpt_end_is_replaced_whole() -> None:
    # The key starts 10 characters before the excerpt's end: cutting first would leave its first 10 characters.
    body = "x" * 490 + KEY + "tail"
    script = Script([httpx.Response(500, text=body)])
    async with make_client(script, auth=AppAuth(KEY), retry=RetryPolicy.disabled()) as client:
        with pytest.raises(ServerError) as info:
            await client.get("/v1/campaigns")
    assert info.value.body_excerpt == "x" * 490 + "****tail"
    assert KEY[:10] not in str(info.value)


def test_a_short_credential_is_replaced_only_as_a_whole_word() -> None:
    # A test key "k" must not turn "unknown" into "un****nown"; standing alone it is replaced.
    assert scrub("unknown key k: Bearer k", ("k",)) == "unknown key ****: Bearer ****"
    assert scrub("abc-key-123456 and xabc-key-123456x", ("abc-key-123456",)) == "**** and x****x"


async def test_a_transport_error_quoting_the_credential_is_scrubbed() -> None:
    script = Script([httpx.LocalProtocolError(f"Illegal header value b'Bearer {KEY}'")])
    async with make_client(script, auth=AppAuth(KEY), retry=RetryPolicy.disabled()) as client:
        with pytest.raises(APITransportError) as info:
            await client.get("/v1/campaigns")
    assert KEY not in str(info.value) and "Bearer ****" in str(info.value)


async def test_a_transport_errors_traceback_and_cause_carry_no_credential() -> None:
    # An uncaught error's traceback (or logging.exception) prints the chained httpx error too, and `cause` is
    # public: the quoted header must be masked there as in the message.
    script = Script([httpx.LocalProtocolError(f"Illegal header value b'Bearer {KEY}'")])
    async with make_client(script, auth=AppAuth(KEY), retry=RetryPolicy.disabled()) as client:
        with pytest.raises(APITransportError) as info:
            await client.get("/v1/campaigns")
    err = info.value
    printed = "".join(traceback.format_exception(err))
    assert "LocalProtocolError" in printed and "Bearer ****" in printed
    assert KEY not in printed and KEY not in f"{err.cause} {err.cause!r} {err.__cause__!r}"
    assert isinstance(err.cause, httpx.LocalProtocolError)  # still the error it was, for code that inspects it


def test_a_validation_errors_traceback_carries_no_credential() -> None:
    request = httpx.Request("GET", "https://api.customer.io/v1/x", headers={"Authorization": f"Bearer {KEY}"})
    answer = httpx.Response(200, json={"echo": KEY}, request=request)
    try:
        try:
            raise KeyError(f"unexpected value {KEY}")
        except KeyError as parse_error:
            raise ResponseValidationError("op", answer, parse_error) from parse_error
    except ResponseValidationError as err:
        printed = "".join(traceback.format_exception(err))
    assert "KeyError" in printed and "unexpected value ****" in printed and KEY not in printed


def test_response_validation_and_redirect_errors_are_scrubbed() -> None:
    request = httpx.Request("GET", "https://api.customer.io/v1/x", headers={"Authorization": f"Bearer {KEY}"})
    answer = httpx.Response(200, json={"echo": KEY}, request=request)
    err = ResponseValidationError("op", answer, KeyError(KEY))
    assert KEY not in str(err) and KEY not in err.body_excerpt and "****" in err.body_excerpt
    moved = httpx.Response(302, headers={"location": f"https://elsewhere.example/?k={KEY}"}, request=request)
    redirect = error_for_response(moved)
    assert KEY not in str(redirect) and redirect.location is not None and KEY not in redirect.location


def test_every_error_the_sdk_raises_is_importable_from_the_package() -> None:
    # The README tells users to catch PaginationError, InvalidArgumentError, UnknownParameterError, ...: each must be
    # reachable as `from aiocustomerio import X` (and listed in __all__), not only from a private-looking module.
    import inspect

    import aiocustomerio
    from aiocustomerio import errors

    classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == errors.__name__
    }
    assert {"PaginationError", "InvalidArgumentError", "UnknownParameterError"} <= classes
    missing = sorted(name for name in classes if name not in aiocustomerio.__all__)
    assert missing == []
    for name in classes:
        assert getattr(aiocustomerio, name) is getattr(errors, name)


def test_every_customerio_error_subclass_is_importable_from_the_package() -> None:
    # The README tells users that put_nowait() raises QueueFull, put raises IngestorHalted, a sync call IngestorTimeout,
    # webhooks.verify WebhookVerificationError: `from aiocustomerio import QueueFull` must work for each error class the
    # SDK defines (ingestion and webhooks included), not only those of aiocustomerio.errors.
    import importlib

    import aiocustomerio
    from aiocustomerio.errors import CustomerIOError

    for module in ("aiocustomerio.ingest", "aiocustomerio._sync.ingest", "aiocustomerio.webhooks"):
        importlib.import_module(module)
    found: set[type] = set()
    todo = [CustomerIOError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("aiocustomerio.") and not sub.__name__.startswith("_"):
                found.add(sub)
            todo.append(sub)
    assert {"QueueFull", "IngestorHalted", "IngestorTimeout", "WebhookVerificationError"} <= {c.__name__ for c in found}
    missing = sorted(c.__name__ for c in found if c.__name__ not in aiocustomerio.__all__)
    assert missing == []
    for cls in found:
        assert getattr(aiocustomerio, cls.__name__) is cls
    assert all(hasattr(aiocustomerio, name) for name in aiocustomerio.__all__)
