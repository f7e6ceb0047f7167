"""The base client under the generated resources: a call becomes a request, the answer a model or a typed error.

The generated classes (``<pkg>/_resources.py`` and ``_sync_resources.py``, from codegen/emit_resources.py) are typed
shells: each method hands its arguments here as a dict. Everything that is not I/O (checking and converting the
arguments, building the request with the generated ``_get_kwargs``, applying per-call options, parsing with the
generated ``_parse_response``) is one implementation for async and sync; only the two send paths differ.

The façade sends through the API's own pooled ``httpx`` client rather than the generated ``asyncio_detailed``: that
gives the raw ``httpx.Response`` (``with_raw_response``), dict bodies encoded once, and the transport stack beneath
(auth, limits, retries, typed errors). ``_get_kwargs`` and ``_parse_response`` are stable within the pinned
generator version (0.29.1); check-generated catches a change.
"""

from __future__ import annotations

import datetime as _dt
import enum
import inspect
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, TypeVar, overload

import httpx

from . import _payload
from ._arguments import typed_calls
from ._binding import ApiBinding, OperationInfo, merge_options
from ._config import check_timeout
from ._encode import dumps, unix_seconds
from ._ids import stamp_dedup
from ._missing import no_attribute, public_names
from ._params import shown as _shown
from .errors import InvalidArgumentError, InvalidArgumentTypeError, ResponseValidationError, UnknownParameterError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType
    from typing import Concatenate, ParamSpec

    from typing_extensions import Unpack

    from ._pagination import AsyncPaginator, SyncPaginator

    P = ParamSpec("P")

    class AsyncRawCall(Generic[P]):
        """Typing only: ``name = AsyncRawCall(Owner.method)`` in the class of a raw view (``with_raw_response``) gives
        the method's parameters and the ``httpx.Response`` as its result, whatever the method returns parsed."""

        def __init__(self, method: Callable[Concatenate[Any, P], Awaitable[object]]) -> None: ...

        def __get__(self, obj: object, owner: object = None) -> Callable[P, Awaitable[httpx.Response]]:
            raise NotImplementedError

    class SyncRawCall(Generic[P]):
        """``AsyncRawCall`` for the sync client's raw views."""

        def __init__(self, method: Callable[Concatenate[Any, P], object]) -> None: ...

        def __get__(self, obj: object, owner: object = None) -> Callable[P, httpx.Response]:
            raise NotImplementedError


__all__ = [
    "NOT_GIVEN",
    "AsyncOperation",
    "AsyncResources",
    "AsyncTag",
    "NotGiven",
    "RequestOptions",
    "SyncOperation",
    "SyncResources",
    "SyncTag",
    "extend_tag",
    "operation",
    "tag",
]


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


def check_body(op: OperationInfo, body: Any) -> None:
    """A body of the shape the operation takes: a mapping or the generated model (or a list, for an array body)."""
    if op.body == "array":
        if isinstance(body, list) or callable(getattr(body, "to_dict", None)):
            return
        wanted = "a list (a JSON array)"
    elif isinstance(body, Mapping) or callable(getattr(body, "to_dict", None)):
        return
    else:
        wanted = "a mapping (a JSON object) such as {'name': 'value'} or the generated model"
    raise InvalidArgumentTypeError(f"{op.name}: body must be {wanted}, not {type(body).__name__}")


class _RawBody:
    """Lets a plain mapping stand where a generated model is expected; the façade encodes it itself."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def to_dict(self) -> Any:
        return self.value

    def to_multipart(self) -> Any:
        # A multipart body's files need the generated model's File fields: a mapping cannot say which are files.
        raise InvalidArgumentTypeError(
            "a multipart/form-data body must be the generated model (its File fields carry the files), not a mapping"
        )


def _to_enum(op: OperationInfo, param: str, enum_type: type[enum.Enum], value: Any) -> Any:
    """A plain value becomes the generated enum member; anything else is refused naming the allowed values (an int
    is taken for a string value spelt with its digits, as string parameters take one)."""
    if isinstance(value, enum_type):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        by_text = {str(m.value): m for m in enum_type}
        if str(value) in by_text:
            return by_text[str(value)]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return enum_type(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(m.value) for m in enum_type)
    message = f"{op.label}: {op.describe(param)} must be one of {allowed}, not {_shown(value)}"
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        raise InvalidArgumentError(message)
    raise InvalidArgumentTypeError(message)


def _check_fields(checks: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Each top-level body field the index types, walking the smaller of the two (a Track identify's body is often
    one or two attributes against seven typed fields)."""
    if len(body) <= len(checks):
        for key, value in body.items():
            check = checks.get(key)
            if check is not None and value is not None:
                check(value)
    else:
        for key, check in checks.items():
            value = body.get(key)
            if value is not None:
                check(value)


