"""The sync client: an explicit per-call ``max_retries=N`` opts an unsafe operation in to N retries (issue 10.2),
its client-level default never does; counted on the wire."""

from __future__ import annotations

import httpx
import pytest

from aiocustomerio import Limits, RetryPolicy, SyncCustomerIO
from aiocustomerio.errors import ServerError

SEND = {"transactional_message_id": "1", "to": "a@b.c", "identifiers": {"id": "u"}}


def test_a_per_call_max_retries_retries_a_send_and_the_default_does_not() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(504, json={})

    with SyncCustomerIO(
        app_api_key="k",
        env={},
        limits=Limits.disabled(),
        retry=RetryPolicy(max_retries=3, base_delay=0.0, max_delay=0.0),
        transport=httpx.MockTransport(handler),
    ) as cio:
        with pytest.raises(ServerError) as raised:
            cio.app.send_email(**SEND, max_retries=2)
        assert len(requests) == 3 and raised.value.attempts == 3
        assert {r.url.path for r in requests} == {"/v1/send/email"}
        with pytest.raises(ServerError):
            cio.app.send_email(**SEND)  # RetryPolicy(max_retries=3) is the client's default: sent once
        assert len(requests) == 3 + 1
        with pytest.raises(ServerError):
            cio.with_options(max_retries=2).app.send_email(**SEND)  # a view's default: sent once
        assert len(requests) == 4 + 1
