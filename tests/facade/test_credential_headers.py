"""An ``Authorization`` in ``extra_headers`` replaced the client's credentials without a word (a call meant for one
workspace went out with another key). It is refused before anything is sent, in every place per-call options are
given (a call, an API's or the client's ``with_options``, async and sync), naming the fix; its value never appears in
the error, its repr or the logs."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from aiocustomerio import CustomerIO, CustomerIOError
from aiocustomerio.errors import InvalidArgumentError
from tests.facade.conftest import TRACK_KEY, Wire

SECRET = "Basic b3RoZXItc2l0ZTpvdGhlci1rZXk="  # another workspace's site:key

PLACES: list[tuple[str, Callable[[Any, dict[str, str]], Any]]] = [
    ("sugar call", lambda cio, headers: cio.track.identify("u1", {"plan": "pro"}, extra_headers=headers)),
    ("generated call", lambda cio, headers: cio.app.campaigns.list_campaigns(extra_headers=headers)),
    ("pipelines call", lambda cio, headers: cio.pipelines.track("u1", "e", extra_headers=headers)),
    ("api view", lambda cio, headers: cio.app.with_options(extra_headers=headers)),
    ("client view", lambda cio, headers: cio.with_options(extra_headers=headers)),
]


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION"])
@pytest.mark.parametrize("place", [p[1] for p in PLACES], ids=[p[0] for p in PLACES])
async def test_an_authorization_header_is_refused_naming_the_fix(
    cio: CustomerIO, wire: Wire, caplog: pytest.LogCaptureFixture, place: Callable[..., Any], name: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidArgumentError, match=rf"extra_headers must not set '{name}': the client sends") as info:
        result = place(cio, {"X-Trace": "t1", name: SECRET})
        if hasattr(result, "__await__"):
            await result
    assert isinstance(info.value, CustomerIOError) and isinstance(info.value, ValueError)
    assert "give the credentials to the client" in str(info.value)
    shown = [str(info.value), repr(info.value), "".join(traceback.format_exception(info.value)), caplog.text]
    assert not any(SECRET in text or "b3RoZXI" in text for text in shown)
    assert wire.requests == []


async def test_a_view_and_calls_without_it_keep_the_clients_credentials(cio: CustomerIO, wire: Wire) -> None:
    # Other headers still go out, beside the client's own Authorization, never in place of it.
    await cio.with_options(extra_headers={"X-Tenant": "t1"}).track.identify("u1", {"a": 1}, extra_headers={"X-B": "b"})
    sent = wire.last.headers
    assert sent["X-Tenant"] == "t1" and sent["X-B"] == "b"
    assert sent["Authorization"].startswith("Basic ") and sent["Authorization"] != SECRET
    import base64

    assert base64.b64decode(sent["Authorization"][6:]).decode().endswith(":" + TRACK_KEY)
