"""Reading the API's answers: which failures are worth retrying, which mean the endpoint itself is wrong, per-item
207 errors."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import httpx

from aiocustomerio.errors import APITransportError

from ._types import JSONDict

# httpx.DecodingError: an answer whose body cannot be decoded (a broken gzip stream) tells nothing about the items,
# like an unreadable 207; the batch goes again (dedup ids make that safe).
TRANSIENT_ERRORS = (httpx.TransportError, httpx.DecodingError, OSError, asyncio.TimeoutError, APITransportError)
# Statuses after which the same batch may succeed later. Everything else in 4xx is the request's own fault.
RETRIABLE_STATUS = frozenset({408, 409, 425, 429})
# 207 entries whose reason names a transient condition are re-sent; anything else is the item's own fault.
RETRIABLE_REASONS = frozenset({"rate_limited", "timeout", "internal", "internal_error", "unavailable", "retry"})


def status_of(exc: BaseException) -> int | None:
    for name in ("status_code", "status"):
        value = getattr(exc, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    response = getattr(exc, "response", None)
    return response.status_code if isinstance(response, httpx.Response) else None


def endpoint_problem(status: int, response: httpx.Response | None, path: str, reason: str | None = None) -> str | None:
    """Why no batch can be delivered to this endpoint, for the answers that say so; None for every other status.

    Refused credentials, a redirect (a wrong base URL, http instead of https, a proxy), a batch endpoint that does
    not exist or no longer does (404/405/410: a wrong base URL, region or API version), a server that wants another
    protocol (426), and a URL or headers too long for the server (414/431: both are the same for every batch, the
    items travel in the body) are the same for every batch: failing items one by one would turn one wrong setting
    into lost events, so delivery halts instead, with the fix in the reason. 413 is not among them: it is about
    one batch's size, and halving the batch answers it.
    """
    detail = (
        reason
        if reason is not None
        else f"HTTP {status}: {error_text(response)}"
        if response is not None
        else f"HTTP {status}"
    )
    if status in (401, 403):
        return f"{detail} (the API refused the credentials: check the key, its type and the region)"
    if 300 <= status < 400:
        location = response.headers.get("location") if response is not None else None
        where = f" to {location}" if location else ""
        return (
            f"HTTP {status} redirect{where}: the base URL or region is wrong (use the API's own https URL; "
            "redirects are not followed, so credentials never go anywhere else)"
        )
    if status in (404, 405, 410):
        url = (
            str(response.request.url.copy_with(query=None)) if response is not None and _has_request(response) else path
        )
        if status == 410:
            return (
                f"{detail} from {url}: the batch endpoint is gone (retired or moved): check the base URL, and upgrade "
                "aiocustomerio if Customer.io moved the API"
            )
        return f"{detail} from the batch endpoint {url}: the base URL or region is wrong"
    if status == 426:
        upgrade = response.headers.get("upgrade") if response is not None else None
        wants = f" (Upgrade: {upgrade})" if upgrade else ""
        return (
            f"{detail}: the server wants another protocol{wants}: use the API's own https:// base URL, or a proxy "
            "that speaks it"
        )
    if status == 414:
        return f"{detail}: the batch endpoint's URL is too long for the server: check the base URL"
    if status == 431:
        return (
            f"{detail}: the request headers are too large for the server: check the client's default headers and "
            "cookies, and the credentials"
        )
    return None


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018
    except RuntimeError:
        return False
    return True


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps: causes, contexts, and the wrapped errors of httpx/aiohttp/ours."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for name in ("__cause__", "__context__", "cause", "os_error", "certificate_error"):
            inner = getattr(current, name, None)
            if isinstance(inner, BaseException):
                todo.append(inner)


def tls_problem(exc: BaseException) -> str | None:
    """A certificate that does not verify fails the same way on every retry: a halt, with what to fix."""
    found = [inner for inner in _chain(exc) if isinstance(inner, ssl.SSLCertVerificationError)]
    if not found:
        return None
    # aiohttp's ClientConnectorCertificateError is an ssl.CertificateError (the same class) without ssl's own
    # attributes: the wrapped error, when there is one, says what failed.
    detail = next((m for m in (getattr(inner, "verify_message", None) for inner in found) if m), None) or found[-1]
    return (
        f"TLS certificate verification failed ({detail}): the base URL points at a host whose certificate is not "
        "trusted (check the URL, a proxy, or SSL_CERT_FILE)"
    )


# TLS errors of a connection cut or reset mid-handshake: the network's, not the configuration's.
_TRANSIENT_TLS = (
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
    ssl.SSLSyscallError,
)


def persistent_problem(exc: BaseException) -> str | None:
    """What to fix, for transport failures that are a wrong setting when they keep coming (the sender halts after
    the retry policy's `max_retries` in a row): a host name that does not resolve, a port nothing listens on, and a
    TLS handshake the server does not speak (an https:// URL on a plain-HTTP port, a TLS version or cipher it
    refuses). None otherwise.

    A refused connection once is a server restarting or a proxy reloading, worth the retries; refused every time is
    a wrong port, and retrying it for ever kept `aiocustomerio ingest` from ever exiting.
    """
    chain = list(_chain(exc))
    if any(isinstance(inner, socket.gaierror) for inner in chain):
        return "the base URL's host name does not resolve; check the URL and the DNS"
    if any(isinstance(inner, OSError) and inner.errno == errno.ECONNREFUSED for inner in chain):
        return f"nothing is listening at {_address(chain)}: check the base URL's port (or that the proxy is up)"
    tls = [inner for inner in chain if isinstance(inner, ssl.SSLError)]
    if tls and not any(isinstance(inner, _TRANSIENT_TLS) for inner in tls):
        return (
            f"TLS handshake failed ({tls[-1]}): the server at the base URL does not speak TLS as this client does (an "
            "https:// URL on a plain-HTTP port? check the URL's scheme and port, or a proxy)"
        )
    return None


def _address(chain: list[BaseException]) -> str:
    """host:port the connection was refused at, the port defaulted by scheme. An httpx error raised inside a transport
    has no request yet (the client attaches it on the way out), but our APITransportError wrapping it has the URL."""
    for inner in chain:
        url: httpx.URL | None = None
        if isinstance(inner, httpx.RequestError):
            with contextlib.suppress(RuntimeError):  # raised without a request
                url = inner.request.url
        elif isinstance(inner, APITransportError) and inner.url:
            url = httpx.URL(inner.url)
        if url is not None and url.host:
            port = url.port or (443 if url.scheme == "https" else 80)
            host = f"[{url.host}]" if ":" in url.host else url.host
            return f"{host}:{port}"
    return "the base URL's host and port"


def retriable_item_error(error: JSONDict) -> bool:
    if error.get("retriable") is True or error.get("retryable") is True:
        return True
    status = error.get("status")
    if isinstance(status, int) and (status >= 500 or status in RETRIABLE_STATUS):
        return True
    return str(error.get("reason", "")).lower() in RETRIABLE_REASONS


def describe_item_error(error: JSONDict) -> str:
    parts = [str(error[key]) for key in ("reason", "field", "message") if error.get(key)]
    return ": ".join(parts)[:500] or json.dumps(error)[:500]


def read_multi_status(response: httpx.Response, size: int) -> tuple[dict[int, str], set[int]] | str:
    """A 207's per-item errors as (failed index -> reason, retriable indexes), or why the body is unreadable.

    The documented shape is `{"errors": [{"batch_index": i, "reason": ..., ...}, ...]}`. Anything else (truncated
    JSON, `errors` not a list, an entry without an in-range integer index, nesting too deep to parse) is unreadable:
    the caller retries the batch rather than guess which items arrived.
    """
    try:
        body: Any = json.loads(response.content)
        if not isinstance(body, dict):
            return f"body is a JSON {type(body).__name__}, not an object"
        errors = body.get("errors")
        if not isinstance(errors, list):
            return "`errors` is missing or not a list"
        failed: dict[int, str] = {}
        retriable: set[int] = set()
        for error in errors:
            index = error.get("batch_index") if isinstance(error, dict) else None
            if type(index) is not int or not 0 <= index < size:
                return f"error entry without a batch_index in 0..{size - 1}: {json.dumps(error)[:200]}"
            if retriable_item_error(error):
                retriable.add(index)
                failed.pop(index, None)
            elif index not in retriable:
                failed[index] = describe_item_error(error)
        return failed, retriable
    except Exception as exc:  # any parser failure, RecursionError included, means "unreadable"
        return f"{type(exc).__name__}: {str(exc)[:200]}"


def error_text(response: httpx.Response | None) -> str:
    if response is None:
        return ""
    try:
        text = response.text.strip()
    except Exception:  # a body that cannot be decoded only shortens the message
        text = ""
    return text[:500] if text else response.reason_phrase
