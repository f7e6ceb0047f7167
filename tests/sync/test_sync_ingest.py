"""The blocking ingestors: the async engine on a private loop thread, driven from plain threads."""

from __future__ import annotations

import inspect
import threading
import time
from pathlib import Path

import pytest

from aiocustomerio._sync.ingest import IngestorTimeout, SyncPipelinesIngestor, SyncTrackIngestor
from aiocustomerio.ingest import (
    IngestorClosed,
    IngestorHalted,
    ItemTooLarge,
    PipelinesIngestor,
    TrackIngestor,
    inspect_spool,
)
from tests.sync.conftest import ThreadedServer, event


def loop_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("aiocustomerio-ingest")]


def spooled(path: Path) -> int:
    return inspect_spool(path).pending


def test_with_block_delivers_everything_and_close_returns_the_report(server: ThreadedServer) -> None:
    with SyncTrackIngestor(server.http(), max_wait=0.01) as ing:
        ing.identify("u1", {"plan": "pro"}, email="u1@example.com")
        ing.event("u1", "purchase", {"total": 12.5}, id="e1")
        ing.page("u1", "/home", id="p1")
        ing.screen("u1", "home", id="s1")
        ing.put(event("raw1"))
        ing.put_many([event(f"m{i}") for i in range(50)])
        assert ing.qsize() <= 55
    report = ing.report
    assert report.ok and report.accepted == report.delivered == 55
    assert {"e1", "p1", "s1", "raw1", "m0", "m49"} <= server.ids
    assert 'identify:{"id": "u1"}' in server.ids
    assert loop_threads() == []  # the private loop is gone with the block
    assert ing.close() is report  # closing again returns the same report


def test_pipelines_ingestor_delivers_every_call_type(server: ThreadedServer) -> None:
    ing = SyncPipelinesIngestor(server.http("pipelines"), max_wait=0.01).start()
    ing.identify("u1", {"plan": "pro"}, message_id="i1", email="u1@example.com")
    ing.track("u1", "purchase", {"total": 1}, message_id="t1")
    ing.page("u1", "home", message_id="p1")
    ing.screen("u1", "home", message_id="s1")
    ing.group("u1", "g1", message_id="g1")
    ing.alias("u1", "anon-1", message_id="a1")
    report = ing.close()
    assert report.ok and report.delivered == 6
    assert {"i1", "t1", "p1", "s1", "g1", "a1"} <= server.ids


def test_event_blocks_while_the_queue_is_full_and_resumes_when_there_is_room(server: ThreadedServer) -> None:
    server.stall()
    ing = SyncTrackIngestor(server.http(), max_queue=3, max_batch_items=1, concurrency=1, max_wait=0.0).start()
    for i in range(3):
        ing.event("u", "n", id=f"k{i}")
    blocked = threading.Thread(target=ing.event, args=("u", "n"), kwargs={"id": "k3"})
    blocked.start()
    blocked.join(0.5)
    assert blocked.is_alive(), "a full queue must hold the producer back"
    assert ing.report.accepted == 3
    server.unstall()
    blocked.join(10)
    assert not blocked.is_alive()
    assert ing.close(timeout=10).delivered == 4
    assert server.ids == {"k0", "k1", "k2", "k3"}


def test_a_put_waiting_longer_than_put_timeout_raises_and_is_not_accepted(server: ThreadedServer) -> None:
    server.stall()
    # put_timeout also bounds start() and the first put and report read, which build the HTTP client and the first
    # request on the loop thread: about 0.1 s on an idle machine, up to a second on a loaded 2-core one. 3 s keeps
    # those clear of it; only the put that waits for room (the server holds k0) reaches it.
    ing = SyncTrackIngestor(server.http(), max_queue=1, max_wait=0.0, put_timeout=3.0).start()
    ing.event("u", "n", id="k0")
    started = time.monotonic()
    with pytest.raises(IngestorTimeout, match=r"put_timeout=3\.0"):
        ing.event("u", "n", id="k1")
    waited = time.monotonic() - started
    assert 3.0 <= waited < 60, waited  # waited for the bound, then gave up (the server would hold it forever)
    assert ing.report.accepted == 1
    server.unstall()
    assert ing.close(timeout=10).delivered == 1
    assert server.ids == {"k0"}


