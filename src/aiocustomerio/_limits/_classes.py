"""The limit classes of the three APIs and their configuration (:class:`Limits`).

Defaults, from the API descriptions in Customer.io's published OpenAPI specs (pinned copies in shared/specs, the
``info.description`` "API limits" sections; the same text is on docs.customer.io/integrations/api/):

- App API (journeys-app.json): "Aside from Transactional and Broadcast trigger endpoints, this API is limited to
  10 requests per second. The transactional email endpoint is limited to 100 requests per second. The API-triggered
  broadcast endpoint is limited to 1 request every 10 seconds." The broadcast limit is applied per broadcast ID.
- Track API (journeys-track.json): "a rate limit of 3000 requests per 3 seconds for both active data integrations
  and historical backfill scripts" (older docs said 100 requests per second fair use).
- Pipelines API (pipelines.json): "The Data Pipelines API has a rate limit of 3000 requests per 3 seconds".

Each class allows a burst of ``max_rate`` requests and then ``max_rate / period`` requests per second. Every class
can be overridden or disabled through :class:`Limits`, and ``Limits(store="redis://...")`` shares them across
processes (see ``_store``).
"""

from __future__ import annotations

import difflib
import math
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from ..errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["LIMIT_CLASSES", "LimitClass", "Limits", "Rate", "StoreConfig", "rates"]

StoreErrorPolicy = Literal["fallback", "raise"]
_POLICIES: tuple[StoreErrorPolicy, ...] = ("fallback", "raise")
_STORE_SCHEMES = ("redis", "rediss", "unix")


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


