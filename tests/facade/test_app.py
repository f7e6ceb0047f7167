"""App sugar on the wire: Bearer auth, transactional sends with ``from``, broadcast audiences, search pagination."""

from __future__ import annotations

import httpx
import pytest

from aiocustomerio import CustomerIO, ResponseValidationError

from .conftest import APP_KEY, Wire


async def test_send_email_sends_from_under_its_wire_name(cio: CustomerIO, wire: Wire) -> None:
    await cio.app.send_email(
        transactional_message_id="1",
        to="a@example.com",
        identifiers={"id": "user_1"},
        message_data={"order_id": "ORD-456"},
        from_="shop@example.com",
    )
    req = wire.last
    assert (req.method, str(req.url)) == ("POST", "https://api.customer.io/v1/send/email")
    assert req.headers["authorization"] == f"Bearer {APP_KEY}"
    assert wire.body() == {
        "transactional_message_id": "1",
        "to": "a@example.com",
        "identifiers": {"id": "user_1"},
        "message_data": {"order_id": "ORD-456"},
        "from": "shop@example.com",
    }


async def test_send_email_validates_before_sending(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(ValueError, match="transactional_message_id, or all of subject, body and from_"):
        await cio.app.send_email(to="a@example.com", identifiers={"id": "u"}, subject="hi")
    with pytest.raises(ValueError, match="exactly one of id, email or cio_id"):
        await cio.app.send_email(transactional_message_id=1, to="a@example.com", identifiers={})
    assert wire.requests == []


async def test_push_and_sms(cio: CustomerIO, wire: Wire) -> None:
    await cio.app.send_push(transactional_message_id=3, identifiers={"email": "a@example.com"}, title="t")
    assert wire.last.url.path == "/v1/send/push"
    assert wire.body() == {"transactional_message_id": 3, "identifiers": {"email": "a@example.com"}, "title": "t"}
    await cio.app.send_sms(transactional_message_id=4, identifiers={"id": "u"}, to="+15555550100")
    assert wire.last.url.path == "/v1/send/sms"
    assert wire.body()["to"] == "+15555550100"


async def test_trigger_broadcast(cio: CustomerIO, wire: Wire) -> None:
    await cio.app.trigger_broadcast(3, emails=["a@example.com"], data={"coupon_code": "SAVE20"})
    assert (wire.last.method, wire.last.url.path) == ("POST", "/v1/campaigns/3/triggers")
    assert wire.body() == {"emails": ["a@example.com"], "data": {"coupon_code": "SAVE20"}}


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [({"ids": [1], "emails": ["a@example.com"]}, "ids, emails"), ({"ids": [1], "data_file_url": "u"}, "ids, data")],
)
async def test_trigger_broadcast_takes_at_most_one_audience(
    cio: CustomerIO, wire: Wire, kwargs: dict[str, object], named: str
) -> None:
    # None is the spec's "Default audience" (the broadcast's own segment): tests/facade/test_argument_shapes.py.
    with pytest.raises(ValueError, match=f"at most one audience .* given: {named}"):
        await cio.app.trigger_broadcast(3, **kwargs)  # type: ignore[arg-type]
    assert wire.requests == []


async def test_lists_and_metrics(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={"campaigns": [{"id": 1, "name": "Welcome"}]})
    campaigns = await cio.app.list_campaigns()
    assert wire.last.url.path == "/v1/campaigns"
    assert campaigns.campaigns[0].name == "Welcome"
    await cio.app.campaign_metrics(5, res="days")
    assert str(wire.last.url) == "https://api.customer.io/v1/campaigns/5/metrics?version=2&res=days&period=days"
    wire.responder = lambda r: httpx.Response(200, json={"segments": []})
    await cio.app.list_segments()
    assert wire.last.url.path == "/v1/segments"


@pytest.mark.generated_names
async def test_get_person_attributes_positional(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={"customer": {"id": "user_1", "attributes": {"a": "1"}}})
    result = await cio.app.customers.get_person_attributes("user_1", id_type="id")
    assert str(wire.last.url) == "https://api.customer.io/v1/customers/user_1/attributes?id_type=id"
    assert result.customer.id == "user_1"
    await cio.app.get_person_attributes("a@example.com", id_type="email")
    assert wire.last.url.raw_path == b"/v1/customers/a%40example.com/attributes?id_type=email"


