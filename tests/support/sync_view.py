"""Drive a sync client through the async client's API, so one test body runs against both.

``AwaitView(SyncCustomerIO(...))`` answers ``await cio.track.identify(...)``, ``async for x in op.paginate(...)``,
``async with cio.track.ingestor() as ing`` and ``cio.app.with_raw_response`` like a ``CustomerIO`` would: each sync
call runs on a worker thread (so a server on the test's own loop keeps answering) and its result is handed back as an
awaitable. Exceptions surface at ``await``, as they do for coroutines.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

from aiocustomerio import CustomerIO, SyncCustomerIO
from aiocustomerio._base import SyncOperation, SyncResources, SyncTag
from aiocustomerio._pagination import SyncPaginator
from aiocustomerio._sync.ingest import SyncIngestor

_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="sync-view")
_DONE = object()
# The async client's names whose sync twin is called differently.
_SYNC_NAMES = {"aclose": "close", "aread": "read"}
# A call that does no I/O (building a paginator, a view) is waited for synchronously; it must be quick.
_QUICK = 30.0

# The sync classes whose instances are seen through a view (the client, namespaces, tags, operations, paginators,
# ingestors). Anything else (models, responses, reports, errors) is handed back as it is.
VIEWED: tuple[type, ...] = (SyncCustomerIO, SyncResources, SyncTag, SyncOperation, SyncPaginator, SyncIngestor)


def view(value: Any) -> Any:
    return AwaitView(value) if isinstance(value, VIEWED) else value


# -- running a suite against both clients -------------------------------------------------------------------------

KIND = {"current": "async"}  # set per test by the conftests from the `client_kind` parameter


def facade(kind: str | None = None, **options: Any) -> Any:
    """``CustomerIO(**options)``, or in the sync run (``kind``, else the current one) ``SyncCustomerIO(**options)``
    seen through an AwaitView."""
    if (kind or KIND["current"]) == "sync":
        return AwaitView(SyncCustomerIO(**options))
    return CustomerIO(**options)


def parametrize_clients(metafunc: Any, helpers: frozenset[str], modules: frozenset[str] | None = None) -> None:
    """Run a test for both clients when it builds one (its fixtures or code name one of ``helpers``), unless it is
    marked ``async_only`` (a test about asyncio itself) or its module is not among ``modules``."""
    if modules is not None and metafunc.module.__name__.rsplit(".", 1)[-1] not in modules:
        return
    function = metafunc.function
    uses = helpers & ({*metafunc.fixturenames} | set(function.__code__.co_names))
    if uses:
        async_only = metafunc.definition.get_closest_marker("async_only") is not None
        metafunc.parametrize("client_kind", ["async"] if async_only else ["async", "sync"])


class AwaitView:
    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    @property
    def target(self) -> Any:
        """The sync object behind the view."""
        return self._target

    def __repr__(self) -> str:
        return f"AwaitView({self._target!r})"

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, _SYNC_NAMES.get(name, name))
        if callable(value) and not isinstance(value, (type, *VIEWED)):
            return _Caller(value, name)
        return view(value)

    def __dir__(self) -> list[str]:
        return dir(self._target)

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        return vars(self._target)  # `vars(view)` shows the client's state, as `vars(client)` would

    def __call__(self, *args: Any, **kwargs: Any) -> Pending:
        return Pending(functools.partial(self._target, *args, **kwargs))

    def __aiter__(self) -> AsyncIterator[Any]:
        return _iterate(iter(self._target))

    async def __aenter__(self) -> Any:
        entered = await asyncio.wrap_future(_POOL.submit(self._target.__enter__))
        return self if entered is self._target else view(entered)

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await asyncio.wrap_future(_POOL.submit(self._target.__exit__, *exc_info))


# Methods that are plain (not awaited) calls in the async API too: they do no I/O, so they run at once, in the
# caller's thread, and raise there (a misspelt keyword to `paginate()` fails at the call, not at the first page).
_INLINE = frozenset({"paginate", "pages", "with_options", "operation", "route", "tag", "ingestor", "search"})


class _Caller:
    __slots__ = ("_fn", "_name")

    def __init__(self, fn: Callable[..., Any], name: str = "") -> None:
        self._fn = fn
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._name in _INLINE:
            result = self._fn(*args, **kwargs)
            # An iterator (`pages()`, `search()`) is iterated with `async for` in the async API.
            return (
                AwaitView(result) if isinstance(result, Iterator) and not isinstance(result, VIEWED) else view(result)
            )
        return Pending(functools.partial(self._fn, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        # Operations are callables with attributes of their own (with_raw_response, paginate).
        value = getattr(self._fn, name)
        return _Caller(value, name) if callable(value) and not isinstance(value, (type, *VIEWED)) else view(value)


class Pending:
    """A sync call started on a worker thread: await it for the result; ``async for`` if it returns an iterator."""

    __slots__ = ("_future",)

    def __init__(self, work: Callable[[], Any]) -> None:
        self._future = _POOL.submit(work)

    def __await__(self) -> Generator[Any, None, Any]:
        return self._result().__await__()

    async def _result(self) -> Any:
        return view(await asyncio.wrap_future(self._future))

    def __aiter__(self) -> AsyncIterator[Any]:
        return _iterate_later(self._future)

    def __getattr__(self, name: str) -> Any:
        # `op.paginate(...).pages()`: the paginator is built without I/O, so waiting for it here is brief.
        return getattr(view(self._future.result(_QUICK)), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # `cio.track.operation("PUT", path)(...)`: the operation is looked up without I/O.
        return view(self._future.result(_QUICK))(*args, **kwargs)

    async def __aenter__(self) -> Any:
        return await AwaitView(await asyncio.wrap_future(self._future)).__aenter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await AwaitView(self._future.result(_QUICK)).__aexit__(*exc_info)


async def _iterate_later(future: concurrent.futures.Future[Any]) -> AsyncIterator[Any]:
    async for item in _iterate(iter(await asyncio.wrap_future(future))):
        yield item


async def _iterate(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    while True:
        item = await asyncio.wrap_future(_POOL.submit(next, iterator, _DONE))
        if item is _DONE:
            return
        yield view(item)