@dataclass(frozen=True)
class StoreConfig:
    """Where the shared buckets live and what to do when that store fails (built by :class:`Limits`)."""

    url: str
    fleet_size: int
    on_store_error: StoreErrorPolicy
    timeout: float

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and repr."""
        return mask_url(self.url)

    def __repr__(self) -> str:  # the dataclass's would show the URL's password
        return (
            f"StoreConfig(url={self.display_url!r}, fleet_size={self.fleet_size}, "
            f"on_store_error={self.on_store_error!r}, timeout={self.timeout})"
        )


class Limits:
    """Rate-limit configuration: ``Limits(app=Rate(20, 1), track=None)`` overrides ``app`` and disables ``track``.

    Class names: ``app``, ``app_send``, ``app_broadcast_trigger``, ``track``, ``pipelines``. A bare number means
    requests per second. ``Limits.disabled()`` turns every limit off.

    ``store="redis://host:6379/0"`` makes every class one bucket shared by every process using that Redis with the
    same workspace credentials. When the store fails, ``on_store_error="fallback"`` (the default) limits each
    process locally to ``rate / fleet_size`` until the store answers again, and ``"raise"`` fails each request with
    ``RateLimitStoreError`` instead. An admission waits at most ``store_timeout`` seconds for Redis.
    """

    __slots__ = ("enabled", "overrides", "store")

    def __init__(
        self,
        *,
        enabled: bool = True,
        store: str | None = None,
        fleet_size: int = 1,
        on_store_error: StoreErrorPolicy = "fallback",
        store_timeout: float = 0.25,
        **overrides: Rate | tuple[float, float] | float | None,
    ) -> None:
        unknown = sorted(set(overrides) - set(_CLASS_NAMES))
        if unknown:
            close = difflib.get_close_matches(unknown[0], _CLASS_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            names = ", ".join(repr(name) for name in unknown)
            raise InvalidArgumentError(
                f"unknown rate-limit class {names}{hint} (Limits() takes {', '.join(_CLASS_NAMES)}, a rate each, "
                "and enabled, store, fleet_size, on_store_error, store_timeout)"
            )
        self.enabled = enabled
        self.overrides: dict[str, Rate | None] = {name: _as_rate(name, value) for name, value in overrides.items()}
        self.store = _store_config(store, fleet_size, on_store_error, store_timeout)

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
        args = [f"{name}={rate!r}" for name, rate in self.overrides.items()]
        if self.store is not None:
            store = self.store
            args += [f"store={store.display_url!r}", f"fleet_size={store.fleet_size}"]
            args.append(f"on_store_error={store.on_store_error!r}")
        return f"Limits({', '.join(args)})"


def _as_rate(name: str, value: Rate | tuple[float, float] | float | None) -> Rate | None:
    if value is None:
        return None
    numbers = (value,) if isinstance(value, (int, float)) else value if isinstance(value, (tuple, list)) else None
    if (
        numbers is None
        or not 1 <= len(numbers) <= 2
        or any(isinstance(n, bool) or not isinstance(n, (int, float)) for n in numbers)
    ):
        raise InvalidArgumentTypeError(
            f"rate limit {name} must be requests per second (a number), Rate(max_rate, period) or None to turn it "
            f"off, not {type(value).__name__}"
        )
    rate = Rate(*(float(n) for n in numbers))
    if not (rate.max_rate > 0 and rate.period > 0 and math.isfinite(rate.max_rate) and math.isfinite(rate.period)):
        raise InvalidArgumentError(
            f"rate limit {name} must have a positive max_rate and period, got {rate!r}; None turns it off"
        )
    return rate


def _store_config(
    url: str | None, fleet_size: int, on_store_error: StoreErrorPolicy, timeout: float
) -> StoreConfig | None:
    if isinstance(fleet_size, bool) or not isinstance(fleet_size, int) or fleet_size < 1:
        raise InvalidArgumentError(
            f"fleet_size must be an int >= 1 (the number of processes sharing the store), not {fleet_size!r}"
        )
    if on_store_error not in _POLICIES:
        raise InvalidArgumentError(f'on_store_error must be "fallback" or "raise", not {on_store_error!r}')
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise InvalidArgumentError(f"store_timeout must be a positive number of seconds, not {timeout!r}")
    if url is None:
        return None
    check_store_url("store", url)
    return StoreConfig(url, fleet_size, on_store_error, float(timeout))


def check_store_url(label: str, url: object) -> None:
    """Refuse a store URL that cannot be a Redis one, naming it as the caller knows it (``store``, the CLI's
    ``--redis``); a password in it is masked in the message."""
    if not isinstance(url, str):
        raise InvalidArgumentTypeError(
            f"{label} must be a Redis URL string such as 'redis://localhost:6379/0', not {type(url).__name__}"
        )
    problem = _store_url_problem(url)
    if problem is not None:
        raise InvalidArgumentError(
            f"{label} must be a Redis URL such as 'redis://localhost:6379/0' (redis://[[user]:password@]host[:port]"
            f"[/db], rediss://... for TLS, or unix:///path/to/redis.sock[?db=N]): {problem}, "
            f"in {mask_url(url)!r}"
        )


def _store_url_problem(url: str) -> str | None:
    """What is wrong with a store URL, or None: checked here, because redis-py parses it only at the first request,
    on the rate limiter's path, where a ValueError would reach the caller untyped (or end the batching task)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        return f"it does not parse ({exc})"
    if parts.scheme not in _STORE_SCHEMES:
        return f"the scheme must be redis, rediss or unix, not {parts.scheme or 'missing'!r}"
    if parts.scheme == "unix":
        if not parts.path:
            return "a unix:// URL needs the socket's path"
    else:
        if not parts.hostname:
            return "the host is missing"
        try:
            parts.port  # noqa: B018 - parsing it is the check
        except ValueError:
            return "the port must be a number from 0 to 65535"
        db = urllib.parse.unquote(parts.path).strip("/")
        if db and not db.isdigit():
            return f"the path is the database number (e.g. /0), not {db!r}"
    try:
        from redis.connection import parse_url
    except ImportError:  # reported when the store is first used, with the pip command
        return None
    try:
        # The query arguments (db, socket_timeout, ...): redis-py's messages name the argument, never its value.
        parse_url(url)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        return str(exc).rstrip(".")
    return None


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``****``: store URLs may carry Redis credentials."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    query = parts.query
    if "password=" in query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(f"{k}={'****' if k == 'password' else v}" for k, v in pairs)
    # The netloc by hand, not parts.password/.port: a URL with a bad port must still have its password masked.
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:****@{hostport}"
    # Rebuilt by hand: urlunsplit would turn "unix:///run/redis.sock" into "unix:/run/redis.sock".
    return (
        f"{parts.scheme}://{netloc}{parts.path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def rates(limits: Limits | None = None) -> Mapping[str, Rate | None]:
    """The effective rate of every class, for display (``None``: disabled)."""
    limits = limits if limits is not None else Limits()
    return {limit.name: limits.rate_for(limit) for limit in LIMIT_CLASSES}
