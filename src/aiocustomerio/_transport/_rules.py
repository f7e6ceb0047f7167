"""Every decision of the transport stack, in one place for the async and the sync transport.

What to retry, how long to wait, where a redirect may go and which typed error to raise are decided here; the two
transports (``_async``, ``_sync``) only send, sleep and acquire. Per-request switches come from
``request.extensions`` (the team contract, see ``aiocustomerio._transport``).
"""

from __future__ import annotations

import logging
import ssl
from urllib.parse import urlsplit

import httpx

from .._config import HOSTS
from .._retry import NOT_SENT_EXCEPTIONS, RetryPolicy
from ..errors import APIStatusError, APITransportError, error_for_response, parse_retry_after

__all__ = ["CLI", "Rules"]

logger = logging.getLogger("aiocustomerio")

# RFC 9110 15.4: only 307 and 308 promise the same method and body at the new location. After a 303 the server
# asks for a GET of another resource, and after a 301/302 clients turn a POST into a GET in practice: replaying a
# write there sends what the server did not ask for, and a GET instead would drop the write. So a write follows
# only these; a read (nothing to drop) follows any regional redirect.
METHOD_PRESERVING = frozenset({307, 308})
_READS = frozenset({"GET", "HEAD"})


# The command line's name as a Rules client: its fixes are the operator's flags, not a constructor's arguments.
CLI = "aiocustomerio"


def _region_fix(client: str, region: str) -> str:
    return f"--region {region}" if client == CLI else f"{client}(region={region!r})"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower()


