"""Typed errors raised by every aiocustomerio call.

Each HTTP status class maps to one exception type so callers can ``except NotFoundError`` instead of inspecting
status codes. Messages and attributes carry the method, a credential-free URL and a short body excerpt, never
request headers: the Authorization header must not end up in logs or tracebacks. A body (or a transport error's
text) that echoes the request's credential (a proxy, a WAF, a mock server repeating the Authorization header) has
it replaced by ``****`` in the message, ``body_excerpt`` and ``errors``: see ``credentials_of``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import email.utils
import json
import re
import time
from typing import Any

import httpx

__all__ = [
    "APIStatusError",
    "APITransportError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "CustomerIOError",
    "EventLoopError",
    "MissingCredentialsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitStoreError",
    "RedirectError",
    "RegionLookupError",
    "ResponseValidationError",
    "ServerError",
    "error_for_response",
    "parse_retry_after",
    "request_id_of",
    "safe_url",
]

BODY_EXCERPT_CHARS = 500
# Customer.io documents no request-id header; these are the ones its edge and common proxies set, first found wins.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id", "cf-ray")
# Enough to summarise a JSON error in the message without dumping whole bodies into tracebacks.
_MESSAGE_DETAIL_CHARS = 200


class CustomerIOError(Exception):
    """Base class of every error raised by aiocustomerio.

    For support: ``attempts`` (requests sent, retries included), ``request_id`` (from the answer's headers, when it
    has one) and ``last_cause`` (why the last retry was made, for a call that was retried).
    """

    status: int | None
    method: str | None
    url: str | None
    body_excerpt: str
    errors: list[dict[str, Any]]
    attempts: int
    request_id: str | None
    last_cause: str | None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        body_excerpt: str = "",
        errors: list[dict[str, Any]] | None = None,
        attempts: int = 1,
        request_id: str | None = None,
        last_cause: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.body_excerpt = body_excerpt
        self.errors = errors if errors is not None else []
        self.attempts = attempts
        self.request_id = request_id
        self.last_cause = last_cause

    @property
    def status_code(self) -> int | None:
        """The HTTP status, under httpx's name for it (``status`` is the same value)."""
        return self.status

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled errors travel (Celery's pickle result backend, multiprocessing, error trackers): the live request
        # carries the Authorization header, so requests and responses are rebuilt without it. Unpickling does not
        # call __init__ again, whatever a subclass's signature is.
        state = {name: _without_credentials(value) for name, value in self.__dict__.items()}
        return _restore, (type(self), self.args, state)


def _restore(cls: type[CustomerIOError], args: tuple[Any, ...], state: dict[str, Any]) -> CustomerIOError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


def _clean_request(request: httpx.Request) -> httpx.Request:
    """Method and URL (userinfo removed); no headers, no body."""
    return httpx.Request(request.method, safe_url(request.url))


def _clean_response(response: httpx.Response) -> httpx.Response:
    """Status, headers (without cookies), body and reason; its request is a clean one."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    request = response._request
    headers = [(name, value) for name, value in response.headers.raw if name.lower() != b"set-cookie"]
    kept = ("http_version", "reason_phrase")
    extensions: dict[str, Any] = {key: response.extensions[key] for key in kept if key in response.extensions}
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=content,
        request=_clean_request(request) if request is not None else None,
        extensions=extensions,
    )


def _without_credentials(value: Any) -> Any:
    if isinstance(value, httpx.Response):
        return _clean_response(value)
    if isinstance(value, httpx.Request):
        return _clean_request(value)
    if isinstance(value, httpx.HTTPError):  # a transport error's cause keeps the request it failed on
        clean = copy.copy(value)
        clean.__dict__.update({name: _without_credentials(item) for name, item in value.__dict__.items()})
        return clean
    return value


class MissingCredentialsError(CustomerIOError, ValueError):
    """A request needs a credential that was neither passed nor set in the environment.

    ``needs``: the credentials the API (or the region lookup) takes, as ``Credentials`` fields (``site_id``,
    ``track_api_key``, ...); ``missing``: those not found. A tool can name its own flags from them (the CLI does).
    """

    def __init__(
        self, message: str, *, needs: tuple[str, ...] = (), missing: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.needs = needs
        self.missing = missing


class APIStatusError(CustomerIOError):
    """The API answered with an error status; subclasses narrow it down (this class itself: other 4xx)."""

    status: int
    response: httpx.Response

    def __init__(self, message: str, *, response: httpx.Response, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.response = response

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers


class BadRequestError(APIStatusError):
    """400 or 422: the request was malformed; ``errors`` lists what the API complained about."""


class AuthenticationError(APIStatusError):
    """401: credentials were rejected (and the base of 403)."""


class PermissionDeniedError(AuthenticationError):
    """403: credentials are valid but may not do this (wrong key type, missing scope, region mismatch)."""


class NotFoundError(APIStatusError):
    """404."""


class RateLimitError(APIStatusError):
    """429 after retries ran out; ``retry_after`` is the server's hint in seconds, if it sent one."""

    retry_after: float | None

    def __init__(self, message: str, *, response: httpx.Response, **kwargs: Any) -> None:
        super().__init__(message, response=response, **kwargs)
        self.retry_after = parse_retry_after(response.headers.get("retry-after"))


class RateLimitStoreError(CustomerIOError):
    """The shared rate-limit store (Redis) failed and ``Limits(on_store_error="raise")``: the request was not sent."""


class ServerError(APIStatusError):
    """5xx after retries ran out."""


class RedirectError(APIStatusError):
    """3xx: the API never redirects, so the base URL (or region, or a proxy) is wrong; ``location`` says where to.

    Redirects are not followed: the request carries credentials, and a redirect is not a sign that it was processed.
    """

    location: str | None

    def __init__(self, message: str, *, response: httpx.Response, **kwargs: Any) -> None:
        super().__init__(message, response=response, **kwargs)
        location = response.headers.get("location")
        self.location = safe_url(response.request.url.join(location)) if location else None


class EventLoopError(CustomerIOError, RuntimeError):
    """A client was used from an event loop (or thread) other than the one that owns its connection pools.

    Pools hold sockets and locks of the loop that opened them; using them elsewhere fails at random or hangs. One
    client per event loop: open it where it is used (a FastAPI lifespan, one per worker), or use SyncCustomerIO in
    synchronous code.
    """


class ClientClosedError(CustomerIOError, RuntimeError):
    """A call on a client that was closed (after ``async with`` / ``with``, ``aclose()`` or ``close()``): its
    connection pools are gone. Create a new client, or keep one open for the application's life."""


class APITransportError(CustomerIOError):
    """The request did not get a whole HTTP answer: connect/read timeout, connection reset, protocol error.

    ``status`` is None, or the status of an answer whose body broke off (the server did process the request).
    """

    def __init__(self, message: str, *, cause: httpx.TransportError, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.cause = cause

    @classmethod
    def from_exception(
        cls,
        exc: httpx.TransportError,
        request: httpx.Request | None = None,
        *,
        attempts: int = 1,
        last_cause: str | None = None,
        status: int | None = None,
    ) -> APITransportError:
        """``status``: the server answered with it, then the body broke off (so the request was processed)."""
        if request is None:
            try:
                request = exc.request
            except RuntimeError:
                request = None
        method = request.method if request is not None else None
        url = safe_url(request.url) if request is not None else None
        where = f" during {method} {url}" if request is not None else ""
        if status is not None:
            where += f" (the server answered {status}, then the body broke off)"
        # httpx/h11 quote the offending header value in some errors ("Illegal header value b'...'").
        secrets = credentials_of(request)
        scrub_exception(exc, secrets)  # kept as `cause` and chained: a traceback prints it
        detail = str(exc) or "no detail"
        message = f"{type(exc).__name__}{where}: {detail}" + _support_suffix(attempts, last_cause, None)
        return cls(message, cause=exc, status=status, method=method, url=url, attempts=attempts, last_cause=last_cause)


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}


def safe_url(url: httpx.URL) -> str:
    """The URL without userinfo, so Basic credentials embedded in it never reach a message."""
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return str(url)


def request_id_of(response: httpx.Response) -> str | None:
    """The answer's request id (what Customer.io support asks for), if one of the usual headers carries it."""
    headers = response.headers
    for name in REQUEST_ID_HEADERS:
        value: str | None = headers.get(name)
        if value:
            return value[:200]
    return None


def _support_suffix(attempts: int, last_cause: str | None, request_id: str | None) -> str:
    parts = []
    if attempts > 1:
        parts.append(f"after {attempts} attempts" + (f", last retried on {last_cause}" if last_cause else ""))
    if request_id:
        parts.append(f"request id {request_id}")
    return f" ({'; '.join(parts)})" if parts else ""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() accepts "nan" and "inf", which would break every sleep() downstream.
        return max(seconds, 0.0) if seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


# Below this length a credential is replaced only where it stands as a whole word: a test key "k" must not turn
# every "k" of a message into "****". Real Customer.io keys are 20+ characters and are replaced wherever they occur.
_SHORT_SECRET = 8
_WORD = "A-Za-z0-9"


def credentials_of(request: httpx.Request | None) -> tuple[str, ...]:
    """The credentials the request carries, in every form a server could echo them: the Authorization (and
    Proxy-Authorization) token, and for Basic the base64, its ``user:password`` and each part (the Track site id and
    key, the Pipelines CDP key); longest first, so a whole is replaced before its parts.

    Read from the request rather than passed in: it is the one place every error is built from, and a server can
    echo only the credential it was sent (the client's other APIs' keys never travel on this request)."""
    if request is None:
        return ()
    found: set[str] = set()
    for name in ("authorization", "proxy-authorization"):
        header = request.headers.get(name)
        if not header:
            continue
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if not token:
            found.add(scheme)
            continue
        found.add(token)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(token, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            user, _, password = decoded.partition(":")
            found.update((decoded, user, password))
    variants = {v.replace("/", "\\/") for v in found if "/" in v}  # as JSON may escape a base64's slashes
    return tuple(sorted((v for v in found | variants if v), key=len, reverse=True))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with each of ``secrets`` replaced by ``****``."""
    for secret in secrets:
        if secret not in text:
            continue
        if len(secret) >= _SHORT_SECRET:
            text = text.replace(secret, "****")
        else:
            text = re.sub(f"(?<![{_WORD}]){re.escape(secret)}(?![{_WORD}])", "****", text)
    return text


def scrub_exception(exc: BaseException | None, secrets: tuple[str, ...]) -> None:
    """Mask ``secrets`` in the messages of ``exc`` and of what it chains to, in place: a typed error keeps the
    error it wraps (``cause``, ``__cause__``), and a traceback or ``logging.exception`` prints that error's message
    too (httpx/h11 quote a bad header value, a parser the value it choked on). The exceptions stay what they were."""
    seen: set[int] = set()
    while exc is not None and secrets and id(exc) not in seen and len(seen) < 16:
        seen.add(id(exc))
        if any(isinstance(arg, str) and any(secret in arg for secret in secrets) for arg in exc.args):
            exc.args = tuple(scrub(arg, secrets) if isinstance(arg, str) else arg for arg in exc.args)
        exc = exc.__cause__ or exc.__context__


def _scrub_tree(value: Any, secrets: tuple[str, ...]) -> Any:
    """A parsed JSON value with every string (keys too) scrubbed."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {_scrub_tree(k, secrets): _scrub_tree(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_tree(item, secrets) for item in value]
    return value


def _excerpt(response: httpx.Response, secrets: tuple[str, ...] = ()) -> str:
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return ""
    # Slicing bytes first bounds the work on large bodies; 4 bytes per char covers any UTF-8 sequence. The slice
    # reaches one credential's length past the excerpt, so one that straddles its end is replaced whole, not cut.
    chars = BODY_EXCERPT_CHARS + (len(secrets[0]) if secrets else 0)
    text = content[: chars * 4].decode("utf-8", errors="replace")
    return scrub(text, secrets)[:BODY_EXCERPT_CHARS]


def _as_error_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"message": value}]
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item if isinstance(item, dict) else {"message": str(item)} for item in value]
    return []


