"""JSON encoding for request bodies: one pass, with datetimes as each API wants them and errors that name the field."""

from __future__ import annotations

import datetime as _dt
import enum
import importlib
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from .errors import InvalidArgumentError, InvalidArgumentTypeError

DatetimeStyle = Literal["unix", "iso"]


def unix_seconds(value: _dt.datetime | _dt.date | int | float, name: str = "timestamp") -> int:
    """The one timestamp rule for Track and App: unix seconds. Naive datetimes are taken as UTC (Customer.io stores
    timestamps in UTC), dates as their midnight UTC, numbers as unix seconds already (fractions dropped).

    Anything else (a bool, NaN, infinity, a string) is refused before sending, naming ``name``."""
    if type(value) is int:  # the common case, first: this runs once per ingested event
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value in _INFINITIES:  # int() of these is a bare ValueError / OverflowError
            raise InvalidArgumentError(
                f"{name} is {value!r}, which is not a time: pass unix seconds (a finite number) or a datetime"
            )
        return int(value)
    if not isinstance(value, _dt.date):
        raise InvalidArgumentTypeError(
            f"{name} must be a datetime, a date or unix seconds (int), not {type(value).__name__}"
        )
    if not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return int(value.timestamp())


_INFINITIES = (float("inf"), float("-inf"))