def test_closing_from_another_thread_releases_a_blocked_producer(server: ThreadedServer) -> None:
    server.stall()
    ing = SyncTrackIngestor(server.http(), max_queue=1, max_wait=0.0).start()
    ing.event("u", "n", id="k0")
    outcome: list[BaseException] = []

    def produce() -> None:
        try:
            ing.event("u", "n", id="k1")  # waits for room that never comes
        except BaseException as exc:
            outcome.append(exc)

    blocked = threading.Thread(target=produce)
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()
    report = ing.close(timeout=0.2)  # a worker shutting down, say
    blocked.join(10)
    assert not blocked.is_alive(), "the producer was left hanging"
    assert len(outcome) == 1 and isinstance(outcome[0], IngestorClosed)
    assert report.accepted == 1 and report.delivered == 0 and not report.ok
    server.unstall()


def test_engine_errors_reach_the_caller_typed(server: ThreadedServer) -> None:
    with SyncTrackIngestor(server.http(), max_wait=0.0) as ing:
        with pytest.raises(ItemTooLarge, match="per-item limit"):
            ing.event("u", "n", {"blob": "x" * 40_000})
        with pytest.raises(TypeError, match="an item is a dict"):
            ing.put(["not", "a", "dict"])  # type: ignore[arg-type]

    refused = SyncTrackIngestor(server.http(auth=("site", "wrong")), max_wait=0.0).start()
    refused.event("u", "n", id="k0")
    refused.flush()  # returns once delivery halts (the credentials are refused)
    with pytest.raises(IngestorHalted, match="HTTP 401"):
        refused.event("u", "n", id="k1")
    report = refused.close()
    assert report.halted and len(report.pending) == 1 and report.delivered == 0


def test_a_callback_calling_back_in_gets_an_error_instead_of_a_deadlock(server: ThreadedServer) -> None:
    seen: list[BaseException] = []

    def on_error(item: object, reason: str) -> None:
        try:
            ing.event("u", "from-callback")
        except BaseException as exc:
            seen.append(exc)

    ing = SyncTrackIngestor(server.http(), max_wait=0.0, on_error=on_error)
    with ing:
        ing.put(event("bad", attributes={"_fault": "permanent"}))
    assert ing.report.failed and len(seen) == 1
    assert isinstance(seen[0], RuntimeError) and "would deadlock" in str(seen[0])


def test_use_outside_start_and_close_raises_at_once(server: ThreadedServer, tmp_path: Path) -> None:
    ing = SyncTrackIngestor(server.http())
    with pytest.raises(RuntimeError, match="start the ingestor first"):
        ing.event("u", "n")
    ing.start()
    ing.close()
    with pytest.raises(IngestorClosed):
        ing.event("u", "n")
    with pytest.raises(IngestorClosed):
        ing.start()
    with pytest.raises(ValueError, match="put_timeout must be a positive number"):
        SyncTrackIngestor(server.http(), put_timeout=0)
    with pytest.raises(ValueError, match="max_queue"):
        SyncTrackIngestor(server.http(), max_queue=0)  # the engine's own checks run in the caller's thread


def test_a_forked_child_gets_an_error_instead_of_waiting_for_a_thread_it_does_not_have(
    server: ThreadedServer,
) -> None:
    with SyncTrackIngestor(server.http()) as ing:
        real = ing._loop._pid
        ing._loop._pid = real + 1  # what a fork child sees: another pid than the one that started the thread
        try:
            with pytest.raises(RuntimeError, match="before a fork"):
                ing.event("u", "n")
        finally:
            ing._loop._pid = real


def test_close_with_a_drain_timeout_returns_in_bounded_time_and_keeps_the_rest_spooled(
    server: ThreadedServer, tmp_path: Path
) -> None:
    server.stall()
    spool = tmp_path / "spool.db"
    ing = SyncTrackIngestor(server.http(), spool=spool, max_wait=0.0, drain_timeout=0.3).start()
    ing.put_many([event(f"k{i}") for i in range(20)])
    started = time.monotonic()
    report = ing.close()
    assert time.monotonic() - started < 10
    assert report.delivered == 0 and len(report.pending) + ing.report.delivered <= 20
    assert spooled(spool) == 20 and loop_threads() == []
    server.unstall()
    with SyncTrackIngestor(server.http(), spool=spool, max_wait=0.0) as again:
        pass
    assert again.report.recovered == 20 and again.report.delivered == 20
    assert server.ids == {f"k{i}" for i in range(20)}


