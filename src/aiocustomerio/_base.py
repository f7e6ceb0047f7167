"""The base client under the generated resources: a call becomes a request, the answer a model or a typed error.

The generated classes (``<pkg>/_resources.py`` and ``_sync_resources.py``, from codegen/emit_resources.py) are typed
shells: each method hands its arguments here as a dict. Everything that is not I/O (checking and converting the
arguments, building the request with the generated ``_get_kwargs``, applying per-call options, parsing with the
generated ``_parse_response``) is one implementation for async and sync; only the two send paths differ.

The façade sends through the API's own pooled ``httpx`` client rather than the generated ``asyncio_detailed``: that
gives the raw ``httpx.Response`` (``with_raw_response``), dict bodies encoded once, and the transport stack beneath
(auth, limits, retries, typed errors). ``_get_kwargs`` and ``_parse_response`` are stable within the pinned
generator version (0.29.1); check-generated catches a change.

This module holds the API roots (``_Resources``: tags, ``route()``, views); the per-call options are ``_options``, the
request building ``_request``, the operations ``_operation`` and the tags ``_tags``. Their public names are imported
from here too, as the generated resources and the sugar do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import httpx

from ._arguments import typed_calls
from ._binding import ApiBinding, OperationInfo
from ._missing import no_attribute
from ._operation import AsyncOperation, SyncOperation
from ._options import NOT_GIVEN, OPTION_NAMES, NotGiven, RequestOptions, check_options, check_sugar
from ._request import build_request, check_body
from ._tags import AsyncTag, SyncTag, _Slot, extend_tag, operation, tag

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._operation import AsyncRawCall as AsyncRawCall
    from ._operation import SyncRawCall as SyncRawCall

__all__ = [
    "NOT_GIVEN",
    "OPTION_NAMES",
    "AsyncOperation",
    "AsyncResources",
    "AsyncTag",
    "NotGiven",
    "RequestOptions",
    "SyncOperation",
    "SyncResources",
    "SyncTag",
    "build_request",
    "check_body",
    "check_options",
    "check_sugar",
    "extend_tag",
    "operation",
    "tag",
]

_R = TypeVar("_R", bound="_Resources")


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
