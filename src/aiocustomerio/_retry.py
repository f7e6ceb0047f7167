"""When and how long to wait before retrying a request."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import httpx

from .errors import InvalidArgumentError, InvalidArgumentTypeError, parse_retry_after

__all__ = ["NOT_SENT_EXCEPTIONS", "RETRYABLE_EXCEPTIONS", "RETRYABLE_STATUSES", "RetryPolicy"]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Failures where retrying cannot make things worse than the original attempt. Deliberately not the whole of
# httpx.TransportError: UnsupportedProtocol, ProxyError and LocalProtocolError fail the same way every time.
RETRYABLE_EXCEPTIONS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)

# Failures where the request certainly never reached the server: no connection was made (or none was free in the
# pool). The only transport errors after which an unsafe operation (a transactional send, a broadcast trigger) may
# be resent: a read timeout or a reset once the request was written may follow a request that was processed.
NOT_SENT_EXCEPTIONS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; ``Retry-After`` (seconds or HTTP-date) wins, capped at ``max_retry_after``.

    ``max_retries`` counts retries, so a request is sent at most ``max_retries + 1`` times.
    """

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise InvalidArgumentTypeError(
                f"RetryPolicy(max_retries=...) must be an int >= 0 (0: send once), not {type(retries).__name__}"
            )
        if retries < 0:
            raise InvalidArgumentError(f"RetryPolicy(max_retries=...) must be >= 0 (0: send once), not {retries!r}")
        for name in ("base_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidArgumentTypeError(
                    f"RetryPolicy({name}=...) must be a number of seconds, not {type(value).__name__}"
                )
            if not (math.isfinite(value) and value >= 0):
                raise InvalidArgumentError(
                    f"retry delays must be finite numbers of seconds >= 0: RetryPolicy({name}={value!r})"
                )

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_retries=0)

    @staticmethod
    def is_retryable_status(status: int) -> bool:
        return status in RETRYABLE_STATUSES

    @staticmethod
    def is_retryable_exception(exc: BaseException) -> bool:
        return isinstance(exc, RETRYABLE_EXCEPTIONS)

    def backoff(self, retry: int) -> float:
        """Delay before retry number ``retry`` (0-based): uniform in [0, min(max_delay, base_delay * 2**retry)]."""
        # Capping the exponent keeps 2**retry from overflowing float for absurd max_retries values.
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** min(retry, 62)))
        return random.uniform(0.0, ceiling)

    def wait(self, retry: int, retry_after: float | None) -> float:
        """Delay before retry number ``retry``: the server's ``Retry-After`` (seconds) when it sent one, up to
        ``max_retry_after`` (so beyond the backoff cap ``max_delay``), else the backoff.

        The one rule for Retry-After, shared by the transport and the ingestor.
        """
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(retry)

    def delay(self, retry: int, response: httpx.Response | None = None) -> float:
        """Delay before retry number ``retry``, honouring the response's ``Retry-After`` when it has one."""
        retry_after = parse_retry_after(response.headers.get("retry-after")) if response is not None else None
        return self.wait(retry, retry_after)
