"""Hosts, regions, credentials and the httpx auth classes of the three Customer.io APIs."""

from __future__ import annotations

import base64
import hmac
import math
import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

from .errors import InvalidArgumentError, InvalidArgumentTypeError, MissingCredentialsError, credentials_of

__all__ = [
    "API_NAMES",
    "ENV_VARS",
    "HOSTS",
    "REGIONS",
    "AppAuth",
    "Credentials",
    "PipelinesAuth",
    "Secret",
    "TrackAuth",
    "auth_for",
    "check_timeout",
    "credential_forms",
    "resolve_region",
]

API_NAMES = ("track", "app", "pipelines")
REGIONS = ("us", "eu")
Region = Literal["us", "eu"]
RegionChoice = Literal["us", "eu", "auto"]
_REGION_CHOICES: tuple[RegionChoice, ...] = ("us", "eu", "auto")

HOSTS: dict[str, dict[str, str]] = {
    "track": {"us": "https://track.customer.io", "eu": "https://track-eu.customer.io"},
    "app": {"us": "https://api.customer.io", "eu": "https://api-eu.customer.io"},
    "pipelines": {"us": "https://cdp.customer.io/v1", "eu": "https://cdp-eu.customer.io/v1"},
}

# Field of Credentials -> environment variables read for it, first one set wins.
ENV_VARS: dict[str, tuple[str, ...]] = {
    "site_id": ("CUSTOMERIO_SITE_ID",),
    "track_api_key": ("CUSTOMERIO_TRACK_API_KEY", "CUSTOMERIO_API_KEY"),
    "app_api_key": ("CUSTOMERIO_APP_API_KEY",),
    "cdp_api_key": ("CUSTOMERIO_CDP_API_KEY",),
}
REGION_ENV_VAR = "CUSTOMERIO_REGION"


