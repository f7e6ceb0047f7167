"""Every error an ingestor raises is a CustomerIOError (keeping its old base), and bad options name the option.

Before, ``ingestor(concurrency="4")`` raised "'<' not supported between instances of 'str' and 'int'", a misspelt
option "Engine.__init__() got an unexpected keyword argument", and IngestorHalted, IngestorClosed, QueueFull,
SpoolLocked, SpoolWriteError, SpoolReadError and InvalidItem all escaped ``except CustomerIOError``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, CustomerIOError, Limits, SyncCustomerIO
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
            with pytest.raises(CustomerIOError, match="needs a `type`"):
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
