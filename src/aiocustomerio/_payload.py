"""Size limits Customer.io enforces on request bodies, checked before sending so a too-large call fails clearly."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import chain, compress, repeat
from operator import eq, is_, itemgetter
from typing import Any

from ._encode import dumps
from .errors import InvalidArgumentError

KB = 1024
ITEM_LIMIT = 32 * KB  # one Track v2 entity, one Pipelines message
BATCH_LIMIT = 500 * KB  # one Track v2 or Pipelines batch request

# (api, method, path pattern, limit, what, each item of its `batch`): the first match applies. Sources: Customer.io's
# Track v2 and Pipelines API references ("each request ... 32kb", "batch requests ... 500kb").
_LIMITS: tuple[tuple[str, str, re.Pattern[str], int, str, str | None], ...] = (
    ("track", "POST", re.compile(r"^/api/v2/batch$"), BATCH_LIMIT, "a Track v2 batch", "a Track v2 entity"),
    ("track", "POST", re.compile(r"^/api/v2/entity$"), ITEM_LIMIT, "a Track v2 entity", None),
    ("pipelines", "POST", re.compile(r"^/batch$"), BATCH_LIMIT, "a Pipelines batch", "a Pipelines message"),
    ("pipelines", "POST", re.compile(r"^/"), ITEM_LIMIT, "a Pipelines message", None),
)


class PayloadTooLargeError(InvalidArgumentError):
    """A request body, an item or a field over Customer.io's size limit; raised before anything is sent (façade and
    ingestors)."""

    def __init__(self, what: str, size: int, limit: int, message: str | None = None) -> None:
        super().__init__(
            message
            or f"{what} is {size:,} bytes encoded, over the {limit:,}-byte ({limit // KB} KB) limit; "
            "split it or remove large attributes"
        )
        self.size = size
        self.limit = limit


def check(
    api: str,
    method: str,
    path: str,
    body: bytes,
    raw: object = None,
    encode: Callable[[Any], bytes] | None = None,
    params: Mapping[str, Any] | None = None,
) -> None:
    """The size rule of every request body (sugar and generated operations, async and sync): the body's limit, and
    for a batch, each item's (``raw`` is the body before encoding, ``encode`` how its items are encoded); then the
    Track API's field limits, for the routes that carry people and events (``params``: the path parameters)."""
    for limit_api, limit_method, pattern, limit, what, item in _LIMITS:
        if api == limit_api and method == limit_method and pattern.match(path):
            if len(body) > limit:
                raise PayloadTooLargeError(what, len(body), limit)
            # Only a body over the item limit can hold an item over it: the common batch is not encoded twice.
            if item is not None and len(body) > ITEM_LIMIT and encode is not None and isinstance(raw, Mapping):
                items = raw.get("batch")
                if isinstance(items, (list, tuple)):
                    for index, each in enumerate(items):
                        check_item(f"batch[{index}] ({item})", encode(each))
            break
    if api == "track" and isinstance(raw, Mapping):
        fields = _FIELD_RULES.get(f"{method} {path}")
        if fields is not None:
            fields(raw, len(body), params or {}, encode or dumps)


def check_item(what: str, body: bytes, limit: int = ITEM_LIMIT) -> bytes:
    """The one size check of a single entity or message (façade batches and ingestors alike)."""
    if len(body) > limit:
        raise PayloadTooLargeError(what, len(body), limit)
    return body


