"""Arguments of the wrong shape are refused before sending, naming the argument: bodies, attribute mappings and the
lists of a broadcast audience (a string is a sequence of characters, never a list of recipients)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aiocustomerio import CustomerIO
from aiocustomerio.errors import InvalidArgumentTypeError

from .conftest import Wire

CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    ("body str", lambda c: c.app.customers.get_people_filter(body="x"), r"get_people_filter: body must be a mapping"),
    ("body int", lambda c: c.track.track_customers.identify("u1", body=5), r"identify: body must be a mapping"),
    ("body list", lambda c: c.app.customers.get_people_filter(body=[1]), r"body must be a mapping .*not list"),
    ("body None", lambda c: c.app.customers.get_people_filter(body=None), r"body must be a mapping .*not NoneType"),
    ("identify list", lambda c: c.track.identify("u1", [1]), r"attributes must be a mapping .*not list"),
    ("event list", lambda c: c.track.event("u1", "e", [1]), r"attributes must be a mapping .*not list"),
    ("device attributes", lambda c: c.track.add_device("u1", "d", "ios", attributes=[1]), r"attributes must be"),
    ("batch of non-mappings", lambda c: c.track.batch([1]), r"batch\[0\] must be a mapping .*not int"),
    ("batch a mapping", lambda c: c.track.batch({"type": "person"}), r"entities must be a list .*not dict"),
    ("entity list", lambda c: c.track.entity([1]), r"entity must be a mapping .*not list"),
    (
        "segment ids str",
        lambda c: c.track.add_to_segment(3, "u1"),
        r"ids must be a list, not str; for one: ids=\[.u1.\]",
    ),
    ("properties list", lambda c: c.pipelines.track(user_id="u", event="e", properties=[1]), r"properties must be"),
    ("traits list", lambda c: c.pipelines.identify(user_id="u", traits=[1]), r"traits must be a mapping"),
    (
        "emails str",
        lambda c: c.app.trigger_broadcast(3, emails="a@example.com"),
        r"emails must be a list, not str; for one: emails=\[.a@example.com.\]",
    ),
    ("ids str", lambda c: c.app.trigger_broadcast(3, ids="12"), r"ids must be a list, not str; for one: ids=\[.12.\]"),
    ("per_user_data dict", lambda c: c.app.trigger_broadcast(3, per_user_data={"id": 1}), r"per_user_data must be"),
    ("broadcast data list", lambda c: c.app.trigger_broadcast(3, ids=[1], data=[1]), r"data must be a mapping"),
    (
        "message_data list",
        lambda c: c.app.send_email(transactional_message_id="1", to="a@b.c", identifiers={"id": "u"}, message_data=[1]),
        r"message_data must be a mapping",
    ),
]


@pytest.mark.generated_names
@pytest.mark.parametrize(("label", "call", "message"), CASES, ids=[c[0] for c in CASES])
async def test_an_argument_of_the_wrong_shape_is_refused_before_sending(
    cio: CustomerIO, wire: Wire, label: str, call: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentTypeError, match=message):
        await call(cio)
    assert wire.requests == []


async def test_a_broadcast_without_audience_goes_to_its_own_segment(cio: CustomerIO, wire: Wire) -> None:
    # The spec's first branch, "Default audience": data (and flags) only; the broadcast's segment receives it.
    await cio.app.trigger_broadcast(3, data={"coupon": "SAVE20"})
    assert wire.last.url.path == "/v1/campaigns/3/triggers"
    assert wire.body() == {"data": {"coupon": "SAVE20"}}
    await cio.app.trigger_broadcast(3)
    assert wire.body() == {}
