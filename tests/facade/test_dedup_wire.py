"""Generated Track and Pipelines writes carry a dedup id stamped once, so a retry after a lost answer is dropped by
Customer.io as a repeat instead of recording the event twice (the index's ``dedup``, from codegen/dedup.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, RetryPolicy, SyncCustomerIO
from aiocustomerio._ids import ulid_timestamp_ms


class LosesFirstAnswer:
    """The server takes every request, but the answer to the first one is lost (a read timeout)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        if len(self.bodies) == 1:
            raise httpx.ReadTimeout("the server took it; the answer was lost", request=request)
        return httpx.Response(200, json={})


def _options(server: LosesFirstAnswer) -> dict[str, Any]:
    return dict(
        site_id="site", track_api_key="tk", app_api_key="ak", cdp_api_key="ck", env={}, limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.002), transport=httpx.MockTransport(server),
    )  # fmt: skip


CALLS: dict[str, tuple[Callable[[Any, Any], Any], Any]] = {
    "track v1 event": (lambda api, body: api.track.track_events.track("u1", body=body), {"name": "purchase"}),
    "track v1 anonymous": (
        lambda api, body: api.track.track_events.track_anonymous(body=body),
        {"name": "e", "anonymous_id": "a"},
    ),
    "track v2 entity": (
        lambda api, body: api.track.track_v2.entity(body=body),
        {"type": "person", "identifiers": {"id": "u1"}, "action": "event", "name": "purchase"},
    ),
    "pipelines track": (
        lambda api, body: api.pipelines.events_and_pageviews.track(body=body),
        {"type": "track", "userId": "u1", "event": "purchase"},
    ),
}  # fmt: skip


OWN = "01HYYYYYYYYYYYYYYYYYYYYYYY"


def _stamped(body: dict[str, Any], field: str) -> str:
    value = body[field]
    assert isinstance(value, str) and len(value) == 26 and ulid_timestamp_ms(value) > 0
    return value


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_the_retry_carries_the_id_of_the_first_attempt(call: str, kind: str) -> None:
    make, body = CALLS[call]
    given = copy.deepcopy(body)
    field = "messageId" if call.startswith("pipelines") else "id"
    server = LosesFirstAnswer()
    if kind == "async":
        async with CustomerIO(**_options(server)) as cio:
            await make(cio, given)
    else:
        with SyncCustomerIO(**_options(server)) as sync:
            make(sync, given)
    assert len(server.bodies) == 2, "a read timeout on a dedup-safe write is retried"
    first, retry = server.bodies
    assert _stamped(first, field) == _stamped(retry, field)
    assert first == retry == {**body, field: first[field]}
    assert given == body, "the caller's dict is not changed"


async def test_the_callers_own_id_is_kept() -> None:
    server = LosesFirstAnswer()
    async with CustomerIO(**_options(server)) as cio:
        await cio.track.track_events.track("u1", body={"name": "e", "id": "01HZZZZZZZZZZZZZZZZZZZZZZZ"})
        message = {"type": "track", "userId": "u", "event": "e", "messageId": "m-1"}
        await cio.pipelines.events_and_pageviews.track(body=message)
    assert [b.get("id") or b.get("messageId") for b in server.bodies] == ["01HZZZZZZZZZZZZZZZZZZZZZZZ"] * 2 + ["m-1"]


async def test_each_batch_event_gets_its_own_id_and_other_entries_none() -> None:
    server = LosesFirstAnswer()
    events = [
        {"type": "person", "identifiers": {"id": "u1"}, "action": "event", "name": "a"},
        {"type": "person", "identifiers": {"id": "u1"}, "action": "identify", "attributes": {"plan": "pro"}},
        {"type": "person", "identifiers": {"id": "u1"}, "action": "page", "name": "/home"},  # an event the spec omits
        {"type": "person", "identifiers": {"id": "u2"}, "action": "event", "name": "b", "id": OWN},
    ]  # fmt: skip
    given = copy.deepcopy(events)
    async with CustomerIO(**_options(server)) as cio:
        await cio.track.track_v2.batch(body={"batch": given})
    assert given == events
    first, retry = (b["batch"] for b in server.bodies)
    assert first == retry
    ids = [entry.get("id") for entry in first]
    assert ids[1] is None and ids[3] == OWN
    assert _stamped(first[0], "id") != _stamped(first[2], "id")


async def test_every_pipelines_batch_message_gets_a_message_id() -> None:
    server = LosesFirstAnswer()
    batch = [{"type": "identify", "userId": "u"}, {"type": "track", "userId": "u", "event": "e"}]
    async with CustomerIO(**_options(server)) as cio:
        await cio.pipelines.batch_operations.batch(body={"batch": batch})
    first, retry = (b["batch"] for b in server.bodies)
    assert first == retry and len({_stamped(m, "messageId") for m in first}) == 2


async def test_a_generated_model_body_is_stamped_too() -> None:
    from aiocustomerio_track.models.standard_event import StandardEvent

    server = LosesFirstAnswer()
    async with CustomerIO(**_options(server)) as cio:
        await cio.track.track_events.track("u1", body=StandardEvent(name="purchase"))
    first, retry = server.bodies
    assert first == retry and first["name"] == "purchase" and _stamped(first, "id")