def test_eight_threads_share_one_spooled_ingestor(server: ThreadedServer, tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with SyncTrackIngestor(server.http(), spool=tmp_path / "spool.db", max_wait=0.01, max_queue=500) as ing:

        def produce(worker: int) -> None:
            try:
                for i in range(250):
                    ing.event(f"u{worker}", "n", {"i": i}, id=f"w{worker}-{i}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=produce, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads), "a producer thread hung"
    assert errors == []
    assert ing.report.ok and ing.report.delivered == 2000
    assert server.ids == {f"w{w}-{i}" for w in range(8) for i in range(250)}


@pytest.mark.parametrize(
    ("sync_cls", "async_cls"), [(SyncTrackIngestor, TrackIngestor), (SyncPipelinesIngestor, PipelinesIngestor)]
)
def test_every_public_method_of_the_async_ingestor_has_a_blocking_twin(sync_cls: type, async_cls: type) -> None:
    public = {name for name, _ in inspect.getmembers(async_cls, inspect.isfunction) if not name.startswith("_")}
    missing = sorted(name for name in public if not hasattr(sync_cls, name))
    assert missing == [], f"add these to {sync_cls.__name__} (`name = blocking(...)` or `on_loop(...)`)"
    assert not any(inspect.iscoroutinefunction(getattr(sync_cls, name)) for name in public)


def test_put_many_of_a_long_iterable_bounds_each_wait_not_the_whole_call(
    server: ThreadedServer, tmp_path: Path
) -> None:
    # Each batch is answered in 0.3 s, so room comes back every 0.3 s and no wait for it nears put_timeout, but the
    # whole call takes several times put_timeout: before, it raised IngestorTimeout part-way.
    server.call(lambda: setattr(server.server.faults, "p_slow", 1.0))
    server.call(lambda: setattr(server.server.faults, "slow_seconds", 0.3))
    threads: set[str] = set()

    def items(count: int):  # type: ignore[no-untyped-def]
        for i in range(count):
            threads.add(threading.current_thread().name)
            yield event(f"g{i}")

    ing = SyncTrackIngestor(server.http(), spool=tmp_path / "s.db", max_queue=1000, put_timeout=1.0, max_wait=0.01)
    with ing:
        started = time.monotonic()
        ing.put_many(items(8000), checkpoint=("read", str))
        assert time.monotonic() - started > 1.0  # longer than put_timeout, as the test needs
        assert ing.checkpoint("read") == "8000"
    assert ing.report.delivered == 8000 and server.ids == {f"g{i}" for i in range(8000)}
    assert threads == {threading.current_thread().name}  # consumed by the caller, not on the private loop


def test_put_many_in_parts_names_the_refused_item_from_the_start_of_the_call(server: ThreadedServer) -> None:
    from aiocustomerio.ingest import InvalidItem

    items: list[object] = [event(f"v{i}") for i in range(2500)]
    items[2100] = "not an entity"
    with SyncTrackIngestor(server.http(), max_wait=0.01) as ing, pytest.raises(InvalidItem) as refused:
        ing.put_many(items)  # type: ignore[arg-type]
    assert refused.value.index == 2100 and refused.value.accepted == 2000
    assert ing.report.delivered == 2000


@pytest.mark.parametrize(
    ("sync_cls", "async_cls"), [(SyncTrackIngestor, TrackIngestor), (SyncPipelinesIngestor, PipelinesIngestor)]
)
def test_a_written_out_twin_takes_the_async_methods_parameter_names(sync_cls: type, async_cls: type) -> None:
    # `ing.identify(identifier="u1", attributes=...)` must bind on both: the sync twin once named it `person`.
    written = [name for name, value in vars(sync_cls).items() if inspect.isfunction(value) and name[0] != "_"]
    assert "identify" in written
    for name in written:
        if hasattr(async_cls, name):
            theirs = inspect.signature(getattr(async_cls, name))
            ours = inspect.signature(getattr(sync_cls, name))
            assert list(ours.parameters) == list(theirs.parameters), name
            assert [p.kind for p in ours.parameters.values()] == [p.kind for p in theirs.parameters.values()], name


def test_identify_takes_identifier_and_attributes_by_keyword(server: ThreadedServer) -> None:
    with SyncTrackIngestor(server.http(), max_wait=0.01) as ing:
        ing.identify(identifier="u1", attributes={"plan": "pro"})
    assert ing.report.ok and ing.report.delivered == 1
    assert 'identify:{"id": "u1"}' in server.ids


def test_a_start_slower_than_put_timeout_raises_a_typed_timeout() -> None:
    # Every ingestion error is a CustomerIOError (README): start() bounded by put_timeout raised a bare TimeoutError
    # subclass, which `except CustomerIOError` let through.
    import asyncio

    import httpx

    from aiocustomerio import CustomerIOError

    async def slow_client() -> httpx.AsyncClient:
        await asyncio.sleep(30)
        raise AssertionError("start() should have been cancelled")

    ing = SyncTrackIngestor(slow_client, put_timeout=0.5)
    with pytest.raises(IngestorTimeout, match=r"put_timeout=0\.5") as info:
        ing.start()
    assert isinstance(info.value, CustomerIOError) and isinstance(info.value, TimeoutError)
    assert loop_threads() == []
