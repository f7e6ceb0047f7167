"""Reading answers: dead letters kept, bounded reports, a request budget for 400s, unreadable 207s retried,
one person's updates in order, one retry policy, lazy put_many."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiocustomerio._retry import RetryPolicy
from aiocustomerio.ingest import (
    SAMPLE_LIMIT,
    Ingestor,
    InvalidItem,
    inspect_spool,
    iter_dead_letters,
    requeue_dead_letters,
)
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory

FAST = {"backoff": (0.001, 0.01)}


def batch_of(request: httpx.Request) -> list[dict[str, object]]:
    items: list[dict[str, object]] = json.loads(request.content)["batch"]
    return items


class Recorder:
    """A batch endpoint in-process: `answer(items)` decides each response; every request is recorded."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self.answer(batch_of(request))  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        assert isinstance(result, httpx.Response)
        return result

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(self))


def bad_if_marked(items: list[dict[str, object]]) -> httpx.Response:
    if any(isinstance(i.get("attributes"), dict) and i["attributes"].get("bad") for i in items):  # type: ignore[union-attr]
        return httpx.Response(400, json={"errors": [{"reason": "invalid", "message": "attributes.bad"}]})
    return httpx.Response(200, json={})


# -- 400 isolation budget ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("bad", "budget"), [({1234}, 25), (set(range(2000)), 64)])
async def test_isolating_a_400_has_a_request_budget(bad: set[int], budget: int) -> None:
    server = Recorder(bad_if_marked)
    # One lane: the 2,000 items make one batch.
    async with server.client() as http, Ingestor(http, max_wait=5.0, concurrency=1, **FAST) as ing:
        for i in range(2000):
            await ing.event(f"u{i}", "e", {"bad": True} if i in bad else {}, id=f"i{i}")
    assert len(server.requests) <= budget
    assert len(batch_of(server.requests[0])) == 2000
    report = ing.report
    assert report.failed_count + report.delivered == 2000
    if len(bad) == 1:
        assert report.delivered == 1999 and [item["id"] for item, _ in report.failed] == ["i1234"]
    assert all("attributes.bad" in reason for _, reason in report.failed)  # the server's reason, even past budget


async def test_pipelines_strict_mode_400s_are_dead_lettered_and_the_rest_delivered(
    server: BatchServer, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    # The façade sends X-Strict-Mode: 1 on every Pipelines request; this plain client does the same.
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{server.port}/v1", auth=("cdp-key", ""), headers={"x-strict-mode": "1"}
    )
    marked = {17, 333, 901}
    async with http, Ingestor(http, api="pipelines", spool=spool, max_wait=5.0, **FAST) as ing:
        for i in range(1000):
            properties = {"_fault": "strict"} if i in marked else {"n": i}
            await ing.track(f"u{i}", "Viewed", properties, message_id=f"m{i}")
    report = ing.report
    assert server.ids == {f"m{i}" for i in range(1000) if i not in marked}
    assert report.delivered == 997 and report.failed_count == 3 and report.dead_letters == 3
    dead = list(iter_dead_letters(spool))
    assert sorted(str(item["messageId"]) for item, _ in dead) == ["m17", "m333", "m901"]
    assert all(reason.startswith("HTTP 400") and "_fault is not allowed" in reason for _, reason in dead)
    assert server.statuses[400] <= 3 * 11 + 1


# -- dead letters and a bounded report --------------------------------------------------------------------------


async def test_dead_letters_are_kept_inspected_and_redriven(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool, **FAST) as first:
        for i in range(50):
            await first.event("u", "e", {"_fault": "permanent"} if i % 10 == 0 else {}, id=f"d{i}")
    assert first.report.failed_count == 5 and first.report.dead_letters == 5 and first.report.spooled == 0
    state = inspect_spool(spool, sample=2)
    assert (state.api, state.pending, state.dead_letters) == ("track", 0, 5)
    assert state.reasons == {"invalid: attributes: bad": 5}
    assert [item["id"] for item, _ in state.sample] == ["d0", "d10"]

    assert requeue_dead_letters(spool) == 5
    assert inspect_spool(spool).pending == 5 and inspect_spool(spool).dead_letters == 0
    async with Ingestor(client(), spool=spool) as second:
        pass
    assert second.report.recovered == 5 and second.report.failed_count == 5  # still bad: back among the dead
    assert inspect_spool(spool).dead_letters == 5

    async with Ingestor(client(), spool=spool, requeue_dead_letters=True) as third:
        pass
    assert third.report.recovered == 5


async def test_the_report_keeps_counts_and_a_bounded_sample(tmp_path: Path) -> None:
    server = Recorder(
        lambda items: httpx.Response(
            207, json={"errors": [{"batch_index": i, "reason": "invalid"} for i in range(len(items))]}
        )
    )
    gc.collect()
    before = sum(1 for o in gc.get_objects() if type(o) is dict)
    async with server.client() as http, Ingestor(http, spool=tmp_path / "spool.db", max_wait=5.0) as ing:
        for start in range(0, 20_000, 1000):
            await ing.put_many(
                {"type": "person", "identifiers": {"id": f"u{i}"}, "action": "event", "name": "n", "id": f"x{i}"}
                for i in range(start, start + 1000)
            )
    report = ing.report
    gc.collect()
    after = sum(1 for o in gc.get_objects() if type(o) is dict)
    assert report.failed_count == 20_000 and len(report.failed) == SAMPLE_LIMIT and report.dead_letters == 20_000
    # The sample's items (and their identifiers) are what the report retains, not one dict per failure.
    assert after - before < 3 * SAMPLE_LIMIT + 500
    assert "failed=20000" in report.summary()


