"""The per-event Track encoder (a template on the stdlib path) writes exactly what encoding the whole entity would."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from aiocustomerio.errors import InvalidArgumentError, InvalidArgumentTypeError
from aiocustomerio.ingest._encode import encode_track, encode_track_action

CASES: list[tuple[Any, Any, Any, Any]] = [
    ({"id": "u1"}, "order_completed", "01HX", {"total": 12.5, "items": [1, 2]}),
    ({"id": 'quo"te\\é\u2028\n'}, 'naïve "name"', 'id"1', {"ünï": "çødé", "nested": {"a": None}}),
    ({"email": "a@example.com"}, "n", "i", None),
    ({"id": "u1", "cio_id": "x"}, "n", "i", {}),
    ({"id": 7}, 42, "i", {"when": dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), "tags": {"a"}}),
]


@pytest.mark.parametrize(("identifiers", "name", "id", "attributes"), CASES)
def test_matches_the_whole_entity_encoding(identifiers: Any, name: Any, id: Any, attributes: Any) -> None:
    entity = {"type": "person", "identifiers": identifiers, "action": "event", "name": name, "id": id}
    entity["timestamp"] = 1700000000
    if attributes:
        entity["attributes"] = attributes
    data = encode_track_action(identifiers, "event", name, id, 1700000000, attributes)
    assert json.loads(data) == json.loads(encode_track(entity))
    assert list(json.loads(data)) == list(entity)  # same key order on the wire


def test_bad_values_are_refused_with_their_path() -> None:
    with pytest.raises(InvalidArgumentError, match=r"at attributes\.ratio: NaN and infinity are not JSON; send null"):
        encode_track_action({"id": "u"}, "event", "n", "i", 1, {"ratio": float("nan")})
    with pytest.raises(InvalidArgumentTypeError, match=r"at attributes\.obj"):
        encode_track_action({"id": "u"}, "event", "n", "i", 1, {"obj": object()})
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidArgumentError, match=r"nested too deeply.*flatten it"):
        encode_track({"type": "person", "attributes": {"deep": deep}})
