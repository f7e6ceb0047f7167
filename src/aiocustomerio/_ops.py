"""Operations discovered from the generated packages, grouped by the spec's tags.

``cio.app.campaigns.list_campaigns(...)`` is built from ``aiocustomerio_app._index`` (emitted by codegen), so an
operation added to a spec is callable after ``make generate`` with no handwritten change. Generated modules are
imported on first use: importing aiocustomerio does not load ~2,500 model modules.

Each call uses the generated module's ``_get_kwargs`` (request shape) and ``_parse_response`` (model), and sends
through the API's shared ``httpx.AsyncClient`` itself rather than through ``asyncio_detailed``: that one code path
gives the raw ``httpx.Response`` (``with_raw_response``), plain-dict bodies encoded once by the façade, and
argument conversion, while auth, limits, retries and typed errors still come from the transport stack beneath.
Both functions are stable within the pinned generator version (0.29.1); check-generated catches a change.
"""

from __future__ import annotations

import copy
import datetime as _dt
import enum
import importlib
import inspect
import re
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

import attrs
import httpx

from . import _payload
from ._encode import DatetimeStyle, dumps, unix_seconds
from ._transport._loop import LoopLock
from .errors import ResponseValidationError

_PLACEHOLDER = re.compile(r"{([^}]+)}")


@dataclass(frozen=True)
class OperationInfo:
    api: str
    tag: str
    name: str
    module: str
    method: str
    path: str
    pagination: tuple[str, str, str, str | None] | None
    # Computed once here: every call checks its path parameters.
    path_params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_params", tuple(_PLACEHOLDER.findall(self.path)))


def load_index(package: str, api: str) -> dict[str, dict[str, OperationInfo]]:
    index = importlib.import_module(f"{package}._index").OPERATIONS
    return {
        tag: {
            name: OperationInfo(api, tag, name, entry[0], entry[1], entry[2], tuple(entry[3]) if entry[3] else None)
            for name, entry in ops.items()
        }
        for tag, ops in index.items()
    }


class _RawBody:
    """Lets a plain dict stand where a generated model is expected; the façade encodes it itself."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def to_dict(self) -> Any:
        return self.value


def check_path_value(op: OperationInfo, name: str, value: Any) -> None:
    """Path parameters are percent-encoded as one segment by the generated code; refuse what cannot be one."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{op.name}: path parameter {name!r} must be a str or int, not {type(value).__name__}")
    if isinstance(value, str) and value.strip() in {"", ".", ".."}:
        raise ValueError(
            f"{op.name}: path parameter {name!r} is {value!r}, which cannot name a resource in a URL path; "
            "pass the real identifier"
        )


R = TypeVar("R")