class Secret:
    """A credential string that masks itself in repr, str, format and logging; ``reveal()`` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise InvalidArgumentTypeError(f"Secret wraps a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    def __str__(self) -> str:
        return "****"

    def __format__(self, format_spec: str) -> str:
        return format("****", format_spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the plain value into whatever stores the pickle (caches, task queues).
        raise TypeError("Secret values cannot be pickled")


def _validated(field: str, value: str | Secret | None, source: str | None = None) -> Secret | None:
    if value is None:
        return None
    raw = value.reveal() if isinstance(value, Secret) else value
    if not isinstance(raw, str):
        raise InvalidArgumentTypeError(f"{field} must be a str (or a Secret), not {type(raw).__name__}")
    # Messages name the field and where it came from, never the value: it is a credential.
    origin = f"{field} (from {source})" if source else field
    if not raw.strip():
        raise InvalidArgumentError(f"{origin} is empty or whitespace: pass the value, or leave it out if unused")
    # A stray newline or space (copy-paste, `echo` into a file) would corrupt the Authorization header or be
    # rejected by httpx with an error that does not say which credential is wrong.
    if any(ch.isspace() or not ch.isprintable() for ch in raw):
        newline = " (a newline: copied with a trailing line break?)" if "\n" in raw or "\r" in raw else ""
        raise InvalidArgumentError(f"{origin} contains whitespace or control characters{newline}; strip them")
    if not raw.isascii():
        raise InvalidArgumentError(f"{origin} contains non-ASCII characters; check it was copied whole")
    return value if isinstance(value, Secret) else Secret(raw)


@dataclass(frozen=True, init=False)
class Credentials:
    """The workspace credentials; any may be missing until a request to the API that needs it is made."""

    site_id: Secret | None
    track_api_key: Secret | None
    app_api_key: Secret | None
    cdp_api_key: Secret | None

    def __init__(
        self,
        site_id: str | Secret | None = None,
        track_api_key: str | Secret | None = None,
        app_api_key: str | Secret | None = None,
        cdp_api_key: str | Secret | None = None,
    ) -> None:
        # Plain strings are accepted for convenience and wrapped, so the dataclass repr stays masked.
        object.__setattr__(self, "site_id", _validated("site_id", site_id))
        object.__setattr__(self, "track_api_key", _validated("track_api_key", track_api_key))
        object.__setattr__(self, "app_api_key", _validated("app_api_key", app_api_key))
        object.__setattr__(self, "cdp_api_key", _validated("cdp_api_key", cdp_api_key))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: str | Secret | None) -> Credentials:
        """Credentials from keyword overrides, falling back to the environment (empty variables count as unset)."""
        if env is None:
            env = os.environ
        unknown = set(overrides) - set(ENV_VARS)
        if unknown:
            raise InvalidArgumentTypeError(f"unknown credential(s) {sorted(unknown)}; expected {sorted(ENV_VARS)}")
        values: dict[str, Secret | None] = {}
        for name, variables in ENV_VARS.items():
            given = overrides.get(name)
            if given is not None:
                values[name] = _validated(name, given)
                continue
            values[name] = None
            for variable in variables:
                found = env.get(variable)
                if found:
                    values[name] = _validated(name, found, source=variable)
                    break
        return cls(**values)


def resolve_region(value: str | None = None, env: Mapping[str, str] | None = None) -> RegionChoice:
    """The region from the argument, else CUSTOMERIO_REGION, else "us"; case-insensitive."""
    if env is None:
        env = os.environ
    source = "region"
    if value is None:
        value = env.get(REGION_ENV_VAR) or None
        source = REGION_ENV_VAR
    if value is None:
        return "us"
    valid = ", ".join(f'"{choice}"' for choice in _REGION_CHOICES)
    if not isinstance(value, str):
        raise InvalidArgumentTypeError(f"{source} must be a str, one of {valid}, not {type(value).__name__}")
    normalized = value.strip().lower()
    if normalized not in _REGION_CHOICES:
        raise InvalidArgumentError(f"unknown {source} {value!r}: expected one of {valid}")
    return normalized


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class _HeaderAuth(httpx.Auth):
    """Sets one precomputed Authorization header, or fails at request time if a credential is missing."""

    requires_request_body = False
    requires_response_body = False

    def __init__(
        self, header: str | None, missing_message: str, needs: tuple[str, ...] = (), missing: tuple[str, ...] = ()
    ) -> None:
        self._header = header
        self._missing_message = missing_message
        self._needs = needs
        self._missing = missing if header is None else ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(configured={self._header is not None})"

    def require(self) -> None:
        """Raise now what the first request would raise: for tools that should fail before doing any work."""
        if self._header is None:
            raise MissingCredentialsError(self._missing_message, needs=self._needs, missing=self._missing)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.require()
        assert self._header is not None
        request.headers["Authorization"] = self._header
        yield request


def _missing_message(api: str, arguments: tuple[str, ...], missing: list[str], client: str) -> str:
    """``client``: the class the user constructed (CustomerIO, SyncCustomerIO), whose arguments are the fix."""
    needs = " and ".join(arguments)
    pass_args = ", ".join(f"{name}=..." for name in arguments)
    variables = " and ".join(ENV_VARS[name][0] for name in arguments)
    lacking = ", ".join(missing)
    return f"{api} API needs {needs} (missing: {lacking}): pass {client}({pass_args}) or set {variables}" + (
        " (CUSTOMERIO_API_KEY is also read for track_api_key)" if "track_api_key" in missing else ""
    )


class TrackAuth(_HeaderAuth):
    """Track API: HTTP Basic with site ID and Track API key."""

    def __init__(
        self, site_id: str | Secret | None, api_key: str | Secret | None, *, client: str = "CustomerIO"
    ) -> None:
        site_id = _validated("site_id", site_id)
        api_key = _validated("track_api_key", api_key)
        missing = [name for name, value in (("site_id", site_id), ("track_api_key", api_key)) if value is None]
        header = _basic(site_id.reveal(), api_key.reveal()) if site_id is not None and api_key is not None else None
        needs = ("site_id", "track_api_key")
        super().__init__(header, _missing_message("Track", needs, missing, client), needs, tuple(missing))


class AppAuth(_HeaderAuth):
    """App API: Bearer App API key."""

    def __init__(self, api_key: str | Secret | None, *, client: str = "CustomerIO") -> None:
        api_key = _validated("app_api_key", api_key)
        header = f"Bearer {api_key.reveal()}" if api_key is not None else None
        needs = ("app_api_key",)
        super().__init__(header, _missing_message("App", needs, list(needs), client), needs, needs)


class PipelinesAuth(_HeaderAuth):
    """Pipelines API: HTTP Basic with the CDP API key as user name and an empty password."""

    def __init__(self, api_key: str | Secret | None, *, client: str = "CustomerIO") -> None:
        api_key = _validated("cdp_api_key", api_key)
        header = _basic(api_key.reveal(), "") if api_key is not None else None
        needs = ("cdp_api_key",)
        super().__init__(header, _missing_message("Pipelines", needs, list(needs), client), needs, needs)


def auth_for(api: str, credentials: Credentials, client: str = "CustomerIO") -> httpx.Auth:
    """The auth of one API built from the workspace credentials; ``client`` is named in a missing credential's fix."""
    if api == "track":
        return TrackAuth(credentials.site_id, credentials.track_api_key, client=client)
    if api == "app":
        return AppAuth(credentials.app_api_key, client=client)
    if api == "pipelines":
        return PipelinesAuth(credentials.cdp_api_key, client=client)
    raise InvalidArgumentError(f"unknown API {api!r}: expected one of {', '.join(API_NAMES)}")


def credential_forms(credentials: Credentials) -> tuple[str, ...]:
    """Every credential of the workspace in each form a server could quote it back (``errors.credentials_of`` of
    the request each API's auth would send), longest first: for output that prints answers as they came."""
    forms: set[str] = set()
    for api in API_NAMES:
        request = httpx.Request("GET", "https://localhost/")
        try:
            next(auth_for(api, credentials).sync_auth_flow(request))
        except MissingCredentialsError:
            continue
        forms.update(credentials_of(request))
    return tuple(sorted(forms, key=len, reverse=True))


def check_timeout(field: str, value: object) -> None:
    """A timeout is a positive, finite number of seconds, an ``httpx.Timeout``, or None (no timeout)."""
    if value is None or isinstance(value, httpx.Timeout):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentTypeError(
            f"{field} must be a number of seconds, an httpx.Timeout or None, not {type(value).__name__}"
        )
    if not (math.isfinite(value) and value > 0):
        raise InvalidArgumentError(
            f"{field} must be a positive, finite number of seconds (None for no timeout), not {value!r}"
        )