def parse_errors(response: httpx.Response) -> list[dict[str, Any]]:
    """The error entries of a Customer.io JSON error body, whichever of its shapes the API used."""
    try:
        payload = json.loads(response.content)
    except (httpx.ResponseNotRead, ValueError, RecursionError):  # RecursionError: a very deeply nested body
        return []
    if not isinstance(payload, dict):
        return []
    if "errors" in payload:
        return _as_error_dicts(payload["errors"])
    meta = payload.get("meta")
    if isinstance(meta, dict):
        if "errors" in meta:
            return _as_error_dicts(meta["errors"])
        if "error" in meta:
            return _as_error_dicts(meta["error"])
    if "error" in payload:
        return _as_error_dicts(payload["error"])
    return []


def _summary(errors: list[dict[str, Any]], excerpt: str) -> str:
    if errors:
        parts = []
        for item in errors[:3]:
            text = item.get("message") or item.get("detail") or item.get("reason") or ""
            field = item.get("field") or item.get("source")
            parts.append(f"{field}: {text}" if field and text else str(text or item))
        detail = "; ".join(parts)
        if len(errors) > 3:
            detail += f" (+{len(errors) - 3} more)"
    else:
        detail = " ".join(excerpt.split())
    if len(detail) > _MESSAGE_DETAIL_CHARS:
        detail = detail[: _MESSAGE_DETAIL_CHARS - 1] + "…"
    return detail


