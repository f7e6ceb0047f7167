"""Every route the handwritten sugar calls, by method and path as the specs spell them (never by generated names).

A regenerated spec may rename operations and tags; the sugar finds its operations by these routes, through the
generated ``route()`` (typed: each constant is a ``Literal``, so mypy also fails if a route leaves the spec).
``SUGAR_ROUTES`` maps each sugar method to its route, so ``make update-specs`` can name what a removed route breaks.
"""

from __future__ import annotations

from typing import Final

# Track
IDENTIFY: Final = "PUT /api/v1/customers/{identifier}"
DELETE_PERSON: Final = "DELETE /api/v1/customers/{identifier}"
EVENT: Final = "POST /api/v1/customers/{identifier}/events"
ANONYMOUS_EVENT: Final = "POST /api/v1/events"
SUPPRESS: Final = "POST /api/v1/customers/{identifier}/suppress"
UNSUPPRESS: Final = "POST /api/v1/customers/{identifier}/unsuppress"
ADD_DEVICE: Final = "PUT /api/v1/customers/{identifier}/devices"
DELETE_DEVICE: Final = "DELETE /api/v1/customers/{identifier}/devices/{device_id}"
MERGE: Final = "POST /api/v1/merge_customers"
ADD_TO_SEGMENT: Final = "POST /api/v1/segments/{segment_id}/add_customers"
REMOVE_FROM_SEGMENT: Final = "POST /api/v1/segments/{segment_id}/remove_customers"
ENTITY: Final = "POST /api/v2/entity"
TRACK_BATCH: Final = "POST /api/v2/batch"

# App
PERSON_ATTRIBUTES: Final = "GET /v1/customers/{customer_id}/attributes"
SEARCH_PEOPLE: Final = "POST /v1/customers"
LIST_CAMPAIGNS: Final = "GET /v1/campaigns"
CAMPAIGN_METRICS: Final = "GET /v1/campaigns/{campaign_id}/metrics"
LIST_SEGMENTS: Final = "GET /v1/segments"
TRIGGER_BROADCAST: Final = "POST /v1/campaigns/{broadcast_id}/triggers"
SEND_EMAIL: Final = "POST /v1/send/email"
SEND_PUSH: Final = "POST /v1/send/push"
SEND_SMS: Final = "POST /v1/send/sms"

# Pipelines
PIPELINES_IDENTIFY: Final = "POST /identify"
PIPELINES_TRACK: Final = "POST /track"
PIPELINES_PAGE: Final = "POST /page"
PIPELINES_SCREEN: Final = "POST /screen"
PIPELINES_GROUP: Final = "POST /group"
PIPELINES_ALIAS: Final = "POST /alias"
PIPELINES_BATCH: Final = "POST /batch"


def _split(route: str) -> tuple[str, str]:
    method, _, path = route.partition(" ")
    return method, path


# "<api>.<sugar method>" → (METHOD, path). Keep in step with the sugar (tests/facade/test_routes.py checks both ways).
SUGAR_ROUTES: dict[str, tuple[str, str]] = {
    name: _split(route)
    for name, route in {
        "track.identify": IDENTIFY,
        "track.delete": DELETE_PERSON,
        "track.event": EVENT,
        "track.anonymous_event": ANONYMOUS_EVENT,
        "track.suppress": SUPPRESS,
        "track.unsuppress": UNSUPPRESS,
        "track.add_device": ADD_DEVICE,
        "track.delete_device": DELETE_DEVICE,
        "track.merge": MERGE,
        "track.add_to_segment": ADD_TO_SEGMENT,
        "track.remove_from_segment": REMOVE_FROM_SEGMENT,
        "track.entity": ENTITY,
        "track.batch": TRACK_BATCH,
        "app.get_person_attributes": PERSON_ATTRIBUTES,
        "app.search_people": SEARCH_PEOPLE,
        "app.customers.search": SEARCH_PEOPLE,
        "app.list_campaigns": LIST_CAMPAIGNS,
        "app.campaign_metrics": CAMPAIGN_METRICS,
        "app.list_segments": LIST_SEGMENTS,
        "app.trigger_broadcast": TRIGGER_BROADCAST,
        "app.send_email": SEND_EMAIL,
        "app.send_push": SEND_PUSH,
        "app.send_sms": SEND_SMS,
        "pipelines.identify": PIPELINES_IDENTIFY,
        "pipelines.track": PIPELINES_TRACK,
        "pipelines.page": PIPELINES_PAGE,
        "pipelines.screen": PIPELINES_SCREEN,
        "pipelines.group": PIPELINES_GROUP,
        "pipelines.alias": PIPELINES_ALIAS,
        "pipelines.batch": PIPELINES_BATCH,
    }.items()
}
