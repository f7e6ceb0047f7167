"""Path, query and header values are checked against their spec schema before sending (codegen/param_types.py →
the index's ``types`` → aiocustomerio._params), in App, Track and Pipelines, through both clients.

Before, each refused case below went out: ``limit=True`` as ``limit=true``, a dict as its percent-encoded repr,
``"abc"`` for an integer path segment, ``deleted="yes"``; a dict for an enum raised a bare AttributeError."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from aiocustomerio import CustomerIO
from aiocustomerio.errors import CustomerIOError, InvalidArgumentError, InvalidArgumentTypeError

from .conftest import Wire

# (label, call, error type, every fragment the message must contain)
REFUSED: list[tuple[str, Callable[[Any], Any], type[Exception], tuple[str, ...]]] = [
    (
        "app query integer given a str",
        lambda c: c.app.activities.list_activities(limit="abc"),
        InvalidArgumentTypeError,
        ("app.activities.list_activities: query parameter 'limit' must be an int, not str 'abc'",),
    ),
    (
        "app query integer given digits",
        lambda c: c.app.activities.list_activities(limit="5"),
        InvalidArgumentTypeError,
        ("'limit' must be an int, not str '5'; pass int('5')",),
    ),
    (
        "app query integer given a bool",
        lambda c: c.app.activities.list_activities(limit=True),
        InvalidArgumentTypeError,
        ("'limit' must be an int, not bool True",),
    ),
    (
        "app query integer given a fraction",
        lambda c: c.app.activities.list_activities(limit=2.5),
        InvalidArgumentTypeError,
        ("'limit' must be an int, not float 2.5; pass a whole number",),
    ),
    (
        "app query integer given a dict",
        lambda c: c.app.activities.list_activities(limit={"n": 1}),
        InvalidArgumentTypeError,
        ("'limit' must be an int, not dict",),
    ),
    (
        "app query integer above the spec's maximum",
        lambda c: c.app.activities.list_activities(limit=5000),
        InvalidArgumentError,
        ("query parameter 'limit' must be at most 100, not 5000",),
    ),
    (
        "app query string given a dict",
        lambda c: c.app.activities.list_activities(customer_id={"id": 1}),
        InvalidArgumentTypeError,
        ("query parameter 'customer_id' must be a str or int", "not dict"),
    ),
    (
        "app query string given a list",
        lambda c: c.app.activities.list_activities(name=["a"]),
        InvalidArgumentTypeError,
        ("query parameter 'name' must be a str or int", "not list"),
    ),
    (
        "app query boolean given a str",
        lambda c: c.app.activities.list_activities(deleted="yes"),
        InvalidArgumentTypeError,
        ("query parameter 'deleted' must be True or False, not str 'yes'",),
    ),
    (
        "app query boolean given an int",
        lambda c: c.app.activities.list_activities(deleted=1),
        InvalidArgumentTypeError,
        ("query parameter 'deleted' must be True or False, not int 1",),
    ),
    (
        "app query timestamp given a str",
        lambda c: c.app.messages.list_messages(start_ts="yesterday"),
        InvalidArgumentTypeError,
        ("query parameter 'start_ts' must be an int (unix seconds) or a datetime, not str 'yesterday'",),
    ),
    (
        "app path integer given a str",
        lambda c: c.app.campaigns.get_campaigns("seven"),
        InvalidArgumentTypeError,
        ("app.campaigns.get_campaigns: path parameter 'campaign_id' must be an int, not str 'seven'",),
    ),
    (
        "app path integer given a bool",
        lambda c: c.app.campaigns.get_campaigns(True),
        InvalidArgumentTypeError,
        ("path parameter 'campaign_id' must be an int, not bool True",),
    ),
    (
        "app path string given a dict",
        lambda c: c.app.customers.get_person_attributes({"id": 1}),
        InvalidArgumentTypeError,
        ("path parameter 'customer_id' must be a str or int", "not dict"),
    ),
    (
        "app enum renamed from the spec's name, not in the enum",
        lambda c: c.app.activities.list_activities(type_="nope"),
        InvalidArgumentError,
        ("query parameter 'type_' (the spec's 'type') must be one of 'add_relationship'", "not str 'nope'"),
    ),
    (
        "app enum given a dict",
        lambda c: c.app.activities.list_activities(type_={"a": 1}),
        InvalidArgumentTypeError,
        ("query parameter 'type_' (the spec's 'type') must be one of", "not dict"),
    ),
    (
        "app header string given a dict",
        lambda c: c.app.customers.get_person_subscription_preferences("u1", accept_language={"fr": 1}),
        InvalidArgumentTypeError,
        ("header parameter 'accept_language' (the spec's 'Accept-Language') must be a str or int", "not dict"),
    ),
    (
        "track path integer given a str",
        lambda c: c.track.track_segments.add_to_segment("x", body={"ids": ["a"]}),
        InvalidArgumentTypeError,
        ("track.track_segments.add_to_segment: path parameter 'segment_id' must be an int, not str 'x'",),
    ),
    (
        "track path string given a float",
        lambda c: c.track.track_customers.identify(1.5, body={}),
        InvalidArgumentTypeError,
        ("path parameter 'identifier' must be a str or int", "not float 1.5"),
    ),
    (
        "track enum given a list",
        lambda c: c.track.track_segments.add_to_segment(3, body={"ids": ["a"]}, id_type=["id"]),
        InvalidArgumentTypeError,
        ("query parameter 'id_type' must be one of 'cio_id', 'email', 'id', not list",),
    ),
    (
        "track sugar passes the check on",
        lambda c: c.track.add_to_segment("3", ["a"]),
        InvalidArgumentTypeError,
        ("path parameter 'segment_id' must be an int, not str '3'; pass int('3')",),
    ),
    (
        "pipelines header enum not in the enum",
        lambda c: c.pipelines.people.identify(body={"userId": "u"}, x_strict_mode="yes"),
        InvalidArgumentError,
        ("header parameter 'x_strict_mode' (the spec's 'X-Strict-Mode') must be one of '1', not str 'yes'",),
    ),
    (
        "pipelines header enum given a bool",
        lambda c: c.pipelines.people.identify(body={"userId": "u"}, x_strict_mode=True),
        InvalidArgumentTypeError,
        ("(the spec's 'X-Strict-Mode') must be one of '1', not bool True",),
    ),
]


@pytest.mark.generated_names
@pytest.mark.parametrize(("label", "call", "error", "fragments"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_a_value_its_schema_refuses_is_a_typed_error_and_nothing_is_sent(
    cio: CustomerIO,
    wire: Wire,
    label: str,
    call: Callable[[Any], Any],
    error: type[Exception],
    fragments: tuple[str, ...],
) -> None:
    with pytest.raises(error) as info:
        await call(cio)
    assert isinstance(info.value, CustomerIOError)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert wire.requests == []


@pytest.mark.generated_names
async def test_paginate_refuses_before_the_first_page(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(InvalidArgumentTypeError, match="query parameter 'limit' must be an int, not str"):
        cio.app.activities.list_activities.paginate(limit="10")
    assert wire.requests == []


@pytest.mark.generated_names
async def test_what_the_schema_takes_goes_out_as_the_spec_spells_it(cio: CustomerIO, wire: Wire) -> None:
    # A numeric id for a string parameter (query and path) is sent as its digits, as before.
    await cio.app.activities.list_activities(customer_id=123, limit=2.0, deleted=False, type_="event")
    assert dict(wire.last.url.params) == {"customer_id": "123", "limit": "2", "deleted": "false", "type": "event"}
    await cio.app.customers.get_person_attributes(123)
    assert wire.last.url.path == "/v1/customers/123/attributes"
    await cio.track.track_customers.identify(123, body={})
    assert wire.last.url.path == "/api/v1/customers/123"
    await cio.track.identify(42, {"plan": "pro"})
    assert wire.last.url.path == "/api/v1/customers/42"
    await cio.app.campaigns.get_campaigns(7)
    assert wire.last.url.path == "/v1/campaigns/7"
    # Datetimes for timestamp integers, as before.
    await cio.app.messages.list_messages(start_ts=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), limit=100)
    assert wire.last.url.params["start_ts"] == "1704067200"
    # A header parameter goes out under the spec's name.
    await cio.app.customers.get_person_subscription_preferences("u1", accept_language="fr")
    assert wire.last.headers["accept-language"] == "fr"
    # A string enum whose value is digits takes the int.
    await cio.pipelines.people.identify(body={"userId": "u"}, x_strict_mode=1)
    assert wire.last.headers["x-strict-mode"] == "1"
    await cio.track.track_segments.add_to_segment(3, body={"ids": ["a"]}, id_type="email")
    assert wire.last.url.params["id_type"] == "email"


# Top-level fields of a mapping body, where every alternative of the body's schema types the field alike. Before,
# each of these went out as given.
BODY_REFUSED: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "app send_email, through the sugar",
        lambda c: c.app.send_email(transactional_message_id=1, to="a@b.c", identifiers={"id": "u"}, subject=["x"]),
        "app.send_messages.send_email: body field 'subject' must be a str or int, not list",
    ),
    (
        "app send_email send_at",
        lambda c: c.app.send_email(transactional_message_id=1, to="a@b.c", identifiers={"id": "u"}, send_at="soon"),
        "body field 'send_at' must be an int (a datetime for a timestamp), not str 'soon'",
    ),
    (
        "track identify created_at",
        lambda c: c.track.track_customers.identify("u1", body={"created_at": "yesterday"}),
        "track.track_customers.identify: body field 'created_at' must be an int (a datetime for a timestamp)",
    ),
    (
        "track identify unsubscribed, through the sugar",
        lambda c: c.track.identify("u1", {"unsubscribed": "yes"}),
        "body field 'unsubscribed' must be True or False, not str 'yes'",
    ),
    (
        "pipelines track event",
        lambda c: c.pipelines.events_and_pageviews.track(body={"userId": "u", "event": {"name": "e"}}),
        "pipelines.events_and_pageviews.track: body field 'event' must be a str or int, not dict",
    ),
    (
        "pipelines identify, through the sugar",
        lambda c: c.pipelines.identify(user_id=["u1"]),
        "body field 'userId' must be a str or int, not list",
    ),
]


@pytest.mark.generated_names
@pytest.mark.parametrize(("label", "call", "message"), BODY_REFUSED, ids=[c[0] for c in BODY_REFUSED])
async def test_a_body_field_its_schema_refuses_is_a_typed_error_and_nothing_is_sent(
    cio: CustomerIO, wire: Wire, label: str, call: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentTypeError) as info:
        await call(cio)
    assert message in str(info.value)
    assert wire.requests == []


@pytest.mark.generated_names
async def test_body_fields_the_schema_takes_go_out_as_given(cio: CustomerIO, wire: Wire) -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    await cio.track.identify("u1", {"created_at": when, "id": 7, "unsubscribed": False, "plan": {"tier": 1}})
    assert wire.body() == {"created_at": 1704067200, "id": 7, "unsubscribed": False, "plan": {"tier": 1}}
    await cio.pipelines.identify(user_id=123, traits={"plan": "pro"}, timestamp=when)
    assert wire.body()["userId"] == 123 and wire.body()["timestamp"].startswith("2024-01-01T00:00:00")
    await cio.pipelines.events_and_pageviews.track(body={"userId": "u", "event": "e", "timestamp": when, "version": 2})
    assert wire.body()["event"] == "e" and wire.body()["version"] == 2