def _pages(request: httpx.Request) -> httpx.Response:
    start = request.url.params.get("start")
    pages = {None: (["p1a", "p1b"], "c2"), "c2": (["p2a", "p2b"], "c3"), "c3": (["p3a"], "")}
    ids, nxt = pages[start]
    return httpx.Response(
        200,
        json={
            "identifiers": [{"id": i, "email": f"{i}@example.com", "cio_id": f"cio_{i}"} for i in ids],
            "ids": ids,
            "next": nxt,
        },
    )


async def test_search_follows_next_across_three_pages(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _pages
    people = [p async for p in cio.app.customers.search(filter={"and": [{"segment": {"id": 3}}]}, limit=2)]
    assert [p.id for p in people] == ["p1a", "p1b", "p2a", "p2b", "p3a"]
    assert [r.url.params.get("start") for r in wire.requests] == [None, "c2", "c3"]
    assert all(r.url.params["limit"] == "2" and r.method == "POST" for r in wire.requests)
    assert wire.body(0) == {"filter": {"and": [{"segment": {"id": 3}}]}}


async def test_search_max_items_stops_early(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = _pages
    people = [p async for p in cio.app.search_people({"and": [{"segment": {"id": 3}}]}, max_items=3)]
    assert [p.id for p in people] == ["p1a", "p1b", "p2a"]
    assert len(wire.requests) == 2


@pytest.mark.generated_names
async def test_derived_paginator_for_activities(cio: CustomerIO, wire: Wire) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        start = request.url.params.get("start")
        nxt = {None: "b", "b": "c", "c": ""}[start]
        return httpx.Response(200, json={"activities": [{"id": f"{start}-1", "type": "attempted_action"}], "next": nxt})

    wire.responder = pages
    items = [a async for a in cio.app.activities.list_activities.paginate(limit=1)]
    assert [a.id for a in items] == ["None-1", "b-1", "c-1"]


@pytest.mark.generated_names
async def test_a_value_the_spec_does_not_list_yet_still_parses(cio: CustomerIO, wire: Wire) -> None:
    # Response enums are open strings (codegen rule open-response-enums): new values must not break answers.
    wire.responder = lambda r: httpx.Response(200, json={"activities": [{"type": "brand_new_type"}], "next": ""})
    page = await cio.app.activities.list_activities()
    assert page.activities[0].type_ == "brand_new_type"


@pytest.mark.generated_names
async def test_a_response_that_breaks_the_model_is_a_clear_error(cio: CustomerIO, wire: Wire) -> None:
    broken = {"identifiers": [{"id": "u1"}], "ids": ["u1"], "next": ""}  # identifiers require email and cio_id
    wire.responder = lambda r: httpx.Response(200, json=broken)
    with pytest.raises(ResponseValidationError, match="get_people_filter: the 200 response does not match") as info:
        await cio.app.customers.get_people_filter(body={"filter": {"and": []}})
    assert info.value.response.json() == broken


@pytest.mark.generated_names
async def test_with_raw_response(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={"campaigns": []}, headers={"x-request-id": "r1"})
    raw = await cio.app.campaigns.list_campaigns.with_raw_response()
    assert isinstance(raw, httpx.Response)
    assert raw.headers["x-request-id"] == "r1" and raw.json() == {"campaigns": []}


@pytest.mark.generated_names
async def test_a_list_without_cursor_iterates_its_one_page(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={"campaigns": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]})
    names = [c.name async for c in cio.app.campaigns.list_campaigns.paginate()]
    assert names == ["A", "B"] and len(wire.requests) == 1
    assert [c.id async for c in cio.app.campaigns.list_campaigns.paginate(max_items=1)] == [1]


@pytest.mark.generated_names
async def test_raw_responses_for_sugar_and_derived_calls(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={"delivery_id": "d1"}, headers={"x-request-id": "r9"})
    raw = await cio.app.with_raw_response.send_email(
        transactional_message_id=1, to="a@example.com", identifiers={"id": "u"}
    )
    assert isinstance(raw, httpx.Response) and raw.headers["x-request-id"] == "r9"
    raw = await cio.track.with_raw_response.track_customers.identify("u", body={"plan": "pro"})
    assert isinstance(raw, httpx.Response) and wire.last.url.path == "/api/v1/customers/u"
    parsed = await cio.app.send_email(transactional_message_id=1, to="a@example.com", identifiers={"id": "u"})
    assert parsed.delivery_id == "d1"
    assert cio.app.with_raw_response.http is cio.app.http  # one shared pool
