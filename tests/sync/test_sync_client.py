"""SyncCustomerIO as sync code uses it: shared by threads, closed, configured exactly like CustomerIO."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, MissingCredentialsError, SyncCustomerIO
from aiocustomerio._limits import RateLimiter
from aiocustomerio._sync.ingest import SyncPipelinesIngestor, SyncTrackIngestor
from aiocustomerio.errors import CustomerIOError, InvalidArgumentTypeError
from tests.sync.conftest import ThreadedServer


def local(server: ThreadedServer, **options: object) -> SyncCustomerIO:
    return SyncCustomerIO(
        site_id="site",
        track_api_key="key",
        cdp_api_key="cdp-key",
        track_base_url=server.url(),
        pipelines_base_url=server.url("pipelines"),
        env={},
        **options,  # type: ignore[arg-type]
    )


def test_the_constructor_is_the_async_clients() -> None:
    sync = inspect.signature(SyncCustomerIO.__init__).parameters
    async_ = inspect.signature(CustomerIO.__init__).parameters
    assert list(sync) == list(async_)
    for name, param in async_.items():
        if name != "transport":  # httpx.BaseTransport here, AsyncBaseTransport there; aiohttp is async-only
            assert (sync[name].kind, sync[name].default, sync[name].annotation) == (
                param.kind,
                param.default,
                param.annotation,
            ), name
    with pytest.raises(ValueError, match="aiohttp"):
        SyncCustomerIO(transport="aiohttp")


def test_eight_threads_share_one_client_one_pool_and_one_set_of_limits(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cio = local(server, max_connections=4, limits=Limits(track=(10_000, 1)))
    shared = cio._limiters["track"]
    acquired: list[str] = []
    real_acquire = RateLimiter.acquire_sync

    def counting(limiter: RateLimiter, request: httpx.Request) -> None:
        if limiter is shared:
            acquired.append(threading.current_thread().name)
        real_acquire(limiter, request)

    monkeypatch.setattr(RateLimiter, "acquire_sync", counting)
    pools: set[int] = set()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work() -> None:
        try:
            start.wait(10)  # every thread makes its first call at once: one pool must come of it
            for i in range(25):
                cio.track.identify(f"{threading.current_thread().name}-{i}", {"plan": "pro"})
                pools.add(id(cio.track.http))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, name=f"worker-{n}") for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    cio.close()
    assert errors == []
    assert len(pools) == 1
    sent = server.call(lambda: server.server.requests)
    assert sent >= 200  # (more if a read error was retried: identify is an idempotent PUT)
    assert (
        len(acquired) == sent and len(set(acquired)) == 8
    )  # every attempt, from every thread, used one set of buckets
    assert server.call(lambda: server.server.max_concurrent) <= 4  # max_connections bounds the shared pool


def test_closed_client_raises_and_credentials_fail_before_sending(server: ThreadedServer) -> None:
    with local(server) as cio:
        cio.track.identify("u1")
        with pytest.raises(MissingCredentialsError, match="app_api_key"):
            cio.app.list_campaigns()
    with pytest.raises(RuntimeError, match="closed"):
        cio.track.identify("u1")


def _refusal(call: Callable[[], object]) -> str:
    with pytest.raises(MissingCredentialsError) as info:
        call()
    return str(info.value)


def _halt(cio: SyncCustomerIO) -> str:
    """An ingestor without its credentials halts (its items kept pending), saying why."""
    ingestor = cio.track.ingestor().start()
    ingestor.identify("u1")
    return str(ingestor.close(timeout=5).halted)


@pytest.mark.parametrize(
    ("credentials", "told", "fix"),
    [
        ({"site_id": "site"}, lambda cio: _refusal(lambda: cio.track.identify("u1")), "SyncCustomerIO(site_id=..., "),
        ({}, lambda cio: _refusal(cio.app.list_campaigns), "SyncCustomerIO(app_api_key=...) or set CUSTOMERIO_APP_"),
        ({}, lambda cio: _refusal(lambda: cio.pipelines.identify(user_id="u")), "SyncCustomerIO(cdp_api_key=...) or"),
        ({}, _halt, "MissingCredentialsError: Track API needs site_id and track_api_key (missing: site_id, track_api_"),
        ({}, _halt, "pass SyncCustomerIO(site_id=..., track_api_key=...) or set CUSTOMERIO_SITE_ID and CUSTOMERIO_"),
    ],
)
def test_missing_credentials_name_the_class_the_user_built(
    server: ThreadedServer, credentials: dict[str, str], told: Callable[[SyncCustomerIO], str], fix: str
) -> None:
    # "pass CustomerIO(app_api_key=...)" sent a sync user to the other class.
    cio = SyncCustomerIO(track_base_url=server.url(), pipelines_base_url=server.url("pipelines"), env={}, **credentials)
    with cio:
        message = told(cio)
    assert fix in message and "CustomerIO(" not in message.replace("SyncCustomerIO(", ""), message
    assert server.call(lambda: server.server.requests) == 0


def test_ingestors_from_the_client_deliver_through_its_configuration(
    server: ThreadedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cio = local(server, limits=Limits(track=(10_000, 1), pipelines=(10_000, 1)))
    drawn: list[str] = []
    real_acquire = RateLimiter.acquire_sync

    def counting(limiter: RateLimiter, request: httpx.Request) -> None:
        if limiter is cio._limiters[limiter.api]:
            drawn.append(f"{limiter.api} {request.url.path}")
        real_acquire(limiter, request)

    monkeypatch.setattr(RateLimiter, "acquire_sync", counting)
    with cio.track.ingestor(spool=tmp_path / "track.db", max_wait=0.01) as track:
        assert isinstance(track, SyncTrackIngestor)
        track.event("u1", "purchase", {"total": 1}, id="e1")
        track.identify("u1", email="u1@example.com")
    with cio.pipelines.ingestor(max_wait=0.01) as pipelines:
        assert isinstance(pipelines, SyncPipelinesIngestor)
        pipelines.track("u1", "purchase", message_id="m1")
    assert track.report.ok and track.report.delivered == 2
    assert pipelines.report.ok and pipelines.report.delivered == 1
    assert {"e1", "m1"} <= server.ids
    # The batches drew on the client's own buckets, the ones its threads use: ingesting does not double the budget.
    assert "track /api/v2/batch" in drawn and "pipelines /v1/batch" in drawn
    cio.close()


def test_an_ingestor_needs_a_transport_that_can_send_from_its_loop(tmp_path: Path) -> None:
    sync_only = httpx.HTTPTransport()
    cio = SyncCustomerIO(site_id="s", track_api_key="k", cdp_api_key="c", transport=sync_only, env={})
    # Refused typed when the ingestor is asked for, not by its first event inside the `with` block.
    named = r"SyncCustomerIO\(transport=HTTPTransport\(\.\.\.\)\) is sync-only"
    for api in (cio.track, cio.pipelines):
        with pytest.raises(InvalidArgumentTypeError, match=named):
            api.ingestor()
    cio.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": -1}, "timeout"),
        ({"retry": 3}, "retry"),
        ({"max_connections": 0}, "max_connections"),
        ({"limits": "fast"}, "limits"),
        ({"track_base_url": "ftp://x"}, "track_base_url"),
        ({"pipelines_strict": "yes"}, "pipelines_strict"),
        ({"env": ["A=1"]}, "env"),
    ],
)
def test_constructor_errors_name_the_sync_client(options: dict[str, object], field: str) -> None:
    with pytest.raises(CustomerIOError) as raised:
        SyncCustomerIO(**{"env": {}, **options})  # type: ignore[arg-type]
    assert str(raised.value).startswith(f"SyncCustomerIO({field}=...)"), str(raised.value)


def test_with_options_is_a_view_sharing_the_pools(server: ThreadedServer) -> None:
    cio = local(server)
    quick = cio.with_options(timeout=5, max_retries=0)
    quick.track.identify("u1")
    assert quick.track.http is cio.track.http  # one pool
    assert quick._limiters is cio._limiters  # one set of buckets
    with pytest.raises(TypeError, match="timout"):
        cio.with_options(timout=5)  # type: ignore[call-arg]
    cio.close()
