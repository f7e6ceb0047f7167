"""Encoding of single items: each item becomes compact JSON bytes exactly once, at `put` time.

The stdlib C encoder is used through one pre-built `JSONEncoder` per API: `json.dumps(obj, **kwargs)` builds a new
encoder on every call when given non-default options, which costs more than the encoding of a small event.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

# Per the Track v2 and Pipelines docs: a batch body must stay under 500 KB and each entry under 32 KB.
MAX_ITEM_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024


def _track_default(value: object) -> object:
    # Track stores dates as unix seconds (its `timestamp` fields are integers).
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return value.isoformat()
    return _common_default(value)


def _pipelines_default(value: object) -> object:
    # Pipelines wants ISO 8601 date-times; naive values are taken as UTC rather than local time.
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _common_default(value)


def _common_default(value: object) -> object:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make(default: Callable[[object], object]) -> Callable[[Any], bytes]:
    encoder = json.JSONEncoder(
        separators=(",", ":"), ensure_ascii=False, check_circular=False, allow_nan=False, default=default
    )
    encode: Callable[[Any], str] = encoder.encode
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is not None:
        # `JSONEncoder.encode` builds a fresh C encoder on every call; building it once saves about a third of the
        # encoding time of a small event. Same options, same output (json's own one-shot path).
        c_encode = c_make_encoder(None, default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
        join = "".join

        def encode(item: Any) -> str:
            return join(c_encode(item, 0))

    def encode_item(item: Any) -> bytes:
        try:
            return encode(item).encode()
        except (TypeError, ValueError) as exc:
            raise _locate(item, default, exc) from None
        except RecursionError:
            raise ValueError("item is nested too deeply (or contains itself) to encode as JSON") from None

    return encode_item


def _locate(item: object, default: Callable[[object], object], exc: Exception) -> Exception:
    """Rebuild the encoder's error with the path of the offending value (slow path, only on failure)."""
    path = _find_bad(item, default, "")
    where = f" at {path}" if path else ""
    if isinstance(exc, TypeError):
        return TypeError(f"cannot encode item{where}: {exc}")
    return ValueError(f"cannot encode item{where}: {exc}")


def _find_bad(value: object, default: Callable[[object], object], path: str) -> str | None:
    if isinstance(value, dict):
        for key, sub in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return f"{path}.{key!r}" if path else repr(key)
            found = _find_bad(sub, default, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for index, sub in enumerate(value):
            found = _find_bad(sub, default, f"{path}[{index}]")
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
    return _find_bad(converted, default, path)


encode_track = _make(_track_default)
encode_pipelines = _make(_pipelines_default)