def build_request(api: ApiBinding, info: OperationInfo, module: ModuleType, given: dict[str, Any], options: Any) -> Any:
    """The keyword arguments of ``httpx.Client.request`` for one call (shared by async and sync)."""
    if options:
        check_options(f"{info.api}.{info.tag}.{info.name}", options, info.accepted)
    params = {k: v for k, v in given.items() if v is not NOT_GIVEN}
    for name in info.timestamps:
        value = params.get(name)
        if isinstance(value, (_dt.datetime, _dt.date)):
            params[name] = unix_seconds(value)
    checks = info.checks
    for name, value in params.items():
        check = checks.get(name)
        if check is not None:
            params[name] = check(value)  # the value to send, or a typed error naming the parameter
    raw_body = params.get("body")
    if "body" in params:
        check_body(info, raw_body)
        if info.fields and (type(raw_body) is dict or isinstance(raw_body, Mapping)):  # the ABC test is slow
            _check_fields(info.field_checks, raw_body)
    if info.dedup and raw_body is not None:
        # Stamped here, once, so every retry of this request resends the same ids (Customer.io drops the repeat);
        # a model body is sent as its dict for that.
        to_dict = getattr(raw_body, "to_dict", None)
        raw_body = stamp_dedup(to_dict() if callable(to_dict) else raw_body, info.dedup)
    if isinstance(raw_body, (Mapping, list)):
        params["body"] = _RawBody(raw_body)
    for name in info.object_params:
        value = params.get(name)
        if isinstance(value, Mapping):
            params[name] = _RawBody(dict(value))
        elif name in params and not callable(getattr(value, "to_dict", None)):
            raise InvalidArgumentTypeError(
                f"{info.label}: {info.describe(name)} must be a mapping or the generated model, not {_shown(value)}"
            )
    for name, enum_name in info.enums:
        if name in params:
            value, kind = params[name], getattr(module, enum_name)
            if name in info.enum_lists:  # a list of enum values, already checked to be a list (_params)
                params[name] = [_to_enum(info, name, kind, item) for item in value]
            else:
                params[name] = _to_enum(info, name, kind, value)
    try:
        request: dict[str, Any] = module._get_kwargs(**params)
    except TypeError as exc:
        raise InvalidArgumentTypeError(f"{info.api}.{info.tag}.{info.name}: {exc}") from None
    if isinstance(raw_body, (Mapping, list)) and "json" in request:
        # A JSON body is encoded here (the datetime style, the size check); a form body (`data`) is the generated
        # code's, from the same mapping: encoding it as JSON under the form's content type sent the wrong bytes.
        request.pop("json")
        style = api.datetime_style
        content = dumps(raw_body, style)
        _payload.check(info.api, info.method, info.path, content, raw_body, lambda item: dumps(item, style), params)
        request["content"] = content
    extensions: dict[str, Any] = {"aiocustomerio_unsafe": True} if info.unsafe else {}
    merged = merge_options(api.options, options) if api.options else options
    if merged:
        _apply_options(request, extensions, merged)
    if info.unsafe and _opts_in(options):
        # Issue 10: "the caller can opt in per call (`max_retries=`, or an explicit `retry_unsafe=True`)". A retry
        # count written in this call is that opt-in; a client's RetryPolicy or a with_options() view is a default
        # for every call, sends included, so it never is.
        extensions["aiocustomerio_retry_unsafe"] = True
    if extensions:
        request["extensions"] = extensions
    return request


