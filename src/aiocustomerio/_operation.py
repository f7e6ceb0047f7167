"""One generated operation bound to an API: called, it builds its request (``_request``), sends it through the API's
pooled client and parses the answer with the generated ``_parse_response``; ``with_raw_response`` and ``paginate``
come from ``typed_calls``. Only the two send paths differ between async and sync."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import httpx

from ._arguments import typed_calls
from ._binding import ApiBinding, OperationInfo
from ._request import build_request
from .errors import ResponseValidationError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType
    from typing import Concatenate, ParamSpec

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


__all__ = ["AsyncOperation", "SyncOperation"]

R = TypeVar("R")


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
