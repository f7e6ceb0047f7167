"""Reading the API's answers: which failures are worth retrying, Retry-After, per-item 207 errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from aiocustomerio.errors import APITransportError

from ..errors import parse_retry_after
from ._types import JSONDict

TRANSIENT_ERRORS = (httpx.TransportError, OSError, asyncio.TimeoutError, APITransportError)
# Statuses after which the same batch may succeed later. Everything else in 4xx is the request's own fault.
RETRIABLE_STATUS = frozenset({408, 409, 425, 429})
# 207 entries whose reason names a transient condition are re-sent; anything else is the item's own fault.
RETRIABLE_REASONS = frozenset({"rate_limited", "timeout", "internal", "internal_error", "unavailable", "retry"})


def status_of(exc: BaseException) -> int | None:
    for name in ("status_code", "status"):
        value = getattr(exc, name, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    return response.status_code if isinstance(response, httpx.Response) else None


def retry_after(exc: BaseException | None, response: httpx.Response | None) -> float | None:
    """Seconds the API asked to wait: a typed error's ``retry_after``, else the ``Retry-After`` header (seconds or an
    HTTP date, parsed as the façade parses it)."""
    value: Any = getattr(exc, "retry_after", None) if exc is not None else None
    if isinstance(value, (int, float)):
        return max(0.0, float(value))
    if response is None and exc is not None:
        candidate = getattr(exc, "response", None)
        response = candidate if isinstance(candidate, httpx.Response) else None
    return parse_retry_after(response.headers.get("retry-after")) if response is not None else None


def retriable_item_error(error: JSONDict) -> bool:
    if error.get("retriable") is True or error.get("retryable") is True:
        return True
    status = error.get("status")
    if isinstance(status, int) and (status >= 500 or status in RETRIABLE_STATUS):
        return True
    return str(error.get("reason", "")).lower() in RETRIABLE_REASONS


def describe_item_error(error: JSONDict) -> str:
    parts = [str(error[key]) for key in ("reason", "field", "message") if error.get(key)]
    return ": ".join(parts) or json.dumps(error)


def error_text(response: httpx.Response) -> str:
    text = response.text.strip()
    return text[:500] if text else response.reason_phrase
