"""Debug lines of the transport stack: method, path (never the query: it can hold personal data), outcome, time."""

from __future__ import annotations

import logging
import time

import httpx

__all__ = ["log_response", "log_retry", "logger"]

logger = logging.getLogger("aiocustomerio")


def _path(request: httpx.Request) -> str:
    # The path as sent, percent-encoding kept: `url.path` decodes it, so a person id "a/b?c" was logged as the path
    # /customers/a/b?c, which reads as two segments and a query although the wire had one segment, a%2Fb%3Fc.
    return request.url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")


def log_response(request: httpx.Request, status: int, started: float, attempt: int) -> None:
    logger.debug(
        "%s %s -> %d in %.1f ms (attempt %d)",
        request.method,
        _path(request),
        status,
        (time.perf_counter() - started) * 1000.0,
        attempt + 1,
    )


def log_retry(request: httpx.Request, outcome: str, started: float, attempt: int, delay: float) -> None:
    logger.debug(
        "%s %s -> %s in %.1f ms (attempt %d), retrying in %.2f s",
        request.method,
        _path(request),
        outcome,
        (time.perf_counter() - started) * 1000.0,
        attempt + 1,
        delay,
    )
