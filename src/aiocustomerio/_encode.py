"""JSON encoding for request bodies: one pass, with datetimes as each API wants them and errors that name the field."""

from __future__ import annotations

import datetime as _dt
import enum
import json
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

DatetimeStyle = Literal["unix", "iso"]


def unix_seconds(value: _dt.datetime | _dt.date) -> int:
    """Unix seconds; naive datetimes are taken as UTC (Customer.io stores timestamps in UTC)."""
    if not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return int(value.timestamp())


def iso8601(value: _dt.datetime | _dt.date) -> str:
    if isinstance(value, _dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.isoformat()


def _locate(value: Any, bad: Any, path: str = "body") -> str | None:
    """The dotted path of ``bad`` inside ``value`` (for the error message); None if not found."""
    if value is bad:
        return path
    if isinstance(value, Mapping):
        for key, sub in value.items():
            found = _locate(sub, bad, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, sub in enumerate(value):
            found = _locate(sub, bad, f"{path}[{i}]")
            if found:
                return found
    return None


def _default_for(style: DatetimeStyle, root: Callable[[], Any]) -> Callable[[Any], Any]:
    convert = unix_seconds if style == "unix" else iso8601

    def default(obj: Any) -> Any:
        if isinstance(obj, (_dt.datetime, _dt.date)):
            return convert(obj)
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, (uuid.UUID, Decimal)):
            return str(obj) if isinstance(obj, uuid.UUID) else float(obj)
        if isinstance(obj, (set, frozenset)):
            return sorted(obj, key=repr)
        to_dict = getattr(obj, "to_dict", None)
        if callable(to_dict):  # a generated attrs model inside a plain dict
            return to_dict()
        where = _locate(root(), obj) or "body"
        raise TypeError(
            f"{where}: a value of type {type(obj).__name__} cannot be sent as JSON; "
            "use str, int, float, bool, None, list, dict, datetime or a generated model"
        )

    return default


def dumps(value: Any, style: DatetimeStyle = "unix") -> bytes:
    """Compact UTF-8 JSON. Raises TypeError naming the field (``body.attributes.x``) for unserializable values."""
    try:
        return json.dumps(
            value,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_default_for(style, lambda: value),
        ).encode()
    except ValueError as exc:  # NaN/Infinity are not JSON
        raise TypeError(f"body: {exc}; send null or a finite number") from None