class Operation(Generic[R]):
    """One API operation bound to a client: await it for the parsed model, or use ``with_raw_response``."""

    __slots__ = ("_api", "_converters", "_module", "info")

    def __init__(self, api: ApiClient, info: OperationInfo) -> None:
        self._api = api
        self.info = info
        self._module: ModuleType | None = None
        self._converters: dict[str, Callable[[Any], Any]] | None = None

    def __repr__(self) -> str:
        return f"<Operation {self.info.api}.{self.info.tag}.{self.info.name}: {self.info.method} {self.info.path}>"

    @property
    def module(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self.info.module)
        return self._module

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return inspect.getdoc(self.module.asyncio) or None

    def _param_converters(self) -> dict[str, Callable[[Any], Any]]:
        """Per parameter, how a friendly value becomes what the generated code wants.

        Datetimes become unix seconds where the API takes an integer timestamp (``start_ts``), and plain strings
        become the generated enum member where the parameter is an enum (with an error listing the allowed values).
        """
        if self._converters is None:
            converters: dict[str, Callable[[Any], Any]] = {}
            signature = inspect.signature(self.module._get_kwargs, eval_str=True)
            for name, param in signature.parameters.items():
                members = set(typing.get_args(param.annotation)) or {param.annotation}
                enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
                if enums:
                    converters[name] = _enum_converter(self.info.name, name, enums[0])
                elif int in members and not any(m in members for m in (_dt.datetime, _dt.date)):
                    converters[name] = _to_unix
            self._converters = converters
        return self._converters

    def build_request_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for name in self.info.path_params:
            if name in kwargs:
                check_path_value(self.info, name, kwargs[name])
        raw_body = kwargs.get("body")
        if isinstance(raw_body, (Mapping, list)):
            kwargs["body"] = _RawBody(raw_body)
        converters = self._param_converters()
        for name, value in kwargs.items():
            convert = converters.get(name)
            if convert is not None:
                kwargs[name] = convert(value)
        try:
            request: dict[str, Any] = self.module._get_kwargs(**kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.info.api}.{self.info.tag}.{self.info.name}: {exc}") from None
        if isinstance(raw_body, (Mapping, list)):
            request.pop("json", None)
            content = dumps(raw_body, self._api.datetime_style)
            _payload.check(self.info.api, self.info.method, self.info.path, content)
            request["content"] = content
        return request

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Positional arguments are the path parameters, in path order: ``get_person_attributes("user_1")``."""
        if args:
            names = self.info.path_params
            if len(args) > len(names):
                raise TypeError(f"{self.info.name} takes {len(names)} positional argument(s) ({', '.join(names)})")
            for name, value in zip(names, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{self.info.name} got {name!r} both positionally and by keyword")
                kwargs[name] = value
        return kwargs

    async def with_raw_response(self, *args: Any, **kwargs: Any) -> httpx.Response:
        """Send the request and return the ``httpx.Response`` (errors still raise typed exceptions)."""
        request = self.build_request_kwargs(self._bind(args, kwargs))
        http = self._api.http if self._api.http is not None else await self._api.connect()
        return await http.request(**request)

    def parse(self, response: httpx.Response) -> R:
        try:
            parsed: R = self.module._parse_response(client=self._api.generated_client, response=response)
            return parsed
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            # A response the spec does not describe (a new enum value, a missing field) must not look like a bug
            # in the caller's code; the raw response stays reachable on the error and via with_raw_response.
            raise ResponseValidationError(self.info.name, response, exc) from exc

    async def __call__(self, *args: Any, **kwargs: Any) -> R:
        response = await self.with_raw_response(*args, **kwargs)
        return response if self._api.raw else self.parse(response)  # type: ignore[return-value]

    def paginate(self, *, max_items: int | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        """Every item across pages (following the ``next`` cursor), up to ``max_items``.

        A list the spec does not paginate (``list_campaigns``) yields the items of its one page, so every listing
        can be consumed the same way.
        """
        if max_items is not None and max_items < 0:
            raise ValueError("max_items must be >= 0 (or None for no limit)")
        if self.info.pagination is None:
            return _single_page(self, max_items, kwargs)
        return _paginate(self, self.info.pagination, max_items, kwargs)


def _enum_converter(op: str, param: str, enum_type: type[enum.Enum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, enum_type) or not isinstance(value, (str, int)):
            return value
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in enum_type)
            raise ValueError(f"{op}: {param} must be one of {allowed}, not {value!r}") from None

    return convert


def _to_unix(value: Any) -> Any:
    return unix_seconds(value) if isinstance(value, (_dt.datetime, _dt.date)) else value


async def _paginate(
    op: Operation[Any], spec: tuple[str, str, str, str | None], max_items: int | None, kwargs: dict[str, Any]
) -> AsyncIterator[Any]:
    cursor_param, next_field, items_field, _limit = spec
    yielded = 0
    seen: set[str] = set()
    cursor = kwargs.pop(cursor_param, None)
    while max_items is None or yielded < max_items:
        page_kwargs = dict(kwargs)
        if cursor:
            page_kwargs[cursor_param] = cursor
        page = await op(**page_kwargs)
        items = getattr(page, items_field, None)
        for item in items if isinstance(items, list) else ():
            if max_items is not None and yielded >= max_items:
                return
            yield item
            yielded += 1
        cursor = getattr(page, next_field, None)
        if not isinstance(cursor, str) or not cursor or cursor in seen:
            return  # an empty or repeated cursor ends the listing (a repeat would loop forever)
        seen.add(cursor)


async def _single_page(op: Operation[Any], max_items: int | None, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
    page = await op(**kwargs)
    values = [getattr(page, f.name) for f in attrs.fields(type(page))] if attrs.has(type(page)) else []
    lists = [v for v in values if isinstance(v, list)]
    if len(lists) != 1:
        raise TypeError(f"{op.info.name} does not return one list of items to iterate; await it instead")
    for i, item in enumerate(lists[0]):
        if max_items is not None and i >= max_items:
            return
        yield item


class Tag:
    """The operations of one tag, as attributes: ``cio.app.campaigns.list_campaigns``."""

    def __init__(self, api: ApiClient, name: str, infos: dict[str, OperationInfo]) -> None:
        self._api = api
        self._name = name
        self._infos = infos
        self._bound: dict[str, Operation[Any]] = {}

    def __getattr__(self, name: str) -> Operation[Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        op = self._bound.get(name)
        if op is None:
            info = self._infos.get(name)
            if info is None:
                raise AttributeError(
                    f"{self._api.name}.{self._name} has no operation {name!r}; it has: {', '.join(sorted(self._infos))}"
                )
            op = self._bound[name] = Operation(self._api, info)
        return op

    def __dir__(self) -> list[str]:
        return sorted(self._infos)

    def __repr__(self) -> str:
        return f"<{self._api.name}.{self._name}: {len(self._infos)} operations>"


_A = TypeVar("_A", bound="ApiClient")


class _Pool:
    """The connection pool an API and its raw-response view share."""

    __slots__ = ("client", "lock")

    def __init__(self) -> None:
        self.client: httpx.AsyncClient | None = None
        # Made here, not on first use: two threads racing to create it would each get their own.
        self.lock = LoopLock()


class ApiClient:
    """One API (track, app or pipelines): its tags as attributes, and its pooled HTTP client."""

    # Tags with handwritten sugar get a Tag subclass; the rest are plain Tags.
    tag_classes: Mapping[str, type[Tag]] = {}

    def __init__(
        self,
        name: str,
        package: str,
        connect: Callable[[], Awaitable[httpx.AsyncClient]],
        datetime_style: DatetimeStyle,
    ) -> None:
        self.name = name
        self.package = package
        self.datetime_style = datetime_style
        self._pool = _Pool()
        self.raw = False
        self._connect = connect
        self._index: dict[str, dict[str, OperationInfo]] | None = None
        self._tags: dict[str, Tag] = {}
        self._by_route: dict[tuple[str, str], Operation[Any]] = {}
        self._generated_client: Any = None

    @property
    def http(self) -> httpx.AsyncClient | None:
        return self._pool.client

    @http.setter
    def http(self, client: httpx.AsyncClient | None) -> None:
        self._pool.client = client

    async def connect(self) -> httpx.AsyncClient:
        pool = self._pool
        if pool.client is None:
            # Many tasks may make their first call at once (and region="auto" awaits a lookup): build one pool only.
            # Another event loop (thread) gets EventLoopError here instead of waiting on this loop's lock forever.
            async with pool.lock:
                if pool.client is None:
                    pool.client = await self._connect()
        return pool.client

    @property
    def with_raw_response(self: _A) -> _A:
        """The same API whose calls, sugar included, return the ``httpx.Response`` instead of the parsed model.

        ``await cio.track.with_raw_response.identify("u1", plan="pro")``; it shares the connection pool.
        """
        view = copy.copy(self)
        view.raw = True
        view._tags, view._by_route = {}, {}
        return view

    @property
    def index(self) -> dict[str, dict[str, OperationInfo]]:
        if self._index is None:
            self._index = load_index(self.package, self.name)
        return self._index

    @property
    def generated_client(self) -> Any:
        """The generated package's Client, only for its response parsers (they read ``raise_on_unexpected_status``)."""
        if self._generated_client is None:
            client_module = importlib.import_module(f"{self.package}.client")
            self._generated_client = client_module.Client(base_url="", raise_on_unexpected_status=False)
        return self._generated_client

    def tag(self, name: str) -> Tag:
        found = self._tags.get(name)
        if found is None:
            infos = self.index.get(name)
            if infos is None:
                raise AttributeError(f"{self.name} has no tag {name!r}; it has: {', '.join(sorted(self.index))}")
            found = self._tags[name] = self.tag_classes.get(name, Tag)(self, name, infos)
        return found

    def __getattr__(self, name: str) -> Tag:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.tag(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.index))

    def operations(self) -> Iterator[Operation[Any]]:
        for tag, infos in sorted(self.index.items()):
            for name in sorted(infos):
                yield getattr(self.tag(tag), name)

    def operation(self, method: str, path: str) -> Operation[Any]:
        """The operation for a route, e.g. ``("PUT", "/api/v1/customers/{identifier}")``: what the sugar calls."""
        key = (method.upper(), path)
        op = self._by_route.get(key)
        if op is None:
            for candidate in self.operations():
                if (candidate.info.method, candidate.info.path) == key:
                    op = self._by_route[key] = candidate
                    break
            else:
                raise LookupError(f"the {self.name} spec has no operation {key[0]} {key[1]}")
        return op
