"""The run-time check of one parameter record (aiocustomerio._params): what each type takes, sends and refuses."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

import pytest

from aiocustomerio._params import checker
from aiocustomerio.errors import CustomerIOError, InvalidArgumentError, InvalidArgumentTypeError


def _check(record: dict[str, Any], value: Any, timestamp: bool = False) -> Any:
    check = checker("api.tag.op", "p", {"in": "query", "name": "p", **record}, timestamp)
    assert check is not None
    return check(value)


class Kind(str, enum.Enum):
    A = "a"


class Small(enum.IntEnum):
    ONE = 1


ACCEPTED: list[tuple[dict[str, Any], Any, Any]] = [
    ({"type": "string"}, "x", "x"),
    ({"type": "string"}, 123, "123"),
    ({"type": "string"}, Kind.A, "a"),  # a str subclass: its text, never "Kind.A"
    ({"type": "integer"}, 5, 5),
    ({"type": "integer"}, 5.0, 5),
    ({"type": "integer"}, Small.ONE, 1),
    ({"type": "integer", "minimum": 1, "maximum": 3}, 3, 3),
    ({"type": "number"}, 2, 2),
    ({"type": "number"}, 2.5, 2.5),
    ({"type": "number", "exclusiveMinimum": 0}, 0.1, 0.1),
    ({"type": "boolean"}, False, False),
    ({"type": "date-time"}, dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1)),
    ({"type": "date"}, dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    ({"type": "uuid"}, uuid.UUID(int=1), uuid.UUID(int=1)),
    ({"type": "uuid"}, "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000001"),
    ({"type": "array", "items": "integer"}, (1, 2.0), [1, 2]),
]


@pytest.mark.parametrize(("record", "value", "sent"), ACCEPTED, ids=[repr(a[1]) for a in ACCEPTED])
def test_what_a_type_takes_and_what_is_sent(record: dict[str, Any], value: Any, sent: Any) -> None:
    result = _check(record, value)
    assert result == sent and type(result) is type(sent)


REFUSED: list[tuple[dict[str, Any], Any, type[Exception], str]] = [
    ({"type": "string"}, True, InvalidArgumentTypeError, "must be a str or int (an int is sent as its digits), not"),
    ({"type": "string"}, 1.5, InvalidArgumentTypeError, "not float 1.5"),
    ({"type": "string"}, b"x", InvalidArgumentTypeError, "not bytes"),
    ({"type": "integer"}, "7", InvalidArgumentTypeError, "must be an int, not str '7'; pass int('7')"),
    ({"type": "integer"}, False, InvalidArgumentTypeError, "not bool False; a bool is not a number here"),
    ({"type": "integer"}, float("nan"), InvalidArgumentTypeError, "not float nan"),
    ({"type": "integer", "maximum": 3}, 4, InvalidArgumentError, "must be at most 3, not 4"),
    ({"type": "integer", "minimum": 1}, 0, InvalidArgumentError, "must be at least 1, not 0"),
    ({"type": "number", "exclusiveMinimum": 0}, 0, InvalidArgumentError, "must be more than 0, not 0"),
    ({"type": "number"}, float("inf"), InvalidArgumentError, "must be a finite number, not inf"),
    ({"type": "number"}, True, InvalidArgumentTypeError, "must be an int or float, not bool True"),
    ({"type": "boolean"}, "true", InvalidArgumentTypeError, "must be True or False, not str 'true'"),
    ({"type": "boolean"}, 0, InvalidArgumentTypeError, "not int 0; pass True or False"),
    ({"type": "date-time"}, "2024-01-01", InvalidArgumentTypeError, "must be a datetime.datetime, not str"),
    ({"type": "array", "items": "string"}, "ab", InvalidArgumentTypeError, "must be a list of a str or int values"),
    ({"type": "array", "items": "integer"}, [1, "x"], InvalidArgumentTypeError, "items must be an int, not str 'x'"),
    ({"type": "integer"}, "x" * 100, InvalidArgumentTypeError, "not str '" + "x" * 36 + "..."),  # shortened
]


@pytest.mark.parametrize(("record", "value", "error", "message"), REFUSED, ids=[repr(r[1])[:20] for r in REFUSED])
def test_what_a_type_refuses_names_the_parameter_and_what_it_takes(
    record: dict[str, Any], value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        _check(record, value)
    assert isinstance(info.value, CustomerIOError)
    assert str(info.value).startswith("api.tag.op: query parameter 'p' ")
    assert message in str(info.value)


def test_a_timestamp_integer_says_it_takes_a_datetime() -> None:
    with pytest.raises(InvalidArgumentTypeError, match=r"must be an int \(unix seconds\) or a datetime, not str"):
        _check({"type": "integer"}, "2024-01-01", timestamp=True)


def test_a_path_value_must_be_one_segment_and_an_enum_is_left_to_its_conversion() -> None:
    check = checker("api.tag.op", "thing_id", {"in": "path", "name": "thingId", "type": "string"})
    assert check is not None and check(12) == "12"
    with pytest.raises(InvalidArgumentError, match=r"path parameter 'thing_id' \(the spec's 'thingId'\) is '\.\.'"):
        check("..")
    assert checker("api.tag.op", "type_", {"in": "query", "name": "type", "type": "enum"}) is None


def test_a_body_field_is_checked_not_converted() -> None:
    from aiocustomerio._params import body_field_checker

    def check(kind: str, value: Any) -> None:
        found = body_field_checker("api.tag.op", "f", {"type": kind})
        assert found is not None
        assert found(value) is None

    for kind, value in [
        ("string", "x"),
        ("string", 12),
        ("integer", 3),
        ("integer", 3.0),
        ("integer", dt.datetime(2024, 1, 1)),
        ("number", 0.5),
        ("boolean", True),
        ("date-time-text", "2024-01-01T00:00:00Z"),
        ("date-time-text", dt.date(2024, 1, 1)),
    ]:
        check(kind, value)
    for kind, value, message in [
        ("string", {"a": 1}, "body field 'f' must be a str or int, not dict"),
        ("string", True, "must be a str or int, not bool True"),
        ("integer", "3", "must be an int (a datetime for a timestamp), not str '3'; pass int('3')"),
        ("integer", True, "not bool True"),
        ("number", "0.5", "must be an int or float, not str '0.5'"),
        ("boolean", "true", "must be True or False, not str 'true'"),
        ("date-time-text", 1.5, "must be an ISO 8601 str or a datetime, not float 1.5"),
    ]:
        with pytest.raises(InvalidArgumentTypeError, match=r"^api\.tag\.op: ") as info:
            check(kind, value)
        assert message in str(info.value)