# -- Track API field limits -----------------------------------------------------------------------------------------
# From journeys-track.json's info.description, "Track API limits" ("Customer limits", "Object and relationship
# limits", "Track API Event limits"), all in bytes; the 400s that enforce them are listed in Customer.io's "Invalid API
# Requests" page (docs.customer.io/journeys/invalid-api-requests: "attribute name cannot be longer than 150 bytes",
# "value for attribute ... cannot be longer than 1000 bytes", "cannot identify more than 300 attributes in one
# request", "event name cannot be longer than 100 bytes", "event data cannot be longer than 100000 bytes"). Refused
# here, a v2 batch no longer fails as a whole for one entity, and a backfill learns of it before sending a million.
# Only what those sources state is checked: no v1 request body limit is documented, nor how a nested attribute value
# (an object or a list) is measured, so neither is refused here (an entity still meets the v2 32 KB above).
ID_BYTES = 150  # "ID: Max length of a person's ID value"; "Object ID: Max length of a object's ID"
ATTRIBUTE_NAME_BYTES = 150  # "Attribute Name: Max length of each attribute name"
ATTRIBUTE_VALUE_BYTES = 1000  # "Attribute Value: Max length of attribute values"
ATTRIBUTES_PER_CALL = 300  # "Unique attributes: Max number of attributes allowed per person or Identify call"
EVENT_NAME_BYTES = 100  # "Event Name: Max length of each event name"
EVENT_DATA_BYTES = 100_000  # "Event Data: Max length of each event data"
# An encoded entity or body this short holds no string over the smallest limit: nothing to look at.
SMALLEST_FIELD_LIMIT = min(ID_BYTES, ATTRIBUTE_NAME_BYTES, EVENT_NAME_BYTES)
# A string of at most this many characters is within the limit whatever its characters (4 bytes each at most in
# UTF-8): the per-item paths compare a length and call the check only past it.
ID_CHARS = ID_BYTES // 4
EVENT_NAME_CHARS = EVENT_NAME_BYTES // 4
# Fields of an identify body that are instructions, not attributes (the spec's named properties of
# PUT /api/v1/customers/{identifier} besides the identifiers): not counted among the 300.
_NOT_ATTRIBUTES = frozenset({"_update", "_timestamp", "cio_relationships"})


def _utf8_size(value: str, limit: int) -> int:
    """The UTF-8 size of ``value`` when it is over ``limit``, else 0. A character is 1 to 4 bytes, so most strings
    are decided by their length alone, without encoding them (this runs per ingested item)."""
    if len(value) * 4 <= limit:
        return 0
    size = len(value.encode("utf-8", "surrogatepass"))
    return size if size > limit else 0


def _shown_name(name: str) -> str:
    return repr(name if len(name) <= 40 else name[:40] + "...")


def check_track_id(value: object, where: str, kind: str = "a person's id") -> None:
    """A person's or an object's id within Customer.io's 150 bytes (ints are always within it)."""
    if type(value) is str and len(value) * 4 > ID_BYTES:
        size = _utf8_size(value, ID_BYTES)
        if size:
            raise PayloadTooLargeError(
                where, size, ID_BYTES,
                f"{where} is {size:,} bytes, over Customer.io's {ID_BYTES}-byte limit for {kind} (Track API "
                "limits): use a shorter id, e.g. your database key or a hash of the long value",
            )  # fmt: skip


