"""The group commit's shared future: its waiters cannot cancel it, a cancelled producer ends once its commit is
settled (committed and accepted, or failed and not accepted), and every waiter is woken, whatever another one does."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from aiocustomerio.ingest import Ingestor, SpoolWriteError, _writer
from aiocustomerio.ingest._commit import GroupCommit
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory


def raw_event(key: str) -> dict[str, object]:
    return {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "e", "id": key}


TaskFactory = Callable[[asyncio.AbstractEventLoop, Coroutine[Any, Any, Any]], "asyncio.Future[Any]"]


def py_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any) -> asyncio.Future[Any]:
    return asyncio.tasks._PyTask(coro, loop=loop, **kwargs)  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("factory", [None, py_task], ids=["c-task", "python-task"])
async def test_a_cancelled_waiter_ends_when_the_commit_is_settled_and_the_others_are_not_cancelled(
    factory: TaskFactory | None,
) -> None:
    loop = asyncio.get_running_loop()
    loop.set_task_factory(factory)  # type: ignore[arg-type]
    try:
        commit = GroupCommit(loop)
        waiters = [asyncio.ensure_future(_await(commit)) for _ in range(3)]
        await asyncio.sleep(0)
        assert waiters[1].cancel()  # asked; the task is cancelled once the commit it waits for is settled
        assert not commit.cancel() and not commit.cancelled()
        await asyncio.sleep(0.01)
        assert not any(w.done() for w in waiters)  # cancelling one waiter ended nothing yet
        commit.committed()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert results[0] == results[2] == "done" and isinstance(results[1], asyncio.CancelledError)
    finally:
        loop.set_task_factory(None)


async def _await(commit: GroupCommit) -> str:
    await commit
    return "done"


async def test_every_waiter_wakes_when_one_of_them_raises() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        commit = GroupCommit(loop)
        woken: list[int] = []

        def bad(_: object) -> None:
            raise RuntimeError("boom")

        commit.add_done_callback(lambda _: woken.append(1))
        commit.add_done_callback(bad)
        commit.add_done_callback(lambda _: woken.append(3))
        commit.committed()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert woken == [1, 3]
        assert [type(c["exception"]) for c in reported] == [RuntimeError]
        late: list[object] = []
        commit.add_done_callback(late.append)  # once settled, a callback is scheduled at once, as for any future
        await asyncio.sleep(0)
        assert late == [commit]
    finally:
        loop.set_exception_handler(None)


async def test_a_cancelled_producer_whose_commit_fails_gets_cancelled_error_and_its_item_is_not_accepted(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: _writer.Writer, *args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(_writer.Writer, "_write", broken)
    monkeypatch.setattr(_writer, "COMMIT_RETRY_DELAYS", (0.05, 0.05))
    ing = Ingestor(client(), spool=tmp_path / "spool.db", max_wait=0.0)
    await ing.start()
    # put_many waits for its group commit (a single put is journaled and needs none: test_ingest_journal).
    producers = [asyncio.ensure_future(ing.put_many([raw_event(f"x{i}")])) for i in range(3)]
    await asyncio.sleep(0.01)  # staged; the commit is failing and being retried
    producers[0].cancel()
    results = await asyncio.wait_for(asyncio.gather(*producers, return_exceptions=True), 10)
    assert isinstance(results[0], asyncio.CancelledError)
    assert all(isinstance(r, SpoolWriteError) for r in results[1:])
    monkeypatch.undo()
    report = await asyncio.wait_for(ing.close(), 10)  # close() does not wait for the items that were never accepted
    assert report.accepted == 0 and server.ids == set()
    assert "Not in the spool: 3 items" in report.errors[0]


async def test_a_put_timing_out_while_its_commit_runs_is_still_accepted_once_committed(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _writer.Writer._write

    def slow(self: _writer.Writer, *args: Any) -> None:
        time.sleep(0.3)
        real(self, *args)

    monkeypatch.setattr(_writer.Writer, "_write", slow)
    monkeypatch.setattr(_writer, "INLINE_COMMIT_BYTES", 0)  # the commit runs on the spool's thread, the loop goes on
    async with Ingestor(client(), spool=tmp_path / "spool.db", max_wait=0.0) as ing:
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ing.put_many([raw_event("t1")]), 0.05)
        assert time.monotonic() - started >= 0.25  # it ended when its commit did: committed, so accepted
        assert ing.report.accepted == 1
    assert ing.report.delivered == 1 and ing.report.ok and server.ids == {"t1"}


async def test_a_waiter_raising_keyboard_interrupt_leaves_the_others_to_wake_when_the_loop_runs_again() -> None:
    loop = asyncio.get_running_loop()
    commit = GroupCommit(loop)
    woken: list[int] = []

    def interrupted(_: object) -> None:
        raise KeyboardInterrupt

    commit.add_done_callback(interrupted)
    commit.add_done_callback(lambda _: woken.append(2))
    commit.set_result(None)
    with pytest.raises(KeyboardInterrupt):
        commit._run_wakeups(commit._wakeups)  # what the loop runs; the interrupt reaches it as from any callback
    await asyncio.sleep(0)
    assert woken == [2]


async def test_the_report_says_put_nowait_items_staged_for_a_failed_commit_are_not_in_the_spool(
    server: BatchServer, client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # put_nowait returns once its item is staged: when the commit then fails for good, nothing raised for it, so the
    # report must not say that "their put raised".
    def broken(self: _writer.Writer, *args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(_writer.Writer, "_write", broken)
    monkeypatch.setattr(_writer, "COMMIT_RETRY_DELAYS", (0.01, 0.01))
    ing = Ingestor(client(), spool=tmp_path / "spool.db", max_wait=0.0)
    await ing.start()
    staged = 0
    with pytest.raises(SpoolWriteError):
        for i in range(200):
            ing.put_nowait(raw_event(f"n{i}"))  # staged: no error, until the spool is broken
            staged += 1
            await asyncio.sleep(0.01)
    assert staged > 0
    monkeypatch.undo()
    report = await asyncio.wait_for(ing.close(), 10)
    assert report.accepted == 0 and server.ids == set() and not report.ok
    assert f"Not in the spool: {staged} items offered after its last good commit, not accepted" in report.errors[0]
    assert "a put_nowait had returned: its item was only staged for that commit" in report.errors[0]