class Rules:
    """The retry policy and the API's hosts, applied to one request's outcomes.

    Stateless per request (the loops keep the attempt count), so one instance serves every task and thread.
    """

    __slots__ = ("_region_hosts", "_warned", "api", "client", "retry")

    def __init__(self, retry: RetryPolicy, api: str | None = None, client: str = "CustomerIO") -> None:
        self.retry = retry
        self.api = api
        self.client = client  # the class the user built (or CLI), whose argument (or flag) a hint names as the fix
        # region -> (scheme, host) of this API's Customer.io host: the only places a redirect may be followed to.
        self._region_hosts: dict[tuple[str, str], str] = (
            {_origin(url): region for region, url in HOSTS[api].items()} if api in HOSTS else {}
        )
        self._warned: set[str] = set()

    # -- retries ---------------------------------------------------------------------------------------------------

    def max_retries(self, request: httpx.Request) -> int:
        extensions = request.extensions
        if extensions.get("aiocustomerio_retry") is False:
            return 0
        override = extensions.get("aiocustomerio_max_retries")
        if override is None:
            return self.retry.max_retries
        if isinstance(override, bool) or not isinstance(override, int) or override < 0:
            raise TypeError(f"aiocustomerio_max_retries must be an int >= 0, not {override!r}")
        return override

    @staticmethod
    def guarded(request: httpx.Request) -> bool:
        """True for an unsafe operation (repeating it could send a message twice) whose caller did not opt in."""
        extensions = request.extensions
        return (
            extensions.get("aiocustomerio_unsafe") is True and extensions.get("aiocustomerio_retry_unsafe") is not True
        )

    def exception_delay(
        self, request: httpx.Request, exc: Exception, retry: int, max_retries: int, answered: int | None = None
    ) -> float | None:
        """Seconds to wait before resending after a transport error, or None to raise it.

        ``answered`` is the status of an answer whose body then broke off: the request was processed.
        """
        if retry >= max_retries or certificate_failure(exc):
            return None
        if self.guarded(request):
            if answered is not None:
                return None  # a send answered 2xx went out, whatever became of the body
            # Only failures that prove the request never left: after a read timeout or a reset, it may have been
            # processed, and Customer.io has no idempotency key for sends and triggers.
            retryable = isinstance(exc, NOT_SENT_EXCEPTIONS)
        else:
            retryable = self.retry.is_retryable_exception(exc)
        return self.retry.backoff(retry) if retryable else None

    def status_delay(
        self, request: httpx.Request, response: httpx.Response, retry: int, max_retries: int
    ) -> float | None:
        """Seconds to wait before resending after an error status, or None to raise (or return) it."""
        status = response.status_code
        if retry >= max_retries or not self.retry.is_retryable_status(status):
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        # 429, and 503 with Retry-After, say the request was refused, not processed: the only answers after which
        # an unsafe operation is resent.
        if self.guarded(request) and not (status == 429 or (status == 503 and retry_after is not None)):
            return None
        return self.retry.wait(retry, retry_after)

    @staticmethod
    def fleet_pause(response: httpx.Response) -> float | None:
        """Seconds a 429's Retry-After asks every client sharing the budget to hold off (the limiter's pause hook)."""
        if response.status_code != 429:
            return None
        return parse_retry_after(response.headers.get("retry-after"))

    # -- redirects -------------------------------------------------------------------------------------------------

    def follow(self, request: httpx.Request, response: httpx.Response) -> httpx.Request | None:
        """The request to send instead of a 3xx, only when it points from one of this API's Customer.io regional
        hosts to another (Track documents sending EU traffic to the US host on); None means raise RedirectError.

        The same method, body and credentials go to a Customer.io host of the same API and nowhere else, and a write
        only under a method-preserving status (``METHOD_PRESERVING``).
        """
        location = response.headers.get("location")
        if location is None or not self._region_hosts or not _keeps_method(request, response):
            return None
        target = request.url.join(location)
        here = self._region_hosts.get((request.url.scheme, request.url.host))
        there = self._region_hosts.get((target.scheme, target.host))
        if here is None or there is None or here == there or target.port not in (None, 443):
            return None
        try:
            content = request.content
        except httpx.RequestNotRead:
            return None  # a streamed body already went out once and cannot be replayed
        if target.host not in self._warned:
            self._warned.add(target.host)
            logger.warning(
                "%s redirected to %s: this workspace is in the %s region; pass %s (or %s) so requests go "
                "there directly instead of through %s servers",
                request.url.host,
                target.host,
                there.upper(),
                _region_fix(self.client, there),
                "--region auto" if self.client == CLI else "region='auto'",
                here.upper(),
            )
        headers = request.headers.copy()
        headers["Host"] = target.netloc.decode("ascii")
        return httpx.Request(request.method, target, headers=headers, content=content, extensions=request.extensions)

    def redirect_hint(self, request: httpx.Request, response: httpx.Response) -> str:
        location = response.headers.get("location")
        api = self.api or "the"
        if location is not None:
            target = request.url.join(location)
            if target.host == request.url.host and target.scheme == "https" and request.url.scheme == "http":
                return f"use an https:// base URL for the {api} API"
            there = self._region_hosts.get((target.scheme, target.host))
            if there is not None:
                fix = f"the workspace is in the {there.upper()} region: pass {_region_fix(self.client, there)}"
                if not _keeps_method(request, response):
                    fix += (
                        f" (a {response.status_code} to another region is followed only for GET/HEAD: it does not "
                        f"promise the same {request.method} at the new location, only 307/308 do)"
                    )
                return fix
        if self.api in HOSTS:
            hosts = " or ".join(f"{url} ({region.upper()})" for region, url in HOSTS[self.api].items())
            where = "--base-url and --region" if self.client == CLI else f"{self.api}_base_url and region"
            return f"redirects are not followed; check {where}: the {api} API is {hosts}"
        return "redirects are not followed; check the base URL"

    # -- errors ----------------------------------------------------------------------------------------------------

    def status_error(
        self, request: httpx.Request, response: httpx.Response, attempts: int, last_cause: str | None
    ) -> APIStatusError:
        hint = self.redirect_hint(request, response) if 300 <= response.status_code < 400 else None
        return error_for_response(response, request, attempts=attempts, last_cause=last_cause, hint=hint)

    @staticmethod
    def transport_error(
        request: httpx.Request,
        exc: httpx.TransportError,
        attempts: int,
        last_cause: str | None,
        answered: int | None = None,
    ) -> APITransportError:
        return APITransportError.from_exception(exc, request, attempts=attempts, last_cause=last_cause, status=answered)


def _keeps_method(request: httpx.Request, response: httpx.Response) -> bool:
    return request.method in _READS or response.status_code in METHOD_PRESERVING


def certificate_failure(exc: BaseException) -> bool:
    """Whether TLS certificate verification failed somewhere down ``exc``'s chain: the same every time, so never
    worth a retry (a wrong base URL, a proxy intercepting TLS, a missing CA bundle)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, ssl.SSLCertVerificationError):  # aiohttp's ClientConnectorCertificateError is one
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def describe(response_or_exc: httpx.Response | BaseException) -> str:
    """A short, credential-free name for why a retry happened: ``"503 Service Unavailable"``, ``"ReadTimeout"``."""
    if isinstance(response_or_exc, httpx.Response):
        return f"{response_or_exc.status_code} {response_or_exc.reason_phrase}".rstrip()
    return type(response_or_exc).__name__