def check_track_attributes(attributes: object, where: str) -> None:
    """A person's or an object's attributes within Customer.io's limits: at most 300 in one call, each name at most
    150 bytes, each string value at most 1000 bytes. Values are never quoted in the message (they may be personal)."""
    if not isinstance(attributes, Mapping) or not attributes:
        return
    count = len(attributes) - len(_NOT_ATTRIBUTES.intersection(attributes))
    if count > ATTRIBUTES_PER_CALL:
        raise PayloadTooLargeError(
            where, count, ATTRIBUTES_PER_CALL,
            f"{where} has {count:,} attributes, over Customer.io's limit of {ATTRIBUTES_PER_CALL} per person or "
            "identify call (Track API limits): split them over several identify calls",
        )  # fmt: skip
    try:
        longest = max(map(len, attributes))  # a C loop: the common case is decided here
    except TypeError:  # a key that is not a str: the encoder explains it
        longest = ATTRIBUTE_NAME_BYTES
    if longest * 4 > ATTRIBUTE_NAME_BYTES:
        for name in attributes:
            size = _utf8_size(name, ATTRIBUTE_NAME_BYTES) if type(name) is str else 0
            if size:
                raise PayloadTooLargeError(
                    where, size, ATTRIBUTE_NAME_BYTES,
                    f"{where}: the attribute name {_shown_name(name)} is {size:,} bytes, over Customer.io's "
                    f"{ATTRIBUTE_NAME_BYTES}-byte limit for an attribute name (Track API limits): use a shorter name",
                )  # fmt: skip
    values = list(attributes.values())
    # The longest str value, by C loops (the per-item case); only past a quarter of the limit is each one measured.
    if max(map(len, compress(values, map(is_, map(type, values), repeat(str)))), default=0) * 4 > ATTRIBUTE_VALUE_BYTES:
        for name, value in attributes.items():
            size = _utf8_size(value, ATTRIBUTE_VALUE_BYTES) if type(value) is str else 0
            if size:
                raise PayloadTooLargeError(
                    where, size, ATTRIBUTE_VALUE_BYTES,
                    f"{where}[{_shown_name(str(name))}] is {size:,} bytes, over Customer.io's "
                    f"{ATTRIBUTE_VALUE_BYTES}-byte limit for an attribute value (Track API limits): shorten it, or "
                    "keep the long text elsewhere and send a reference to it",
                )  # fmt: skip


def check_track_event_name(name: object, where: str) -> None:
    """An event's name within Customer.io's 100 bytes (a page or screen view's name, a URL, is not an event name)."""
    if type(name) is str and len(name) * 4 > EVENT_NAME_BYTES:
        size = _utf8_size(name, EVENT_NAME_BYTES)
        if size:
            raise PayloadTooLargeError(
                where, size, EVENT_NAME_BYTES,
                f"{where} is {size:,} bytes, over Customer.io's {EVENT_NAME_BYTES}-byte limit for an event name "
                "(Track API limits): use a shorter name and put the details in the event's attributes",
            )  # fmt: skip


def check_track_event_data(size: int, where: str) -> None:
    """An event's data (its attributes, encoded) within Customer.io's 100,000 bytes."""
    if size > EVENT_DATA_BYTES:
        raise PayloadTooLargeError(
            where, size, EVENT_DATA_BYTES,
            f"{where} is {size:,} bytes encoded, over Customer.io's {EVENT_DATA_BYTES:,}-byte limit for an event's "
            "data (Track API limits): send less with the event, or keep large values elsewhere and send a reference",
        )  # fmt: skip


def check_track_entity_limits(entity: Mapping[str, Any], where: str, size: int | None = None) -> None:
    """A Track v2 entity within the Track API's field limits: its id, an event's name, an identify's attributes
    (``size``, when known: its encoded size). ``_builders.check_track_entity`` runs this past its per-item shortcut,
    the façade's bodies through ``check``."""
    if size is not None and size <= SMALLEST_FIELD_LIMIT:
        return
    ids = entity.get("identifiers")
    if type(ids) is dict:
        value = ids.get("id")
        if type(value) is str and len(value) > ID_CHARS:
            check_track_id(value, f"{where}.identifiers.id")
        value = ids.get("object_id")
        if type(value) is str and len(value) > ID_CHARS:
            check_track_id(value, f"{where}.identifiers.object_id", "an object's id")
    action = entity.get("action")
    if action == "event":
        name = entity.get("name")
        if type(name) is str and len(name) > EVENT_NAME_CHARS:
            check_track_event_name(name, f"{where}.name")
    elif action == "identify" or action == "identify_anonymous":
        check_track_attributes(entity.get("attributes"), f"{where}.attributes")


_action_of, _name_of = itemgetter("action"), itemgetter("name")