def error_for_response(
    response: httpx.Response,
    request: httpx.Request | None = None,
    *,
    attempts: int = 1,
    last_cause: str | None = None,
    hint: str | None = None,
) -> APIStatusError:
    """The typed error for an error (or 3xx) response; read the body first so the excerpt and ``errors`` are filled.

    ``hint`` is the likely fix, appended to the message (the transport knows the API's hosts; this module does not).
    """
    if request is None:
        request = response.request
    status = response.status_code
    if status in _STATUS_CLASSES:
        cls = _STATUS_CLASSES[status]
    elif status >= 500:
        cls = ServerError
    elif 300 <= status < 400:
        cls = RedirectError
    else:
        cls = APIStatusError
    url = safe_url(request.url)
    secrets = credentials_of(request)
    excerpt = _excerpt(response, secrets)
    errors = parse_errors(response)
    if secrets and errors:
        try:
            errors = _scrub_tree(errors, secrets)
        except RecursionError:  # entries nested deeper than the stack allows: the excerpt still shows the body
            errors = []
    reason = response.reason_phrase or ""
    message = f"{status} {reason}".rstrip() + f" from {request.method} {url}"
    if cls is RedirectError:
        location = response.headers.get("location")
        message += f" to {safe_url(request.url.join(location))}" if location else " (no Location header)"
    else:
        detail = _summary(errors, excerpt)
        if detail:
            message += f": {detail}"
    if hint:
        message += f"; {hint}"
    rid = request_id_of(response)
    message = scrub(message + _support_suffix(attempts, last_cause, rid), secrets)
    error = cls(
        message,
        response=response,
        status=status,
        method=request.method,
        url=url,
        body_excerpt=excerpt,
        errors=errors,
        attempts=attempts,
        request_id=rid,
        last_cause=last_cause,
    )
    if isinstance(error, RedirectError) and error.location is not None:
        error.location = scrub(error.location, secrets)
    return error