def _opts_in(options: Mapping[str, Any]) -> bool:
    """Whether this call's own options opt an unsafe operation in to retries: ``retry_unsafe=True``, or
    ``max_retries=N`` (N > 0) unless ``retry_unsafe=False`` says otherwise."""
    if "retry_unsafe" in options:
        return bool(options["retry_unsafe"])
    retries = options.get("max_retries")
    return isinstance(retries, int) and retries > 0


def _apply_options(request: dict[str, Any], extensions: dict[str, Any], options: Mapping[str, Any]) -> None:
    if "timeout" in options:
        request["timeout"] = options["timeout"]
    headers = options.get("extra_headers")
    if headers:
        request["headers"] = {**request.get("headers", {}), **headers}
    query = options.get("extra_query")
    if query:
        request["params"] = {**request.get("params", {}), **query}
    retries = options.get("max_retries")
    if retries is not None:  # checked by check_options
        extensions["aiocustomerio_max_retries"] = retries
        if retries == 0:
            extensions["aiocustomerio_retry"] = False
    if options.get("retry_unsafe"):
        extensions["aiocustomerio_retry_unsafe"] = True


R = TypeVar("R")
T = TypeVar("T")
_R = TypeVar("_R", bound="_Resources")


class _Operation(Generic[R]):
    """What async and sync operations share: their index entry, their generated module, parsing."""

    _tag: ClassVar[str]
    _name: ClassVar[str]
    __slots__ = ("_api", "info")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        typed_calls(cls, _operation_label, ("__call__", "with_raw_response", "paginate"))

    def __init__(self, api: ApiBinding) -> None:
        self._api = api
        self.info: OperationInfo = api.info(self._tag, self._name)

    def __repr__(self) -> str:
        info = self.info
        return f"<{type(self).__name__} {info.api}.{info.tag}.{info.name}: {info.method} {info.path}>"

    @property
    def module(self) -> ModuleType:
        return self._api.module(self.info)

    def _request(self, given: dict[str, Any], options: Any) -> Any:
        return build_request(self._api, self.info, self._api.module(self.info), given, options)

    def parse(self, response: httpx.Response) -> R:
        try:
            parsed: R = self._api.module(self.info)._parse_response(client=self._api.parser_client, response=response)
        except Exception as exc:
            # A response the spec does not describe (a new field type, a missing field) must not look like a bug in
            # the caller's code; the raw response stays reachable on the error and via with_raw_response. Any kind:
            # a body nested deeper than the stack raises RecursionError from the JSON decoder, a generated
            # from_dict may raise what its types do.
            raise ResponseValidationError(self.info.name, response, exc) from exc
        if parsed is None and not self.info.returns_none:
            # The parser's None for a status it does not know (a 202 or 204 where the spec documents a 200 with a
            # model): typed as the model, it would fail far from the call, and end a listing as if it were the last
            # page.
            raise ResponseValidationError(self.info.name, response)
        return parsed


def _operation_label(op: _Operation[Any], method: str) -> str:
    info = op.info
    return f"{info.api}.{info.tag}.{info.name}" + ("" if method == "__call__" else f".{method}")


class AsyncOperation(_Operation[R]):
    """One operation bound to an API: await it for the model, or use ``with_raw_response`` / ``paginate``."""

    __slots__ = ()

    async def _raw(self, given: dict[str, Any], options: Any) -> httpx.Response:
        request = self._request(given, options)
        http = self._api.pool.client
        if http is None:
            http = await self._api.connect()
        return await http.request(**request)

    async def _call(self, given: dict[str, Any], options: Any) -> R:
        response = await self._raw(given, options)
        return response if self._api.raw else self.parse(response)  # type: ignore[return-value]

    async def _page(self, given: dict[str, Any], options: Any) -> R:
        return self.parse(await self._raw(given, options))

    def _paginate(self, given: dict[str, Any], max_items: int | None, options: Any) -> AsyncPaginator[Any, R]:
        from ._pagination import AsyncPaginator, Walk

        self._request(given, options)  # mistakes fail here, not at the first page
        return AsyncPaginator(self._page, Walk(self.info, given, max_items), options)