# -- put_many is lazy -------------------------------------------------------------------------------------------


async def test_put_many_consumes_its_iterable_lazily_within_max_queue(
    server: BatchServer, client: ClientFactory
) -> None:
    server.stall()
    pulled = 0

    def items() -> Iterator[dict[str, object]]:
        nonlocal pulled
        for i in range(300_000):
            pulled += 1
            yield {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": f"l{i}"}

    ing = Ingestor(client(), max_queue=2000, max_wait=0.0)
    await ing.start()
    task = asyncio.ensure_future(ing.put_many(items(), checkpoint=("k", lambda n: str(n))))
    await asyncio.sleep(0.2)
    assert not task.done()
    assert ing.qsize() <= 2000 and pulled <= 2000 + 1000 + 1  # the queue bound, one part being encoded, a lookahead
    task.cancel()
    await ing.close(timeout=0.01)


async def test_put_many_with_an_invalid_item_accepts_whole_parts_before_it(client: ClientFactory) -> None:
    good = {"type": "person", "identifiers": {"id": "u"}, "action": "identify"}
    async with Ingestor(client()) as ing:
        with pytest.raises(InvalidItem) as caught:
            await ing.put_many([good] * 2500 + [{"type": "person", "x": {1, object()}}])
    assert caught.value.index == 2500 and caught.value.accepted == 2000  # two parts of 1,000; the third refused
    assert ing.report.accepted == 2000


# -- unreadable 207 answers -------------------------------------------------------------------------------------


UNREADABLE = [
    b'{"errors": [{"batch_index": 0, "reason": "inv',  # truncated
    b'{"errors": {"batch_index": 0}}',  # not a list
    b'{"errors": [{"batch_index": 7, "reason": "invalid"}]}',  # index out of range
    b'{"errors": [{"batch_index": "0", "reason": "invalid"}]}',  # index not an integer
    b'{"errors": [{"batch_index": true, "reason": "invalid"}]}',  # a bool is not an index
    b"[]",  # not an object
    b'{"errors":' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # RecursionError in the parser
]


@pytest.mark.parametrize("body", UNREADABLE, ids=["truncated", "dict", "range", "str", "bool", "array", "deep"])
async def test_an_unreadable_207_is_retried_never_taken_as_delivered(body: bytes) -> None:
    answers = [
        httpx.Response(207, content=body),
        httpx.Response(207, json={"errors": [{"batch_index": 1, "reason": "invalid"}]}),
    ]
    server = Recorder(lambda items: answers.pop(0))
    async with server.client() as http, Ingestor(http, **FAST) as ing:
        await ing.event("u1", "a", id="s1")
        await ing.event("u1", "a", id="s2")
    assert len(server.requests) == 2  # the unreadable answer made the batch go again
    assert ing.report.delivered == 1 and [item["id"] for item, _ in ing.report.failed] == ["s2"]
    assert ing.report.retried == 2


async def test_an_answer_whose_body_cannot_be_decoded_is_retried_not_a_halt() -> None:
    # A 207 whose gzip stream is broken: httpx raises DecodingError while reading it. Nothing is known about the
    # items, so the batch goes again, as for an unreadable 207 body.
    answers = [
        httpx.Response(207, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip at all")),
        httpx.Response(200, json={}),
    ]
    server = Recorder(lambda items: answers.pop(0))
    async with server.client() as http, Ingestor(http, **FAST) as ing:
        await ing.event("u1", "a", id="g1")
    assert len(server.requests) == 2 and ing.report.halted is None
    assert ing.report.delivered == 1 and ing.report.retried == 1 and ing.report.ok


# -- order of one person's updates ------------------------------------------------------------------------------


def first_attempt_slow_then_503(state: dict[object, object], key: Callable[[Any], object]) -> Recorder:
    """An endpoint whose first request is slow and then fails (503); later ones land: `state[key(identifiers)]` is
    each item's attributes, so the last update to land per person is what `state` holds."""
    calls = 0

    async def answer(items: list[dict[str, object]]) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.05)  # the older update's first attempt is slow, then fails
            return httpx.Response(503)
        for item in items:
            state[key(item["identifiers"])] = item["attributes"]
        return httpx.Response(200, json={})

    return Recorder(answer)


async def test_a_retried_update_never_lands_after_a_newer_one_for_the_same_person() -> None:
    state: dict[object, object] = {}
    server = first_attempt_slow_then_503(state, json.dumps)
    async with server.client() as http, Ingestor(http, max_batch_items=1, concurrency=4, max_wait=0.0, **FAST) as ing:
        await ing.identify("u1", plan="old")
        await ing.identify("u1", plan="new")
        await ing.identify("u2", plan="other")  # another person is not held up
    assert state == {'{"id": "u1"}': {"plan": "new"}, '{"id": "u2"}': {"plan": "other"}}


async def test_one_persons_updates_keep_order_however_the_items_identify_them() -> None:
    # A raw entity naming the person by id and email, then the id alone: one person, so one lane, in order.
    state: dict[object, object] = {}
    server = first_attempt_slow_then_503(state, lambda identifiers: identifiers["id"])
    async with server.client() as http, Ingestor(http, max_batch_items=1, concurrency=8, max_wait=0.0, **FAST) as ing:
        older = {"id": "u1", "email": "u1@example.com"}
        await ing.put({"type": "person", "identifiers": older, "action": "identify", "attributes": {"plan": "old"}})
        await ing.identify("u1", plan="new")
        ing.put_nowait({"type": "person", "identifiers": {"id": 7}, "action": "identify", "attributes": {"v": 1}})
        await ing.identify(7, v=2)  # a numeric id, through both paths
    assert state == {"u1": {"plan": "new"}, 7: {"v": 2}}


async def test_a_207_retry_is_followed_by_the_same_persons_later_items() -> None:
    seen: list[str] = []
    answers = iter([{"errors": [{"batch_index": 0, "reason": "internal_error"}]}])

    def answer(items: list[dict[str, object]]) -> httpx.Response:
        seen.extend(str(item["attributes"]["v"]) for item in items)  # type: ignore[index]
        return httpx.Response(207, json=next(answers, {"errors": []}))

    server = Recorder(answer)
    async with server.client() as http, Ingestor(http, max_wait=5.0, concurrency=1, **FAST) as ing:
        await ing.identify("u1", v="1")
        await ing.identify("u2", v="x")
        await ing.identify("u1", v="2")
    # u1's first update failed transiently: its later update is sent again after it; u2's is not.
    assert seen == ["1", "x", "2", "1", "2"]
    assert ing.report.delivered == 3 and ing.report.ok


# -- one retry policy -------------------------------------------------------------------------------------------


async def test_batches_are_sent_once_by_the_transport_and_retried_by_the_ingestor() -> None:
    server = Recorder(lambda items: httpx.Response(200, json={}))
    async with server.client() as http, Ingestor(http) as ing:
        await ing.event("u1", "a", id="o1")
    [request] = server.requests
    assert request.extensions["aiocustomerio_retry"] is False and request.extensions["aiocustomerio_raise"] is False


@pytest.mark.parametrize("client_kind", ["async", "sync"])
async def test_the_facades_ingestors_retry_by_the_clients_policy(client_kind: str) -> None:
    from aiocustomerio import CustomerIO, SyncCustomerIO

    answers = [httpx.Response(429, headers={"retry-after": "30"}), httpx.Response(200, json={})]
    server = Recorder(lambda items: answers.pop(0))
    transport = httpx.MockTransport(server)
    policy = RetryPolicy(base_delay=0.001, max_delay=0.01, max_retry_after=0.01)  # Retry-After capped at 10 ms
    options = {"site_id": "s", "track_api_key": "k", "transport": transport, "retry": policy, "env": {}}
    if client_kind == "async":
        async with CustomerIO(**options) as cio, cio.track.ingestor() as ing:  # type: ignore[arg-type]
            await ing.event("u1", "a", id="p1")
            await asyncio.wait_for(ing.flush(), 10)  # the default policy would wait out the 30 s
        report = ing.report
    else:

        def run() -> object:
            with SyncCustomerIO(**options) as cio, cio.track.ingestor() as ing:  # type: ignore[arg-type]
                ing.event("u1", "a", id="p1")
                ing.flush()
            return ing.report

        report = await asyncio.wait_for(asyncio.to_thread(run), 10)
    assert len(server.requests) == 2 and report.delivered == 1 and report.retried == 1  # type: ignore[attr-defined]
    async with CustomerIO(**options) as cio:  # type: ignore[arg-type]
        own = RetryPolicy(max_retries=1)
        assert cio.track.ingestor(retry=own)._retry is own  # an explicit policy still wins
        assert cio.pipelines.ingestor(backoff=(0.1, 0.2))._retry.max_delay == 0.2


async def test_a_retry_after_beyond_the_backoff_cap_is_honoured_up_to_max_retry_after() -> None:
    times: list[float] = []
    answers = [httpx.Response(429, headers={"retry-after": "1"}), httpx.Response(200, json={})]

    def answer(items: list[dict[str, object]]) -> httpx.Response:
        times.append(time.monotonic())
        return answers.pop(0)

    server = Recorder(answer)
    policy = RetryPolicy(base_delay=0.001, max_delay=0.01, max_retry_after=5.0)
    async with server.client() as http, Ingestor(http, retry=policy) as ing:
        await ing.event("u1", "a", id="ra1")
    assert len(times) == 2 and times[1] - times[0] >= 0.95  # was cut to the 0.01 s cap
    assert ing.report.ok