def track_entities_within_limits(entities: list[dict[str, Any]], ids: list[str], sizes: list[int]) -> bool:
    """``check_track_entity_limits`` for many person entities at once (``_builders.person_ids``'s common case: each
    a person with a person action, ``ids`` their string ids, ``sizes`` their encoded sizes), by C loops: True when
    none can be over a limit; False when one might, and each must then be checked alone (a bulk put's per-item
    cost: the one-by-one path names the item and the field)."""
    try:
        if max(map(len, ids)) > ID_CHARS:
            return False
        kinds = set(map(_action_of, entities))
        mixed = len(kinds) > 1
        actions = list(map(_action_of, entities)) if mixed else []
        if "event" in kinds:
            events = compress(entities, map(eq, actions, repeat("event"))) if mixed else entities
            if max(map(len, map(_name_of, events))) > EVENT_NAME_CHARS:
                return False
        if "identify" in kinds:
            chosen = list(map(eq, actions, repeat("identify"))) if mixed else None
            # Only an identify over 1000 bytes encoded can hold a value over 1000 bytes; the names and the count
            # are read from the attribute mappings themselves.
            if max(compress(sizes, chosen) if chosen else sizes) > ATTRIBUTE_VALUE_BYTES:
                return False
            identify = compress(entities, chosen) if chosen else entities
            attributes = list(filter(None, map(dict.get, identify, repeat("attributes"))))
            if attributes and (
                max(map(len, attributes)) > ATTRIBUTES_PER_CALL
                or max(map(len, chain.from_iterable(attributes))) * 4 > ATTRIBUTE_NAME_BYTES
            ):
                return False
    except (KeyError, TypeError):  # a name missing or not a str, attributes that are not a dict of str keys
        return False
    return True


def _v1_person(params: Mapping[str, Any]) -> None:
    # The path's identifier is an id, an email or a cio_ id (the spec's three forms): only an id has the limit.
    who = params.get("identifier")
    if type(who) is str and "@" not in who and not who.startswith("cio_"):
        check_track_id(who, "identifier")


def _v1_identify(raw: Mapping[str, Any], size: int, params: Mapping[str, Any], encode: Callable[[Any], bytes]) -> None:
    _v1_person(params)
    if size > SMALLEST_FIELD_LIMIT:
        check_track_id(raw.get("id"), "attributes['id']")
        check_track_attributes(raw, "attributes")


def _v1_event(raw: Mapping[str, Any], size: int, params: Mapping[str, Any], encode: Callable[[Any], bytes]) -> None:
    _v1_person(params)
    # A page or screen view (type "page"/"screen") is named by its URL or screen: not an event name.
    if raw.get("type") in (None, "event"):
        check_track_event_name(raw.get("name"), "name")
    if size > EVENT_DATA_BYTES:  # only then can the data be over it: not encoded twice otherwise
        check_track_event_data(len(encode(raw.get("data"))), "data (the event's attributes)")


def _v2_entity(raw: Mapping[str, Any], size: int, params: Mapping[str, Any], encode: Callable[[Any], bytes]) -> None:
    check_track_entity_limits(raw, "entity", size)


def _v2_batch(raw: Mapping[str, Any], size: int, params: Mapping[str, Any], encode: Callable[[Any], bytes]) -> None:
    items = raw.get("batch")
    if isinstance(items, (list, tuple)) and size > SMALLEST_FIELD_LIMIT:
        for index, each in enumerate(items):
            if isinstance(each, Mapping):
                check_track_entity_limits(each, f"batch[{index}]", size)


_FieldRule = Callable[[Mapping[str, Any], int, Mapping[str, Any], Callable[[Any], bytes]], None]
# Track routes whose bodies carry people, objects or events (as the spec spells them, like _routes.py).
_FIELD_RULES: dict[str, _FieldRule] = {
    "PUT /api/v1/customers/{identifier}": _v1_identify,
    "POST /api/v1/customers/{identifier}/events": _v1_event,
    "POST /api/v1/events": _v1_event,
    "POST /api/v2/entity": _v2_entity,
    "POST /api/v2/batch": _v2_batch,
}