class SyncOperation(_Operation[R]):
    """The same operation for ``httpx.Client``: call it, or use ``with_raw_response`` / ``paginate``."""

    __slots__ = ()

    def _raw(self, given: dict[str, Any], options: Any) -> httpx.Response:
        return self._api.sync_client().request(**self._request(given, options))

    def _call(self, given: dict[str, Any], options: Any) -> R:
        response = self._raw(given, options)
        return response if self._api.raw else self.parse(response)  # type: ignore[return-value]

    def _page(self, given: dict[str, Any], options: Any) -> R:
        return self.parse(self._raw(given, options))

    def _paginate(self, given: dict[str, Any], max_items: int | None, options: Any) -> SyncPaginator[Any, R]:
        from ._pagination import SyncPaginator, Walk

        self._request(given, options)
        return SyncPaginator(self._page, Walk(self.info, given, max_items), options)


class _Slot(Generic[T]):
    """A class attribute that builds its resource on first access and caches it on the instance."""

    def __init__(self, factory: type[T]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Slot[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object, owner: type) -> _Slot[T] | T:
        if obj is None:
            return self
        value = self.factory(obj._api)  # type: ignore[attr-defined, call-arg]
        obj.__dict__[self.name] = value
        return value


class _ExtendedTag:
    """A generated tag with handwritten methods mixed in (``cio.app.customers.search``), built on first use."""

    def __init__(self, mixin: type, module: str | None, route: str | None = None) -> None:
        typed_calls(mixin, _tag_label)
        self.mixin = mixin
        self.module = module
        self.route = route
        self.name = ""
        # Per root module: the async API and its sync twin extend their own generated tag with the same mixin.
        self.built: dict[str, type] = {}

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        module = self.module or obj._module
        built = self.built.get(module)
        if built is None:
            # By route when given: the tag keeps its attribute name here when a regenerated spec renames it.
            tag_name = obj._api.by_route()[self.route].tag if self.route else self.name
            base = getattr(obj._api.root_class(module), tag_name).factory
            built = self.built[module] = type(base.__name__, (self.mixin, base), {"__doc__": self.mixin.__doc__})
        value = obj.__dict__[self.name] = built(obj._api)
        return value


def extend_tag(mixin: type, module: str | None = None, *, route: str | None = None) -> Any:
    """``customers = extend_tag(CustomersSearch)``: the generated ``customers`` tag plus the mixin's methods.

    ``module``: the generated module whose tag is extended; by default the owner's (``_resources`` for an async
    API, ``_sync_resources`` for its sync twin). ``route``: extend the tag holding that operation, whatever the spec
    calls it, instead of the one named like the attribute."""
    return _ExtendedTag(mixin, module, route)


def operation(factory: type[T]) -> _Slot[T]:
    return _Slot(factory)


def tag(factory: type[T]) -> _Slot[T]:
    return _Slot(factory)


def _tag_label(tag: _Tag, method: str) -> str:
    return f"{tag._api.name}.{tag._tag}.{method}"


class _Tag:
    """The operations of one tag, as attributes: ``cio.app.campaigns.list_campaigns``."""

    _tag: ClassVar[str]

    def __init__(self, api: ApiBinding) -> None:
        self._api = api

    def _names(self) -> list[str]:
        return sorted({n for klass in type(self).__mro__ for n, v in vars(klass).items() if isinstance(v, _Slot)})

    def __dir__(self) -> list[str]:
        return self._names()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self._names())} operations of {self._api.name}>"

    if not TYPE_CHECKING:  # type checkers must still flag a misspelt operation

        def __getattr__(self, name: str) -> Any:
            # The operations and the methods a mixin adds (``customers.search``): the class's public names.
            label = f"{self._api.name}.{self._tag}"
            raise no_attribute(self, name, label, kind="operation", names=public_names(type(self)))


class AsyncTag(_Tag):
    """A tag of an async API."""


class SyncTag(_Tag):
    """A tag of a sync API."""