def iso8601(value: _dt.datetime | _dt.date) -> str:
    if isinstance(value, _dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.isoformat()


# An ISO-8601 calendar date, with a time (seconds and fraction optional) and a zone (Z or an offset) optional: the
# forms a date-time string takes in practice. "soon", "yesterday" or a unix time in a string were sent as given, and
# in permissive mode (pipelines_strict=False) the API answers 200 to such a message and drops it.
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?")


# The pattern only tells ASCII digits from the rest, never one digit from another: two strings with the same shape
# (their bytes with every digit made 0) both match or both do not. Shapes that matched are kept (a few dozen at most),
# so a message's timestamp costs an encode, a translate and a set lookup instead of a regex match: a third of the
# instructions (callgrind), on the ingestor's per-message path.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ISO_SHAPES: set[bytes] = set()
_MAX_SHAPES = 64


def is_iso_8601(value: str) -> bool:
    """Whether ``value`` is an ISO-8601 date-time as ``iso_timestamp`` takes it (the ``_ISO_8601`` pattern)."""
    try:
        shape = value.encode().translate(_DIGITS_TO_ZERO)
    except UnicodeEncodeError:  # a lone surrogate: the pattern decides
        return _ISO_8601.fullmatch(value) is not None
    if shape in _ISO_SHAPES:
        return True
    if _ISO_8601.fullmatch(value) is None:
        return False
    if len(_ISO_SHAPES) < _MAX_SHAPES:  # bounded: fractions of any length make new shapes
        _ISO_SHAPES.add(shape)
    return True


def iso_timestamp(value: object, name: str = "timestamp") -> str:
    """The same rule for Pipelines, whose spec wants an ISO-8601 date-time string: a datetime or a date (naive: UTC)
    is formatted, an ISO-8601 string is sent as given. A number is refused, not converted: Pipelines callers (as in
    Segment's libraries) often hold milliseconds, and guessing the unit would store the wrong time silently."""
    if type(value) is str:
        if is_iso_8601(value):
            return value
        raise InvalidArgumentError(
            f"{name} is {value!r}, not an ISO-8601 date-time such as '2026-01-02T03:04:05Z': pass one, a datetime, "
            "or leave it out"
        )
    if isinstance(value, _dt.datetime):
        return iso8601(value)
    if isinstance(value, _dt.date):
        # Midnight UTC, as `unix_seconds` reads a date for Track: the spec's `format: date-time` wants a time, and a
        # date alone ("2024-01-02") is not one.
        return iso8601(_dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise InvalidArgumentTypeError(
            f"{name} is the number {value!r}, but Pipelines takes an ISO-8601 date-time string: pass a datetime, "
            "e.g. datetime.fromtimestamp(seconds, timezone.utc)"
        )
    raise InvalidArgumentTypeError(
        f"{name} must be an ISO-8601 date-time string or a datetime, not {type(value).__name__}"
    )


def without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that were given: the sugar's optional arguments are left out of the body, not sent as null."""
    return {k: v for k, v in fields.items() if v is not None}


def json_default(style: DatetimeStyle) -> Callable[[object], object]:
    """The ``default`` hook of every encoder here (façade bodies and ingestion items alike): the values JSON lacks.

    Datetimes and dates become unix seconds (Track, App) or ISO 8601 (Pipelines); naive ones are taken as UTC.
    """
    convert = unix_seconds if style == "unix" else iso8601

    def default(obj: object) -> object:
        if isinstance(obj, (_dt.datetime, _dt.date)):
            return convert(obj)
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if isinstance(obj, Decimal):
            return float(obj)
        if isinstance(obj, (set, frozenset)):
            return sorted(obj, key=repr)  # sorted: the same set always encodes the same way
        to_dict = getattr(obj, "to_dict", None)
        if callable(to_dict):  # a generated attrs model inside a plain dict
            return to_dict()
        name = type(obj).__name__
        raise TypeError(
            f"a value of type {name} cannot be sent as JSON ({name} is not JSON serializable): "
            "use str, int, float, bool, None, list, dict, datetime or a generated model"
        )

    return default


def find_bad(value: object, default: Callable[[object], object], path: str) -> str | None:
    """The path (``attributes.cart[1].sku``) of the first value the encoder refuses; only run after a failure."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return f"{path}.{key!r}" if path else repr(key)
            found = find_bad(sub, default, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, sub in enumerate(value):
            found = find_bad(sub, default, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return path
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    try:
        converted = default(value)
    except TypeError:
        return path
    return find_bad(converted, default, path)


_DEFAULTS: dict[DatetimeStyle, Callable[[object], object]] = {"unix": json_default("unix"), "iso": json_default("iso")}


_FAST: list[Any] = []  # [orjson.dumps, options] once loaded; [None] when the stdlib path is forced or orjson is absent


def _fast() -> Any:
    if not _FAST:
        module: Any = None
        if not os.environ.get("AIOCUSTOMERIO_STDLIB_JSON"):  # the tests run both paths this way
            try:
                module = importlib.import_module("orjson")
            except ImportError:
                module = None
        if module is None:
            _FAST.append(None)
        else:
            _FAST.extend((module.dumps, module.OPT_PASSTHROUGH_DATETIME | module.OPT_PASSTHROUGH_DATACLASS))
    return _FAST


def dumps(value: Any, style: DatetimeStyle = "unix") -> bytes:
    """Compact UTF-8 JSON. Raises TypeError naming the field (``body.attributes.x``) for unserializable values.

    orjson (a dependency, loaded on first use) encodes when it can, several times faster per call; the stdlib path
    stays the reference: whatever orjson refuses, and any output holding ``null`` (orjson writes NaN as null where
    the stdlib refuses it), goes through the stdlib encoder, which encodes it or explains where it fails.
    """
    default = _DEFAULTS[style]
    fast = _FAST or _fast()
    if fast[0] is not None:
        try:
            data: bytes = fast[0](value, default=default, option=fast[1])
        except TypeError:
            pass
        else:
            if data.find(b"null") < 0:  # not `in`: see ingest/_encode.py
                return data
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=default).encode()
    except TypeError as exc:
        raise InvalidArgumentTypeError(f"{find_bad(value, default, 'body') or 'body'}: {exc}") from None
    except ValueError:  # NaN/Infinity are not JSON
        where = find_bad(value, default, "body") or "body"
        raise InvalidArgumentTypeError(
            f"body: the value at {where} is not a finite number; send null or a finite number"
        ) from None
