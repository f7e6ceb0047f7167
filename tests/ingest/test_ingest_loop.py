"""An ingestor belongs to the event loop that started it: its dispatcher and batch tasks run there. An item offered
from another loop (or from no loop) raises EventLoopError at once, as the client's calls do, and nothing is accepted.

Before, such an item was accepted into a queue whose dispatcher ran on the other (possibly idle) loop: never sent,
nothing raised, `report.accepted` counting it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from aiocustomerio import EventLoopError
from aiocustomerio.ingest import Ingestor, PipelinesIngestor, TrackIngestor

T = TypeVar("T")


class OtherLoop:
    """An event loop running in a thread of its own, as a second worker thread's would."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    async def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), self.loop))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def other() -> Iterator[OtherLoop]:
    loop = OtherLoop()
    yield loop
    loop.stop()


def _recording(sent: list[httpx.Request], base: str) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    return httpx.AsyncClient(base_url=base, transport=httpx.MockTransport(answer))


def _items(sent: list[httpx.Request]) -> list[dict[str, Any]]:
    return [item for request in sent for item in json.loads(request.content)["batch"]]


MESSAGE = r"this ingestor was started on another event loop and delivers there; it cannot take items from this one"


async def test_items_from_another_loop_are_refused_and_nothing_of_theirs_is_sent(other: OtherLoop) -> None:
    sent: list[httpx.Request] = []
    track: TrackIngestor = Ingestor(_recording(sent, "http://track"), max_wait=0.0)
    pipelines: PipelinesIngestor = Ingestor(_recording(sent, "http://cdp/v1"), api="pipelines", max_wait=0.0)
    await other.run(track.start)
    await other.run(pipelines.start)
    entity = {"type": "person", "action": "event", "name": "e", "identifiers": {"id": "u"}, "id": "foreign"}
    refused: list[Callable[[], Awaitable[object]]] = [
        lambda: track.event("u", "e", id="foreign"),
        lambda: track.page("u", "p", id="foreign"),
        lambda: track.identify("u", {"a": 1}),
        lambda: track.put(entity),
        lambda: track.put_many([entity]),
        lambda: track.flush(),
        lambda: track.start(),
        lambda: track.close(),
        lambda: pipelines.track("u", "e", message_id="foreign"),
        lambda: pipelines.identify("u", {"a": 1}),
        lambda: pipelines.put({"type": "track", "userId": "u", "event": "e", "messageId": "foreign"}),
    ]
    for call in refused:
        with pytest.raises(EventLoopError, match=MESSAGE):
            await asyncio.wait_for(call(), 5)  # bounded: before, a flush from here waited for ever
    with pytest.raises(EventLoopError, match=MESSAGE):
        track.put_nowait(entity)
    assert track.qsize() == pipelines.qsize() == 0 and track.report.accepted == pipelines.report.accepted == 0

    # On its own loop it works as before, and what the other loop offered was never queued.
    await other.run(lambda: track.event("u", "e", id="own"))
    await other.run(lambda: pipelines.track("u", "e", message_id="own-pl"))
    await other.run(track.close)
    await other.run(pipelines.close)
    ids = {item.get("id", item.get("messageId")) for item in _items(sent)}
    assert ids == {"own", "own-pl"} and track.report.ok and pipelines.report.ok


def test_put_nowait_outside_any_loop_is_refused(other: OtherLoop) -> None:
    sent: list[httpx.Request] = []
    track: TrackIngestor = Ingestor(_recording(sent, "http://track"))
    entity = {"type": "person", "action": "identify", "identifiers": {"id": "u"}}
    asyncio.run_coroutine_threadsafe(track.start(), other.loop).result(10)
    with pytest.raises(EventLoopError, match=r"it cannot take items outside any event loop"):
        track.put_nowait(entity)
    asyncio.run_coroutine_threadsafe(track.close(), other.loop).result(10)
    assert sent == [] and track.report.accepted == 0


def test_an_ingestor_used_after_its_loop_closed_says_so() -> None:
    # The audit's case: started inside one asyncio.run(), used from the next.
    sent: list[httpx.Request] = []
    track: TrackIngestor = Ingestor(_recording(sent, "http://track"))
    first = asyncio.new_event_loop()
    first.run_until_complete(track.start())

    async def later() -> None:
        with pytest.raises(EventLoopError, match=r"started on an event loop that is not running now \(an earlier"):
            await track.event("u", "e")

    try:
        asyncio.run(later())
    finally:
        first.run_until_complete(track.close())
        first.close()
    assert track.report.accepted == 0 and sent == []
