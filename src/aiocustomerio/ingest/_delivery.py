"""Posting one batch and reading the API's answer into an `Outcome`: what was delivered, what failed for good (and
why), what must be retried, or why delivery must stop altogether.

`Delivery` holds no queue state: the engine hands it rows and applies the outcome. Each batch request is sent once
by the transport (`aiocustomerio_retry: False`): the engine's retry loop, with the façade's `RetryPolicy`, is the only
one, so a batch is never retried by two stacked policies.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from aiocustomerio.errors import credentials_of, scrub

from ._queue import Row, _data
from ._responses import (
    RETRIABLE_STATUS,
    TRANSIENT_ERRORS,
    endpoint_problem,
    error_text,
    persistent_problem,
    read_multi_status,
    status_of,
    tls_problem,
)

log = logging.getLogger("aiocustomerio.ingest")

_PREFIX = b'{"batch":['
_SUFFIX = b"]}"
_HEADERS = {"content-type": "application/json"}
# The ingestor wants the response itself (a 400 body names the bad field), and it retries batches itself.
# Plain httpx clients ignore these extensions.
_EXTENSIONS = {"aiocustomerio_raise": False, "aiocustomerio_retry": False}
# Requests one batch may cost to find its bad items after a 400 (the first request included). Bisection finds one
# bad item among 2,000 in 23; when most items are bad, the rest is failed with the API's reason past this.
ISOLATION_BUDGET = 64


@dataclass
class Outcome:
    delivered: list[Row] = field(default_factory=list)
    failed: list[tuple[Row, str]] = field(default_factory=list)
    retry: list[Row] = field(default_factory=list)  # in the order they must be sent again
    retry_reason: str = ""
    response: httpx.Response | None = None  # whose Retry-After applies to the retry
    retry_after: float | None = None  # a typed error's own retry hint
    halt: str | None = None  # delivery must stop; `retry` holds the batch's undelivered rows
    persistent: str | None = None  # what to fix if this failure keeps coming (a DNS lookup, a TLS handshake)
    requests: int = 0
    rejection: str | None = None  # the API's last 400/413 reason while isolating bad items
    secrets: tuple[str, ...] = ()  # the credentials the batch requests carried, in every form an answer may quote

    def scrubbed(self) -> Outcome:
        """This outcome with the credentials left out of every reason: reasons quote answers (a 400's text, a 207's
        item errors), and a gateway may quote the Authorization header back; they reach the report, the spool's
        dead letters and the log."""
        secrets = self.secrets
        if secrets:
            self.failed = [(row, scrub(reason, secrets)) for row, reason in self.failed]
            self.retry_reason = scrub(self.retry_reason, secrets)
            for name in ("halt", "persistent", "rejection"):
                value = getattr(self, name)
                if value is not None:
                    setattr(self, name, scrub(value, secrets))
        return self


def envelope(rows: list[Row]) -> bytes:
    return b"".join((_PREFIX, b",".join(map(_data, rows)), _SUFFIX))


# Bytes of the envelope around the items; each item is followed by a comma but the last (hence +1 in room).
ENVELOPE_BYTES = len(_PREFIX) + len(_SUFFIX)


class Delivery:
    def __init__(self, path: str, isolation_budget: int = ISOLATION_BUDGET) -> None:
        self.path = path
        self.isolation_budget = isolation_budget

    async def send(self, http: httpx.AsyncClient, rows: list[Row]) -> Outcome:
        outcome = await self._send(http, rows, Outcome())
        return outcome.scrubbed()

    async def _send(self, http: httpx.AsyncClient, rows: list[Row], outcome: Outcome) -> Outcome:
        # Segments still to send, left to right: sending them in order keeps one person's items in order.
        todo: list[list[Row]] = [rows]
        while todo:
            segment = todo.pop()
            if outcome.requests >= self.isolation_budget:
                # Out of budget while isolating a 400: what is left is failed with the API's reason.
                reason = outcome.rejection or "HTTP 400"
                outcome.failed.extend((row, f"{reason} (not isolated: over the request budget)") for row in segment)
                continue
            outcome.requests += 1
            verdict = await self._post(http, segment, outcome)
            if verdict == "split":
                middle = len(segment) // 2
                todo.append(segment[middle:])
                todo.append(segment[:middle])
            elif verdict == "stop":
                # Retry or halt: this segment and everything after it go back, whole and in order.
                for rest in reversed(todo):
                    outcome.retry.extend(rest)
                return outcome
        return outcome

    async def _post(self, http: httpx.AsyncClient, rows: list[Row], outcome: Outcome) -> str:
        """Send `rows`; record what happened in `outcome`. Returns "done", "split" (a 400/413 of several items:
        send the halves) or "stop" (the rows are in `outcome.retry`, delivery is to be retried or halted)."""
        try:
            response = await http.post(self.path, content=envelope(rows), headers=_HEADERS, extensions=_EXTENSIONS)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            outcome.secrets = outcome.secrets or credentials_of(_request_of(exc))
            return self._raised(exc, rows, outcome)
        status = response.status_code
        if (status == 207 or not 200 <= status < 300) and not outcome.secrets:  # an answer reasons may quote
            outcome.secrets = credentials_of(response.request)
        if status == 207:
            return self._multi_status(rows, response, outcome)
        if 200 <= status < 300:
            outcome.delivered.extend(rows)
            return "done"
        problem = endpoint_problem(status, response, self.path)
        if problem is not None:
            return self._stop(rows, outcome, halt=problem)
        if status >= 500 or status in RETRIABLE_STATUS:
            return self._stop(rows, outcome, reason=f"HTTP {status}", response=response)
        return self._rejected(rows, status, f"HTTP {status}: {error_text(response)}", outcome)

    def _raised(self, exc: Exception, rows: list[Row], outcome: Outcome) -> str:
        reason = f"{type(exc).__name__}: {exc}"
        status = status_of(exc)
        response = getattr(exc, "response", None)
        response = response if isinstance(response, httpx.Response) else None
        if status is not None:
            problem = endpoint_problem(status, response, self.path, reason)
            if problem is not None:
                return self._stop(rows, outcome, halt=problem)
            if status >= 500 or status in RETRIABLE_STATUS:
                hint: Any = getattr(exc, "retry_after", None)
                outcome.retry_after = float(hint) if isinstance(hint, (int, float)) else None
                return self._stop(rows, outcome, reason=reason, response=response)
            return self._rejected(rows, status, reason, outcome)
        tls = tls_problem(exc)
        if tls is not None:
            return self._stop(rows, outcome, halt=tls)
        if not isinstance(exc, TRANSIENT_ERRORS):
            # Not an answer from the API and not the network: a local problem (missing credentials, a bug in a
            # hook) that a retry will not fix, and that every later batch would hit too.
            return self._stop(rows, outcome, halt=reason)
        outcome.persistent = persistent_problem(exc)
        return self._stop(rows, outcome, reason=reason)

    def _rejected(self, rows: list[Row], status: int, reason: str, outcome: Outcome) -> str:
        # A 400/413 may be caused by a single item: halve the batch until the bad items stand alone.
        if status in (400, 413, 422):
            outcome.rejection = reason
            if len(rows) > 1:
                return "split"
        outcome.failed.extend((row, reason) for row in rows)
        return "done"

    def _stop(
        self,
        rows: list[Row],
        outcome: Outcome,
        *,
        halt: str | None = None,
        reason: str = "",
        response: httpx.Response | None = None,
    ) -> str:
        outcome.retry.extend(rows)
        outcome.halt = halt
        outcome.retry_reason = halt or reason
        outcome.response = response
        return "stop"

    def _multi_status(self, rows: list[Row], response: httpx.Response, outcome: Outcome) -> str:
        read = read_multi_status(response, len(rows))
        if isinstance(read, str):
            # Not the documented shape: which items failed is unknown, so none is taken as delivered. The whole
            # batch is sent again (dedup ids make that safe).
            read = scrub(read, outcome.secrets)  # it may quote the body
            log.warning(
                "unreadable 207 answer for a batch of %d items (%s); the batch will be sent again", len(rows), read
            )
            return self._stop(rows, outcome, reason=f"unreadable 207 answer: {read}", response=response)
        failed, retriable = read
        retry: list[Row] = []
        # An item to retry must not land after a later item about the same person that was delivered in this
        # batch: that later one is sent again after it (harmless: dedup ids, idempotent upserts).
        people: set[int] = set()
        for index, row in enumerate(rows):
            if index in retriable:
                retry.append(row)
                people.add(row[2])
            elif index in failed:
                outcome.failed.append((row, failed[index]))
            elif row[2] in people:
                retry.append(row)
            else:
                outcome.delivered.append(row)
        if retry:
            return self._stop(retry, outcome, reason=f"{len(retriable)} retriable item errors", response=None)
        return "done"


def _request_of(exc: Exception) -> httpx.Request | None:
    """The request an exception was raised for: httpx attaches it on the way out (a bare one has none)."""
    try:
        request = getattr(exc, "request", None)
    except RuntimeError:  # httpx's "The .request property has not been set."
        return None
    return request if isinstance(request, httpx.Request) else None