class ResponseValidationError(CustomerIOError):
    """A successful response that does not fit the generated model (e.g. a required field is missing).

    ``response`` holds the raw ``httpx.Response``; ``with_raw_response`` sends the same call without parsing.
    """

    def __init__(self, operation: str, response: httpx.Response, cause: Exception | None = None) -> None:
        problem = (
            f"does not match the spec's model ({type(cause).__name__}: {cause})"
            if cause is not None
            else "is not one the spec documents for this operation, which answers with a model"
        )
        secrets = credentials_of(response.request)
        scrub_exception(cause, secrets)  # raised from it: a traceback prints its message
        super().__init__(
            scrub(
                f"{operation}: the {response.status_code} response {problem}; use with_raw_response() to read it "
                "unparsed",
                secrets,
            ),
            status=response.status_code,
            method=response.request.method,
            url=safe_url(response.request.url),
            body_excerpt=_excerpt(response, secrets),
        )
        self.response = response


class RegionLookupError(CustomerIOError):
    """``region="auto"`` asked Customer.io which region the workspace is in and got an answer it cannot use."""

    @classmethod
    def from_response(cls, response: httpx.Response, problem: str, fix: str) -> RegionLookupError:
        request = response.request
        url = safe_url(request.url)
        rid = request_id_of(response)
        message = f"region='auto': {request.method} {url} answered {response.status_code} with {problem}; {fix}"
        secrets = credentials_of(request)
        return cls(
            scrub(message + _support_suffix(1, None, rid), secrets),
            status=response.status_code,
            method=request.method,
            url=url,
            body_excerpt=_excerpt(response, secrets),
            request_id=rid,
        )


# --- Bad input and listings (resources): raised before anything is sent, or when a listing cannot go on. ---------
# Each keeps ValueError/TypeError as a second base, so handlers written for those still catch them.


class InvalidArgumentError(CustomerIOError, ValueError):
    """An argument has a value the API cannot take (an empty path parameter, an enum value it does not list)."""


class InvalidArgumentTypeError(CustomerIOError, TypeError):
    """An argument has a type the API cannot take (``None`` for a path parameter, a value JSON cannot encode)."""


class UnknownParameterError(InvalidArgumentTypeError):
    """A keyword that is neither a parameter of the operation nor a per-call option; names the closest valid one."""

    def __init__(self, operation: str, name: str, valid: list[str], hint: str = "") -> None:
        import difflib

        close = difflib.get_close_matches(name, valid, n=1)
        self.operation = operation
        self.name = name
        self.suggestion: str | None = close[0] if close else None
        message = f"{operation}() got an unexpected keyword argument {name!r}"
        if self.suggestion:
            message += f"; did you mean {self.suggestion!r}?"
        message += f" (accepted: {', '.join(valid)})"
        super().__init__(f"{message}; {hint}" if hint else message)


class PaginationError(CustomerIOError):
    """A listing cannot continue: the API handed back a page cursor it had already given (it would loop forever)."""


__all__ += ["InvalidArgumentError", "InvalidArgumentTypeError", "PaginationError", "UnknownParameterError"]
