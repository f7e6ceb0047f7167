"""Every error an ingestor raises is a CustomerIOError (keeping its old base), and bad options name the option.

Before, ``ingestor(concurrency="4")`` raised "'<' not supported between instances of 'str' and 'int'", a misspelt
option "Engine.__init__() got an unexpected keyword argument", and IngestorHalted, IngestorClosed, QueueFull,
SpoolLocked, SpoolWriteError, SpoolReadError and InvalidItem all escaped ``except CustomerIOError``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, CustomerIOError, Limits, RetryPolicy, SyncCustomerIO
from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError, UnknownParameterError
from aiocustomerio.ingest import (
    IngestorClosed,
    IngestorHalted,
    InvalidItem,
    QueueFull,
    RecoveryInProgress,
    SpoolLocked,
    SpoolWriteError,
)
from aiocustomerio.ingest._spool import SpoolReadError


def _options() -> dict[str, Any]:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    return dict(site_id="s", track_api_key="k", cdp_api_key="c", limits=Limits.disabled(), transport=transport, env={})


BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"max_batch_bytes": 10**9}, InvalidArgumentError, r"max_batch_bytes must be at most 512000"),
    ({"max_item_bytes": 10**9}, InvalidArgumentError, r"max_item_bytes must be at most 32768"),
    ({"concurrency": 0}, InvalidArgumentError, r"concurrency must be an integer >= 1, not 0"),
    ({"concurrency": "4"}, InvalidArgumentTypeError, r"concurrency must be an integer >= 1, not str"),
    ({"max_queue": 1.5}, InvalidArgumentTypeError, r"max_queue must be an integer >= 1, not float"),
    ({"max_wait": -1}, InvalidArgumentError, r"max_wait must be a finite number of seconds >= 0, not -1"),
    ({"max_wait": float("nan")}, InvalidArgumentError, r"max_wait must be a finite number of seconds >= 0, not nan"),
    ({"concurency": 2}, UnknownParameterError, r"unexpected keyword argument 'concurency'; did you mean 'concurrency'"),
    # Before: accepted, then AttributeError inside the batch task at the first retriable failure (close() hung).
    (
        {"retry": 3},
        InvalidArgumentTypeError,
        r"retry must be a RetryPolicy \(e\.g\. retry=RetryPolicy\(max_retries=3\)\)",
    ),
    ({"retry": "x"}, InvalidArgumentTypeError, r"retry must be a RetryPolicy .* not str"),
    ({"backoff": 2}, InvalidArgumentTypeError, r"backoff must be a pair \(base, cap\) of seconds.*not int"),
    ({"backoff": (1,)}, InvalidArgumentTypeError, r"backoff must be a pair \(base, cap\).*not 1 values"),
    ({"backoff": ("1", 2)}, InvalidArgumentTypeError, r"backoff's base must be a number of seconds, not str"),
    ({"backoff": (1, float("inf"))}, InvalidArgumentError, r"backoff's cap must be a finite number"),
    ({"backoff": (5, 1)}, InvalidArgumentError, r"backoff=\(base, cap\) needs base <= cap"),
    ({"backoff": (1, 2), "retry": RetryPolicy()}, InvalidArgumentError, r"give retry or backoff, not both"),
    ({"spool": 5}, InvalidArgumentTypeError, r"spool must be the path of a SQLite file \(str or pathlib\.Path\)"),
    ({"spool": b"x.db"}, InvalidArgumentTypeError, r"spool must be the path of a SQLite file.*not bytes"),
    ({"spool": ""}, InvalidArgumentError, r"spool must be the path of a SQLite file, not ''"),
    ({"on_error": "log"}, InvalidArgumentTypeError, r"on_error must be a function \(item, reason\) or None, not str"),
]


@pytest.mark.parametrize(
    ("options", "error", "message"), BAD, ids=[next(iter(b[0])) + str(i) for i, b in enumerate(BAD)]
)
@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize("api", ["track", "pipelines"])
async def test_bad_ingestor_options_are_typed_and_name_the_option(
    kind: str, api: str, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    if kind == "async":
        async with CustomerIO(**_options()) as cio:
            with pytest.raises(error, match=message):
                getattr(cio, api).ingestor(**options)
    else:
        with SyncCustomerIO(**_options()) as sync, pytest.raises(error, match=message):
            getattr(sync, api).ingestor(**options)


@pytest.mark.parametrize("name", ["drain_timeout", "put_timeout", "interrupt_drain_timeout"])
@pytest.mark.parametrize("api", ["track", "pipelines"])
async def test_the_sync_ingestors_timeouts_are_unknown_to_the_async_one(name: str, api: str) -> None:
    # Before: "Engine.__init__() got an unexpected keyword argument 'drain_timeout'", a plain TypeError.
    async with CustomerIO(**_options()) as cio:
        with pytest.raises(
            UnknownParameterError,
            match=rf"{api}\.ingestor\(\) got an unexpected keyword argument "
            rf"'{name}'.*{name} is an option of SyncCustomerIO's ingestors.*close\(timeout=",
        ) as caught:
            getattr(cio, api).ingestor(**{name: 5})
        assert caught.value.name == name
    with SyncCustomerIO(**_options()) as sync:
        getattr(sync, api).ingestor(**{name: 5})  # theirs


def _spool_cases(tmp_path: Path) -> list[tuple[Path, str]]:
    not_a_spool = tmp_path / "notes.txt"
    not_a_spool.write_text("not a database, and it must stay as it is\n" * 100)
    return [
        (
            tmp_path,
            rf"spool '{tmp_path}' is a directory: give the path of a file, e\.g\. spool='{tmp_path}/ingest\.spool'",
        ),
        (tmp_path / "no" / "dir" / "s.db", rf"the directory '{tmp_path}/no/dir' does not exist: create it, or choose"),
        (not_a_spool, rf"spool '{not_a_spool}' is not a spool \(file is not a database\); it was left untouched"),
    ]


@pytest.mark.parametrize("case", [0, 1, 2], ids=["directory", "missing-dir", "not-sqlite"])
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_bad_spool_path_is_a_typed_error_naming_it_and_the_fix(tmp_path: Path, kind: str, case: int) -> None:
    # Before: IsADirectoryError, FileNotFoundError, sqlite3.DatabaseError from start().
    spool, message = _spool_cases(tmp_path)[case]
    before = spool.read_bytes() if spool.is_file() else None
    sent: list[httpx.Request] = []
    options = {**_options(), "transport": httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))}
    if kind == "async":
        async with CustomerIO(**options) as cio:
            ing = cio.track.ingestor(spool=spool)
            with pytest.raises(InvalidArgumentError, match=message):
                await ing.start()
            with pytest.raises(InvalidArgumentError, match=message):  # and again: nothing was left held
                async with cio.track.ingestor(spool=spool):
                    pass
    else:
        with (
            SyncCustomerIO(**options) as sync,
            pytest.raises(InvalidArgumentError, match=message),
            sync.track.ingestor(spool=spool),
        ):
            pass
    assert sent == []
    if before is not None:
        assert spool.read_bytes() == before
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(("value", "error"), [(-1, InvalidArgumentError), ("x", InvalidArgumentTypeError)])
def test_bad_sync_timeouts_are_typed(value: object, error: type[Exception]) -> None:
    with SyncCustomerIO(**_options()) as sync, pytest.raises(error, match="put_timeout must be a positive number"):
        sync.track.ingestor(put_timeout=value)  # type: ignore[arg-type]


async def test_using_an_ingestor_wrongly_raises_customerio_errors() -> None:
    async with CustomerIO(**_options()) as cio:
        ing = cio.track.ingestor()
        with pytest.raises(CustomerIOError, match="start the ingestor first"):
            await ing.event("u1", "e")
        async with ing:
            with pytest.raises(CustomerIOError, match="an item is a dict"):
                await ing.put("x")  # type: ignore[arg-type]
        pl = cio.pipelines.ingestor()
        async with pl:
            with pytest.raises(CustomerIOError, match=r"item\.type is None: a Pipelines message.s type is one of"):
                await pl.put({"userId": "u"})


MAKERS: list[Callable[[], Exception]] = [
    lambda: IngestorClosed("the ingestor is closed"),
    lambda: IngestorHalted("401"),
    lambda: QueueFull(10),
    lambda: RecoveryInProgress(10),
    lambda: SpoolLocked("x.db", "pid 1"),
    lambda: SpoolWriteError("disk full"),
    lambda: SpoolReadError("chunk 3 is damaged"),
    lambda: InvalidItem(3, ValueError("bad"), 2),
]


@pytest.mark.parametrize("make", MAKERS, ids=lambda m: type(m()).__name__)
def test_ingestion_errors_are_customerio_errors(make: Callable[[], Exception]) -> None:
    error = make()
    assert isinstance(error, CustomerIOError)
    assert str(error) and str(pickle.loads(pickle.dumps(error))) == str(error)


# The ingestors' typed methods follow the façade's rules (_builders), as issue 9 item 7 asks of one request builder:
# before, a list of traits was a bare TypeError ('list' object is not a mapping), and a list or a str of properties
# or attributes, or an event without a name, were accepted and sent, to be refused by the API for the whole batch.
SHAPES: list[tuple[str, Callable[[Any], Any], type[Exception], str]] = [
    ("track", lambda i: i.identify("u", ["plan"]), InvalidArgumentTypeError, "attributes must be a mapping"),
    ("track", lambda i: i.event("u", "e", ["x"]), InvalidArgumentTypeError, "attributes must be a mapping"),
    ("track", lambda i: i.page("u", "/p", "x"), InvalidArgumentTypeError, "attributes must be a mapping"),
    ("track", lambda i: i.event("u", ""), InvalidArgumentError, "an event needs a name"),
    ("track", lambda i: i.screen("u", None), InvalidArgumentError, "an event needs a name"),
    ("pipelines", lambda i: i.identify("u", ["plan"]), InvalidArgumentTypeError, "traits must be a mapping"),
    ("pipelines", lambda i: i.track("u", "e", ["x"]), InvalidArgumentTypeError, "properties must be a mapping"),
    ("pipelines", lambda i: i.page("u", "p", "x"), InvalidArgumentTypeError, "properties must be a mapping"),
    ("pipelines", lambda i: i.screen("u", "s", [1]), InvalidArgumentTypeError, "properties must be a mapping"),
    ("pipelines", lambda i: i.group("u", "g", ["x"]), InvalidArgumentTypeError, "traits must be a mapping"),
    ("pipelines", lambda i: i.track("u", ""), InvalidArgumentError, "track needs event"),
    ("pipelines", lambda i: i.track("u", "  "), InvalidArgumentError, "track needs event"),
]


@pytest.mark.parametrize(("api", "call", "kind", "message"), SHAPES)
async def test_typed_methods_refuse_what_the_facade_refuses_and_send_nothing(
    api: str, call: Callable[[Any], Any], kind: type[Exception], message: str
) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    options = {**_options(), "transport": httpx.MockTransport(answer)}
    async with CustomerIO(**options) as cio:
        async with getattr(cio, api).ingestor(max_wait=0.01) as ingestor:
            with pytest.raises(kind, match=message) as info:
                await call(ingestor)
            assert isinstance(info.value, CustomerIOError)
        assert ingestor.report.accepted == 0
    assert sent == []


_UNKNOWN, _TYPE = UnknownParameterError, InvalidArgumentTypeError
CALLS: list[tuple[str, Callable[[Any], Any], type[Exception], str]] = [
    ("track", lambda i: i.event("u", "e", timestmp=1), _UNKNOWN, r"event\(\) .*'timestmp'; did you mean 'timestamp'"),
    ("track", lambda i: i.event("u"), _TYPE, r"TrackIngestor.event\(\) is missing the required argument name"),
    ("track", lambda i: i.event("u", "e", {}, 5), _TYPE, r"takes 3 positional arguments .* pass the others by keyword"),
    ("track", lambda i: i.put(itm={}), _UNKNOWN, r"TrackIngestor.put\(\) .*'itm'; did you mean 'item'"),
    (
        "pipelines",
        lambda i: i.track("u", "e", propertie={}),
        _UNKNOWN,
        r"Ingestor.track\(\) .*did you mean 'properties'",
    ),
    (
        "pipelines",
        lambda i: i.alias("u"),
        _TYPE,
        r"PipelinesIngestor.alias\(\) is missing the required argument previous",
    ),
]


@pytest.mark.parametrize(("api", "call", "kind", "message"), CALLS)
@pytest.mark.parametrize("client", ["async", "sync"])
async def test_a_call_that_does_not_bind_is_a_typed_error_naming_the_fix(
    api: str, call: Callable[[Any], Any], kind: type[Exception], message: str, client: str
) -> None:
    # Before: Python's bare TypeError ("TrackIngestor.event() got an unexpected keyword argument 'timestmp'"),
    # escaping except CustomerIOError and naming no valid spelling; the façade's calls already did this.
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    options = {**_options(), "transport": httpx.MockTransport(answer)}
    if client == "sync":
        with (
            SyncCustomerIO(**options) as sync_cio,
            getattr(sync_cio, api).ingestor(max_wait=0.01) as ingestor,
            pytest.raises(kind, match=message) as info,
        ):
            call(ingestor)
    else:
        async with CustomerIO(**options) as cio, getattr(cio, api).ingestor(max_wait=0.01) as ingestor:
            with pytest.raises(kind, match=message) as info:
                await call(ingestor)
    assert isinstance(info.value, CustomerIOError) and isinstance(info.value, TypeError)
    assert sent == []


@pytest.mark.parametrize("items", [5, None, "abc", b"abc", {"type": "person", "action": "identify"}])
@pytest.mark.parametrize("client", ["async", "sync"])
async def test_put_many_of_something_not_a_list_of_items_is_a_typed_error(items: object, client: str) -> None:
    # Before: put_many(5) raised Python's "'int' object is not iterable"; a str or one dict was read item by item.
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    options = {**_options(), "transport": httpx.MockTransport(answer)}
    if client == "sync":
        with (
            SyncCustomerIO(**options) as sync_cio,
            sync_cio.track.ingestor(max_wait=0.01) as ingestor,
            pytest.raises(InvalidArgumentTypeError, match="put_many takes an iterable of items") as info,
        ):
            ingestor.put_many(items)  # type: ignore[arg-type]
    else:
        async with CustomerIO(**options) as cio, cio.track.ingestor(max_wait=0.01) as async_ingestor:
            with pytest.raises(InvalidArgumentTypeError, match="put_many takes an iterable of items") as info:
                await async_ingestor.put_many(items)  # type: ignore[arg-type]
        assert async_ingestor.report.accepted == 0
    assert isinstance(info.value, CustomerIOError)
    assert sent == []


def test_the_per_item_wrapper_binds_like_the_method_and_names_every_mistake() -> None:
    # typed_calls(eager=True) writes a wrapper for the signature (no *args/**kwargs packing on the per-item path);
    # every way of calling the method still binds as it would, and every mistake is still the typed error.
    from aiocustomerio._arguments import typed_calls

    class Thing:
        def event(self, identifier: str, name: str, attributes: Any = None, *, timestamp: Any = None) -> Any:
            return identifier, name, attributes, timestamp

    typed_calls(Thing, lambda thing, method: f"Thing.{method}", eager=True)
    thing = Thing()
    assert thing.event("u", "e") == ("u", "e", None, None)
    assert thing.event("u", "e", {"a": 1}, timestamp=5) == ("u", "e", {"a": 1}, 5)
    assert thing.event(identifier="u", name="e", timestamp=5) == ("u", "e", None, 5)  # positionals by keyword
    assert thing.event("u", name="e", attributes={}) == ("u", "e", {}, None)
    assert thing.event("u", "e", attributes={"b": 2}) == ("u", "e", {"b": 2}, None)  # an optional one by keyword
    mistakes = [
        (lambda: thing.event("u", "e", timestmp=1), UnknownParameterError, r"did you mean 'timestamp'"),
        (lambda: thing.event("u"), InvalidArgumentTypeError, r"missing the required argument name"),
        (lambda: thing.event("u", "e", {}, 5), InvalidArgumentTypeError, r"takes 3 positional arguments"),
        (lambda: thing.event("u", "e", name="x"), InvalidArgumentTypeError, r"'name' twice"),
        (lambda: thing.event(name="e"), InvalidArgumentTypeError, r"missing the required argument identifier"),
    ]
    for call, kind, message in mistakes:
        with pytest.raises(kind, match=message):
            call()
