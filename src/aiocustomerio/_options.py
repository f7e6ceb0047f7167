"""Per-call options (``timeout``, ``extra_headers``, ``extra_query``, ``max_retries``, ``retry_unsafe``): their names,
the ``NOT_GIVEN`` default of optional parameters, and the one check of their values, for calls and ``with_options``
views alike (async and sync)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypedDict

import httpx

from ._config import check_timeout
from .errors import InvalidArgumentError, InvalidArgumentTypeError, UnknownParameterError

__all__ = ["NOT_GIVEN", "OPTION_NAMES", "NotGiven", "RequestOptions", "check_options", "check_sugar"]


class NotGiven:
    """The default of every optional parameter: the generated function then applies the spec's own default."""

    _instance: ClassVar[NotGiven | None] = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


class RequestOptions(TypedDict, total=False):
    """Per-call options every generated and sugar method takes; they never enter a body."""

    timeout: float | httpx.Timeout | None  # seconds, an httpx.Timeout, or None for no timeout
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    max_retries: int  # 0: send once
    retry_unsafe: bool  # retry an unsafe operation (a send, a trigger) like any other


OPTION_NAMES = frozenset(RequestOptions.__annotations__)


def check_options(
    what: str, options: Mapping[str, Any], accepted: Iterator[str] | tuple[str, ...] = (), hint: str = ""
) -> None:
    """Refuse a keyword that is neither a parameter nor an option (naming the closest valid name), and an option
    whose value cannot work; before anything is sent, and when a ``with_options`` view is made."""
    for key in options:
        if key not in OPTION_NAMES:
            valid = sorted({*accepted, *OPTION_NAMES})
            raise UnknownParameterError(what, key, valid, hint)
    if "timeout" in options:
        check_timeout(f"{what}: timeout", options["timeout"])
    for name, example in (("extra_headers", "{'X-Name': 'value'}"), ("extra_query", "{'name': 'value'}")):
        value = options.get(name)
        if value is not None and not isinstance(value, Mapping):
            raise InvalidArgumentTypeError(
                f"{what}: {name} must be a mapping such as {example}, not {type(value).__name__}"
            )
    headers = options.get("extra_headers")
    if headers:
        for header, value in headers.items():
            # Values are never echoed: a header may carry a credential.
            if not isinstance(header, str):
                problem = f"the name {header!r} is a {type(header).__name__}"
            elif not isinstance(value, str):
                problem = f"the value of {header!r} is a {type(value).__name__}"
            elif header.lower() in _CREDENTIAL_HEADERS:
                raise InvalidArgumentError(
                    f"{what}: extra_headers must not set {header!r}: the client sends each API's credentials itself, "
                    "and another value would silently replace them; give the credentials to the client instead "
                    "(CustomerIO(site_id=..., track_api_key=..., app_api_key=..., cdp_api_key=...) or the "
                    "CUSTOMERIO_* variables), and make another client for another workspace"
                )
            else:
                _check_header(what, header, value)
                continue
            raise InvalidArgumentTypeError(f"{what}: extra_headers names and values must be str: {problem}")
    query = options.get("extra_query")
    if query:
        _check_query(what, query)
    retries = options.get("max_retries")
    if retries is not None:
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise InvalidArgumentTypeError(
                f"{what}: max_retries must be an integer >= 0 (0: send once), not {type(retries).__name__}"
            )
        if retries < 0:
            raise InvalidArgumentError(f"{what}: max_retries must be an integer >= 0 (0: send once), not {retries!r}")
    unsafe = options.get("retry_unsafe")
    if unsafe is not None and not isinstance(unsafe, bool):
        raise InvalidArgumentTypeError(
            f"{what}: retry_unsafe must be True or False (True: retry a send like any call), "
            f"not {type(unsafe).__name__}"
        )


# The header each API's credentials travel in (Basic for Track and Pipelines, Bearer for App): an extra header of
# that name replaced them without a word, so a call meant for one workspace could be sent with another's key.
_CREDENTIAL_HEADERS = frozenset({"authorization"})
_QUERY_SCALARS = (str, int, float, type(None))  # what httpx writes as a query value (bool is an int)


def _check_query(what: str, query: Mapping[Any, Any]) -> None:
    """Query values httpx can write: a scalar or a list of them (repeated). A mapping or another object was sent as
    its Python repr (``?a=%7B%27b%27%3A+1%7D``)."""
    for name, value in query.items():
        if not isinstance(name, str):
            raise InvalidArgumentTypeError(f"{what}: extra_query names must be str, not {type(name).__name__}")
        values = value if isinstance(value, (list, tuple)) else (value,)
        for item in values:
            if not isinstance(item, _QUERY_SCALARS):
                raise InvalidArgumentTypeError(
                    f"{what}: extra_query[{name!r}] is a {type(item).__name__}; a query value is a str, int, float, "
                    "bool or None, or a list of them (sent as the parameter repeated): encode it first (json.dumps?)"
                )


# RFC 9110 5.1 and 5.5: a name is a token; a value is visible ASCII with inner spaces or tabs. What the wire libraries
# refuse differently: aiohttp raises a bare ValueError for CR/LF/NUL/DEL, h11 a LocalProtocolError once the request
# is on its way (counted as a transport failure, and quoting the value), both a UnicodeEncodeError for non-ASCII.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20\x09\x21-\x7e]*[\x21-\x7e])?)?")


def _check_header(what: str, name: str, value: str) -> None:
    """An extra header HTTP/1.1 can carry as given, or InvalidArgumentError naming it (never its value)."""
    field = f"{what}: extra_headers[{name!r}]"
    if not _TOKEN.fullmatch(name):
        raise InvalidArgumentError(
            f"{what}: extra_headers name {name!r} is not a valid header name: letters, digits and !#$%&'*+-.^_`|~ only"
        )
    if _FIELD_VALUE.fullmatch(value):
        return
    if "\r" in value or "\n" in value:
        problem = "contains a line break (CR/LF): a header value is one line; remove it (a pasted trailing newline?)"
    elif any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in value):
        problem = "contains a control character; remove it"
    elif not value.isascii():
        problem = "contains non-ASCII characters; encode the value (percent-encoding, base64) before passing it"
    else:
        problem = "starts or ends with whitespace; strip it"
    raise InvalidArgumentError(f"{field} {problem}")


def check_sugar(api: str, method: Any, options: Mapping[str, Any], hint: str = "") -> None:
    """``check_options`` for a handwritten method: its own parameter names are the valid ones (error path only)."""
    code = inspect.unwrap(method).__code__
    names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    check_options(f"{api}.{method.__name__}", options, names, hint)
