"""What every resource of one API shares: its operation index, connection pools, default options and raw flag.

A view (``with_raw_response``, ``with_options``) is a copy of the binding that shares the pools and caches.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx

from ._encode import DatetimeStyle
from ._ids import DedupRule
from ._params import Check, body_field_checker, checker, parameter_label, path_segment
from ._retry import RetryPolicy
from ._transport._loop import LoopLock
from .errors import InvalidArgumentTypeError, UnknownParameterError


@dataclass(frozen=True)
class Pagination:
    cursor: str  # the query parameter taking the page token (``start``), or the position (``offset``, ``page``)
    next: str | None  # the response attribute holding the next token (``next_``); None when paged by position
    items: str  # the response attribute holding the page's items
    limit: str | None  # the page-size parameter, if any
    style: str = "cursor"  # "cursor": follow ``next``; "offset": skip the items received; "page": the next page
    size: int | None = None  # the spec's default page size (what a page holds when ``limit`` is not given)
    first: int | None = None  # the position parameter's default (the first page)
    total: str | None = None  # the response attribute with the documented total, if any


@dataclass(frozen=True)
class OperationInfo:
    """One operation as the generated index (``<pkg>/_index.py``) describes it."""

    api: str
    tag: str
    name: str
    module: str
    method: str
    path: str
    path_params: tuple[str, ...]
    params: tuple[str, ...]
    pagination: Pagination | None
    items: str | None
    body: str | None  # "object" or "array": what the body must be (None: the operation takes none)
    returns_none: bool  # the result type admits None; if not, a 2xx the parser does not know is an error
    unsafe: bool
    dedup: tuple[DedupRule, ...]  # where a ULID dedup id is stamped before the first attempt
    enums: tuple[tuple[str, str], ...]  # (parameter, enum class in the module)
    timestamps: tuple[str, ...]
    summary: str
    # (generated parameter, façade keyword) for a parameter named like a per-call option (`timeout` → `timeout_`)
    renamed: tuple[tuple[str, str], ...] = ()
    # (generated parameter, {in, name, type, ...}): what each parameter takes, from its spec schema (_params)
    types: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # tuples: the info stays hashable
    fields: tuple[tuple[str, str], ...] = ()  # (top-level body field, its type) of a mapping body (_params)

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    def keyword(self, param: str) -> str:
        """The façade's keyword for a generated function's parameter."""
        return dict(self.renamed).get(param, param)

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(self.keyword(name) for name in self.path_params + self.params)

    @property
    def label(self) -> str:
        return f"{self.api}.{self.tag}.{self.name}"

    def describe(self, param: str) -> str:
        """How messages name a parameter: ``query parameter 'type_' (the spec's 'type')``."""
        location = "path" if param in self.path_params else ""
        record = dict(self.types).get(param)
        return parameter_label(self.keyword(param), dict(record) if record else None, location)

    @functools.cached_property
    def checks(self) -> dict[str, Check]:
        """Generated parameter → the check of its value (``_params``), built on the operation's first call. A path
        parameter the index has no type for is still checked to be one str or int segment."""
        found: dict[str, Check] = {}
        for param, record in self.types:
            check = checker(self.label, self.keyword(param), dict(record), param in self.timestamps)
            if check is not None:
                found[param] = check
        for param in self.path_params:
            if param not in found:
                found[param] = _untyped_path(f"{self.label}: {self.describe(param)}")
        return found

    @functools.cached_property
    def object_params(self) -> frozenset[str]:
        """The parameters (not the body) the generated code takes as a model: a mapping stands for it."""
        return frozenset(name for name, record in self.types if dict(record).get("type") == "object")

    @functools.cached_property
    def enum_lists(self) -> frozenset[str]:
        """The enum parameters that take a list of values (``kinds: list[Kind]``), from their ``types`` record."""
        return frozenset(name for name, record in self.types if dict(record).get("type") == "array")

    @functools.cached_property
    def field_checks(self) -> dict[str, Check]:
        """Top-level body field → the check of its value in a mapping body."""
        found = ((name, body_field_checker(self.label, name, {"type": kind})) for name, kind in self.fields)
        return {name: check for name, check in found if check is not None}


def _untyped_path(what: str) -> Check:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidArgumentTypeError(f"{what} must be a str or int, not {type(value).__name__}")
        return path_segment(what, value) if isinstance(value, str) else value

    return check


def _dedup_rule(rule: dict[str, Any]) -> DedupRule:
    unless = rule["unless"] or {}
    return DedupRule(tuple(rule["at"]), rule["field"], unless.get("property"), frozenset(unless.get("values", ())))


SYNC_INGESTOR_OPTIONS = frozenset({"put_timeout", "drain_timeout", "interrupt_drain_timeout"})


@functools.cache
def ingestor_option_names(sync: bool = True) -> frozenset[str]:
    """The keyword options of the ingestors: the engine's, and (`sync`) the sync ingestors' timeouts."""
    import inspect

    from .ingest import Engine

    engine = inspect.signature(Engine.__init__).parameters.values()
    names = frozenset(p.name for p in engine if p.kind is p.KEYWORD_ONLY)
    return names | SYNC_INGESTOR_OPTIONS if sync else names


def load_index(package: str, api: str) -> dict[str, dict[str, OperationInfo]]:
    operations = importlib.import_module(f"{package}._index").OPERATIONS
    return {
        tag: {
            name: OperationInfo(
                api=api,
                tag=tag,
                name=name,
                module=e["module"],
                method=e["method"],
                path=e["path"],
                path_params=tuple(e["path_params"]),
                params=tuple(e["params"]),
                pagination=Pagination(**e["pagination"]) if e["pagination"] else None,
                items=e["items"],
                body=e["body"],
                returns_none=e["returns_none"],
                unsafe=e["unsafe"],
                dedup=tuple(_dedup_rule(r) for r in e.get("dedup", ())),
                enums=tuple(sorted(e["enums"].items())),
                timestamps=tuple(e["timestamps"]),
                summary=e["summary"],
                renamed=tuple(sorted(e.get("renamed", {}).items())),
                types=tuple((k, tuple(sorted(v.items()))) for k, v in sorted(e.get("types", {}).items())),
                fields=tuple((k, v["type"]) for k, v in sorted(e.get("fields", {}).items())),
            )
            for name, e in ops.items()
        }
        for tag, ops in operations.items()
    }


def merge_options(defaults: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """A view's default per-call options under a call's (or a view's of a view): the call's win, but
    ``extra_headers`` and ``extra_query`` are merged key by key, so a call adding one header keeps the view's (a
    tenant or tracing header set once on ``with_options``), and a header the call names again in another case
    replaces the view's instead of going out twice."""
    merged = {**defaults, **options}
    for name in ("extra_headers", "extra_query"):
        base, extra = defaults.get(name), options.get(name)
        if base and extra:
            if name == "extra_headers":
                named = {key.lower() for key in extra}
                base = {key: value for key, value in base.items() if key.lower() not in named}
            merged[name] = {**base, **extra}
    return merged


class Pool:
    """The ``httpx.AsyncClient`` an API and all its views share, opened once even when many tasks start at once."""

    __slots__ = ("client", "lock")

    def __init__(self) -> None:
        self.client: httpx.AsyncClient | None = None
        # Made here, not on first use: two threads racing to create it would each get their own.
        self.lock = LoopLock()


class _Shared:
    """Caches every view of one API shares."""

    __slots__ = ("by_route", "index", "modules", "parser_client", "roots", "sync_client", "sync_lock")

    def __init__(self) -> None:
        self.index: dict[str, dict[str, OperationInfo]] | None = None
        self.by_route: dict[str, OperationInfo] | None = None
        self.modules: dict[str, ModuleType] = {}
        self.roots: dict[str, type] = {}
        self.parser_client: Any = None
        self.sync_client: httpx.Client | None = None
        self.sync_lock = threading.Lock()


class ApiBinding:
    """One API (track, app or pipelines) as its resources see it."""

    def __init__(
        self,
        name: str,
        package: str,
        datetime_style: DatetimeStyle,
        connect: Callable[[], Awaitable[httpx.AsyncClient]] | None = None,
        *,
        connect_sync: Callable[[], httpx.Client] | None = None,
        retry: RetryPolicy | None = None,
        check_ingestor: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.retry = retry  # the client's policy: its ingestors retry batches by it too
        self.package = package
        self.datetime_style: DatetimeStyle = datetime_style
        self.raw = False
        self.options: dict[str, Any] = {}
        self.pool = Pool()
        self._connect = connect
        self._connect_sync = connect_sync
        # Raises when this client cannot run an ingestor, so the error comes at ingestor(), not at the first item.
        self._check_ingestor = check_ingestor
        self._shared = _Shared()

    def ingestor_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """An ingestor's options: batches follow the client's RetryPolicy unless `retry` or `backoff` is given.

        A name no ingestor takes is refused here, with the closest valid one (Python's own error named
        ``Engine.__init__`` and no fix)."""
        if self._check_ingestor is not None:
            self._check_ingestor()
        sync = self._connect_sync is not None  # SyncCustomerIO's bindings; the async ingestor has no timeouts
        valid = ingestor_option_names(sync)
        for name in options:
            if name not in valid:
                hint = ""
                if name in SYNC_INGESTOR_OPTIONS:
                    hint = (
                        f"{name} is an option of SyncCustomerIO's ingestors; here bound the wait yourself "
                        "(`await ingestor.close(timeout=...)`, asyncio.timeout around a put)"
                    )
                raise UnknownParameterError(f"{self.name}.ingestor", name, sorted(valid), hint)
        if self.retry is not None and "retry" not in options and "backoff" not in options:
            return {**options, "retry": self.retry}
        return dict(options)

    def view(self, *, raw: bool | None = None, options: dict[str, Any] | None = None) -> ApiBinding:
        """A copy sharing the pools and caches, with other defaults."""
        copy = object.__new__(ApiBinding)
        copy.__dict__.update(self.__dict__)
        if raw is not None:
            copy.raw = raw
        if options is not None:
            copy.options = merge_options(self.options, options)
        return copy

    async def connect(self) -> httpx.AsyncClient:
        pool = self.pool
        if pool.client is None:
            if self._connect is None:
                raise RuntimeError(f"the {self.name} API has no async connection here; use the async client")
            # Many tasks may make their first call at once (and region="auto" awaits a lookup): build one pool only.
            # Another event loop (thread) gets EventLoopError here instead of waiting on this loop's lock forever.
            async with pool.lock:
                if pool.client is None:
                    pool.client = await self._connect()
        else:
            # The pool exists: from another loop, say so here. An ingestor gets its client at start(), and would
            # otherwise start, accept items and halt at its first batch.
            pool.lock.check()
        return pool.client

    async def connect_new(self) -> httpx.AsyncClient:
        """A new async client from the ``connect`` factory, not the shared pool: the caller owns it."""
        if self._connect is None:
            raise RuntimeError(f"the {self.name} API has no async connection here")
        return await self._connect()

    def sync_client(self) -> httpx.Client:
        shared = self._shared
        if shared.sync_client is None:
            if self._connect_sync is None:
                raise RuntimeError(f"the {self.name} API has no sync connection here; use the sync client")
            with shared.sync_lock:
                if shared.sync_client is None:
                    shared.sync_client = self._connect_sync()
        return shared.sync_client

    def close_sync(self) -> None:
        client, self._shared.sync_client = self._shared.sync_client, None
        if client is not None:
            client.close()

    @property
    def index(self) -> dict[str, dict[str, OperationInfo]]:
        shared = self._shared
        if shared.index is None:
            shared.index = load_index(self.package, self.name)
        return shared.index

    def root_class(self, module: str) -> type:
        """The generated root class (``ROOT``) of ``<package>.<module>``, imported on first use."""
        roots = self._shared.roots
        root = roots.get(module)
        if root is None:
            root = roots[module] = importlib.import_module(f"{self.package}.{module}").ROOT
        return root

    def info(self, tag: str, name: str) -> OperationInfo:
        return self.index[tag][name]

    def by_route(self) -> dict[str, OperationInfo]:
        shared = self._shared
        if shared.by_route is None:
            shared.by_route = {i.route: i for ops in self.index.values() for i in ops.values()}
        return shared.by_route

    def module(self, info: OperationInfo) -> ModuleType:
        modules = self._shared.modules
        module = modules.get(info.module)
        if module is None:
            module = modules[info.module] = importlib.import_module(info.module)
        return module

    @property
    def parser_client(self) -> Any:
        """The generated package's Client, only for its response parsers (they read ``raise_on_unexpected_status``)."""
        shared = self._shared
        if shared.parser_client is None:
            client_module = importlib.import_module(f"{self.package}.client")
            shared.parser_client = client_module.Client(base_url="", raise_on_unexpected_status=False)
        return shared.parser_client