class _Resources:
    """One API's tags and ``route()``.

    The generated root class (``<pkg>/_resources.py``) declares the tags. The handwritten API classes (the sugar)
    derive from it only for type checkers: at run time they derive from this base, which finds a tag in the generated
    root on first use, so ``import aiocustomerio`` does not load the resource modules.
    """

    _package: ClassVar[str]
    _module: ClassVar[str]  # the generated module holding ROOT: _resources or _sync_resources

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        typed_calls(cls, _resources_label)  # the sugar's methods

    def __init__(self, api: ApiBinding) -> None:
        self._api = api
        self._ops: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self._api.name

    @property
    def package(self) -> str:
        return self._api.package

    @property
    def index(self) -> dict[str, dict[str, OperationInfo]]:
        return self._api.index

    @property
    def with_raw_response(self) -> Any:
        """The same API whose calls, sugar included, return the ``httpx.Response`` instead of the parsed model.

        ``await cio.track.with_raw_response.identify("u1", {"plan": "pro"})``; it shares the connection pool. Typed
        by each generated root (its ``...RawResources`` class) and each API class (its ``...RawAPI``, with sugar).
        """
        return type(self)(self._api.view(raw=True))

    def with_options(self: _R, **options: Unpack[RequestOptions]) -> _R:
        """The same API with default per-call options (``timeout``, ``max_retries``, ...); shares the pool."""
        check_options(f"{self.name}.with_options", options)
        return type(self)(self._api.view(options=dict(options)))

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.index))

    def _route(self, key: str) -> Any:
        op = self._ops.get(key)
        if op is None:
            info = self._api.by_route().get(key)
            if info is None:
                method, _, path = key.partition(" ")
                raise LookupError(f"the {self.name} spec has no operation {method} {path}")
            op = self._ops[key] = getattr(getattr(self, info.tag), info.name)
        return op

    def route(self, key: str) -> Any:
        """The operation of a route, ``"METHOD /path"`` as the spec spells it (typed by the generated root)."""
        return self._route(key)

    def tag(self, name: str) -> Any:
        """The tag called ``name`` (``cio.app.tag("campaigns")``), for callers that have the name as data."""
        if name.startswith("_") or name not in self.index:
            raise self._no_tag(name)
        return getattr(self, name)

    def _no_tag(self, name: str) -> AttributeError:
        return no_attribute(self, name, self.name, kind="tag", names=self.index)

    def operation(self, method: str, path: str) -> Any:
        """The operation of a route, e.g. ``("PUT", "/api/v1/customers/{identifier}")`` (untyped: see ``route``)."""
        return self._route(f"{method.upper()} {path}")

    def operations(self) -> Iterator[Any]:
        for tag_name, infos in sorted(self.index.items()):
            for op_name in sorted(infos):
                yield getattr(getattr(self, tag_name), op_name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {len(self.index)} tags>"

    if not TYPE_CHECKING:  # type checkers must still flag a misspelt tag

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            slot = getattr(self._api.root_class(self._module), name, None)
            if isinstance(slot, _Slot):
                value = self.__dict__[name] = slot.factory(self._api)
                return value
            # The tags and the handwritten methods (``track.identify``): a typo of either is named.
            raise no_attribute(self, name, self.name, kind="tag or method", names=dir(self))


def _resources_label(resources: _Resources, method: str) -> str:
    return f"{resources.name}.{method}"


typed_calls(_Resources, _resources_label)


class AsyncResources(_Resources):
    """The async root: ``http`` is the pooled ``httpx.AsyncClient`` once opened."""

    _module = "_resources"

    @property
    def http(self) -> httpx.AsyncClient | None:
        return self._api.pool.client

    @http.setter
    def http(self, client: httpx.AsyncClient | None) -> None:
        self._api.pool.client = client

    async def connect(self) -> httpx.AsyncClient:
        return await self._api.connect()


class SyncResources(_Resources):
    """The sync root: ``http`` is the pooled ``httpx.Client``."""

    _module = "_sync_resources"

    @property
    def http(self) -> httpx.Client:
        return self._api.sync_client()

    async def connect(self) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` for this API (same auth, limits and retries) on the running event loop.

        For the sync ingestors, whose engine runs on a private loop: they own and close it. Calls made through the
        sync client use its pooled ``httpx.Client`` instead."""
        return await self._api.connect_new()
