"""Client-side rate limits, so bursts wait locally instead of collecting 429s.

Defaults, from the API descriptions in Customer.io's published OpenAPI specs (pinned copies in shared/specs, the
``info.description`` "API limits" sections; the same text is on docs.customer.io/integrations/api/):

- App API (journeys-app.json): "Aside from Transactional and Broadcast trigger endpoints, this API is limited to
  10 requests per second. The transactional email endpoint is limited to 100 requests per second. The API-triggered
  broadcast endpoint is limited to 1 request every 10 seconds." The broadcast limit is applied per broadcast ID.
- Track API (journeys-track.json): "a rate limit of 3000 requests per 3 seconds for both active data integrations
  and historical backfill scripts" (older docs said 100 requests per second fair use).
- Pipelines API (pipelines.json): "The Data Pipelines API has a rate limit of 3000 requests per 3 seconds".

The limiters are leaky buckets (aiolimiter), so a class allows a burst of ``max_rate`` requests and then
``max_rate / period`` requests per second. Every class can be overridden or disabled through :class:`Limits`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import httpx
from aiolimiter import AsyncLimiter

__all__ = ["LIMIT_CLASSES", "LimitClass", "Limits", "Rate", "RateLimiter"]


class Rate(NamedTuple):
    """``max_rate`` requests per ``period`` seconds."""

    max_rate: float
    period: float = 1.0


@dataclass(frozen=True)
class LimitClass:
    """Requests of one API whose method and path match share a bucket (one per ``key`` group value if ``per_key``)."""

    name: str
    api: str
    rate: Rate
    method: str | None = None
    path: str | None = None
    per_key: bool = False


# First match wins within an API, so specific classes come before the catch-all of their API.
LIMIT_CLASSES: tuple[LimitClass, ...] = (
    LimitClass("app_send", "app", Rate(100, 1), method="POST", path=r"^/v1/send/[^/]+/?$"),
    LimitClass(
        "app_broadcast_trigger",
        "app",
        Rate(1, 10),
        method="POST",
        path=r"^/v1/campaigns/(?P<key>[^/]+)/triggers/?$",
        per_key=True,
    ),
    LimitClass("app", "app", Rate(10, 1)),
    LimitClass("track", "track", Rate(3000, 3)),
    LimitClass("pipelines", "pipelines", Rate(3000, 3)),
)
_CLASS_NAMES = tuple(limit.name for limit in LIMIT_CLASSES)


class Limits:
    """Rate-limit configuration: ``Limits(app=Rate(20, 1), track=None)`` overrides ``app`` and disables ``track``.

    Class names: ``app``, ``app_send``, ``app_broadcast_trigger``, ``track``, ``pipelines``. A bare number means
    requests per second. ``Limits.disabled()`` turns every limit off.
    """

    __slots__ = ("enabled", "overrides")

    def __init__(self, *, enabled: bool = True, **overrides: Rate | tuple[float, float] | float | None) -> None:
        unknown = sorted(set(overrides) - set(_CLASS_NAMES))
        if unknown:
            raise ValueError(f"unknown rate-limit class(es) {unknown}: expected some of {list(_CLASS_NAMES)}")
        self.enabled = enabled
        self.overrides: dict[str, Rate | None] = {name: _as_rate(name, value) for name, value in overrides.items()}

    @classmethod
    def disabled(cls) -> Limits:
        return cls(enabled=False)

    def rate_for(self, limit: LimitClass) -> Rate | None:
        if not self.enabled:
            return None
        return self.overrides.get(limit.name, limit.rate)

    def __repr__(self) -> str:
        if not self.enabled:
            return "Limits.disabled()"
        args = ", ".join(f"{name}={rate!r}" for name, rate in self.overrides.items())
        return f"Limits({args})"


def _as_rate(name: str, value: Rate | tuple[float, float] | float | None) -> Rate | None:
    if value is None:
        return None
    rate = Rate(float(value), 1.0) if isinstance(value, (int, float)) else Rate(*value)
    if not (rate.max_rate > 0 and rate.period > 0):
        raise ValueError(f"rate limit {name} must have positive max_rate and period, got {rate!r}")
    return rate


class _Matcher:
    __slots__ = ("buckets", "limit", "method", "pattern", "rate", "shared")

    def __init__(self, limit: LimitClass, rate: Rate | None) -> None:
        self.limit = limit
        self.method = limit.method
        self.pattern = re.compile(limit.path) if limit.path else None
        self.rate = rate
        self.shared = AsyncLimiter(rate.max_rate, rate.period) if rate is not None and not limit.per_key else None
        self.buckets: dict[str, AsyncLimiter] = {}

    def bucket(self, match: re.Match[str] | None) -> AsyncLimiter | None:
        if self.rate is None:
            return None
        if self.shared is not None:
            return self.shared
        key = match.group("key") if match is not None else ""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = AsyncLimiter(self.rate.max_rate, self.rate.period)
        return bucket


class RateLimiter:
    """The buckets of one API's client; every task using that client shares them."""

    __slots__ = ("_matchers", "_single", "active", "api")

    def __init__(self, api: str, limits: Limits | None = None, classes: tuple[LimitClass, ...] = LIMIT_CLASSES) -> None:
        limits = limits if limits is not None else Limits()
        self.api = api
        self._matchers = tuple(_Matcher(limit, limits.rate_for(limit)) for limit in classes if limit.api == api)
        # A disabled catch-all still matches, so a request never falls through to a limit it should not get.
        self.active = any(matcher.rate is not None for matcher in self._matchers)
        only = self._matchers[0] if len(self._matchers) == 1 else None
        # The common case (Track, Pipelines): one unconditional bucket, no matching needed per request.
        self._single = only.shared if only is not None and only.method is None and only.pattern is None else None

    def classify(self, request: httpx.Request) -> tuple[str, AsyncLimiter | None] | None:
        """The limit class name and bucket of a request (bucket ``None`` when that class is disabled)."""
        method = request.method
        path = request.url.path
        for matcher in self._matchers:
            if matcher.method is not None and matcher.method != method:
                continue
            match = None
            if matcher.pattern is not None:
                match = matcher.pattern.match(path)
                if match is None:
                    continue
            return matcher.limit.name, matcher.bucket(match)
        return None

    def bucket_for(self, request: httpx.Request) -> AsyncLimiter | None:
        if self._single is not None:
            return self._single
        found = self.classify(request)
        return found[1] if found is not None else None

    async def acquire(self, request: httpx.Request) -> None:
        """Wait until the request's bucket has room; cancellation while waiting takes nothing from it."""
        bucket = self._single if self._single is not None else self.bucket_for(request)
        if bucket is not None:
            await bucket.acquire()


def rates(limits: Limits | None = None) -> Mapping[str, Rate | None]:
    """The effective rate of every class, for display (``None``: disabled)."""
    limits = limits if limits is not None else Limits()
    return {limit.name: limits.rate_for(limit) for limit in LIMIT_CLASSES}
